import yaml
from conftest import TINY_CONFIG

from bulletin_clf.config import load_config
from bulletin_clf.experiments import compare


def _write(path, cfg):
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_compare_chooses_by_validation_and_writes_default_config(tiny_data, tmp_path):
    a = _write(tmp_path / "a.yaml", TINY_CONFIG | {"name": "a"})
    b = _write(tmp_path / "b.yaml", TINY_CONFIG | {"name": "b", "model": {"type": "majority"}})
    c = _write(tmp_path / "c.yaml", TINY_CONFIG | {"name": "c", "thresholds": {"strategy": "validation"}})
    rows = compare([a, b, c], results=tmp_path / "R.md", runs=tmp_path / "runs", select=tmp_path / "default.yaml",
                   data_dir=tiny_data, progress=False)
    assert [r["name"] for r in rows] == ["a", "b", "c"]
    assert [r["eligible"] for r in rows] == [True, False, False]
    table = (tmp_path / "R.md").read_text()
    assert "| a **(chosen)** |" in table and "| c † |" in table
    chosen = load_config(tmp_path / "default.yaml")
    assert chosen.name == "default" and chosen.data.train == ["train", "validation"]
    assert chosen.model == load_config(a).model
    # A Markdown table renders only if every row has as many cells as the header.
    table_lines = [line for line in table.splitlines() if line.startswith("|")]
    widths = {line.count("|") for line in table_lines}
    assert len(table_lines) == 5 and len(widths) == 1


def test_compare_refuses_a_config_slower_than_the_speed_floor(tiny_data, tmp_path):
    a = _write(tmp_path / "a.yaml", TINY_CONFIG | {"name": "a"})
    rows = compare([a], results=tmp_path / "R.md", runs=tmp_path / "runs", select=tmp_path / "default.yaml",
                   data_dir=tiny_data, progress=False, min_speed=1e12)
    assert rows[0]["speed"] > 0 and not rows[0]["eligible"]
    assert "| a ‡ |" in (tmp_path / "R.md").read_text() and not (tmp_path / "default.yaml").exists()

import pytest

from bulletin_clf.config import load_config, parse_config
from bulletin_clf.errors import ConfigError

BASE = {"name": "x", "model": {"type": "logreg"}}


def test_defaults_fill_in():
    cfg = parse_config(BASE)
    assert cfg.features.word is not None and cfg.features.word.ngram_range == (1, 2)
    assert cfg.thresholds.strategy == "cv" and cfg.data.train == ["train"]


@pytest.mark.parametrize(
    ("patch", "path", "words"),
    [
        ({"features": {"word": {"min_df": 0}}}, "features.word.min_df", "greater than or equal to 1"),
        ({"features": {"word": {"ngram_range": [3, 1]}}}, "features.word.ngram_range", "low <= high"),
        ({"features": {"word": {"min_dff": 2}}}, "features.word.min_dff", "unknown key"),
        ({"model": {"type": "logreg", "C": "big"}}, "model.C", "valid number"),
        ({"model": {"type": "logreg", "C": -1}}, "model.C", "greater than 0"),
        ({"model": {"type": "xgboost"}}, "model", "unknown model type"),
        ({"model": {"type": "linear_svm", "alpha": 1}}, "model.alpha", "unknown key"),
        ({"thresholds": {"value": 1.5}}, "thresholds.value", "less than 1"),
        ({"data": {"train": ["test"]}}, "data.train.0", "Input should be"),
        ({"features": {"word": None, "char": None}}, "features", "at least one"),
        ({"seed": "zero"}, "seed", "valid integer"),
        ({"extra": 1}, "extra", "unknown key"),
    ],
)
def test_errors_name_the_key_path(patch, path, words):
    raw = {**BASE, **patch}
    with pytest.raises(ConfigError) as err:
        parse_config(raw, source="exp.yaml")
    msg = str(err.value)
    assert msg.startswith(f"exp.yaml: {path}: "), msg
    assert words in msg
    assert "\n" not in msg


def test_keyword_baseline_rejects_unknown_label():
    with pytest.raises(ConfigError, match=r"model.keywords: .*unknown label 'drugs'"):
        parse_config({"name": "k", "model": {"type": "keyword_baseline", "keywords": {"drugs": ["x"]}}})


def test_yaml_files(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nmodel: [unclosed\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: malformed YAML: line \d+"):
        load_config(bad)
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "missing.yaml")
    notmap = tmp_path / "list.yaml"
    notmap.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="top level must be a mapping"):
        load_config(notmap)


def test_every_shipped_experiment_config_is_valid():
    from pathlib import Path

    configs = sorted((Path(__file__).resolve().parents[1] / "experiments").glob("*.yaml"))
    assert len(configs) >= 10
    for path in configs:
        load_config(path)

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
        ({"model": {"type": "logreg", "C": -1}}, "model.C", "greater than or equal to 0.0001"),
        ({"model": {"type": "xgboost"}}, "model", "unknown model type"),
        ({"model": {"type": "linear_svm", "alpha": 1}}, "model.alpha", "unknown key"),
        ({"thresholds": {"value": 1.5}}, "thresholds.value", "less than 1"),
        ({"data": {"train": ["bogus"]}}, "data.train.0", "Input should be"),
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


@pytest.mark.parametrize(("text", "message"), [
    ("a: " + "[" * 100_000 + "]" * 100_000, "nested more than 20 levels"),
    ("".join(" " * i + f"k{i}:\n" for i in range(300)), "nested more than 20 levels"),
    ("x: " + "y" * (2 << 20), "over 1,048,576 bytes"),
    ("name: x\nmodel: {type: logreg, max_iter: 100000000}\n", r"model\.max_iter: Input should be less than or equal to 20000"),
    ("name: x\nmodel: {type: logreg, C: 1e-12}\n", r"model\.C: Input should be greater than or equal to 0\.0001"),
    ("name: x\nmodel: {type: logreg}\nfeatures: {word: {ngram_range: [1, 9]}}\n", r"features\.word\.ngram_range\.1"),
    ("name: x\nmodel: {type: logreg}\nfeatures: {word: {max_features: 999999999}}\n", r"features\.word\.max_features"),
])
def test_hostile_or_absurd_configs_are_one_line_errors(tmp_path, text, message):
    p = tmp_path / "c.yaml"
    p.write_text(text)
    with pytest.raises(ConfigError, match=message) as exc:
        load_config(p)
    assert "\n" not in str(exc.value)


def test_undecodable_config(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(p)

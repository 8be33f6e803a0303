import hashlib
import json

import pytest
from conftest import TINY_CONFIG

from bulletin_clf.config import parse_config
from bulletin_clf.errors import ConfigError, DataError
from bulletin_clf.tag import load
from bulletin_clf.train import evaluate, train


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_train_save_load_predict_end_to_end(tiny_data, tmp_path):
    result = train(parse_config(TINY_CONFIG), tmp_path / "m", data_dir=tiny_data, progress=False)
    m = result.metrics
    assert {"cv", "validation", "test", "temporal_test", "thresholds", "train_seconds"} <= set(m)
    assert 0.0 <= m["validation"]["macro"]["f1"] <= 1.0
    files = {p.name for p in (tmp_path / "m").iterdir()}
    assert {"model.joblib", "manifest.json", "metrics.json", "report.md", "pr_test.png", "cooccurrence_test.png"} <= files
    # Each split's section of the report links that split's plots and no other's.
    sections = (tmp_path / "m" / "report.md").read_text().split("\n## ")[1:]
    held = [s for s in sections if s.startswith("Held-out sets by register")]
    assert len(held) == 1 and "| written | 4 |" in held[0] and "| temporal | 4 |" in held[0]
    for section in sections:
        split = section.split(" ", 1)[0]
        if section in held:
            continue
        assert sorted(line for line in section.splitlines() if line.startswith("![")) == [
            f"![cooccurrence_{split}.png](cooccurrence_{split}.png)", f"![pr_{split}.png](pr_{split}.png)"]
    card = (tmp_path / "m" / "MODEL_CARD.md").read_text()
    for heading in ("## Intended use", "## Training data", "## Decision thresholds", "## Scores on held-out data",
                    "## Known failure modes", "## Sources and attribution", "## Versions"):
        assert heading in card
    assert f"Fitted on the gold splits `train`: {m['n_train']} paragraphs" in card
    assert "| written | 4 |" in card  # the held-out written split, counted
    assert "MODEL_CARD.md" in json.loads((tmp_path / "m" / "manifest.json").read_text())["files"]
    tagger = load(tmp_path / "m")
    assert tagger.predict(["La convocatoria ofrece plazas para médicos especialistas."]) == [("human_resources",)]
    again = evaluate(tmp_path / "m", "test", data_dir=tiny_data)
    assert again["macro"]["f1"] == pytest.approx(m["test"]["macro"]["f1"])


def test_rerun_is_reproducible(tiny_data, tmp_path):
    cfg = parse_config(TINY_CONFIG | {"thresholds": {"strategy": "cv"}})
    a = train(cfg, tmp_path / "a", data_dir=tiny_data, progress=False)
    b = train(cfg, tmp_path / "b", data_dir=tiny_data, progress=False)
    drop = {"train_seconds"}
    assert {k: v for k, v in a.metrics.items() if k not in drop} == {k: v for k, v in b.metrics.items() if k not in drop}
    assert _sha(tmp_path / "a" / "model.joblib") == _sha(tmp_path / "b" / "model.joblib")


@pytest.mark.parametrize(
    "model",
    [
        {"type": "linear_svm", "C": 1.0, "calibration_folds": 2},
        {"type": "sgd", "max_iter": 1000},
        {"type": "complement_nb"},
        {"type": "ridge"},
        {"type": "majority"},
        {"type": "keyword_baseline", "keywords": {"governance": ["convenio"]}},
    ],
)
def test_every_model_type_trains(tiny_data, model):
    cfg = parse_config(TINY_CONFIG | {"model": model})
    result = train(cfg, None, data_dir=tiny_data, progress=False, cv=False)
    assert 0.0 <= result.metrics["test"]["macro"]["f1"] <= 1.0


def test_final_model_is_not_scored_on_its_training_splits(tiny_data, tmp_path):
    cfg = parse_config(TINY_CONFIG | {"data": {"train": ["train", "validation"]}})
    result = train(cfg, tmp_path / "m", data_dir=tiny_data, progress=False, cv=False)
    assert "validation" not in result.metrics and "test" in result.metrics
    with pytest.raises(DataError, match="trained on 'validation'"):
        evaluate(tmp_path / "m", "validation", data_dir=tiny_data)


def test_validation_thresholds_need_an_untrained_validation_split(tiny_data):
    cfg = parse_config(TINY_CONFIG | {"data": {"train": ["train", "validation"]}, "thresholds": {"strategy": "validation"}})
    with pytest.raises(DataError, match="validation split that is not trained on"):
        train(cfg, None, data_dir=tiny_data, progress=False, cv=False)


def test_single_class_training_data_fails_before_training(tiny_data):

    path = tiny_data / "gold" / "train.jsonl"
    recs = [json.loads(x) | {"labels": []} for x in path.read_text().splitlines()]
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    with pytest.raises(DataError, match="training data \\(train\\): label 'medicine_supply' has no positive"):
        train(parse_config(TINY_CONFIG), None, data_dir=tiny_data, progress=False)


def test_config_errors_come_before_any_work(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nmodel: {type: logreg, C: 0}\n")
    with pytest.raises(ConfigError, match="model.C"):
        train(bad, tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()

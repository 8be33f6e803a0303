import json

import pytest

from bulletin_clf.errors import ModelLoadError
from bulletin_clf.persist import FORMAT_VERSION, ModelVersionWarning, load_model, verify_directory


def _edit_manifest(d, fn):
    path = d / "manifest.json"
    m = json.loads(path.read_text())
    fn(m)
    path.write_text(json.dumps(m))


def test_roundtrip(tiny_model_dir):
    model, manifest = load_model(tiny_model_dir)
    assert manifest["format_version"] == FORMAT_VERSION
    assert set(manifest["files"]) >= {"model.joblib", "metrics.json", "report.md"}
    assert manifest["versions"]["scikit-learn"]
    assert model.predict_proba(["Se contrataron médicos"]).shape == (1, 4)


def test_tampered_model_is_refused_before_unpickling(model_copy):
    with open(model_copy / "model.joblib", "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(ModelLoadError, match="'model.joblib' does not match its SHA-256"):
        load_model(model_copy)


def test_missing_and_unknown_files_are_refused(model_copy):
    (model_copy / "extra.pkl").write_bytes(b"cos\nsystem\n")
    with pytest.raises(ModelLoadError, match="unknown file 'extra.pkl'"):
        verify_directory(model_copy)
    (model_copy / "extra.pkl").unlink()
    (model_copy / "report.md").unlink()
    with pytest.raises(ModelLoadError, match="'report.md' listed in the manifest is missing"):
        verify_directory(model_copy)


def test_not_a_model_dir(tmp_path):
    with pytest.raises(ModelLoadError, match="does not exist"):
        load_model(tmp_path / "nope")
    with pytest.raises(ModelLoadError, match="no manifest.json"):
        load_model(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(ModelLoadError, match="not valid JSON"):
        load_model(tmp_path)


def test_format_version_mismatch_is_refused(model_copy):
    _edit_manifest(model_copy, lambda m: m.update(format_version=FORMAT_VERSION + 1))
    with pytest.raises(ModelLoadError, match="format version"):
        load_model(model_copy)


def test_sklearn_version_mismatch_refused_unless_allowed(model_copy):
    _edit_manifest(model_copy, lambda m: m["versions"].update({"scikit-learn": "0.0.1"}))
    with pytest.raises(ModelLoadError, match=r"scikit-learn 0\.0\.1"):
        load_model(model_copy)
    with pytest.warns(ModelVersionWarning, match="scikit-learn 0.0.1"):
        load_model(model_copy, allow_version_mismatch=True)


def test_package_version_mismatch_warns(model_copy):
    _edit_manifest(model_copy, lambda m: m["versions"].update({"bulletin_clf": "0.0.0"}))
    with pytest.warns(ModelVersionWarning, match="bulletin_clf 0.0.0"):
        load_model(model_copy)


def test_atomic_writes_get_normal_file_permissions(tmp_path):
    import os

    from bulletin_clf.persist import atomic_write_bytes

    target = tmp_path / "x.json"
    atomic_write_bytes(target, b"{}")
    umask = os.umask(0)
    os.umask(umask)
    assert target.read_bytes() == b"{}"
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]  # no temp file left behind

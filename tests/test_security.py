"""No code from a model directory runs unless pickles are asked for by name (issue 11).

Every test plants a pickle payload that writes a marker file when unpickled,
re-signs the manifest as the directory's author could, and checks the marker
never appears; one test shows the payload does run with ``allow_pickle=True``,
so the others cannot pass by accident.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

import bulletin_clf
from bulletin_clf.cli import main
from bulletin_clf.errors import ModelLoadError
from bulletin_clf.persist import sha256_file


class _Payload:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):  # runs at unpickling time
        return (Path(self.marker).write_text, ("pwned",))


def _plant(model_dir: Path, marker: Path, *, edit=None, drop_arrays: bool = False) -> None:
    import joblib

    joblib.dump(_Payload(str(marker)), model_dir / "model.joblib")
    if drop_arrays:
        (model_dir / "linear.json").unlink()
        (model_dir / "linear.npz").unlink()
    _resign(model_dir, edit)


def _resign(model_dir: Path, edit=None) -> None:
    """Rewrite the manifest with correct hashes, as a malicious author would."""
    path = model_dir / "manifest.json"
    m = json.loads(path.read_text())
    m["files"] = {p.name: sha256_file(p) for p in sorted(model_dir.iterdir()) if p.name != "manifest.json"}
    if edit:
        edit(m)
    path.write_text(json.dumps(m))


PLANTS = {
    "linear_false": lambda m: m.update(linear=False),
    "no_linear_key": lambda m: m.pop("linear", None),
    "linear_true": lambda m: m.update(linear=True),
}


@pytest.mark.parametrize("how", sorted(PLANTS))
def test_array_copy_is_used_whatever_the_manifest_says(model_copy, tmp_path, how):
    marker = tmp_path / "marker"
    _plant(model_copy, marker, edit=PLANTS[how])
    tagger = bulletin_clf.load(model_copy)
    assert tagger.predict(["Se contrataron médicos"])  # loads and works from the arrays
    assert main(["tag", str(_release(tmp_path)), "--model", str(model_copy), "--out", str(tmp_path / "o.jsonl"),
                 "--no-progress"]) == 0
    assert main(["explain", str(model_copy), "--top", "3"]) == 0
    assert not marker.exists()


def test_evaluate_uses_the_array_copy(model_copy, tmp_path, tiny_data):
    marker = tmp_path / "marker"
    _plant(model_copy, marker, edit=PLANTS["linear_true"])
    assert main(["evaluate", str(model_copy), "--split", "test", "--data-dir", str(tiny_data)]) == 0
    assert not marker.exists()


def test_pickle_only_directory_is_refused_everywhere(model_copy, tmp_path, tiny_data, capsys):
    marker = tmp_path / "marker"
    _plant(model_copy, marker, drop_arrays=True)
    with pytest.raises(ModelLoadError, match="allow_pickle=True"):
        bulletin_clf.load(model_copy)
    with pytest.raises(ModelLoadError, match="allow_pickle=True"):
        bulletin_clf.load(model_copy, backend="pickle")
    out = str(tmp_path / "o.jsonl")
    for argv in (
        ["tag", str(_release(tmp_path)), "--model", str(model_copy), "--out", out],
        ["explain", str(model_copy)],
        ["evaluate", str(model_copy), "--data-dir", str(tiny_data)],
    ):
        capsys.readouterr()
        assert main(argv) == 3, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "--allow-pickle" in err
    assert not marker.exists()


def test_allow_pickle_does_unpickle(model_copy, tmp_path):
    """The control: the planted payload is real and runs when pickles are asked for."""
    marker = tmp_path / "marker"
    _plant(model_copy, marker, drop_arrays=True)
    with pytest.raises(ModelLoadError):  # the payload is not a model, but it ran
        bulletin_clf.load(model_copy, allow_pickle=True)
    assert marker.read_text() == "pwned"


def _release(tmp_path: Path) -> Path:
    p = tmp_path / "release.txt"
    p.write_text("Se contrataron cinco mil enfermeras para cubrir el déficit de personal.\n", encoding="utf-8")
    return p


# --- model directories are validated, not trusted (issue 11, item 4) -----------


def _edit_json(model_dir: Path, name: str, fn) -> None:
    path = model_dir / name
    obj = json.loads(path.read_text())
    fn(obj)
    path.write_text(json.dumps(obj))
    _resign(model_dir)


def _rewrite_npz(model_dir: Path, fn) -> None:
    with np.load(model_dir / "linear.npz") as z:
        arrays = {k: z[k] for k in z.files}
    fn(arrays)
    with open(model_dir / "linear.npz", "wb") as fh:
        np.savez(fh, **arrays)
    _resign(model_dir)


def _first_block(p):
    return p["blocks"][0]


BAD_DIRS = {
    "thresholds_out_of_range": (lambda d: _edit_manifest_only(d, lambda m: m.update(thresholds=[2, -1, 0.5, 0.5])),
                                "thresholds"),
    "thresholds_wrong_type": (lambda d: _edit_manifest_only(d, lambda m: m.update(thresholds="0.5")), "thresholds"),
    "path_in_files": (lambda d: _edit_manifest_only(d, lambda m: m["files"].update({"../../etc/passwd": "0" * 64})),
                      "not a plain file name"),
    "files_not_a_table": (lambda d: _edit_manifest_only(d, lambda m: m.update(files=["model.joblib"])), "'files'"),
    "deep_manifest": (lambda d: (d / "manifest.json").write_text("[" * 100_000 + "]" * 100_000), "nested too deeply"),
    "huge_manifest": (lambda d: (d / "manifest.json").write_text(" " * (2 << 20) + "{}"), "over the limit"),
    "nan_weights": (lambda d: _rewrite_npz(d, lambda a: a["coef"].__setitem__((0, 0), np.nan)), "NaN"),
    "wrong_shape": (lambda d: _rewrite_npz(d, lambda a: a.update(coef=a["coef"][:, :-1])), "shape"),
    "extra_member": (lambda d: _rewrite_npz(d, lambda a: a.update(extra=np.zeros(3))), "members"),
    "object_array": (lambda d: _rewrite_npz(d, lambda a: a.update(intercept=np.array([1, 2, 3, 4], dtype=object))),
                     "linear.npz"),
    "ngram_range_huge": (lambda d: _edit_json(d, "linear.json",
                                              lambda p: _first_block(p).update(ngram_range=[1, 5000])), "ngram_range"),
    "terms_not_strings": (lambda d: _edit_json(d, "linear.json",
                                               lambda p: _first_block(p)["terms"].__setitem__(0, {"a": 1})), r"terms\[0\]"),
    "params_string_for_list": (lambda d: _edit_json(d, "linear.json", lambda p: p.update(blocks="word")), "blocks"),
    "params_extra_key": (lambda d: _edit_json(d, "linear.json", lambda p: p.update(code="x")), "exactly the keys"),
    "bad_normalizer": (lambda d: _edit_json(d, "linear.json",
                                            lambda p: _first_block(p)["normalizer"].update(numbers="eval")), "numbers"),
    "zip_bomb_npz": (lambda d: _zip_bomb(d), "over the limit"),
    "npz_not_zip": (lambda d: ((d / "linear.npz").write_bytes(b"not a zip"), _resign(d)), "not a valid .npz"),
}


def _edit_manifest_only(d: Path, fn) -> None:
    path = d / "manifest.json"
    m = json.loads(path.read_text())
    fn(m)
    path.write_text(json.dumps(m))


def _zip_bomb(d: Path) -> None:
    """A linear.npz whose coef member declares 1 GB of zeros (a few MB compressed)."""
    with np.load(d / "linear.npz") as z:
        arrays = {k: z[k] for k in z.files}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for k, v in arrays.items():
            if k != "coef":
                b = io.BytesIO()
                np.save(b, v)
                zf.writestr(f"{k}.npy", b.getvalue())
        with zf.open("coef.npy", "w", force_zip64=True) as fh:
            chunk = bytes(1 << 20)
            for _ in range(1024):
                fh.write(chunk)
    (d / "linear.npz").write_bytes(buf.getvalue())
    _resign(d)


@pytest.mark.parametrize("case", sorted(BAD_DIRS))
def test_hostile_model_directory_is_one_line_exit_3(model_copy, tmp_path, case, capsys):
    make, message = BAD_DIRS[case]
    make(model_copy)
    with pytest.raises(ModelLoadError, match=message):
        bulletin_clf.load(model_copy)
    capsys.readouterr()
    code = main(["tag", str(_release(tmp_path)), "--model", str(model_copy), "--out", str(tmp_path / "o.jsonl"),
                 "--no-progress"])
    err = capsys.readouterr().err
    assert code == 3
    assert err.startswith("error: ") and err.count("\n") == 1
    assert not (tmp_path / "o.jsonl").exists()


"""Stage 5: model directories with a manifest that is checked before loading.

A model directory holds ``model.joblib`` (the fitted :class:`TopicModel`),
``metrics.json``, ``report.md`` and plots, and ``manifest.json``, written
last, which records the format version, the label order, thresholds, the
experiment config, a fingerprint of the training data, library versions and
the SHA-256 of every other file.

Loading verifies every hash *before* anything is unpickled, refuses missing,
changed or unlisted files, refuses another format version or scikit-learn
version, and warns when only the bulletin_clf version differs. joblib files
run code when loaded: load only models you trust.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import tempfile
import warnings
from pathlib import Path
from typing import Any

from ._labels import LABELS
from ._version import __version__
from .errors import ModelLoadError

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MODEL_FILE = "model.joblib"


class ModelVersionWarning(UserWarning):
    """A model saved by another bulletin_clf version is being loaded."""


def library_versions(*, with_sklearn: bool = True) -> dict[str, str]:
    import numpy

    out = {"bulletin_clf": __version__, "numpy": numpy.__version__, "python": platform.python_version()}
    if with_sklearn:  # importing scikit-learn takes seconds; skip it when not unpickling
        import joblib
        import scipy
        import sklearn

        out |= {"scikit-learn": sklearn.__version__, "scipy": scipy.__version__, "joblib": joblib.__version__}
    return out


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_json(path: Path, obj: Any) -> None:
    """Write JSON atomically (temp file in the same directory, then rename)."""
    atomic_write_bytes(path, (json.dumps(obj, indent=2, ensure_ascii=False) + "\n").encode())


def atomic_write_bytes(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        # mkstemp creates 0600 files; give the result the permissions a plain
        # open() would (0666 minus umask) so shared model dirs stay readable.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_model(model: Any, directory: str | os.PathLike[str], *, manifest: dict[str, Any]) -> Path:
    """Dump ``model`` into ``directory`` and write the manifest last.

    Every file already in the directory (metrics, report, plots) is hashed
    into the manifest, so write those before calling this.
    """
    import joblib

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / f".{MODEL_FILE}.tmp"
    joblib.dump(model, tmp, compress=3)
    os.replace(tmp, out / MODEL_FILE)
    from ._linear import save_linear

    linear = save_linear(model, out)
    files = {
        str(p.relative_to(out)): sha256_file(p)
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name != MANIFEST and not p.name.startswith(".")
    }
    body = {
        "format_version": FORMAT_VERSION,
        "labels": list(LABELS),
        "thresholds": [float(t) for t in model.thresholds_],
        "versions": library_versions(),
        "linear": linear,
        **manifest,
        "files": files,
    }
    write_json(out / MANIFEST, body)
    return out


def read_manifest(directory: str | os.PathLike[str]) -> dict[str, Any]:
    d = Path(directory)
    path = d / MANIFEST
    if not d.is_dir():
        raise ModelLoadError(f"{d}: model directory does not exist")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelLoadError(f"{d}: no {MANIFEST}; not a bulletin_clf model directory") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelLoadError(f"{path}: manifest is not valid JSON ({exc})") from None
    if not isinstance(manifest, dict) or "files" not in manifest:
        raise ModelLoadError(f"{path}: manifest has no 'files' table")
    return manifest


def verify_directory(directory: str | os.PathLike[str]) -> dict[str, Any]:
    """Check format version, library versions and every file hash.

    Returns the manifest. Raises :class:`ModelLoadError` on any mismatch.
    """
    d = Path(directory)
    manifest = read_manifest(d)
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ModelLoadError(
            f"{d}: model format version {manifest.get('format_version')!r} is not supported "
            f"(this bulletin_clf reads version {FORMAT_VERSION}); retrain or upgrade"
        )
    if list(manifest.get("labels", [])) != list(LABELS):
        raise ModelLoadError(f"{d}: model labels {manifest.get('labels')} differ from {list(LABELS)}")
    listed: dict[str, str] = manifest["files"]
    present = {
        str(p.relative_to(d))
        for p in d.rglob("*")
        if p.is_file() and p.name != MANIFEST and not p.name.startswith(".")
    }
    for name in sorted(present - set(listed)):
        raise ModelLoadError(f"{d}: unknown file {name!r} not listed in the manifest; refusing to load")
    for name, digest in sorted(listed.items()):
        path = d / name
        if not path.is_file():
            raise ModelLoadError(f"{d}: file {name!r} listed in the manifest is missing")
        if sha256_file(path) != digest:
            raise ModelLoadError(
                f"{d}: file {name!r} does not match its SHA-256 in the manifest (tampered or corrupt)"
            )
    if MODEL_FILE not in listed:
        raise ModelLoadError(f"{d}: manifest lists no {MODEL_FILE}")
    return manifest


def check_versions(
    manifest: dict[str, Any], where: str, *, allow_mismatch: bool = False, pickle: bool = True
) -> None:
    """Refuse (or, if allowed, warn about) a model pickled by another
    scikit-learn; warn about another bulletin_clf. ``pickle=False`` is for the
    array format, which does not depend on scikit-learn."""
    saved = manifest.get("versions", {})
    current = library_versions(with_sklearn=pickle)
    sk_saved, sk_now = saved.get("scikit-learn"), current.get("scikit-learn")
    if pickle and sk_saved != sk_now:
        msg = (
            f"{where}: model was saved with scikit-learn {sk_saved}, this is {sk_now}; "
            "pickles are not portable across scikit-learn versions"
        )
        if not allow_mismatch:
            raise ModelLoadError(msg + " (retrain, or pass allow_version_mismatch=True at your own risk)")
        warnings.warn(msg, ModelVersionWarning, stacklevel=3)
    if saved.get("bulletin_clf") != current["bulletin_clf"]:
        warnings.warn(
            f"{where}: model was saved with bulletin_clf {saved.get('bulletin_clf')}, "
            f"this is {current['bulletin_clf']}",
            ModelVersionWarning,
            stacklevel=3,
        )


def load_model(
    directory: str | os.PathLike[str], *, allow_version_mismatch: bool = False
) -> tuple[Any, dict[str, Any]]:
    """Verify, then unpickle. Returns ``(model, manifest)``."""
    import joblib

    d = Path(directory)
    manifest = verify_directory(d)
    check_versions(manifest, str(d), allow_mismatch=allow_version_mismatch)
    model = joblib.load(d / MODEL_FILE)
    model.set_thresholds(manifest["thresholds"])
    return model, manifest


def load_scorer(directory: str | os.PathLike[str]) -> tuple[Any, dict[str, Any]]:
    """Verify, then load the pickle-free array copy (``linear.json``/``.npz``).

    Returns ``(scorer, manifest)``; raises :class:`ModelLoadError` if the model
    has no such copy (then use :func:`load_model`).
    """
    from ._linear import LinearScorer

    d = Path(directory)
    manifest = verify_directory(d)
    if not manifest.get("linear"):
        raise ModelLoadError(f"{d}: model has no pickle-free copy (only linear models get one)")
    check_versions(manifest, str(d), pickle=False)
    try:
        return LinearScorer.load(d), manifest
    except (ValueError, KeyError, OSError) as exc:
        raise ModelLoadError(f"{d}: cannot read the array model ({exc})") from None

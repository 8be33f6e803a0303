"""Stage 5: model directories with a manifest that is checked before loading.

A model directory holds ``model.joblib`` (the fitted :class:`TopicModel`),
``metrics.json``, ``report.md`` and plots, and ``manifest.json``, written
last, which records the format version, the label order, thresholds, the
experiment config, a fingerprint of the training data, library versions and
the SHA-256 of every other file.

Loading (:func:`load_model_dir`) first checks the manifest against a schema
(types, sizes, file names without paths), then every hash, and refuses
missing, changed or unlisted files and another format version. It then reads
the pickle-free array copy (``linear.json`` + ``linear.npz``, validated
against declared shapes and size limits before anything is allocated)
whenever the directory has one. The joblib pickle, which runs code when
loaded, is read only when the caller asks for it by name
(``allow_pickle=True``); then another scikit-learn version is refused too.

What the hashes protect against: a file changed, truncated or added after
the manifest was written. What they do not: a malicious author, who writes
the manifest too. That is why no pickle is read by default.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import platform
import re
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from ._labels import LABELS
from ._version import __version__
from .errors import ModelLoadError

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MODEL_FILE = "model.joblib"
LINEAR_PARAMS = "linear.json"
LINEAR_ARRAYS = "linear.npz"

# Bounds on what a model directory may ask us to read (documented in SECURITY.md).
MAX_MANIFEST_BYTES = 1 << 20
MAX_FILES = 64
MAX_FILE_BYTES = 512 << 20
_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
_SHA256 = re.compile(r"[0-9a-f]{64}")


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


@contextlib.contextmanager
def atomic_stream(path: Path) -> Iterator[IO[bytes]]:
    """A binary file whose content replaces ``path`` only when the block ends without error."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
        # mkstemp creates 0600 files; give the result the permissions a plain
        # open() would (0666 minus umask) so shared model dirs stay readable.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: Path, data: bytes) -> None:
    with atomic_stream(path) as fh:
        fh.write(data)


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
        p.name: sha256_file(p)
        for p in sorted(out.iterdir())
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


def read_json_bounded(path: Path, limit: int, what: str) -> Any:
    """Parse a JSON file of at most ``limit`` bytes; any failure is one ModelLoadError line."""
    try:
        size = path.stat().st_size
        if size > limit:
            raise ModelLoadError(f"{path}: {what} is {size:,} bytes, over the limit of {limit:,}")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise ModelLoadError(f"{path}: cannot read {what} ({exc.strerror})") from None
    try:
        return json.loads(raw.decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelLoadError(f"{path}: {what} is not valid JSON ({exc})") from None
    except RecursionError:
        raise ModelLoadError(f"{path}: {what} is nested too deeply") from None


def read_manifest(directory: str | os.PathLike[str]) -> dict[str, Any]:
    d = Path(directory)
    path = d / MANIFEST
    if not d.is_dir():
        raise ModelLoadError(f"{d}: model directory does not exist")
    try:
        manifest = read_json_bounded(path, MAX_MANIFEST_BYTES, "manifest")
    except FileNotFoundError:
        raise ModelLoadError(f"{d}: no {MANIFEST}; not a bulletin_clf model directory") from None
    problem = manifest_problem(manifest)
    if problem:
        raise ModelLoadError(f"{path}: {problem}")
    return dict(manifest)


def manifest_problem(manifest: Any) -> str | None:
    """What is wrong with a parsed manifest's shape, or ``None``."""
    if not isinstance(manifest, dict):
        return "manifest is not a JSON object"
    files = manifest.get("files")
    if not isinstance(files, dict):
        return "manifest has no 'files' table"
    if len(files) > MAX_FILES:
        return f"manifest lists {len(files)} files, over the limit of {MAX_FILES}"
    for name, digest in files.items():
        if not _FILE_NAME.fullmatch(name) or name == MANIFEST:
            return f"files: {name[:80]!r} is not a plain file name inside the model directory"
        if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
            return f"files.{name}: not a SHA-256 hex digest"
    if not isinstance(manifest.get("format_version"), int) or isinstance(manifest.get("format_version"), bool):
        return "format_version: not an integer"
    labels = manifest.get("labels")
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        return "labels: not a list of label names"
    th = manifest.get("thresholds")
    if not isinstance(th, list) or len(th) != len(LABELS):
        return f"thresholds: not a list of {len(LABELS)} numbers"
    for i, t in enumerate(th):
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t) or not 0 < t < 1:
            return f"thresholds[{i}]: {t!r} is not a number strictly between 0 and 1"
    versions = manifest.get("versions", {})
    if not isinstance(versions, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and len(v) < 64 for k, v in versions.items()
    ):
        return "versions: not a table of version strings"
    for key in ("trained_on",):
        value = manifest.get(key, [])
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            return f"{key}: not a list of split names"
    return None


def verify_directory(directory: str | os.PathLike[str]) -> dict[str, Any]:
    """Check the manifest's schema, the format version and every file hash.

    Only top-level regular files belong to a model; every one of them must be
    listed, and every listed one must match its hash. Returns the manifest.
    Raises :class:`ModelLoadError` on any mismatch.
    """
    d = Path(directory)
    manifest = read_manifest(d)
    if manifest["format_version"] != FORMAT_VERSION:
        raise ModelLoadError(
            f"{d}: model format version {manifest.get('format_version')!r} is not supported "
            f"(this bulletin_clf reads version {FORMAT_VERSION}); retrain or upgrade"
        )
    if list(manifest["labels"]) != list(LABELS):
        raise ModelLoadError(f"{d}: model labels {manifest.get('labels')} differ from {list(LABELS)}")
    listed: dict[str, str] = manifest["files"]
    present = {p.name for p in d.iterdir() if p.name != MANIFEST and not p.name.startswith(".") and not p.is_dir()}
    for name in sorted(present - set(listed)):
        raise ModelLoadError(f"{d}: unknown file {name!r} not listed in the manifest; refusing to load")
    for name, digest in sorted(listed.items()):
        path = d / name
        if path.is_symlink() or not path.is_file():
            raise ModelLoadError(f"{d}: file {name!r} listed in the manifest is missing (or not a regular file)")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ModelLoadError(f"{d}: file {name!r} is over the limit of {MAX_FILE_BYTES:,} bytes")
        if sha256_file(path) != digest:
            raise ModelLoadError(
                f"{d}: file {name!r} does not match its SHA-256 in the manifest (tampered or corrupt)"
            )
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


PICKLE_REFUSED = (
    "unpickling runs code from the model directory, so it is refused by default; "
    "pass allow_pickle=True (CLI: --allow-pickle) only for a model whose author you trust"
)


def load_model_dir(
    directory: str | os.PathLike[str],
    *,
    allow_pickle: bool = False,
    allow_version_mismatch: bool = False,
    prefer_pickle: bool = False,
) -> tuple[Any, dict[str, Any]]:
    """The one loader behind ``load()``, ``tag --model``, ``evaluate`` and ``explain``.

    Uses the array copy whenever the directory has one (whatever the
    manifest says about it); unpickles ``model.joblib`` only with
    ``allow_pickle=True`` (and, with ``prefer_pickle=True``, even when an
    array copy exists). Returns ``(model, manifest)``.
    """
    d = Path(directory)
    manifest = verify_directory(d)
    listed = manifest["files"]
    has_json, has_npz = LINEAR_PARAMS in listed, LINEAR_ARRAYS in listed
    if has_json != has_npz:
        raise ModelLoadError(f"{d}: incomplete array copy (needs both {LINEAR_PARAMS} and {LINEAR_ARRAYS})")
    if prefer_pickle and not allow_pickle:
        raise ModelLoadError(f"{d}: the pickle backend was asked for, but {PICKLE_REFUSED}")
    if has_json and not prefer_pickle:
        from ._linear import LinearScorer

        check_versions(manifest, str(d), pickle=False)
        return LinearScorer.load(d), manifest
    if MODEL_FILE not in listed:
        raise ModelLoadError(f"{d}: manifest lists neither an array copy nor {MODEL_FILE}")
    if not allow_pickle:
        raise ModelLoadError(f"{d}: model has no pickle-free array copy, only {MODEL_FILE}; {PICKLE_REFUSED}")
    return _unpickle(d, manifest, allow_version_mismatch=allow_version_mismatch), manifest


def _unpickle(d: Path, manifest: dict[str, Any], *, allow_version_mismatch: bool) -> Any:
    import joblib

    check_versions(manifest, str(d), allow_mismatch=allow_version_mismatch)
    try:
        model = joblib.load(d / MODEL_FILE)
        model.set_thresholds(manifest["thresholds"])
    except Exception as exc:  # a pickle can fail in any way; report it as a load failure
        raise ModelLoadError(f"{d}: cannot unpickle {MODEL_FILE} ({type(exc).__name__}: {exc})") from None
    return model


def load_model(
    directory: str | os.PathLike[str], *, allow_version_mismatch: bool = False
) -> tuple[Any, dict[str, Any]]:
    """Verify, then **unpickle** the scikit-learn pipeline: runs code from the directory.

    For trusted models only (training reports, tests); everything a user
    points at a model goes through :func:`load_model_dir`.
    """
    d = Path(directory)
    manifest = verify_directory(d)
    if MODEL_FILE not in manifest["files"]:
        raise ModelLoadError(f"{d}: manifest lists no {MODEL_FILE}")
    return _unpickle(d, manifest, allow_version_mismatch=allow_version_mismatch), manifest


def _model_files(directory: Path) -> set[str] | None:
    """Names of the files a model directory's manifest owns (with the manifest), or ``None``."""
    try:
        manifest = read_manifest(directory)
    except ModelLoadError:
        return None
    return {*manifest["files"], MANIFEST}


def check_model_out(directory: Path, *, force: bool = False) -> None:
    """Refuse a training output that would destroy what is not a model."""
    from .errors import BulletinError

    if directory.exists() and not directory.is_dir():
        raise BulletinError(f"--out {directory}: exists and is not a folder")
    try:
        directory.parent.mkdir(parents=True, exist_ok=True)  # runs/NAME: creating runs/ is expected
    except OSError as exc:
        raise BulletinError(f"--out {directory}: cannot create folder {directory.parent} ({exc.strerror})") from None
    if not directory.is_dir() or force:
        return
    entries = [p.name for p in directory.iterdir()]
    if not entries:
        return
    owned = _model_files(directory)
    if owned is None:
        raise BulletinError(f"--out {directory}: folder is not empty and is not a model directory; choose a new "
                            "folder, or pass --force to write the model's files into it (other files are kept)")
    foreign = sorted(set(entries) - owned)
    if foreign:
        raise BulletinError(f"--out {directory}: holds files that are not the model's ({', '.join(foreign[:3])}); "
                            "pass --force to replace only the model's own files")


def install_model_dir(staging: Path, directory: Path, *, force: bool = False) -> None:
    """Move a finished model directory into place.

    A new path, or an existing model directory holding only its own files, is
    swapped whole (two renames), so a kill leaves the old model or the new one.
    With ``force`` into a folder with other files, only the model's files are
    replaced there (the manifest last) and the others are left alone.
    """
    if not directory.exists():
        os.rename(staging, directory)
        staging.mkdir()  # the caller removes it
        return
    owned = _model_files(directory) or set()
    entries = {p.name for p in directory.iterdir()}
    if entries <= owned:
        old = directory.with_name(f".{directory.name}.old-{os.getpid()}")
        os.rename(directory, old)
        os.rename(staging, directory)
        staging.mkdir()
        import shutil

        shutil.rmtree(old, ignore_errors=True)
        return
    new = {p.name for p in staging.iterdir()}
    for name in sorted(owned - new - {MANIFEST}):
        (directory / name).unlink(missing_ok=True)
    for name in sorted(new - {MANIFEST}):
        os.replace(staging / name, directory / name)
    os.replace(staging / MANIFEST, directory / MANIFEST)

"""Stage 6: tagging, as a Python API and in batches over files.

``load()`` gives a :class:`Tagger` around a saved model (the shipped default
when no path is given). ``tag_files()`` streams one :class:`TaggedDocument`
per input file, turning every per-file failure into an ``error`` string
instead of an exception, so one bad file never stops a batch.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import sys
import traceback
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from json.encoder import encode_basestring as _encode_json_string
from pathlib import Path
from typing import Any

import numpy as np

from ._labels import LABELS
from .errors import BulletinError, ModelLoadError, ReadError
from .read import DEFAULT_MAX_BYTES, SUPPORTED_SUFFIXES, Budget, read_release
from .segment import DroppedLine, segment


@dataclass(frozen=True)
class TaggedParagraph:
    """One paragraph with its topics.

    ``labels`` is empty when the paragraph is about none of the four topics;
    ``scores`` maps every label to its score in [0, 1]; ``terms`` (only when
    asked for) maps each predicted label to the terms that pushed it most.
    """

    index: int
    text: str
    labels: tuple[str, ...]
    scores: dict[str, float]
    terms: dict[str, list[str]] | None = None


@dataclass
class TaggedDocument:
    """The result for one input file; ``error`` is set when it could not be tagged."""

    path: str
    doc_id: str | None = None
    paragraphs: list[TaggedParagraph] = field(default_factory=list)
    dropped: list[DroppedLine] = field(default_factory=list)
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    skipped: bool = False  # already tagged (resume): read, not tagged


_PARALLEL_MIN = 50_000  # below this, starting worker processes costs more than it saves
_PARALLEL_CHUNK = 10_000
_LABEL_SETS = [tuple(label for j, label in enumerate(LABELS) if code >> j & 1) for code in range(1 << len(LABELS))]


def _default_model_dir() -> Path:
    return Path(__file__).parent / "models" / "default"


class Tagger:
    """A loaded model: predicts topics for paragraphs and whole texts.

    Build one with :func:`bulletin_clf.load`.
    """

    def __init__(self, model: Any, manifest: Mapping[str, Any], *, thresholds: Any = None) -> None:
        self._source: tuple[str, bool, bool, str] | None = None  # how load() made it (workers reload from it)
        self._model = model  # a fitted TopicModel, or the numpy-only LinearScorer
        self.manifest = dict(manifest)
        saved = manifest.get("thresholds", getattr(model, "thresholds_", None))
        self.thresholds = np.array(saved, dtype=np.float64)
        if thresholds is not None:
            self.thresholds = _resolve_thresholds(thresholds, self.thresholds)

    @property
    def labels(self) -> tuple[str, ...]:
        """The four label names, in the column order of :meth:`predict_proba`."""
        return LABELS

    def predict_proba(self, paragraphs: Sequence[str], *, n_jobs: int = 1) -> np.ndarray:
        """Scores of shape ``(n, 4)`` in :attr:`labels` order.

        ``n_jobs`` > 1 (or -1 for every core) splits large inputs (from 50,000
        paragraphs) over worker processes; results are identical.
        """
        if isinstance(paragraphs, str):
            raise TypeError("predict_proba expects a sequence of paragraphs, not one string")
        texts = list(paragraphs)
        workers = (os.cpu_count() or 1) if n_jobs == -1 else max(1, n_jobs)
        if workers == 1 or len(texts) < _PARALLEL_MIN:
            return np.asarray(self._model.predict_proba(texts)).reshape(len(texts), len(LABELS))
        from joblib import Parallel, delayed

        # Bounded chunks, dispatched a few at a time: a worker holds one chunk,
        # not 1/workers of the input, so memory does not grow with the batch.
        size = min(-(-len(texts) // workers), _PARALLEL_CHUNK)
        parts = Parallel(n_jobs=workers, pre_dispatch="2*n_jobs")(
            delayed(self._model.predict_proba)(texts[i : i + size]) for i in range(0, len(texts), size)
        )
        return np.vstack(parts)

    def predict(self, paragraphs: Sequence[str], *, n_jobs: int = 1) -> list[tuple[str, ...]]:
        """The label set of each paragraph (empty tuple: none of the four)."""
        return self._label_sets(self.predict_proba(paragraphs, n_jobs=n_jobs))

    def _label_sets(self, proba: np.ndarray) -> list[tuple[str, ...]]:
        # Each row's label set as a 4-bit code, then a lookup of the 16 possible tuples.
        codes = (proba >= self.thresholds) @ (1 << np.arange(len(LABELS)))
        return [_LABEL_SETS[c] for c in codes.tolist()]

    def tag_text(self, text: str, *, explain: int = 0) -> list[TaggedParagraph]:
        """Segment a release's text into paragraphs and tag each one.

        Args:
            text: the whole text of a release.
            explain: when > 0, add this many top contributing terms per
                predicted label.
        """
        return self.tag_paragraphs(segment(text).paragraphs, explain=explain)

    def tag_paragraphs(self, paragraphs: Sequence[str], *, explain: int = 0) -> list[TaggedParagraph]:
        proba = self.predict_proba(paragraphs)
        out = []
        for i, (text, row, labels) in enumerate(zip(paragraphs, proba, self._label_sets(proba), strict=False)):
            terms = self.explain(text, top=explain, labels=labels) if explain > 0 else None
            scores = {label: round(float(s), 4) for label, s in zip(LABELS, row, strict=False)}
            out.append(TaggedParagraph(index=i, text=text, labels=labels, scores=scores, terms=terms))
        return out

    def explain(
        self, paragraph: str, *, top: int = 5, labels: Sequence[str] | None = None
    ) -> dict[str, list[str]]:
        """The terms of ``paragraph`` that add most to each label's score."""
        weights = self._weights()
        if weights is None:
            return {}
        names, W = weights
        if self._is_arrays():
            indices, values = self._model.features(paragraph)
        else:
            X = self._model.pipeline_.named_steps["features"].transform([paragraph]).tocsr()
            indices, values = X.indices, X.data
        out = {}
        for label in labels if labels is not None else LABELS:
            j = LABELS.index(label)
            contrib = values * W[j, indices]
            order = np.argsort(-contrib, kind="stable")[:top]
            out[label] = [str(names[indices[k]]) for k in order if contrib[k] > 0]
        return out

    def top_features(self, top: int = 20) -> dict[str, list[tuple[str, float]]]:
        """The strongest positive features of each label in the whole model."""
        weights = self._weights()
        if weights is None:
            raise BulletinError("this model has no linear weights to explain (a baseline?)")
        names, W = weights
        return {
            label: [(str(names[k]), round(float(W[j, k]), 4)) for k in np.argsort(-W[j])[:top]]
            for j, label in enumerate(LABELS)
        }

    def _is_arrays(self) -> bool:
        from ._linear import LinearScorer

        return isinstance(self._model, LinearScorer)

    def _weights(self) -> tuple[np.ndarray, np.ndarray] | None:
        if not hasattr(self, "_weights_cache"):
            if self._is_arrays():
                self._weights_cache: tuple[np.ndarray, np.ndarray] | None = (self._model.names, self._model.coef)
            else:
                from .model import linear_weights

                self._weights_cache = linear_weights(self._model)
        return self._weights_cache

    def __repr__(self) -> str:
        return (
            f"Tagger(name={self.manifest.get('name')!r}, thresholds={np.round(self.thresholds, 3).tolist()})"
        )


def _resolve_thresholds(spec: Any, current: np.ndarray) -> np.ndarray:
    out = current.copy()
    if isinstance(spec, (int, float)):
        out[:] = float(spec)
    elif isinstance(spec, Mapping):
        for label, value in spec.items():
            if label not in LABELS:
                raise ValueError(f"threshold for unknown label {label!r}; labels are {', '.join(LABELS)}")
            out[LABELS.index(label)] = float(value)
    else:
        arr = np.asarray(spec, dtype=np.float64)
        if arr.shape != (len(LABELS),):
            raise ValueError(f"thresholds must be one number, a label mapping, or {len(LABELS)} numbers")
        out = arr
    if not ((out > 0) & (out < 1)).all():
        raise ValueError(f"thresholds must be in (0, 1), got {out.tolist()}")
    return out


def load(
    path: str | os.PathLike[str] | None = None,
    *,
    thresholds: float | Mapping[str, float] | Sequence[float] | None = None,
    allow_pickle: bool = False,
    allow_version_mismatch: bool = False,
    backend: str = "auto",
) -> Tagger:
    """Load a model directory (default: the model shipped with the package).

    The directory's manifest is checked against a schema, then every file
    hash, before anything is read; see :mod:`bulletin_clf.persist`.

    Args:
        thresholds: override the saved decision thresholds: one number for
            every label, a ``{label: value}`` mapping, or four numbers.
        allow_pickle: allow unpickling ``model.joblib`` when the directory
            has no pickle-free array copy (SVM, naive Bayes, chains...).
            **Unpickling runs code from the directory**: only for models whose
            author you trust. Without it such a directory is refused.
        allow_version_mismatch: with ``allow_pickle``, accept a pickle saved
            by another scikit-learn version.
        backend: ``auto`` (the array copy whenever it exists, else the
            pickle if allowed), ``arrays`` (the array copy or an error) or
            ``pickle`` (the scikit-learn pipeline; needs ``allow_pickle=True``).
    """
    from .persist import load_model_dir

    if backend not in ("auto", "arrays", "pickle"):
        raise ValueError(f"backend must be 'auto', 'arrays' or 'pickle', got {backend!r}")
    directory = Path(path) if path is not None else _default_model_dir()
    if path is None and not (directory / "manifest.json").is_file():
        raise ModelLoadError(
            f"{directory}: the shipped default model is missing; reinstall bulletin-clf or pass a model directory"
        )
    model, manifest = load_model_dir(
        directory,
        allow_pickle=allow_pickle and backend != "arrays",
        allow_version_mismatch=allow_version_mismatch,
        prefer_pickle=backend == "pickle",
    )
    tagger = Tagger(model, manifest, thresholds=thresholds)
    tagger._source = (str(directory), allow_pickle, allow_version_mismatch, backend)
    return tagger


# --- batches of files ---------------------------------------------------------


@dataclass
class InputFiles:
    """The files a batch will read, and what folders held that it will not."""

    files: list[tuple[Path, str | None]] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # path -> the name to show (e.g. for stdin)

    def skipped_summary(self) -> str:
        """``"skipped 3 files: .doc 2, hidden 1"``, or ``""``."""
        if not self.skipped:
            return ""
        counts = Counter(reason for _, reason in self.skipped)
        n = len(self.skipped)
        return f"skipped {n} file{'s' if n != 1 else ''}: " + ", ".join(f"{r} {c}" for r, c in counts.most_common())


_MAX_DEPTH = 64


def collect_input_files(
    paths: Iterable[str | os.PathLike[str]], *, include_hidden: bool = False
) -> InputFiles:
    """Expand files and folders (recursively, sorted) into the files to read.

    Named files are always read. Inside folders: only supported types
    (others are listed in ``skipped`` by suffix), no hidden files or folders
    unless ``include_hidden``, and no symbolic links that lead out of the
    named folder (a link to ``/`` would walk the whole machine). Missing
    paths, unreadable folders and link loops become per-path problems.
    """
    if isinstance(paths, (str, bytes, os.PathLike)):
        raise TypeError("expected a list of paths, got a single path; wrap it in a list: [path]")
    out = InputFiles()
    for raw in paths:
        p = Path(raw)
        if p.is_symlink() and not p.exists():
            out.files.append((p, "broken symbolic link"))
        elif not p.exists():
            out.files.append((p, "no such file or directory"))
        elif p.is_dir():
            _walk(p, p.resolve(), set(), out, include_hidden, 0)
        else:
            out.files.append((p, None))
    return out


def iter_input_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[tuple[Path, str | None]]:
    """``(path, problem)`` for every file :func:`collect_input_files` would read."""
    yield from collect_input_files(paths).files


def _walk(folder: Path, root: Path, seen: set[tuple[int, int]], out: InputFiles, hidden: bool, depth: int) -> None:
    try:
        st = folder.stat()
    except OSError as exc:
        out.files.append((folder, f"cannot open folder ({exc.strerror})"))
        return
    key = (st.st_dev, st.st_ino)
    if key in seen:
        out.files.append((folder, "symbolic link loop; folder skipped"))
        return
    if depth > _MAX_DEPTH:
        out.files.append((folder, f"folders nested deeper than {_MAX_DEPTH}; skipped"))
        return
    seen = seen | {key}
    try:
        entries = sorted(folder.iterdir(), key=lambda e: e.name)
    except OSError as exc:
        out.files.append((folder, f"cannot list folder ({exc.strerror})"))
        return
    for entry in entries:
        try:
            if not hidden and entry.name.startswith("."):
                out.skipped.append((entry, "hidden"))
                continue
            if entry.is_symlink():
                if not entry.exists():
                    out.files.append((entry, "broken symbolic link"))
                    continue
                if not entry.resolve().is_relative_to(root):
                    out.skipped.append((entry, "link out of the folder"))
                    continue
            if entry.is_dir():
                _walk(entry, root, seen, out, hidden, depth + 1)
            elif entry.suffix.lower() in SUPPORTED_SUFFIXES:
                out.files.append((entry, None))
            else:
                out.skipped.append((entry, entry.suffix.lower() or "no suffix"))
        except OSError as exc:
            out.files.append((entry, f"cannot inspect ({exc.strerror})"))


_WORD = re.compile(r"[^\W\d_]+")


_LANG_SAMPLE = 2000  # characters (some 300 words): enough to tell the language, cheap on long releases
_LANG_MIN_WORDS = 8  # below this, too few words to tell


def spanish_share(text: str) -> float:
    """Share of word tokens that are Spanish stop words (about 0.4 in Spanish prose)."""
    from .features import spanish_stop_words

    words = _WORD.findall(text[:_LANG_SAMPLE].lower())
    if not words:
        return 0.0
    stops = spanish_stop_words()
    return sum(map(stops.__contains__, words)) / len(words)


# Function words that tell Spanish from the languages a release could be mistaken for;
# words the languages share ("de", "la", "en", "a", "que") are left out on purpose.
_FUNCTION_WORDS = {
    "es": frozenset("el los las y del por con para una es se su al lo como más pero sus le este esta entre "
                    "también fue han sido muy sin sobre".split()),
    "en": frozenset("the and of to is with for will be that this are was have has from by it on an or".split()),
    "fr": frozenset("le les des et est pour une dans du au avec sont qui nous vous ce cette pas sur ont été".split()),
    "pt": frozenset("não uma com são também pelo pela dos das em ao você muito foi".split()),
    "it": frozenset("il gli della delle che è con per una sono non anche del nel alla degli".split()),
}


def looks_non_spanish(text: str) -> bool:
    """Whether a release is clearly in another language; works from 8 words on.

    Compares the share of Spanish function words with that of English,
    French, Portuguese and Italian ones in the first characters of the text.
    """
    words = _WORD.findall(text[:_LANG_SAMPLE])
    if len(words) < _LANG_MIN_WORDS:
        return False
    # Each word lowered on its own (lowering the sample first can split a word:
    # "İ" lowers to "i" + a combining dot), in one call: no case mapping makes a space.
    counts = Counter(" ".join(words).lower().split(" "))
    share = {lang: sum(counts[w] for w in vocab) / len(words) for lang, vocab in _FUNCTION_WORDS.items()}
    other = max(v for lang, v in share.items() if lang != "es")
    return other >= 0.08 and other > 1.5 * share["es"]


def tag_document(
    tagger: Tagger,
    path: Path,
    *,
    explain: int = 0,
    max_bytes: int = DEFAULT_MAX_BYTES,
    debug: bool = False,
    skip: frozenset[tuple[str, str]] | None = None,
    name: str | None = None,
) -> TaggedDocument:
    """Read, segment and tag one file; never raises for a bad file.

    A document whose ``(path, doc_id)`` is in ``skip`` is returned untagged
    right after reading (its id is a hash of the text), so resuming costs a
    read; two files with the same text are two documents. ``name`` is shown
    instead of the path (a release read from standard input).
    """
    kwargs = {"explain": explain, "max_bytes": max_bytes, "debug": debug, "skip": skip,
              "names": {str(path): name} if name is not None else {}}
    return _tag_chunk(tagger, [(Path(path), None)], kwargs)[0]


@dataclass
class _Read:
    """One file read and segmented, before scoring."""

    doc: TaggedDocument
    paragraphs: list[str] = field(default_factory=list)


def _read_one(path: Path, problem: str | None, kwargs: dict[str, Any]) -> _Read:
    from .output import display_path

    name = (kwargs.get("names") or {}).get(str(path))
    shown = name if name is not None else display_path(path)
    doc = TaggedDocument(path=shown)
    if problem:
        doc.error = f"{shown}: {problem}"
        return _Read(doc)
    try:
        budget = Budget(path)  # one time budget for reading and segmenting this file
        text, read_warnings = read_release(path, max_bytes=kwargs.get("max_bytes", DEFAULT_MAX_BYTES), budget=budget)
        doc.doc_id = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        skip = kwargs.get("skip")
        if skip and (shown, doc.doc_id) in skip:
            doc.skipped = True
            return _Read(doc)
        doc.warnings.extend(display_path(w).replace(display_path(path), shown) if name else display_path(w)
                            for w in read_warnings)
        seg = segment(text, budget=budget)
        doc.dropped = seg.dropped
        if not seg.paragraphs:
            doc.error = f"{shown}: no content paragraphs (only boilerplate or empty)"
            return _Read(doc)
        if looks_non_spanish(text):
            doc.warnings.append(f"{shown}: text does not look like Spanish; topics may be meaningless")
        return _Read(doc, seg.paragraphs)
    except ReadError as exc:
        doc.error = display_path(str(exc)).replace(display_path(path), shown) if name else display_path(str(exc))
    except Exception as exc:  # a bug must not stop the batch; report it per file
        doc.error = f"{shown}: internal error ({type(exc).__name__}: {exc})"
        if kwargs.get("debug"):
            doc.error += "\n" + traceback.format_exc()
    return _Read(doc)


def _score_chunk(tagger: Tagger, reads: list[_Read]) -> tuple[np.ndarray, np.ndarray]:
    """Scores and label-set codes of every paragraph of a chunk, in one call."""
    texts = [p for r in reads for p in r.paragraphs]
    if not texts:
        return np.zeros((0, len(LABELS))), np.zeros(0, dtype=np.int64)
    proba = tagger.predict_proba(texts)
    return proba, (proba >= tagger.thresholds) @ (1 << np.arange(len(LABELS)))


def _tag_chunk(
    tagger: Tagger, paths: list[tuple[Path, str | None]], kwargs: dict[str, Any]
) -> list[TaggedDocument]:
    """Read and segment a chunk of files, score all their paragraphs at once, build the results."""
    reads = [_read_one(p, problem, kwargs) for p, problem in paths]
    proba, codes = _score_chunk(tagger, reads)
    explain = kwargs.get("explain", 0)
    row = 0
    for r in reads:
        for i, text in enumerate(r.paragraphs):
            labels = _LABEL_SETS[int(codes[row])]
            scores = {label: round(float(s), 4) for label, s in zip(LABELS, proba[row], strict=True)}
            terms = tagger.explain(text, top=explain, labels=labels) if explain > 0 else None
            r.doc.paragraphs.append(TaggedParagraph(index=i, text=text, labels=labels, scores=scores, terms=terms))
            row += 1
    return [r.doc for r in reads]


@dataclass
class DocLines:
    """One file as the batch command writes it: finished JSON Lines records, built in the worker.

    ``lines`` is UTF-8: encoded where it is made, in parallel, it crosses the
    pipe and reaches the file as it is.
    """

    path: str
    doc_id: str | None
    error: str | None
    warnings: list[str]
    dropped: list[DroppedLine]
    lines: bytes
    skipped: bool = False


_LABELS_JSON = [json.dumps(list(s)) for s in _LABEL_SETS]
_SCORE_KEYS = [json.dumps(label) for label in LABELS]


def _record_lines(doc: TaggedDocument, paragraphs: list[str], proba: np.ndarray, codes: np.ndarray,
                  tagger: Tagger, explain: int, date: str | None) -> str:
    """The records of one file, byte-identical to ``json.dumps(record, ensure_ascii=False)``
    per record (a test checks), formatted without building the dicts."""
    head = '{"source": ' + json.dumps(doc.path, ensure_ascii=False) + ', "doc_id": ' + json.dumps(doc.doc_id)
    tail = ""
    if doc.warnings:
        tail += ', "warnings": ' + json.dumps(doc.warnings, ensure_ascii=False)
    if date is not None:
        tail += ', "date": ' + json.dumps(date)
    out = []
    texts = _score_texts()
    steps = _score_steps(proba).tolist()
    for i, (text, row, code) in enumerate(zip(paragraphs, steps, codes.tolist(), strict=True)):
        scores = ", ".join([texts[0][row[0]], texts[1][row[1]], texts[2][row[2]], texts[3][row[3]]])
        terms = ""
        if explain > 0:
            found = tagger.explain(text, top=explain, labels=_LABEL_SETS[code])
            terms = ', "terms": ' + json.dumps(found, ensure_ascii=False)
        # encode_basestring is what json.dumps(str, ensure_ascii=False) calls, without building an encoder.
        out.append(f'{head}, "para_idx": {i}, "text": {_encode_json_string(text)}, '
                   f'"labels": {_LABELS_JSON[code]}, "scores": {{{scores}}}{terms}{tail}}}\n')
    return "".join(out)


_SCORE_STEPS = 10_000  # records carry scores rounded to 4 decimals


def _score_steps(proba: np.ndarray) -> np.ndarray:
    """``round(p, 4) * 10_000`` of every score as integers, equal to Python's ``round``.

    ``rint(p * 10_000)`` is the correctly rounded step unless the product lies
    next to a half step, where its rounding error (below 1e-12) could decide;
    those few values are rounded by Python.
    """
    scaled = np.asarray(proba, dtype=np.float64) * _SCORE_STEPS
    steps = np.rint(scaled)
    near_half = np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6
    if near_half.any():
        steps[near_half] = [round(round(v, 4) * _SCORE_STEPS) for v in proba[near_half].tolist()]
    return steps.astype(np.int64)


@functools.cache
def _score_texts() -> list[list[str]]:
    """``'"label": 0.1234'`` for each label and step; ``k / 10_000`` is the float ``round`` returns."""
    return [[f"{key}: {k / _SCORE_STEPS!r}" for k in range(_SCORE_STEPS + 1)] for key in _SCORE_KEYS]


def _lines_chunk(
    tagger: Tagger, paths: list[tuple[Path, str | None]], kwargs: dict[str, Any]
) -> list[DocLines]:
    reads = [_read_one(p, problem, kwargs) for p, problem in paths]
    proba, codes = _score_chunk(tagger, reads)
    out = []
    row = 0
    for r in reads:
        n = len(r.paragraphs)
        lines = _record_lines(r.doc, r.paragraphs, proba[row : row + n], codes[row : row + n], tagger,
                              kwargs.get("explain", 0), kwargs.get("date")).encode("utf-8") if n else b""
        row += n
        d = r.doc
        out.append(DocLines(d.path, d.doc_id, d.error, d.warnings, d.dropped, lines, d.skipped))
    return out


def tag_files(
    paths: Iterable[str | os.PathLike[str]] | InputFiles,
    *,
    tagger: Tagger | None = None,
    thresholds: float | Mapping[str, float] | None = None,
    explain: int = 0,
    n_jobs: int | None = None,
    skip: frozenset[tuple[str, str]] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    include_hidden: bool = False,
    debug: bool = False,
) -> Iterator[TaggedDocument]:
    """Tag many files, yielding one :class:`TaggedDocument` per file, in order.

    Args:
        paths: a list of files and folders (folders are searched recursively
            for supported types; see :func:`collect_input_files`), or the
            result of :func:`collect_input_files`.
        tagger: a loaded :class:`Tagger`; the shipped model when ``None``.
        thresholds: override decision thresholds (one value or per label).
        explain: top contributing terms per predicted label (0: none).
        n_jobs: worker processes. ``None`` picks 1 for small inputs and every
            core for large ones (>= 64 files); never more than the cores or
            the chunks of files.
        skip: ``(path, doc_id)`` pairs already tagged (for resuming).
        max_bytes: files larger than this are refused.
        include_hidden: also read hidden files and folders inside folders.

    Memory stays flat: files are processed in chunks as the caller consumes
    the results. A worker process that dies (killed, out of memory) fails
    only the files of its chunk; the batch goes on.
    """
    for chunk in _run_chunks(_tag_chunk, paths, tagger=tagger, thresholds=thresholds, explain=explain,
                             n_jobs=n_jobs, skip=skip, max_bytes=max_bytes, include_hidden=include_hidden,
                             debug=debug):
        for doc in chunk:
            if not doc.skipped:
                yield doc


def iter_tagged_lines(
    inputs: InputFiles,
    *,
    tagger: Tagger,
    explain: int = 0,
    n_jobs: int | None = None,
    skip: frozenset[tuple[str, str]] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    date: str | None = None,
    debug: bool = False,
) -> Iterator[DocLines]:
    """The batch command's path: like :func:`tag_files`, but workers send back finished
    JSON Lines records instead of result objects (less to pickle, formatting in parallel)."""
    for chunk in _run_chunks(_lines_chunk, inputs, tagger=tagger, explain=explain, n_jobs=n_jobs, skip=skip,
                             max_bytes=max_bytes, debug=debug, date=date):
        for doc in chunk:
            if not doc.skipped:
                yield doc


_SERIAL_CHUNK = 16  # files scored together in one process: one scoring call, still streaming


def _run_chunks(fn: Any, paths: Any, *, tagger: Tagger | None, thresholds: Any = None, n_jobs: int | None,
                include_hidden: bool = False, **kw: Any) -> Iterator[list[Any]]:
    inputs = paths if isinstance(paths, InputFiles) else collect_input_files(paths, include_hidden=include_hidden)
    if tagger is None:
        tagger = load(thresholds=thresholds)
    elif thresholds is not None:
        tagger = Tagger(tagger._model, tagger.manifest, thresholds=thresholds)
    kwargs = {**kw, "names": inputs.names}
    files = inputs.files
    cores = os.cpu_count() or 1
    workers = n_jobs if n_jobs is not None else default_workers(len(files))
    if workers == -1:
        workers = cores
    size = max(8, min(64, len(files) // (max(workers, 1) * 8) or 1))  # small chunks: workers finish together
    chunks = [files[i : i + size] for i in range(0, len(files), size)]
    workers = max(1, min(workers, cores, len(chunks)))
    if workers <= 1:
        for i in range(0, len(files), _SERIAL_CHUNK):
            yield fn(tagger, files[i : i + _SERIAL_CHUNK], kwargs)
    else:
        yield from _parallel_chunks(fn, tagger, chunks, kwargs, workers)


def default_workers(n_files: int) -> int:
    """Worker processes when none are asked for: chosen from the benchmark (``benchmarks/RESULTS.md``)."""
    return (os.cpu_count() or 1) if n_files >= _PARALLEL_MIN_FILES else 1


_PARALLEL_MIN_FILES = 64


_WORKER_TAGGERS: dict[Any, Tagger] = {}


def _in_worker(fn: Any, spec: Any, chunk: list[tuple[Path, str | None]], kwargs: dict[str, Any]) -> list[Any]:
    """Run ``fn`` on a chunk in a worker, with the tagger loaded once per process from ``spec``."""
    if isinstance(spec, Tagger):
        return fn(spec, chunk, kwargs)
    (path, allow_pickle, mismatch, backend), thresholds = spec
    key = (path, allow_pickle, mismatch, backend, tuple(thresholds))
    tagger = _WORKER_TAGGERS.get(key)
    if tagger is None:
        import warnings

        with warnings.catch_warnings():  # the parent already showed any version warning
            warnings.simplefilter("ignore")
            tagger = load(path, thresholds=thresholds, allow_pickle=allow_pickle,
                          allow_version_mismatch=mismatch, backend=backend)
        _WORKER_TAGGERS[key] = tagger
    return fn(tagger, chunk, kwargs)


def _parallel_chunks(
    fn: Any, tagger: Tagger, chunks: list[list[tuple[Path, str | None]]], kwargs: dict[str, Any], workers: int
) -> Iterator[list[Any]]:
    """Chunks tagged by worker processes, in order; a chunk whose worker dies is retried
    once alone, then failed file by file, and the rest go on.

    On Linux the workers are forked, so they start with the model already
    loaded (no interpreter start, no unpickling); elsewhere joblib's loky
    workers load it once from its directory.
    """
    import multiprocessing

    if "fork" in multiprocessing.get_all_start_methods() and sys.platform.startswith("linux"):
        yield from _forked_chunks(fn, tagger, chunks, kwargs, workers)
    else:
        yield from _loky_chunks(fn, tagger, chunks, kwargs, workers)


_FORK_STATE: dict[str, Any] = {}


def _forked_run(i: int) -> list[Any]:
    st = _FORK_STATE
    return st["fn"](st["tagger"], st["chunks"][i], st["kwargs"])


def _forked_chunks(
    fn: Any, tagger: Tagger, chunks: list[list[tuple[Path, str | None]]], kwargs: dict[str, Any], workers: int
) -> Iterator[list[Any]]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    _FORK_STATE.update(fn=fn, tagger=tagger, chunks=chunks, kwargs=kwargs)  # inherited by the forked workers
    ctx = multiprocessing.get_context("fork")
    i = 0
    try:
        while i < len(chunks):
            pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
            try:
                ahead = 2 * workers  # bounded in flight: memory stays flat however many chunks
                futures = [pool.submit(_forked_run, j) for j in range(i, min(i + ahead, len(chunks)))]
                nxt = i + len(futures)
                while futures:
                    result = futures.pop(0).result()
                    yield result
                    i += 1
                    if nxt < len(chunks):
                        futures.append(pool.submit(_forked_run, nxt))
                        nxt += 1
            except BrokenProcessPool:
                pool.shutdown(wait=False, cancel_futures=True)
                retry = ProcessPoolExecutor(max_workers=1, mp_context=ctx)
                try:
                    yield retry.submit(_forked_run, i).result()
                except BrokenProcessPool:
                    dead = "the worker process reading this file (or one beside it) died: killed, or out of memory"
                    yield fn(tagger, [(p, dead) for p, _ in chunks[i]], kwargs)
                finally:
                    retry.shutdown(wait=True)
                i += 1
                continue
            finally:
                pool.shutdown(wait=True, cancel_futures=True)  # no worker outlives the batch
    finally:
        _FORK_STATE.clear()


def _loky_chunks(
    fn: Any, tagger: Tagger, chunks: list[list[tuple[Path, str | None]]], kwargs: dict[str, Any], workers: int
) -> Iterator[list[Any]]:
    from joblib import Parallel, delayed
    from joblib.externals.loky.process_executor import TerminatedWorkerError

    # Workers load the model once from its directory instead of unpickling it with every chunk.
    spec: Any = (tagger._source, tagger.thresholds.tolist()) if tagger._source is not None else tagger

    def run(todo: list[list[tuple[Path, str | None]]], n: int) -> Iterator[list[Any]]:
        return Parallel(n_jobs=n, return_as="generator", pre_dispatch="2*n_jobs", idle_worker_timeout=5)(
            delayed(_in_worker)(fn, spec, chunk, kwargs) for chunk in todo
        )

    i = 0
    try:
        while i < len(chunks):
            try:
                for result in run(chunks[i:], workers):
                    yield result
                    i += 1
            except TerminatedWorkerError:
                try:
                    yield next(iter(run([chunks[i]], 2)))  # 2: a real worker process, not in-process
                except TerminatedWorkerError:
                    dead = "the worker process reading this file (or one beside it) died: killed, or out of memory"
                    yield fn(tagger, [(p, dead) for p, _ in chunks[i]], kwargs)
                i += 1
    finally:
        from joblib.externals.loky import reusable_executor

        if reusable_executor._executor is not None:  # no worker outlives the batch
            reusable_executor._executor.shutdown(wait=False, kill_workers=True)


# --- tagging other people's tables ------------------------------------------------

_TAGGERS: dict[tuple[str | None, str], Tagger] = {}


class BatchTagger:
    """A picklable function that tags a batch of a table: for ``datasets.Dataset.map``.

    >>> ds = ds.map(BatchTagger(), batched=True, num_proc=4)   # doctest: +SKIP

    Each worker process loads the model once (only the model path travels
    with the function) and adds ``labels`` (list of label names) and one
    ``score_LABEL`` column per label. Works on any mapping of columns to
    lists, so ``BatchTagger()({"text": df["text"].tolist()})`` serves pandas.
    """

    def __init__(
        self,
        model: str | os.PathLike[str] | None = None,
        *,
        text_column: str = "text",
        thresholds: float | Mapping[str, float] | None = None,
    ) -> None:
        self.model = model
        self.text_column = text_column
        self.thresholds = thresholds

    def _tagger(self) -> Tagger:
        key = (None if self.model is None else str(self.model), repr(self.thresholds))
        if key not in _TAGGERS:
            _TAGGERS[key] = load(self.model, thresholds=self.thresholds)
        return _TAGGERS[key]

    def __call__(self, batch: Mapping[str, Sequence[Any]]) -> dict[str, list[Any]]:
        if self.text_column not in batch:
            raise KeyError(f"no column {self.text_column!r} in the batch (columns: {', '.join(batch)})")
        tagger = self._tagger()
        texts = [t if isinstance(t, str) else "" for t in batch[self.text_column]]
        proba = tagger.predict_proba(texts)
        out: dict[str, list[Any]] = {"labels": [list(s) for s in tagger._label_sets(proba)]}
        for j, label in enumerate(LABELS):
            out[f"score_{label}"] = [round(float(x), 4) for x in proba[:, j]]
        return out

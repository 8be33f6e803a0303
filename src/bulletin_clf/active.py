"""The labeling loop: pick the paragraphs most worth labeling next, then add labeled batches.

``select_paragraphs`` scores a pool of unlabeled paragraphs with one or more
models and ranks them by how much a label would teach the model:

* **uncertainty**: how close the nearest label score is to its threshold,
  measured in log-odds (``exp(-|logit p - logit t|)``: 1 at the threshold);
* **disagreement**: with a committee (several model directories), the share
  of labels on which the models' decisions differ;

then walks the ranking greedily for **diversity**: near duplicates of chosen
or already labeled paragraphs are skipped and at most ``per_doc`` paragraphs
come from one document. ``random_draw`` applies the same filters and draws
uniformly, as the control that selection is compared with.

``validate_batch`` checks a labeled batch (label names, ids, duplicates
against the existing data, ``annotator``, ``guide_version``) before
``add_batch`` appends it to a split of the data directory.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import random
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ._labels import GUIDE_VERSION, LABELS
from .data import RECORD_KEYS, SPLITS, fold_key, read_jsonl, record_problem, shingles, split_path
from .errors import DataError, ReadError

MAX_LINE_BYTES = 1 << 20  # one JSONL record; longer lines are reported and skipped
EVAL_SPLITS = tuple(s for s in SPLITS if s != "train")


@dataclass(frozen=True)
class Candidate:
    id: str
    doc_id: str
    para_idx: int
    text: str
    date: str | None
    source: str
    register: str | None = None


# --- reading pools -------------------------------------------------------------


def iter_pool(sources: Iterable[str | os.PathLike[str]], *, problems: list[str] | None = None) -> Iterator[Candidate]:
    """Paragraphs from JSONL corpora (``.jsonl``/``.jsonl.gz``: records with ``text``,
    tagged output, or documents with ``turns`` as in the shared corpus) and from
    release files or folders (read and segmented as ``tag`` does).

    Problems (unreadable files, bad lines) are appended to ``problems`` as one
    line each; reading goes on.
    """
    problems = problems if problems is not None else []
    for src in sources:
        path = Path(src)
        name = path.name.lower()
        if path.is_file() and (name.endswith(".jsonl") or name.endswith(".jsonl.gz")):
            yield from _iter_jsonl(path, problems)
        else:
            yield from _iter_releases(path, problems)


def _iter_jsonl(path: Path, problems: list[str]) -> Iterator[Candidate]:
    opener: Any = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            for lineno, raw in enumerate(fh, 1):
                if len(raw) > MAX_LINE_BYTES:
                    problems.append(f"{path}:{lineno}: line over {MAX_LINE_BYTES:,} bytes; skipped")
                    continue
                if not raw.strip():
                    continue
                try:
                    rec = json.loads(raw)
                except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
                    problems.append(f"{path}:{lineno}: not a JSON record ({str(exc)[:80]}); skipped")
                    continue
                if not isinstance(rec, dict):
                    problems.append(f"{path}:{lineno}: not a JSON object; skipped")
                    continue
                yield from _from_record(rec, path, lineno, problems)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        problems.append(f"{path}: cannot read ({exc})")


def _from_record(rec: dict[str, Any], path: Path, lineno: int, problems: list[str]) -> Iterator[Candidate]:
    date = rec.get("date") if isinstance(rec.get("date"), str) else None
    if isinstance(rec.get("turns"), list):  # a corpus document: speaker turns of paragraphs
        doc = str(rec.get("doc_id") or f"{path.name}:{lineno}")
        idx = 0
        for turn in rec["turns"]:
            for text in turn.get("paragraphs", []) if isinstance(turn, dict) else []:
                if isinstance(text, str) and text.strip():
                    yield Candidate(f"{doc}:{idx}", doc, idx, text, date, str(path))
                idx += 1
        return
    text = rec.get("text")
    if not isinstance(text, str) or not text.strip():
        problems.append(f"{path}:{lineno}: record has no text; skipped")
        return
    doc = str(rec.get("doc_id") or rec.get("source") or path.name)
    raw_idx = rec.get("para_idx")
    idx = raw_idx if isinstance(raw_idx, int) and not isinstance(raw_idx, bool) else lineno
    rid = str(rec.get("id") or f"{doc}:{idx}")
    register = rec.get("register") if isinstance(rec.get("register"), str) else None
    yield Candidate(rid, doc, idx, text, date, str(rec.get("source") or path), register)


def _iter_releases(path: Path, problems: list[str]) -> Iterator[Candidate]:
    from .read import read_text
    from .segment import segment
    from .tag import iter_input_files

    for file, problem in iter_input_files([path]):
        if problem:
            problems.append(f"{file}: {problem}")
            continue
        try:
            text = read_text(file)
        except ReadError as exc:
            problems.append(str(exc))
            continue
        doc = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        for i, para in enumerate(segment(text).paragraphs):
            yield Candidate(f"{doc}:{i}", doc, i, para, None, str(file), "written")


# --- selection -----------------------------------------------------------------


@dataclass
class Exclusions:
    """What the pool must not offer again."""

    ids: set[str]
    docs: set[str]
    keys: set[str]
    shingles: set[str]

    @classmethod
    def empty(cls) -> Exclusions:
        return cls(set(), set(), set(), set())

    def add_labeled(self, records: Iterable[dict[str, Any]], *, exclude_docs: bool) -> None:
        for r in records:
            self.ids.add(str(r.get("id")))
            if exclude_docs and r.get("doc_id") is not None:
                self.docs.add(str(r["doc_id"]))
            text = r.get("text")
            if isinstance(text, str):
                self.keys.add(fold_key(text))
                self.shingles |= shingles(text)


def exclusions_from(data_dir: str | os.PathLike[str] | None, exclude_files: Sequence[str | os.PathLike[str]]) -> Exclusions:
    """Labeled ids and texts of a data directory (documents of evaluation splits are
    excluded whole, so selected paragraphs never enter them), plus the ids and
    texts of the ``exclude_files`` (for example earlier draws)."""
    from .data import load_split

    ex = Exclusions.empty()
    if data_dir is not None:
        for split in SPLITS:
            if split_path(data_dir, split).is_file():
                ex.add_labeled(load_split(split, data_dir), exclude_docs=split in EVAL_SPLITS)
    for f in exclude_files:
        try:
            ex.add_labeled(read_jsonl(Path(f)), exclude_docs=False)
        except OSError as exc:
            raise DataError(f"{f}: cannot read ({exc.strerror})") from None
    return ex


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def informativeness(probas: Sequence[np.ndarray], thresholds: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """``(uncertainty, disagreement)`` per paragraph, each in [0, 1].

    ``probas[k]`` is model k's ``(n, 4)`` scores and ``thresholds[k]`` its thresholds.
    """
    first, t0 = probas[0], np.asarray(thresholds[0])
    margin = np.abs(_logit(first) - _logit(t0))
    uncertainty = np.exp(-margin.min(axis=1))
    if len(probas) < 2:
        return uncertainty, np.zeros(len(first))
    decisions = np.stack([p >= np.asarray(t) for p, t in zip(probas, thresholds, strict=True)])  # (k, n, 4)
    share = decisions.mean(axis=0)
    disagreement = ((share > 0) & (share < 1)).mean(axis=1)
    return uncertainty, disagreement


def _diverse(order: Iterable[int], pool: Sequence[Candidate], n: int, per_doc: int, ex: Exclusions) -> list[int]:
    chosen: list[int] = []
    per: dict[str, int] = defaultdict(int)
    seen_keys, seen_sh = set(ex.keys), set(ex.shingles)
    for i in order:
        if len(chosen) >= n:
            break
        c = pool[i]
        if per[c.doc_id] >= per_doc:
            continue
        key = fold_key(c.text)
        sh = shingles(c.text)
        if key in seen_keys or len(sh & seen_sh) * 2 >= len(sh):
            continue
        seen_keys.add(key)
        seen_sh |= sh
        per[c.doc_id] += 1
        chosen.append(i)
    return chosen


def filter_pool(
    pool: Iterable[Candidate], ex: Exclusions, *, date_from: str | None = None, date_to: str | None = None,
    min_chars: int = 40,
) -> list[Candidate]:
    out = []
    for c in pool:
        if c.id in ex.ids or c.doc_id in ex.docs or len(c.text) < min_chars:
            continue
        if (date_from or date_to) and c.date is None:
            continue
        if date_from and c.date is not None and c.date < date_from:
            continue
        if date_to and c.date is not None and c.date > date_to:
            continue
        out.append(c)
    return out


def select_paragraphs(
    taggers: Sequence[Any], pool: Sequence[Candidate], *, n: int, per_doc: int = 3,
    exclusions: Exclusions | None = None,
) -> list[dict[str, Any]]:
    """The ``n`` most informative, diverse paragraphs of ``pool`` as output records."""
    if not taggers:
        raise ValueError("select needs at least one model")
    if n < 1 or per_doc < 1:
        raise ValueError("n and per_doc must be at least 1")
    texts = [c.text for c in pool]
    probas = [t.predict_proba(texts) for t in taggers]
    unc, dis = informativeness(probas, [t.thresholds for t in taggers])
    score = unc + dis
    order = np.lexsort((np.arange(len(pool)), -score))  # by score, ties in pool order: deterministic
    chosen = _diverse(order.tolist(), pool, n, per_doc, exclusions or Exclusions.empty())
    return [_record(pool[i], rank, probas[0][i], taggers[0], float(score[i]), float(unc[i]), float(dis[i]))
            for rank, i in enumerate(chosen)]


def random_draw(
    tagger: Any, pool: Sequence[Candidate], *, n: int, per_doc: int = 3, seed: int = 0,
    exclusions: Exclusions | None = None,
) -> list[dict[str, Any]]:
    """The control: ``n`` paragraphs drawn uniformly under the same filters."""
    order = list(range(len(pool)))
    random.Random(seed).shuffle(order)
    chosen = _diverse(order, pool, n, per_doc, exclusions or Exclusions.empty())
    proba = tagger.predict_proba([pool[i].text for i in chosen]) if chosen else np.zeros((0, len(LABELS)))
    unc, _ = informativeness([proba], [tagger.thresholds])
    return [_record(pool[i], rank, proba[rank], tagger, None, float(unc[rank]), None) for rank, i in enumerate(chosen)]


def _record(c: Candidate, rank: int, proba: np.ndarray, tagger: Any, score: float | None, unc: float,
            dis: float | None) -> dict[str, Any]:
    predicted = [label for label, p, t in zip(LABELS, proba, tagger.thresholds, strict=True) if p >= t]
    rec: dict[str, Any] = {"id": c.id, "doc_id": c.doc_id, "para_idx": c.para_idx, "text": c.text,
                           "date": c.date, "source": c.source}
    if c.register:
        rec["register"] = c.register
    rec["select"] = {
        "rank": rank, "score": None if score is None else round(score, 4), "uncertainty": round(unc, 4),
        "disagreement": None if dis is None else round(dis, 4),
        "model_scores": {label: round(float(p), 4) for label, p in zip(LABELS, proba, strict=True)},
        "model_labels": predicted,
    }
    return rec


# --- adding labeled batches ----------------------------------------------------


def validate_batch(
    records: Sequence[dict[str, Any]], existing: Sequence[dict[str, Any]], *, where: str,
    guide_version: int = GUIDE_VERSION,
) -> list[dict[str, Any]]:
    """Labeled records ready to join the data, or a :class:`DataError` naming the first problem.

    Selection bookkeeping (``select``) is dropped. Checks: the record schema
    and label names, ``annotator`` present and not a model or rule (silver
    labels never enter gold), ``guide_version`` equal to the guide in force,
    ids unique in the batch and new to the data, texts not already labeled.
    """
    seen_ids = {str(r["id"]) for r in existing}
    seen_keys = {fold_key(r["text"]) for r in existing}
    out = []
    batch_ids: set[str] = set()
    for i, raw in enumerate(records, 1):
        rec = {k: v for k, v in raw.items() if k != "select"}
        at = f"{where}: record {i} ({str(rec.get('id'))[:40]})"
        problem = record_problem(rec)
        if problem:
            raise DataError(f"{at}: {problem}")
        annot = str(rec["annotator"]).lower()
        if annot.startswith(("model", "rule", "silver")):
            raise DataError(f"{at}: annotator {rec['annotator']!r} marks silver labels; they go to data/silver, not gold")
        if rec["guide_version"] != guide_version:
            raise DataError(f"{at}: guide_version {rec['guide_version']!r}; labels must follow guide version {guide_version}")
        if rec["id"] in batch_ids:
            raise DataError(f"{at}: id appears twice in the batch")
        if rec["id"] in seen_ids:
            raise DataError(f"{at}: id is already in the data")
        if fold_key(rec["text"]) in seen_keys:
            raise DataError(f"{at}: the same text is already labeled")
        batch_ids.add(rec["id"])
        seen_keys.add(fold_key(rec["text"]))
        out.append(rec)
    return out


def add_batch(batch: str | os.PathLike[str], data_dir: str | os.PathLike[str], *, split: str = "train",
              dry_run: bool = False) -> int:
    """Validate ``batch`` and append it to ``data_dir/gold/SPLIT.jsonl`` (atomically).

    Documents of the batch may not already belong to another split. Returns
    the number of records added.
    """
    from .data import load_split
    from .persist import atomic_write_bytes

    if split not in SPLITS:
        raise DataError(f"unknown split {split!r}; splits are {', '.join(SPLITS)}")
    d = Path(data_dir)
    existing: list[dict[str, Any]] = []
    doc_split: dict[str, str] = {}
    for s in SPLITS:
        if split_path(d, s).is_file():
            recs = load_split(s, d)
            existing += recs
            doc_split.update({r["doc_id"]: s for r in recs})
    try:
        records = read_jsonl(Path(batch))
    except OSError as exc:
        raise DataError(f"{batch}: cannot read ({exc.strerror})") from None
    if not records:
        raise DataError(f"{batch}: no records")
    new = validate_batch(records, existing, where=str(batch))
    for rec in new:
        other = doc_split.get(rec["doc_id"])
        if other is not None and other != split:
            raise DataError(f"{batch}: {rec['id']}: document {rec['doc_id']} is in {other!r}; adding it to "
                            f"{split!r} would leak between splits")
    if dry_run:
        return len(new)
    target = d / "gold" / f"{split}.jsonl"
    if split_path(d, split) != target:
        raise DataError(f"{d}: a packed (read-only) copy of the data; pass --data-dir with a data folder of your own")
    target.parent.mkdir(parents=True, exist_ok=True)
    old = target.read_bytes() if target.is_file() else b""
    if old and not old.endswith(b"\n"):
        old += b"\n"
    keys = [*RECORD_KEYS, "register", "url"]
    body = "".join(json.dumps({k: r[k] for k in keys if k in r}, ensure_ascii=False) + "\n" for r in new)
    atomic_write_bytes(target, old + body.encode("utf-8"))
    return len(new)

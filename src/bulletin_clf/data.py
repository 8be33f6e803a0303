"""The labeled corpus: JSON Lines files in ``data/`` loaded as a ``DatasetDict``.

Layout of the data directory::

    gold/train.jsonl, validation.jsonl, test.jsonl, temporal_test.jsonl, written_test.jsonl
    silver/*.jsonl           (optional; model- or rule-labeled, never evaluated on)

Each line follows the record format of the labeling guide. Splits are by
document; ``temporal_test`` holds documents from ``TEMPORAL_FROM`` (2025-04) on, ``written_test`` written releases. :func:`check_data`
validates schema, label names, duplicates and leakage between splits.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._labels import GUIDE_VERSION, LABELS
from .errors import DataError

SPLITS = ("train", "validation", "test", "temporal_test", "written_test")
TEMPORAL_FROM = "2025-04-01"  # temporal_test holds speech and questions from this day on
RECORD_KEYS = (
    "id",
    "doc_id",
    "para_idx",
    "text",
    "labels",
    "source",
    "date",
    "annotator",
    "guide_version",
)
# Optional fields: the text's register (speech, question, written) and, for
# written releases, the page it was taken from.
OPTIONAL_KEYS = ("register", "url")
REGISTERS = ("speech", "question", "written")
_DATA_ENV = "BULLETIN_CLF_DATA"


def packaged_data_dir() -> Path:
    """The copy of the gold data that ships inside the package (gzipped JSON Lines)."""
    return Path(__file__).resolve().parent / "resources" / "data"


def default_data_dir() -> Path:
    """``$BULLETIN_CLF_DATA``, else ``./data`` (a checkout), else the copy shipped in the package.

    So ``load_dataset()``, ``bulletin-clf data check`` and ``evaluate`` work
    after ``pip install`` from any directory, with no network.
    """
    env = os.environ.get(_DATA_ENV)
    if env:
        return Path(env)
    for candidate in (Path.cwd() / "data", Path(__file__).resolve().parents[2] / "data", packaged_data_dir()):
        if (candidate / "gold").is_dir():
            return candidate
    raise DataError(
        "no labeled data found (the package copy is missing too): pass data_dir, "
        f"or set {_DATA_ENV} to the data directory"
    )


def split_path(data_dir: str | os.PathLike[str], split: str) -> Path:
    """``gold/SPLIT.jsonl``, or its gzipped form ``gold/SPLIT.jsonl.gz``."""
    plain = Path(data_dir) / "gold" / f"{split}.jsonl"
    packed = plain.with_name(plain.name + ".gz")
    return packed if not plain.is_file() and packed.is_file() else plain


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    import gzip

    records = []
    opener: Any = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"{path}:{lineno}: invalid JSON ({exc.msg})") from None
            if not isinstance(rec, dict):
                raise DataError(f"{path}:{lineno}: record is not a JSON object")
            records.append(rec)
    return records


def load_split(split: str, data_dir: str | os.PathLike[str] | None = None) -> list[dict[str, Any]]:
    """Records of one gold split (validated for schema)."""
    if split not in SPLITS:
        raise DataError(f"unknown split {split!r}; splits are {', '.join(SPLITS)}")
    d = Path(data_dir) if data_dir is not None else default_data_dir()
    path = split_path(d, split)
    if not path.is_file():
        raise DataError(f"{path}: split file missing")
    records = read_jsonl(path)
    for i, rec in enumerate(records, 1):
        problem = record_problem(rec)
        if problem:
            raise DataError(f"{path}: record {i}: {problem}")
    return records


def load_silver(data_dir: str | os.PathLike[str] | None = None) -> list[dict[str, Any]]:
    d = Path(data_dir) if data_dir is not None else default_data_dir()
    out: list[dict[str, Any]] = []
    for path in sorted((d / "silver").glob("*.jsonl")):
        out.extend(read_jsonl(path))
    return out


def record_problem(rec: dict[str, Any]) -> str | None:
    """What is wrong with one record, or ``None``."""
    missing = [k for k in RECORD_KEYS if k not in rec]
    if missing:
        return f"missing field {missing[0]!r}"
    extra = sorted(set(rec) - set(RECORD_KEYS) - set(OPTIONAL_KEYS))
    if extra:
        return f"unknown field {extra[0]!r}"
    if rec.get("register") is not None and rec["register"] not in REGISTERS:
        return f"register {rec['register']!r} is not one of {', '.join(REGISTERS)}"
    if not isinstance(rec["text"], str) or not rec["text"].strip():
        return "empty text"
    if not isinstance(rec["labels"], list):
        return "labels must be a list"
    for label in rec["labels"]:
        if label not in LABELS:
            return f"unknown label {label!r} (labels are {', '.join(LABELS)})"
    if rec["labels"] != sorted(set(rec["labels"])):
        return "labels must be sorted and unique"
    if not isinstance(rec["para_idx"], int):
        return "para_idx must be an integer"
    if rec["date"] is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(rec["date"])):
        return f"date {rec['date']!r} is not YYYY-MM-DD"
    if not str(rec["annotator"]).strip():
        return "annotator is empty"
    return None


def multi_hot(label_lists: Iterable[Sequence[str]]) -> np.ndarray:
    """Label-name lists to an ``(n, 4)`` 0/1 matrix in :data:`LABELS` order."""
    index = {name: j for j, name in enumerate(LABELS)}
    rows = list(label_lists)
    Y = np.zeros((len(rows), len(LABELS)), dtype=np.int8)
    for i, labels in enumerate(rows):
        for name in labels:
            Y[i, index[name]] = 1
    return Y


def features() -> Any:
    from datasets import ClassLabel, Features, Sequence, Value

    return Features(
        {
            "id": Value("string"),
            "doc_id": Value("string"),
            "para_idx": Value("int32"),
            "text": Value("string"),
            "labels": Sequence(ClassLabel(names=list(LABELS))),
            "source": Value("string"),
            "date": Value("string"),
            "annotator": Value("string"),
            "guide_version": Value("int32"),
            "register": Value("string"),
            "url": Value("string"),
        }
    )


def load_dataset(data_dir: str | os.PathLike[str] | None = None, *, splits: Sequence[str] = SPLITS) -> Any:
    """The gold data as a ``datasets.DatasetDict``, offline, from ``data/gold``.

    ``labels`` is a sequence of ``ClassLabel`` over the four topics (empty
    for none of the four).
    """
    from datasets import Dataset, DatasetDict

    feats = features()
    out = {}
    for split in splits:
        records = load_split(split, data_dir)
        columns = {key: [r.get(key) for r in records] for key in (*RECORD_KEYS, *OPTIONAL_KEYS)}
        out[split] = Dataset.from_dict(columns, features=feats)
    return DatasetDict(out)


def fold_key(text: str) -> str:
    """Comparison key for exact duplicates: case, accents and punctuation ignored."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(re.findall(r"[a-z0-9ñ]+", text))


def shingles(text: str, n: int = 8) -> set[str]:
    words = fold_key(text).split()
    if len(words) < n:
        return {" ".join(words)}
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


def near_duplicate_pairs(texts: Sequence[str], *, threshold: float = 0.5) -> list[tuple[int, int]]:
    """Index pairs whose 8-word shingle sets overlap by ``threshold`` or more
    of the smaller set (exact duplicates included)."""
    sets = [shingles(t) for t in texts]
    index: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(sets):
        for sh in s:
            index[sh].append(i)
    shared: dict[tuple[int, int], int] = defaultdict(int)
    for ids in index.values():
        if len(ids) > 50:  # a phrase everyone says; not evidence of copying
            continue
        for a in range(len(ids)):
            for b in range(a + 1, len(ids)):
                shared[(ids[a], ids[b])] += 1
    return sorted((i, j) for (i, j), n in shared.items() if n >= threshold * min(len(sets[i]), len(sets[j])))


def check_data(data_dir: str | os.PathLike[str] | None = None) -> dict[str, int]:
    """Validate every split; raise :class:`DataError` on the first problem.

    Returns the number of records per split.
    """
    d = Path(data_dir) if data_dir is not None else default_data_dir()
    by_split = {split: load_split(split, d) for split in SPLITS}
    ids: dict[str, str] = {}
    doc_split: dict[str, str] = {}
    texts: list[str] = []
    where: list[tuple[str, str]] = []
    for split, records in by_split.items():
        if not records:
            raise DataError(f"{d}/gold/{split}.jsonl: split is empty")
        for rec in records:
            if rec["id"] in ids:
                raise DataError(f"duplicate id {rec['id']!r} in {ids[rec['id']]} and {split}")
            ids[rec["id"]] = split
            if rec["guide_version"] not in (2, GUIDE_VERSION):  # v3 keeps every v2 rule: v2 labels stay valid
                raise DataError(
                    f"{split}: record {rec['id']!r} follows guide version {rec['guide_version']}, expected 2 or {GUIDE_VERSION}"
                )
            other = doc_split.setdefault(rec["doc_id"], split)
            if other != split:
                raise DataError(f"split leakage: document {rec['doc_id']!r} is in both {other} and {split}")
            if "silver" in str(rec["annotator"]).lower():
                raise DataError(f"{split}: record {rec['id']!r} has a silver annotator in gold data")
            texts.append(rec["text"])
            where.append((split, rec["id"]))
    for split in ("temporal_test",):
        for rec in by_split[split]:
            if rec["date"] is None or rec["date"] < TEMPORAL_FROM:
                raise DataError(f"temporal_test: record {rec['id']!r} dated {rec['date']} is before {TEMPORAL_FROM}")
    for i, j in near_duplicate_pairs(texts):
        (si, ii), (sj, ij) = where[i], where[j]
        if si != sj:
            raise DataError(f"split leakage: near-duplicate paragraphs {ii!r} ({si}) and {ij!r} ({sj})")
    train_y = multi_hot(r["labels"] for r in by_split["train"])
    for j, label in enumerate(LABELS):
        if train_y[:, j].sum() == 0:
            raise DataError(f"train: label {label!r} has no positive example")
    return {split: len(records) for split, records in by_split.items()}


def fingerprint(records: Sequence[dict[str, Any]]) -> str:
    """SHA-256 over ids, texts and labels: changes whenever the data does."""
    import hashlib

    h = hashlib.sha256()
    for rec in records:
        h.update(json.dumps([rec["id"], rec["text"], rec["labels"]], ensure_ascii=False).encode())
    return h.hexdigest()

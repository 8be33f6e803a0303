"""The adjudication batch of round 5: every paragraph on which the first and the
second annotator disagree, with both label sets shown as "A" and "B" in an
order fixed by a hash (the adjudicator does not know which came first).

Writes ``data/annotation/batches/xNN.txt`` with the disagreements that no
earlier ``raw5/x*.jsonl`` decided (x01 held the first 54; x02 those of the
last written batch); the decisions go to ``raw5/xNN.jsonl``, which
``build_dataset.py`` applies.
Run from the repo root: ``python scripts/adjudication_round5.py``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RAW5 = ROOT / "data" / "annotation" / "raw5"
FIRST = ("q", "t", "a", "w")


def load(prefixes: tuple[str, ...]) -> dict[str, list[str]]:
    out = {}
    for path in sorted(RAW5.glob("*.jsonl")):
        if path.name.startswith(prefixes):
            for line in path.read_text(encoding="utf-8").splitlines():
                rec = json.loads(line)
                out[rec["id"]] = sorted(rec["labels"])
    return out


def texts() -> dict[str, str]:
    out = {}
    ann = ROOT / "data" / "annotation"
    for path in [*ann.glob("sample_round5_*.jsonl"), *ann.glob("select_round5_*.jsonl"), *(ann / "written").glob("harvest_*.jsonl")]:
        for line in path.read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            out[rec["id"]] = rec["text"]
    return out


def main() -> None:
    first, second, text = load(FIRST), load(("d",)), texts()
    decided = load(("x",))
    ids = sorted(i for i in second if i in first and first[i] != second[i] and i not in decided)
    n = len(list(RAW5.glob("x*.jsonl"))) + 1
    if not ids:
        print("no undecided disagreements")
        return
    with open(ROOT / "data" / "annotation" / "batches" / f"x{n:02d}.txt", "w", encoding="utf-8") as fh:
        for i in ids:
            a, b = first[i], second[i]
            if hashlib.sha256(i.encode()).digest()[0] % 2:
                a, b = b, a
            fh.write(f"[{i}] A: {json.dumps(a)}  B: {json.dumps(b)}\n{text[i]}\n\n")
    print(f"{len(ids)} disagreements -> batches/x{n:02d}.txt")


if __name__ == "__main__":
    main()

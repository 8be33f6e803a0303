"""Annotation batches for the official written releases in ``data/annotation/written/``.

Each harvest file (``harvest_*.jsonl``: paragraphs of government bulletins
with their url and date) becomes batches of at most 260 paragraphs in reading
order (``w01``, ``w02`` ... per file, in file-name order), so that an annotator
reads a release's paragraphs together; a seeded 25% is copied to ``dwNN`` for a
second annotation. Run from the repo root: ``python scripts/batches_written.py FILE...``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sample_for_annotation import write_batch

ROOT = Path(__file__).resolve().parents[1]
BATCH = 260
DOUBLE_SHARE = 0.25


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--first", type=int, default=1, help="number of the first batch file")
    args = parser.parse_args(argv)
    recs = []
    for path in args.files:
        recs += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    out = ROOT / "data" / "annotation" / "batches"
    out.mkdir(parents=True, exist_ok=True)
    n = -(-len(recs) // BATCH)
    size = -(-len(recs) // n)
    for k in range(n):
        write_batch(out / f"w{args.first + k:02d}.txt", recs[k * size : (k + 1) * size])
    double = random.Random(args.first).sample(recs, round(DOUBLE_SHARE * len(recs)))
    write_batch(out / f"dw{args.first:02d}.txt", double)
    print(f"{len(recs)} paragraphs in {n} batches from w{args.first:02d}; {len(double)} for double annotation")


if __name__ == "__main__":
    main()

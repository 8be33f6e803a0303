"""Annotation batches for the paragraphs `bulletin-clf select` chose in round 5.

The selected paragraphs and their same-pool random controls are shuffled
together (annotators cannot tell which is which, nor see model scores) into
batches ``a01..a12``; a seeded 12% of them is copied into ``da01``/``da02``
for a second, independent annotation. The second pass over the recent pool
(``select_round5_recent2.jsonl``) is ``a13``, 30 of it in ``da03``. Run from the repo root after
``scripts/select_round5.sh``.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sample_for_annotation import write_batch

ROOT = Path(__file__).resolve().parents[1]
ANN = ROOT / "data" / "annotation"
SEED = 20261202
N_BATCHES = 12
DOUBLE_SHARE = 0.12


def main() -> None:
    recs = []
    for path in sorted(ANN.glob("select_round5_*.jsonl")):
        if path.stem == "select_round5_recent2":
            continue  # the second pass, batched below
        recs += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    rng = random.Random(SEED)
    rng.shuffle(recs)
    size = -(-len(recs) // N_BATCHES)
    batches = ANN / "batches"
    batches.mkdir(parents=True, exist_ok=True)
    for k in range(N_BATCHES):
        write_batch(batches / f"a{k + 1:02d}.txt", recs[k * size : (k + 1) * size])
    double = rng.sample(recs, round(DOUBLE_SHARE * len(recs)))
    half = -(-len(double) // 2)
    write_batch(batches / "da01.txt", double[:half])
    write_batch(batches / "da02.txt", double[half:])
    print(f"{len(recs)} paragraphs in {N_BATCHES} batches of <= {size}; {len(double)} for double annotation")
    # Second pass over the recent pool (scripts/select_round5.sh): one batch, 30 of it labeled twice.
    second = [json.loads(line) for line in (ANN / "select_round5_recent2.jsonl").read_text(encoding="utf-8").splitlines()]
    write_batch(batches / "a13.txt", second)
    write_batch(batches / "da03.txt", random.Random(13).sample(second, 30))


if __name__ == "__main__":
    main()

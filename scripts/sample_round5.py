"""Round 5 random draws (guide v3): reporters' questions and the held-out latest months.

Two draws that must be random, not chosen by the model, because they feed
held-out evaluation splits as well as training:

* ``sample_round5_questions.jsonl``: questions from
  ``transcripts-questions.jsonl.gz`` (all years, near duplicates removed).
  They join the split of their conference's ``doc_id``, like the answers.
* ``sample_round5_temporal.jsonl``: paragraphs of documents dated from
  ``TEMPORAL_FROM`` (the held-out ``temporal_test`` months) not yet labeled.

The paragraphs chosen by the active-learning loop (``bulletin-clf select``)
are drawn separately (``scripts/select_round5.sh``). Seeded: a rerun gives the
same files. Run from the repo root: ``python scripts/sample_round5.py``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sample_for_annotation import load_pool, norm_key, shingles, write_batch, write_jsonl

SEED = 20261201
TEMPORAL_FROM = "2025-04-01"
QUESTIONS_N = 1700
TEMPORAL_N = 600
TEMPORAL_MAX_PER_DOC = 8
BATCH = 285
TEMPORAL2_N = 330  # a second random draw from the held-out months, made after the first was labeled
TEMPORAL2_MAX_PER_DOC = 14
DOUBLE_SHARE = 0.12  # second, independent annotation of this share of every new draw


def load_questions(corpus: Path) -> list[dict]:
    out = []
    with gzip.open(corpus / "transcripts-questions.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            doc = json.loads(line)
            idx = 0
            for turn in doc["turns"]:
                for text in turn["paragraphs"]:
                    out.append({"id": f"q-{doc['doc_id']}:{idx}", "doc_id": doc["doc_id"], "para_idx": idx,
                                "text": text, "date": doc["date"], "speaker": turn["speaker"],
                                "register": "question"})
                    idx += 1
    return out


def labeled_ids(root: Path) -> set[str]:
    """Ids labeled before round 5 (frozen, so that a rerun after labeling draws the same)."""
    path = root / "data" / "annotation" / "round5_prior_ids.txt"
    return set(path.read_text(encoding="utf-8").split())


def take_random(recs: list[dict], n: int, rng: random.Random, max_per_doc: int | None = None) -> list[dict]:
    recs = recs[:]
    rng.shuffle(recs)
    seen_keys: set[str] = set()
    seen_sh: set[str] = set()
    per_doc: dict[str, int] = defaultdict(int)
    out = []
    for rec in recs:
        if len(out) >= n:
            break
        key = norm_key(rec["text"])
        sh = shingles(rec["text"])
        if key in seen_keys or len(sh & seen_sh) * 2 >= len(sh):
            continue
        if max_per_doc is not None and per_doc[rec["doc_id"]] >= max_per_doc:
            continue
        seen_keys.add(key)
        seen_sh |= sh
        per_doc[rec["doc_id"]] += 1
        out.append(rec)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    root = Path(__file__).resolve().parents[1]
    parser.add_argument("--corpus", type=Path, default=root.parent / "shared" / "corpus")
    parser.add_argument("--out", type=Path, default=root / "data" / "annotation")
    args = parser.parse_args(argv)
    rng = random.Random(SEED)
    done = labeled_ids(root)
    questions = take_random([q for q in load_questions(args.corpus) if q["id"] not in done], QUESTIONS_N, rng)
    pool = [
        {k: v for k, v in r.items() if k not in ("folded", "year")} | {"register": "speech"}
        for r in load_pool(args.corpus)
        if r["date"] >= TEMPORAL_FROM and r["id"] not in done
    ]
    temporal = take_random(pool, TEMPORAL_N, rng, TEMPORAL_MAX_PER_DOC)
    batches = args.out / "batches"
    batches.mkdir(parents=True, exist_ok=True)
    for name, recs, prefix in (("questions", questions, "q"), ("temporal", temporal, "t")):
        write_jsonl(args.out / f"sample_round5_{name}.jsonl", recs)
        for i in range(0, len(recs), BATCH):
            write_batch(batches / f"{prefix}{i // BATCH + 1:02d}.txt", recs[i : i + BATCH])
    # Second annotation: a seeded random share of both draws, in one batch file.
    double = rng.sample(questions, round(DOUBLE_SHARE * len(questions))) + rng.sample(
        temporal, round(DOUBLE_SHARE * len(temporal)))
    rng.shuffle(double)
    write_batch(batches / "dq01.txt", double)
    # Its own seed, so that the draws above stay exactly as they were labeled.
    taken = {r["id"] for r in temporal}
    temporal2 = take_random([r for r in pool if r["id"] not in taken], TEMPORAL2_N, random.Random(SEED + 2),
                            TEMPORAL2_MAX_PER_DOC)
    write_jsonl(args.out / "sample_round5_temporal2.jsonl", temporal2)
    write_batch(batches / "t03.txt", temporal2)
    print(f"questions: {len(questions)}; temporal ({TEMPORAL_FROM}+): {len(temporal)}; double: {len(double)}; "
          f"temporal, second draw: {len(temporal2)}")


if __name__ == "__main__":
    main()

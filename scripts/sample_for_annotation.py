"""Draw the transcript paragraphs that annotators label (the sampling plan).

The plan, in words (data/README.md repeats it with the resulting counts):

1. Pool: every paragraph of ``transcripts-health.jsonl.gz``. The 2018 documents
   (five, December) are pooled with 2019.
2. Quotas per year, so that every year 2019-2025 is present and the 2025
   (temporal test) slice is large enough to score each label.
3. Within a year, half of the quota is a uniform random draw (this keeps the
   realistic share of paragraphs with none of the four topics: COVID-19
   epidemiology, greetings, politics), and the other half is split evenly over
   four *keyword strata*, one per label, drawn from paragraphs that contain a
   hint word of that label. Hint words only decide which paragraphs are read;
   they never decide a label (every drawn paragraph is labeled by reading).
4. At most ``MAX_PER_DOC`` paragraphs from any one document, so the sample
   spreads over many conferences and speakers.
5. Exact duplicates (after lowercasing, accent folding and dropping
   punctuation) and near duplicates (half or more of the 8-word shingles
   already drawn) are skipped: speeches repeat themselves, and repeated
   paragraphs would waste annotation and leak across splits.
6. The draw is shuffled and cut into batches; ``DOUBLE_N`` paragraphs drawn at
   random from it are copied into separate batches for a second, independent
   annotator (agreement study).

Run: ``python scripts/sample_for_annotation.py --corpus ../shared/corpus``.
Rounds 2 and 3 (``sample_round2.jsonl``, ``sample_round3.jsonl``, batches
``r*``) continue the same draw with new quotas, skipping everything earlier
rounds took. Round 4 (``sample_round4.jsonl``, batches ``s*``) draws only from
October-December 2024 with a looser per-document cap (see ``ROUND4_QUOTA``).
Deterministic for a given seed and corpus.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import unicodedata
from collections import defaultdict
from pathlib import Path

SEED = 20261123
MAX_PER_DOC = 8
BATCH_SIZE = 250
DOUBLE_N = 450
DOUBLE_BATCH = 225
YEAR_QUOTA = {
    "2019": 450,
    "2020": 550,
    "2021": 500,
    "2022": 450,
    "2023": 450,
    "2024": 450,
    "2025": 650,
}
ROUND2_QUOTA = {"2019": 70, "2020": 70, "2021": 70, "2022": 70, "2023": 70, "2024": 70, "2025": 80}
# Round 3 adds training data weighted towards the years just before the
# temporal test (no 2025: that year is held out for evaluation).
ROUND3_QUOTA = {"2019": 150, "2020": 150, "2021": 150, "2022": 200, "2023": 400, "2024": 450}
# Round 4 targets the drift the temporal test showed: only the first months of
# the administration that took office in October 2024 (its programmes, officials
# and institutions are what 2025 talks about), still before the held-out 2025.
# Those few conferences were mostly used up by the per-document cap, so this
# round allows more paragraphs per document.
ROUND4_QUOTA = {"2024": 750}
ROUND4_DATES = ("2024-10-01", "2024-12-31")
ROUND4_MAX_PER_DOC = 30
ROUND4_BATCH = 150
# Sampling hints only (accent-folded, lowercase substrings). Not labels.
HINTS = {
    "medicine_supply": [
        "abasto",
        "desabasto",
        "medicamento",
        "insumo",
        "licitaci",
        "compra consolidada",
        "oxigeno",
        "almacen",
        "receta",
        "farmac",
        "birmex",
        "jeringa",
        "adquisici",
        "dosis llegar",
        "lote de vacuna",
        "embarque",
    ],
    "human_resources": [
        "contrataci",
        "contratar",
        "plazas",
        "especialistas",
        "enfermer",
        "personal de salud",
        "residen",
        "becas",
        "basifica",
        "salario",
        "sueldo",
        "convocatoria",
        "medicos cubanos",
        "trabajadores de la salud",
        "recursos humanos",
        "formacion de medicos",
    ],
    "infrastructure": [
        "construcci",
        "rehabilita",
        "obra",
        "equipamiento",
        "camas",
        "tomograf",
        "ventilador",
        "quirofano",
        "infraestructura",
        "ampliaci",
        "mantenimiento",
        "reconversi",
        "ambulancia",
        "hospitales abandonados",
        "inaugur",
    ],
    "governance": [
        "convenio",
        "federaliza",
        "imss-bienestar",
        "imss bienestar",
        "presupuesto",
        "acuerdo",
        "coordinacion",
        "ley ",
        "decreto",
        "reglament",
        "insabi",
        "adheri",
        "auditor",
        "corrupci",
        "transparen",
        "cofepris",
        "regulaci",
        "millones de pesos",
    ],
}


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def norm_key(text: str) -> str:
    return re.sub(r"[^a-z0-9ñ]+", " ", fold(text)).strip()


def shingles(text: str, n: int = 8) -> set[str]:
    words = norm_key(text).split()
    if len(words) < n:
        return {" ".join(words)}
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


def load_pool(corpus: Path) -> list[dict]:
    pool = []
    with gzip.open(corpus / "transcripts-health.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            doc = json.loads(line)
            year = max(doc["date"][:4], "2019")
            para_idx = 0
            for turn in doc["turns"]:
                for text in turn["paragraphs"]:
                    pool.append(
                        {
                            "id": f"{doc['doc_id']}:{para_idx}",
                            "doc_id": doc["doc_id"],
                            "para_idx": para_idx,
                            "text": text,
                            "date": doc["date"],
                            "year": year,
                            "speaker": turn["speaker"],
                            "health_official": turn["health_official"],
                            "folded": fold(text),
                        }
                    )
                    para_idx += 1
    return pool


class DrawState:
    """What earlier rounds took: later rounds skip it and its near duplicates."""

    def __init__(self) -> None:
        self.seen_keys: set[str] = set()
        self.seen_shingles: set[str] = set()
        self.per_doc: dict[str, int] = defaultdict(int)


def draw(
    pool: list[dict], rng: random.Random, quotas: dict[str, int], state: DrawState, max_per_doc: int = MAX_PER_DOC
) -> list[dict]:
    by_year: dict[str, list[dict]] = defaultdict(list)
    for rec in pool:
        by_year[rec["year"]].append(rec)
    chosen: list[dict] = []
    seen_keys, seen_shingles, per_doc = state.seen_keys, state.seen_shingles, state.per_doc

    def try_take(rec: dict, stratum: str) -> bool:
        key = norm_key(rec["text"])
        if key in seen_keys or per_doc[rec["doc_id"]] >= max_per_doc:
            return False
        sh = shingles(rec["text"])
        if len(sh & seen_shingles) * 2 >= len(sh):
            return False
        seen_keys.add(key)
        seen_shingles.update(sh)
        per_doc[rec["doc_id"]] += 1
        chosen.append({k: v for k, v in rec.items() if k != "folded"} | {"stratum": stratum})
        return True

    for year in sorted(quotas):
        recs = by_year[year]
        quota = quotas[year]
        per_label = quota // 8
        for label, words in HINTS.items():
            hits = [r for r in recs if any(w in r["folded"] for w in words)]
            rng.shuffle(hits)
            taken = 0
            for rec in hits:
                if taken >= per_label:
                    break
                taken += try_take(rec, f"hint:{label}")
        target = len([c for c in chosen if c["year"] == year])
        target = quota - target
        shuffled = recs[:]
        rng.shuffle(shuffled)
        taken = 0
        for rec in shuffled:
            if taken >= target:
                break
            taken += try_take(rec, "random")
    return chosen


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("../shared/corpus"))
    parser.add_argument("--out", type=Path, default=Path("data/annotation"))
    args = parser.parse_args(argv)
    rng = random.Random(SEED)
    pool = load_pool(args.corpus)
    state = DrawState()
    chosen = draw(pool, rng, YEAR_QUOTA, state)
    rng.shuffle(chosen)
    args.out.mkdir(parents=True, exist_ok=True)
    write_jsonl(args.out / "sample.jsonl", chosen)
    batches = args.out / "batches"
    batches.mkdir(exist_ok=True)
    for i in range(0, len(chosen), BATCH_SIZE):
        write_batch(batches / f"b{i // BATCH_SIZE + 1:02d}.txt", chosen[i : i + BATCH_SIZE])
    double = rng.sample(chosen, DOUBLE_N)
    for j in range(0, DOUBLE_N, DOUBLE_BATCH):
        write_batch(batches / f"d{j // DOUBLE_BATCH + 1:02d}.txt", double[j : j + DOUBLE_BATCH])
    # Round 2, drawn after round 1 was under way to add training data: same
    # plan, new paragraphs only (round 1 and its near duplicates excluded).
    extra = draw(pool, rng, ROUND2_QUOTA, state)
    rng.shuffle(extra)
    write_jsonl(args.out / "sample_round2.jsonl", extra)
    for i in range(0, len(extra), BATCH_SIZE):
        write_batch(batches / f"r{i // BATCH_SIZE + 1:02d}.txt", extra[i : i + BATCH_SIZE])
    extra3 = draw(pool, rng, ROUND3_QUOTA, state)
    rng.shuffle(extra3)
    write_jsonl(args.out / "sample_round3.jsonl", extra3)
    first = len(extra) // BATCH_SIZE + 1
    for i in range(0, len(extra3), BATCH_SIZE):
        write_batch(batches / f"r{first + i // BATCH_SIZE:02d}.txt", extra3[i : i + BATCH_SIZE])
    recent = [r for r in pool if ROUND4_DATES[0] <= r["date"] <= ROUND4_DATES[1]]
    extra4 = draw(recent, rng, ROUND4_QUOTA, state, max_per_doc=ROUND4_MAX_PER_DOC)
    rng.shuffle(extra4)
    write_jsonl(args.out / "sample_round4.jsonl", extra4)
    for i in range(0, len(extra4), ROUND4_BATCH):
        write_batch(batches / f"s{i // ROUND4_BATCH + 1:02d}.txt", extra4[i : i + ROUND4_BATCH])
    print(f"drew {len(chosen)} paragraphs; {DOUBLE_N} copied for double annotation; "
          f"round 2: {len(extra)}; round 3: {len(extra3)}; round 4: {len(extra4)}")


def write_jsonl(path: Path, recs: list[dict]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for rec in recs:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")


def write_batch(path: Path, recs: list[dict]) -> None:
    # Annotators see id and text only: no stratum, speaker or hint words.
    with open(path, "w", encoding="utf-8") as fh:
        for rec in recs:
            fh.write(f"[{rec['id']}]\n{rec['text']}\n\n")


if __name__ == "__main__":
    main()

"""Build ``data/gold/*.jsonl`` from the annotators' raw files, and the figures
of the dataset card.

Inputs (all in the repo, plus ``../shared/corpus/seeds`` for seed texts):

* ``data/annotation/sample.jsonl``, ``sample_round*.jsonl``: drawn paragraphs
  with their document, date and speaker (see ``sample_for_annotation.py``).
* ``data/annotation/raw/b*.jsonl``, ``r*.jsonl``, ``s*.jsonl``: first annotation of every
  drawn paragraph; ``d*.jsonl``: independent second annotation of 450 of them;
  ``adjudicated.jsonl``: the decision on every paragraph where the two
  disagreed.
* ``scripts/seed_labels.py``: labels of the seed bulletins' paragraphs.

Splits: documents dated 2025 form ``temporal_test``; the other documents are
grouped so that near-duplicate paragraphs share a group, and each group goes
to train / validation / test (70 / 15 / 15) by a hash of its first document
id. Near duplicates between a 2025 paragraph and an older one are removed
from the older side.

Run: ``python scripts/build_dataset.py`` (from the repo root).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from seed_labels import SEEDS

from bulletin_clf._labels import GUIDE_VERSION, LABELS
from bulletin_clf.data import SPLITS, near_duplicate_pairs, record_problem
from bulletin_clf.read import read_text
from bulletin_clf.segment import segment

ROOT = Path(__file__).resolve().parents[1]
ANN = ROOT / "data" / "annotation"
SPLIT_SALT = "bulletin_clf-splits-v1"


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_annotations(prefixes: tuple[str, ...]) -> dict[str, tuple[str, list[str]]]:
    out: dict[str, tuple[str, list[str]]] = {}
    for path in sorted((ANN / "raw").glob("*.jsonl")):
        if not path.name.startswith(prefixes):
            continue
        for rec in read_jsonl(path):
            labels = sorted(set(rec["labels"]))
            bad = [x for x in labels if x not in LABELS]
            if bad:
                raise SystemExit(f"{path}: {rec['id']}: unknown label {bad[0]!r}")
            if rec["id"] in out:
                raise SystemExit(f"{path}: {rec['id']} annotated twice in the same role")
            out[rec["id"]] = (f"agent:{path.stem}", labels)
    return out


def seed_records(seeds_dir: Path) -> list[dict]:
    out = []
    for stem, spec in SEEDS.items():
        paras = segment(read_text(seeds_dir / f"{stem}.txt")).paragraphs
        expected = spec["paragraphs"]
        if len(paras) != len(expected):
            raise SystemExit(f"seed {stem}: segmenter found {len(paras)} paragraphs, labels are for {len(expected)}")
        for i, (text, (opening, labels)) in enumerate(zip(paras, expected, strict=True)):
            if not text.startswith(opening):
                raise SystemExit(f"seed {stem} paragraph {i}: expected {opening!r}, got {text[:60]!r}")
            out.append({
                "id": f"seed-{stem}:{i}", "doc_id": f"seed-{stem}", "para_idx": i, "text": text,
                "labels": sorted(labels), "source": "seed", "date": spec["date"],
                "annotator": "maintainer", "guide_version": GUIDE_VERSION,
            })
    return out


def kappa_table(first: dict, second: dict) -> dict:
    from sklearn.metrics import cohen_kappa_score, f1_score

    ids = sorted(set(first) & set(second))
    out: dict = {"n": len(ids), "per_label": {}}
    for label in LABELS:
        a = [int(label in first[i][1]) for i in ids]
        b = [int(label in second[i][1]) for i in ids]
        out["per_label"][label] = {
            "kappa": round(float(cohen_kappa_score(a, b)), 3),
            "f1": round(float(f1_score(a, b, zero_division=0)), 3),
            "positives_first": sum(a), "positives_second": sum(b),
        }
    out["macro_kappa"] = round(sum(v["kappa"] for v in out["per_label"].values()) / len(LABELS), 3)
    out["macro_f1"] = round(sum(v["f1"] for v in out["per_label"].values()) / len(LABELS), 3)
    out["exact_set_agreement"] = round(sum(first[i][1] == second[i][1] for i in ids) / max(len(ids), 1), 3)
    return out


def assign_splits(records: list[dict]) -> tuple[dict[str, str], set[str]]:
    """Doc -> split, and ids of older paragraphs dropped as near duplicates of 2025 ones."""
    temporal = {r["doc_id"] for r in records if (r["date"] or "") >= "2025-01-01"}
    parent: dict[str, str] = {r["doc_id"]: r["doc_id"] for r in records}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    dropped: set[str] = set()
    for i, j in near_duplicate_pairs([r["text"] for r in records]):
        a, b = records[i], records[j]
        ta, tb = a["doc_id"] in temporal, b["doc_id"] in temporal
        if ta != tb:
            dropped.add(b["id"] if ta else a["id"])
        elif not ta:
            ra, rb = find(a["doc_id"]), find(b["doc_id"])
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    split_of = {}
    for doc in parent:
        if doc in temporal:
            split_of[doc] = "temporal_test"
            continue
        bucket = int(hashlib.sha256(f"{SPLIT_SALT}:{find(doc)}".encode()).hexdigest()[:8], 16) % 100
        split_of[doc] = "train" if bucket < 70 else "validation" if bucket < 85 else "test"
    return split_of, dropped


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=Path, default=ROOT.parent / "shared" / "corpus" / "seeds")
    parser.add_argument("--allow-partial", action="store_true", help="skip drawn paragraphs not yet annotated")
    args = parser.parse_args(argv)

    drawn = read_jsonl(ANN / "sample.jsonl")
    for extra in sorted(ANN.glob("sample_round*.jsonl")):
        drawn += read_jsonl(extra)
    first = load_annotations(("b", "r", "s"))
    second = load_annotations(("d",))
    adjudicated = {r["id"]: r for r in read_jsonl(ANN / "adjudicated.jsonl")} if (ANN / "adjudicated.jsonl").exists() else {}

    records = []
    missing = 0
    for rec in drawn:
        if rec["id"] not in first:
            missing += 1
            continue
        who, labels = first[rec["id"]]
        if rec["id"] in second:
            who2, labels2 = second[rec["id"]]
            if labels2 == labels:
                who = f"{who}+{who2} (agreed)"
            elif rec["id"] in adjudicated:
                labels = sorted(adjudicated[rec["id"]]["labels"])
                who = f"{who}+{who2}, adjudicated by {adjudicated[rec['id']]['annotator']}"
            elif not args.allow_partial:
                raise SystemExit(f"{rec['id']}: annotators disagree and there is no adjudication")
        records.append({
            "id": rec["id"], "doc_id": rec["doc_id"], "para_idx": rec["para_idx"], "text": rec["text"],
            "labels": labels, "source": "transcript", "date": rec["date"], "annotator": who,
            "guide_version": GUIDE_VERSION,
        })
    if missing and not args.allow_partial:
        raise SystemExit(f"{missing} drawn paragraphs have no annotation yet (use --allow-partial to skip them)")
    records += seed_records(args.seeds)
    for r in records:
        problem = record_problem(r)
        if problem:
            raise SystemExit(f"{r['id']}: {problem}")

    split_of, dropped = assign_splits(records)
    by_split: dict[str, list[dict]] = defaultdict(list)
    for r in records:
        if r["id"] not in dropped:
            by_split[split_of[r["doc_id"]]].append(r)
    gold = ROOT / "data" / "gold"
    gold.mkdir(parents=True, exist_ok=True)
    for split in SPLITS:
        rows = sorted(by_split[split], key=lambda r: (r["doc_id"], r["para_idx"]))
        (gold / f"{split}.jsonl").write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
        )
    agreement = kappa_table(first, second)
    agreement["disagreements"] = sum(first[i][1] != second[i][1] for i in set(first) & set(second))
    agreement["adjudicated"] = len(adjudicated)
    (ROOT / "data" / "agreement.json").write_text(json.dumps(agreement, indent=2) + "\n", encoding="utf-8")
    write_card_figures(by_split, agreement, dropped, missing)
    print(f"wrote {sum(len(v) for v in by_split.values())} gold records; dropped {len(dropped)} near duplicates")


def write_card_figures(by_split: dict[str, list[dict]], agreement: dict, dropped: set[str], missing: int) -> None:
    lines = ["<!-- figures:start (generated by scripts/build_dataset.py; do not edit) -->", ""]
    total = sum(len(v) for v in by_split.values())
    lines.append(f"Gold records: **{total}** ({sum(r['source'] == 'seed' for v in by_split.values() for r in v)} from the seed bulletins). "
                 f"Near duplicates of 2025 paragraphs removed from older splits: {len(dropped)}."
                 + (f" Not yet annotated (skipped): {missing}." if missing else ""))
    lines += ["", "| split | paragraphs | documents | " + " | ".join(LABELS) + " | none of the four |",
              "|---|---|---|" + "---|" * (len(LABELS) + 1)]
    for split in SPLITS:
        rows = by_split[split]
        c = Counter(label for r in rows for label in r["labels"])
        none = sum(not r["labels"] for r in rows)
        lines.append(f"| {split} | {len(rows)} | {len({r['doc_id'] for r in rows})} | "
                     + " | ".join(str(c[label]) for label in LABELS) + f" | {none} ({none / max(len(rows), 1):.0%}) |")
    allrows = [r for v in by_split.values() for r in v]
    c = Counter(label for r in allrows for label in r["labels"])
    none = sum(not r["labels"] for r in allrows)
    lines.append(f"| **all** | {len(allrows)} | {len({r['doc_id'] for r in allrows})} | "
                 + " | ".join(str(c[label]) for label in LABELS) + f" | {none} ({none / max(len(allrows), 1):.0%}) |")
    years = Counter(r["date"][:4] if r["date"] else "undated" for r in allrows)
    lines += ["", "Paragraphs per year: " + ", ".join(f"{y}: {n}" for y, n in sorted(years.items())) + "."]
    nlab = Counter(len(r["labels"]) for r in allrows)
    lines += ["", "Labels per paragraph: " + ", ".join(f"{k}: {nlab[k]}" for k in sorted(nlab)) + "."]
    lines += ["", f"Agreement between two independent annotators on {agreement['n']} paragraphs "
              f"(exact same label set: {agreement['exact_set_agreement']:.1%}; "
              f"{agreement['disagreements']} disagreements, {agreement['adjudicated']} adjudicated):", "",
              "| label | Cohen's kappa | F1 between annotators | positives (1st / 2nd) |", "|---|---|---|---|"]
    for label, v in agreement["per_label"].items():
        lines.append(f"| {label} | {v['kappa']:.3f} | {v['f1']:.3f} | {v['positives_first']} / {v['positives_second']} |")
    lines.append(f"| **macro** | {agreement['macro_kappa']:.3f} | {agreement['macro_f1']:.3f} | |")
    lines += ["", "<!-- figures:end -->"]
    card = ROOT / "data" / "README.md"
    text = card.read_text(encoding="utf-8") if card.exists() else "<!-- figures:start -->\n<!-- figures:end -->\n"
    start, end = text.index("<!-- figures:start"), text.index("<!-- figures:end -->") + len("<!-- figures:end -->")
    card.write_text(text[:start] + "\n".join(lines) + text[end:], encoding="utf-8")


if __name__ == "__main__":
    main()

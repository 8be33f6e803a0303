"""Build ``data/gold/*.jsonl`` from the annotators' raw files, and the figures
of the dataset card.

Inputs (all in the repo, plus ``../shared/corpus/seeds`` for seed texts):

* drawn paragraphs with their document, date and register:
  ``data/annotation/sample*.jsonl`` (random draws: rounds 1-4, round-5
  questions and latest months), ``select_round5_*.jsonl`` (chosen by
  ``bulletin-clf select``; ``*_random.jsonl`` are its same-pool random
  controls) and ``written/harvest_*.jsonl`` (official written releases,
  each paragraph with its ``url`` and ``date``);
* first annotations ``data/annotation/raw/{b,r,s}*.jsonl`` (guide v2) and
  ``raw5/{q,t,a,c,w}*.jsonl`` (guide v3); second, independent annotations
  ``raw/d*.jsonl`` and ``raw5/d*.jsonl``; ``adjudicated.jsonl``: the decision
  on every paragraph where the two disagreed;
* ``raw5/v*.jsonl``: the re-reading under guide v3 of the older gold
  paragraphs that fall under its new rules (``scripts/v3_candidates.py``);
* ``scripts/seed_labels.py``: labels of the seed bulletins' paragraphs.

Splits, all by document:
* ``temporal_test``: speech and questions dated from ``TEMPORAL_FROM``;
* ``written_test``: written releases (the seed bulletins and the harvested
  ones) whose document hashes outside the ``WRITTEN_TRAIN_PCT`` share;
* the rest is grouped so that near-duplicate paragraphs share a group, and
  each group goes to train / validation / test (70 / 15 / 15) by a hash of
  its first document id, except groups holding a paragraph chosen by
  ``select``, which go to train: evaluation splits stay random samples.
Near duplicates between a temporal paragraph and an older one are removed
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

from bulletin_clf._labels import LABELS
from bulletin_clf.data import SPLITS, TEMPORAL_FROM, near_duplicate_pairs, record_problem
from bulletin_clf.read import read_text
from bulletin_clf.segment import segment

ROOT = Path(__file__).resolve().parents[1]
ANN = ROOT / "data" / "annotation"
SPLIT_SALT = "bulletin_clf-splits-v1"
WRITTEN_TRAIN_PCT = 40  # share of written-release documents that train; the rest is held out
FIRST_V2, FIRST_V3 = ("b", "r", "s"), ("q", "t", "a", "c", "w")  # first-annotation batch prefixes


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_annotations(folder: str, prefixes: tuple[str, ...]) -> dict[str, tuple[str, list[str], dict]]:
    """id -> (annotator, labels, raw record) of every batch file in ``folder`` with one of ``prefixes``."""
    out: dict[str, tuple[str, list[str], dict]] = {}
    tag = "" if folder == "raw" else "r5-"
    for path in sorted((ANN / folder).glob("*.jsonl")) if (ANN / folder).is_dir() else []:
        if not path.name.startswith(prefixes):
            continue
        for rec in read_jsonl(path):
            labels = sorted(set(rec["labels"]))
            bad = [x for x in labels if x not in LABELS]
            if bad:
                raise SystemExit(f"{path}: {rec['id']}: unknown label {bad[0]!r}")
            if rec["id"] in out:
                raise SystemExit(f"{path}: {rec['id']} annotated twice in the same role")
            out[rec["id"]] = (f"agent:{tag}{path.stem}", labels, rec)
    return out


def drawn_records() -> list[dict]:
    """Every paragraph drawn for annotation, with its register and how it was chosen."""
    out = []
    files = sorted(ANN.glob("sample*.jsonl")) + sorted(ANN.glob("select_round*.jsonl"))
    files += sorted((ANN / "written").glob("harvest_*.jsonl"))
    for path in files:
        origin = "select" if path.name.startswith("select_") and not path.stem.endswith("_random") else "random"
        for rec in read_jsonl(path):
            rid = rec["id"]
            register = rec.get("register") or (
                "question" if rid.startswith("q-") else "written" if rid.startswith("w-") else "speech")
            out.append(rec | {"register": register, "origin": origin, "round": 5 if "round5" in path.name
                              or path.parent.name == "written" else 4})
    ids = Counter(r["id"] for r in out)
    dup = [i for i, n in ids.items() if n > 1]
    if dup:
        raise SystemExit(f"{dup[0]}: drawn twice")
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
                "annotator": "maintainer", "guide_version": 2, "register": "written",
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
    """Doc -> split, and ids of older paragraphs dropped as near duplicates of temporal ones."""
    temporal = {r["doc_id"] for r in records if r["register"] != "written" and (r["date"] or "") >= TEMPORAL_FROM}
    written = {r["doc_id"] for r in records if r["register"] == "written"}
    selected = {r["doc_id"] for r in records if r.get("origin") == "select"}
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
    forced_train = {find(doc) for doc in selected if doc not in temporal}
    split_of = {}
    for doc in parent:
        root = find(doc)
        bucket = int(hashlib.sha256(f"{SPLIT_SALT}:{root}".encode()).hexdigest()[:8], 16) % 100
        if doc in temporal:
            split_of[doc] = "temporal_test"
        elif root in forced_train:
            split_of[doc] = "train"
        elif doc in written:
            split_of[doc] = "train" if bucket < WRITTEN_TRAIN_PCT else "written_test"
        else:
            split_of[doc] = "train" if bucket < 70 else "validation" if bucket < 85 else "test"
    # A group is one split: a written or temporal doc near-duplicating train text joins train's side.
    for doc in parent:
        if split_of[doc] == "written_test" and split_of[find(doc)] != "written_test":
            split_of[doc] = split_of[find(doc)]
    return split_of, dropped


# The v3 rules as data/README.md names them, and words by which a re-reader's citation is matched to one.
V3_RULES = [  # first match wins: the pharmacy rule also speaks of buildings
    ("Pharmacies", ("pharmac",)),
    ("Labour disputes are human_resources", ("labour", "strike", "paro", "union")),
    ("Shortage complaints are medicine_supply", ("shortage complaint",)),
    ("Regulatory alerts are governance", ("regulatory", "alert", "recall", "inspection")),
    ("Vaccines: available vs applied", ("vaccin",)),
    ("Officials named are not governance", ("official",)),
    ("A building can be the subject of praise (and the network of units is infrastructure)",
     ("building", "network", "stock of units")),
    ("Staff counts inside a programme are human_resources", ("staff count",)),
    ("Lists", ("list",)),
    ("Audits", ("audit",)),
    ("Access schemes are governance", ("access",)),
]


def canonical_rule(cited: str) -> str:
    low = cited.lower()
    return next((name for name, words in V3_RULES if any(w in low for w in words)), f"other: {cited}")


def apply_v3(records: list[dict], rereads: dict[str, tuple[str, list[str], dict]]) -> list[dict]:
    """Apply the v3 re-reading to older records; returns the list of changes."""
    changes = []
    for r in records:
        if r["id"] not in rereads:
            continue
        who, labels, raw = rereads[r["id"]]
        if labels != r["labels"]:
            changes.append({"id": r["id"], "old": r["labels"], "new": labels,
                            "rule": canonical_rule(raw.get("rule", "unstated")), "cited": raw.get("rule", ""),
                            "note": raw.get("note", ""), "by": who})
            r["annotator"] = f"{r['annotator']}; v3 re-read by {who}"
            r["labels"] = labels
        else:
            r["annotator"] = f"{r['annotator']}; v3 re-read by {who} (unchanged)"
        r["guide_version"] = 3
    return changes


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=Path, default=ROOT.parent / "shared" / "corpus" / "seeds")
    parser.add_argument("--allow-partial", action="store_true", help="skip drawn paragraphs not yet annotated")
    parser.add_argument("--guide", type=Path, default=ROOT.parent / "shared" / "labeling-guide.md",
                        help="the labeling guide the labels follow (copied to docs/ and into the package)")
    args = parser.parse_args(argv)

    drawn = drawn_records()
    first = load_annotations("raw", FIRST_V2) | load_annotations("raw5", FIRST_V3)
    second = load_annotations("raw", ("d",)) | load_annotations("raw5", ("d",))
    rereads = load_annotations("raw5", ("v",))
    adjudicated = {r["id"]: r for r in read_jsonl(ANN / "adjudicated.jsonl")} if (ANN / "adjudicated.jsonl").exists() else {}
    for rid, (who, labels, _) in load_annotations("raw5", ("x",)).items():  # round-5 adjudications
        adjudicated[rid] = {"id": rid, "labels": labels, "annotator": who}

    records = []
    missing: Counter[str] = Counter()
    for rec in drawn:
        if rec["id"] not in first:
            missing[rec["register"]] += 1
            continue
        who, labels, _ = first[rec["id"]]
        if rec["id"] in second:
            who2, labels2, _ = second[rec["id"]]
            if labels2 == labels:
                who = f"{who}+{who2} (agreed)"
            elif rec["id"] in adjudicated:
                labels = sorted(adjudicated[rec["id"]]["labels"])
                who = f"{who}+{who2}, adjudicated by {adjudicated[rec['id']]['annotator']}"
            elif not args.allow_partial:
                raise SystemExit(f"{rec['id']}: annotators disagree and there is no adjudication")
        out = {
            "id": rec["id"], "doc_id": rec["doc_id"], "para_idx": rec["para_idx"], "text": rec["text"],
            "labels": labels, "source": "written" if rec["register"] == "written" else "transcript",
            "date": rec["date"], "annotator": who, "guide_version": 3 if rec["round"] == 5 else 2,
            "register": rec["register"],
        }
        if rec.get("url"):
            out["url"] = rec["url"]
        records.append(out | {"origin": rec["origin"]})
    if missing and not args.allow_partial:
        raise SystemExit(f"{sum(missing.values())} drawn paragraphs have no annotation yet (use --allow-partial to skip them)")
    records += seed_records(args.seeds)
    changes = apply_v3(records, rereads)
    for r in records:
        problem = record_problem({k: v for k, v in r.items() if k != "origin"})
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
        rows = sorted(by_split[split], key=lambda r: (r["doc_id"], r["para_idx"], r["id"]))
        (gold / f"{split}.jsonl").write_text(
            "".join(json.dumps({k: v for k, v in r.items() if k != "origin"}, ensure_ascii=False) + "\n"
                    for r in rows), encoding="utf-8")
    register_of = {r["id"]: r["register"] for r in records}
    agreement = kappa_table(first, second)
    agreement["disagreements"] = sum(first[i][1] != second[i][1] for i in set(first) & set(second))
    agreement["adjudicated"] = len(adjudicated)
    agreement["by_register"] = {}
    for register in ("speech", "question", "written"):
        ids = {i for i in set(first) & set(second) if register_of.get(i) == register}
        if ids:
            agreement["by_register"][register] = kappa_table({i: first[i] for i in ids}, {i: second[i] for i in ids})
    (ROOT / "data" / "agreement.json").write_text(json.dumps(agreement, indent=2) + "\n", encoding="utf-8")
    (ANN / "v3_changes.jsonl").write_text(
        "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in changes), encoding="utf-8")
    write_card_figures(by_split, agreement, dropped, missing, changes, len(rereads))
    write_package_copy(args.guide)
    print(f"wrote {sum(len(v) for v in by_split.values())} gold records; dropped {len(dropped)} near duplicates; "
          f"v3 re-read {len(rereads)}, changed {len(changes)}")


def write_package_copy(guide: Path) -> None:
    """What pip users get: the gold splits gzipped, the data card and the labeling guide.

    Written into ``src/bulletin_clf/resources/data`` (package data) with fixed
    gzip timestamps, so a rebuild from the same data is byte-identical; the
    guide is also copied to ``docs/labeling-guide.md`` for readers of the repo.
    """
    import gzip
    import shutil

    pkg = ROOT / "src" / "bulletin_clf" / "resources" / "data"
    (pkg / "gold").mkdir(parents=True, exist_ok=True)
    for split in SPLITS:
        raw = (ROOT / "data" / "gold" / f"{split}.jsonl").read_bytes()
        with open(pkg / "gold" / f"{split}.jsonl.gz", "wb") as fh, \
                gzip.GzipFile(filename="", mode="wb", fileobj=fh, mtime=0, compresslevel=9) as gz:
            gz.write(raw)
    shutil.copyfile(ROOT / "data" / "README.md", pkg / "README.md")
    docs = ROOT / "docs"
    docs.mkdir(exist_ok=True)
    if guide.is_file():
        shutil.copyfile(guide, docs / "labeling-guide.md")
    shutil.copyfile(docs / "labeling-guide.md", pkg / "labeling-guide.md")


def write_card_figures(by_split: dict[str, list[dict]], agreement: dict, dropped: set[str], missing: Counter,
                       changes: list[dict], n_reread: int) -> None:
    lines = ["<!-- figures:start (generated by scripts/build_dataset.py; do not edit) -->", ""]
    allrows = [r for v in by_split.values() for r in v]
    total = len(allrows)
    lines.append(f"Gold records: **{total}** ({sum(r['source'] == 'seed' for r in allrows)} from the seed bulletins). "
                 f"Near duplicates of temporal-test paragraphs removed from older splits: {len(dropped)}."
                 + (f" Not yet annotated (skipped): {sum(missing.values())}." if missing else ""))
    lines += ["", "| split | register | paragraphs | documents | " + " | ".join(LABELS) + " | none of the four |",
              "|---|---|---|---|" + "---|" * (len(LABELS) + 1)]

    def row(split: str, register: str, rows: list[dict]) -> str:
        c = Counter(label for r in rows for label in r["labels"])
        none = sum(not r["labels"] for r in rows)
        return (f"| {split} | {register} | {len(rows)} | {len({r['doc_id'] for r in rows})} | "
                + " | ".join(str(c[label]) for label in LABELS) + f" | {none} ({none / max(len(rows), 1):.0%}) |")

    for split in SPLITS:
        for register in ("speech", "question", "written"):
            rows = [r for r in by_split[split] if r["register"] == register]
            if rows:
                lines.append(row(split, register, rows))
    lines.append(row("**all**", "all", allrows))
    years = Counter(r["date"][:4] if r["date"] else "undated" for r in allrows)
    lines += ["", "Paragraphs per year: " + ", ".join(f"{y}: {n}" for y, n in sorted(years.items())) + "."]
    origin = Counter((r["register"], r.get("origin", "random")) for r in allrows)
    lines += ["", "How paragraphs were chosen: " + ", ".join(
        f"{reg} {how} {n}" for (reg, how), n in sorted(origin.items())) + " (`select`: chosen by `bulletin-clf select`)."]
    gv = Counter(r["guide_version"] for r in allrows)
    lines += ["", "Guide version of the labels: " + ", ".join(f"v{k}: {gv[k]}" for k in sorted(gv)) + "."]
    nlab = Counter(len(r["labels"]) for r in allrows)
    lines += ["", "Labels per paragraph: " + ", ".join(f"{k}: {nlab[k]}" for k in sorted(nlab)) + "."]
    lines += ["", f"Agreement between two independent annotators on {agreement['n']} paragraphs "
              f"(exact same label set: {agreement['exact_set_agreement']:.1%}; "
              f"{agreement['disagreements']} disagreements, {agreement['adjudicated']} adjudicated):", "",
              "| register | n | " + " | ".join(f"{label} κ" for label in LABELS) + " | macro κ | macro F1 | same set |",
              "|---|---|" + "---|" * (len(LABELS) + 3)]
    for register, t in [("all", agreement), *agreement.get("by_register", {}).items()]:
        lines.append(f"| {register} | {t['n']} | " + " | ".join(f"{t['per_label'][label]['kappa']:.3f}" for label in LABELS)
                     + f" | {t['macro_kappa']:.3f} | {t['macro_f1']:.3f} | {t['exact_set_agreement']:.1%} |")
    per_rule = Counter(c["rule"] for c in changes)
    lines += ["", f"Guide v3 re-reading: {n_reread} older gold paragraphs that fall under the v3 rules "
              f"(found by `scripts/v3_candidates.py`, then read) were re-read; {len(changes)} changed "
              "(`data/annotation/v3_changes.jsonl`):", "", "| v3 rule cited | changes |", "|---|---|"]
    lines += [f"| {rule} | {n} |" for rule, n in per_rule.most_common()] or ["| (none) | 0 |"]
    lines += ["", "<!-- figures:end -->"]
    card = ROOT / "data" / "README.md"
    text = card.read_text(encoding="utf-8") if card.exists() else "<!-- figures:start -->\n<!-- figures:end -->\n"
    start, end = text.index("<!-- figures:start"), text.index("<!-- figures:end -->") + len("<!-- figures:end -->")
    card.write_text(text[:start] + "\n".join(lines) + text[end:], encoding="utf-8")


if __name__ == "__main__":
    main()

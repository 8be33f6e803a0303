"""Write the README's generated blocks from the files that hold the figures.

* ``readme:record``: the first record that ``bulletin-clf tag`` prints for
  example release 003, with the shipped model (so the example is real).
* ``readme:figures``: quality by held-out register from
  ``experiments/default_metrics.json`` (the ``metrics.json`` of
  ``bulletin-clf train experiments/default.yaml``, which never saw the held-out
  splits; ``--metrics PATH`` copies a fresh one there first), annotator
  agreement from ``data/agreement.json``, and speed from
  ``benchmarks/results.json`` when the benchmark has been run.

``--check`` exits 1 when the README differs from what would be written (the
tests run it), so no figure in the README drifts from its source.
Run from the repo root: ``python scripts/update_readme.py``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from bulletin_clf._labels import LABELS  # noqa: E402

README = ROOT / "README.md"
METRICS = ROOT / "experiments" / "default_metrics.json"
RELEASE = "examples/seeds/003_9977f2cffea54f7a.txt"
TARGET_MACRO, TARGET_LABEL, TARGET_NONE = 0.82, 0.72, 0.08


def record_block() -> str:
    import os

    from bulletin_clf import load
    from bulletin_clf.tag import collect_input_files, iter_tagged_lines

    here = os.getcwd()
    os.chdir(ROOT)  # the source path is printed as given, relative to the repo
    try:
        doc = next(iter_tagged_lines(collect_input_files([RELEASE]), tagger=load()))
    finally:
        os.chdir(here)
    return "```json\n" + doc.lines.decode("utf-8").splitlines()[0] + "\n```"


def figures_block() -> str:
    from bulletin_clf.train import held_out

    m = json.loads(METRICS.read_text(encoding="utf-8"))
    sets = held_out(m)
    agreement = json.loads((ROOT / "data" / "agreement.json").read_text(encoding="utf-8"))
    lines = [
        f"Quality, from `experiments/default_metrics.json` (written by `bulletin-clf train experiments/default.yaml`: "
        f"the chosen design `{m['config']}` trained on train + validation, {m['n_train']:,} paragraphs; it never "
        "saw these held-out sets, all split by document). Macro-F1 averages the four labels; *none given a "
        "topic* is the share of paragraphs about none of the topics that get one.",
        "",
        "| held-out set | paragraphs | macro-F1 | " + " | ".join(LABELS) + " | none given a topic |",
        "|---|---|---|" + "---|" * (len(LABELS) + 1),
    ]
    what = {"speech": "speech (`test`)", "questions": "reporters' questions (`test`)",
            "temporal": "2025-04 to 2025-06 (`temporal_test`)", "written": "written releases (`written_test`)"}
    missed = []
    for name, s in sets.items():
        lines.append(f"| {what.get(name, name)} | {s['n']:,} | **{s['macro']['f1']:.3f}** | "
                     + " | ".join(f"{s['per_label'][label]['f1']:.3f}" for label in LABELS)
                     + f" | {s['none_given_topic']:.1%} of {s['n_none']:,} |")
        if s["macro"]["f1"] < TARGET_MACRO:
            missed.append(f"macro-F1 on {name} ({s['macro']['f1']:.3f} < {TARGET_MACRO})")
        low = [label for label in LABELS if s["per_label"][label]["f1"] < TARGET_LABEL]
        if low:
            missed.append(f"{', '.join(low)} on {name} (< {TARGET_LABEL})")
    written = sets.get("written")
    if written and written["none_given_topic"] > TARGET_NONE:
        missed.append(f"none-paragraphs of written releases given a topic ({written['none_given_topic']:.1%} "
                      f"> {TARGET_NONE:.0%})")
    lines += ["", f"Two annotators agree at macro-F1 {agreement['macro_f1']:.3f} (macro kappa "
              f"{agreement['macro_kappa']:.3f}, {agreement['n']:,} paragraphs labeled twice; by register in "
              "`data/README.md`), so the model is well short of human agreement."]
    if missed:
        lines += ["", f"**Targets missed** (macro-F1 ≥ {TARGET_MACRO} on every register, every label ≥ "
                  f"{TARGET_LABEL}, at most {TARGET_NONE:.0%} of written none-paragraphs given a topic): "
                  + "; ".join(missed) + "."]
    lines += ["", "What the training data covers: speech from 2019 to 2025-03 (most of it), reporters' questions, "
              "and 319 paragraphs of written releases, almost all from state health secretariats (Guanajuato, "
              "Tamaulipas); no press coverage. Expect the written and question figures to be the closest to "
              "what you will see on releases, and all per-label figures on `written_test` (19 to 54 positives "
              "per label) to be noisy. The shipped model is the same design trained on every split, so it has "
              "seen the held-out paragraphs too and has no held-out figure of its own; all designs compared are "
              "in `experiments/RESULTS.md`."]
    bench = ROOT / "benchmarks" / "results.json"
    if bench.is_file():
        b = json.loads(bench.read_text(encoding="utf-8"))
        lines += ["", "Speed and size, from `benchmarks/RESULTS.md` (written by `python benchmarks/bench.py`; "
                  "medians of repeated runs on a 2-core machine, each against a peer measured in the same run):", ""]
        lines += [f"- {line}" for line in b.get("headline", [])]
    return "\n".join(lines)


def replace_block(text: str, name: str, body: str) -> str:
    start = f"<!-- readme:{name}:start"
    end = f"<!-- readme:{name}:end -->"
    i, j = text.index(start), text.index(end)
    head = text[i : text.index("-->", i) + 3]
    return text[:i] + head + "\n" + body + "\n" + text[j:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--metrics", type=Path, help="metrics.json of a fresh default run, copied into experiments/")
    parser.add_argument("--check", action="store_true", help="exit 1 if the README is not up to date")
    args = parser.parse_args(argv)
    if args.metrics is not None and not args.check:
        shutil.copyfile(args.metrics, METRICS)
    text = README.read_text(encoding="utf-8")
    new = replace_block(replace_block(text, "record", record_block()), "figures", figures_block())
    if args.check:
        if new != text:
            print("README.md is out of date: run python scripts/update_readme.py", file=sys.stderr)
            return 1
        return 0
    README.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

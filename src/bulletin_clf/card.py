"""``MODEL_CARD.md``: what a model is for, what it was trained on, how well it does, where it fails.

Written by ``train`` into every model directory (and hashed into its
manifest). Every figure comes from the training run itself: the data it was
fitted on, counted by register and date, and the held-out splits it did not
see; nothing is typed in by hand.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._labels import GUIDE_VERSION, LABELS
from ._version import __version__

INTENDED = """\
## Intended use

Tagging paragraphs of Spanish-language press releases and official
communication of Mexican public-health institutions (IMSS, IMSS-Bienestar,
ISSSTE, Secretaría de Salud, state health secretariats) with four topics:
`medicine_supply`, `human_resources`, `infrastructure`, `governance` (or
none). Meant for analysts, journalists and researchers who want to count and
follow what releases talk about over time, with the paragraph text at hand to
check a tag.

Out of scope: decisions about people or institutions made on the tags alone;
clinical or epidemiological content (the model does not judge it); text in
other languages, from other countries or other sectors; very short fragments
(a line without a verb) and tables, where a bag of words has little to go on.
Scores are not calibrated probabilities across registers: a score of 0.6 on
a news-style paragraph and on a speech paragraph do not mean the same.
"""

ATTRIBUTION = """\
## Sources and attribution

- Transcripts (speech and reporters' questions): stenographic versions of
  presidential press conferences published by the Presidencia de la República
  on gob.mx, via the open-source `mananeras` project (MIT). *Fuente:
  Presidencia de la República, gob.mx.*
- Written releases: bulletins of federal and state health institutions
  published on government sites (gob.mx and state `.gob.mx` domains), each
  paragraph recorded with its `url` and `date` in the data.
- Labels: read against the project's labeling guide (version {guide}),
  shipped as `labeling-guide.md` with the package data; see the dataset card.
"""


def _register_table(records: Sequence[dict[str, Any]]) -> list[str]:
    by = Counter(r.get("register") or "unknown" for r in records)
    lines = ["| register | paragraphs | documents | dates |", "|---|---|---|---|"]
    for reg, n in sorted(by.items()):
        rows = [r for r in records if (r.get("register") or "unknown") == reg]
        dates = sorted(r["date"] for r in rows if r.get("date"))
        span = f"{dates[0]} to {dates[-1]}" if dates else "undated"
        lines.append(f"| {reg} | {n} | {len({r['doc_id'] for r in rows})} | {span} |")
    return lines


def _failure_modes(metrics: dict[str, Any], curves: dict[str, tuple[np.ndarray, np.ndarray]]) -> list[str]:
    """Where the held-out errors are, counted: per split, false positives and misses per label."""
    th = np.array([metrics["thresholds"][label] for label in LABELS])
    lines = []
    for split, (Y, proba) in curves.items():
        P = proba >= th
        fp = ((P == 1) & (Y == 0)).sum(axis=0)
        fn = ((P == 0) & (Y == 1)).sum(axis=0)
        none = Y.sum(axis=1) == 0
        flagged = int(P[none].any(axis=1).sum())
        worst = max(range(len(LABELS)), key=lambda j: fp[j] + fn[j])
        lines.append(
            f"- **{split}** ({len(Y)} paragraphs): {flagged} of {int(none.sum())} paragraphs about none of the "
            f"topics get one; most errors on `{LABELS[worst]}` ({int(fp[worst])} false positives, "
            f"{int(fn[worst])} misses). Per label, false positives / misses: "
            + ", ".join(f"{label} {int(fp[j])}/{int(fn[j])}" for j, label in enumerate(LABELS)) + "."
        )
    return lines


def write_model_card(
    model_dir: Path,
    config: Any,
    metrics: dict[str, Any],
    fit_records: Sequence[dict[str, Any]],
    curves: dict[str, tuple[np.ndarray, np.ndarray]],
    versions: dict[str, str],
) -> None:
    from .persist import atomic_write_bytes
    from .report import held_out_table

    trained_on = list(config.data.train) + (["silver"] if metrics.get("n_silver") else [])
    lines = [f"# Model card: {config.name}", "", config.description or "", "", INTENDED]
    lines += ["## Training data", "",
              f"Fitted on the gold splits {', '.join(f'`{s}`' for s in trained_on)}: {len(fit_records)} paragraphs "
              f"labeled by reading against the labeling guide (version {GUIDE_VERSION}; v2 labels stay valid).", ""]
    lines += _register_table(fit_records)
    c = Counter(label for r in fit_records for label in r["labels"])
    none = sum(not r["labels"] for r in fit_records)
    lines += ["", "Positives per label: " + ", ".join(f"{label} {c[label]}" for label in LABELS)
              + f"; none of the four {none}.", ""]
    lines += ["## Decision thresholds", "",
              ", ".join(f"`{label}` {metrics['thresholds'][label]:.2f}" for label in LABELS)
              + f" (strategy: {config.thresholds.strategy}).", ""]
    held = held_out_table(metrics)
    if held:
        lines += ["## Scores on held-out data", "",
                  "Splits this model was not trained on, by register (see `report.md` for precision, recall and "
                  "curves). Macro-F1 averages the four labels.", ""]
        lines += held[2:] if held[0].startswith("##") else held
    else:
        lines += ["## Scores on held-out data", "",
                  "None: this model was trained on every gold split. Its expected quality is that of the same "
                  "config trained without the held-out splits (`experiments/RESULTS.md`, "
                  "`runs/default/MODEL_CARD.md` after `bulletin-clf train experiments/default.yaml`).", ""]
    lines += ["## Known failure modes", ""]
    lines += _failure_modes(metrics, curves) or ["- (no held-out split to count errors on)"]
    lines += ["- Topics named in passing (a hospital as a venue, \"médicos y medicinas\" in a slogan) are a bag "
              "of words to the model: it sees the words either way, and the guide labels them none.",
              "- Registers with little training data (written bulletins, questions) score lower than speech; see "
              "the table above.", ""]
    lines += [ATTRIBUTION.format(guide=GUIDE_VERSION)]
    lines += ["## Versions", "", f"bulletin_clf {__version__}; " + ", ".join(f"{k} {v}" for k, v in versions.items()
                                                                             if k != "bulletin_clf") + ".", ""]
    atomic_write_bytes(model_dir / "MODEL_CARD.md", "\n".join(lines).encode("utf-8"))

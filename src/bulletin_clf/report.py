"""Stage 7: what people look at.

Training reports (``metrics.json``, ``report.md`` with precision-recall curves
and the label co-occurrence confusion as PNG plots) and tagging reports
(per-document summary rows; an HTML page with topic shares per release and
a monthly trend plot).
"""

from __future__ import annotations

import base64
import html
import io
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from ._labels import LABELS, NONE_LABEL
from .errors import BulletinError
from .persist import atomic_write_bytes, write_json


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # files only; never needs a display
    import matplotlib.pyplot as plt

    return plt


def _save_png(fig: Any, path: Path) -> None:
    buf = io.BytesIO()
    # Fixed metadata so identical runs give identical files.
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight", metadata={"Software": None})
    atomic_write_bytes(path, buf.getvalue())


def write_training_report(
    model_dir: Path,
    config: Any,
    metrics: dict[str, Any],
    curves: dict[str, tuple[np.ndarray, np.ndarray]],
) -> None:
    """``metrics.json``, ``report.md`` and its PNG plots into ``model_dir``."""
    from sklearn.metrics import precision_recall_curve

    write_json(model_dir / "metrics.json", metrics)
    plt = _pyplot()
    plots: list[str] = []
    for split, (Y, proba) in curves.items():
        fig, axes = plt.subplots(1, len(LABELS), figsize=(14, 3.4))
        for j, label in enumerate(LABELS):
            ax = axes[j]
            if Y[:, j].sum() > 0:
                p, r, _ = precision_recall_curve(Y[:, j], proba[:, j])
                ax.plot(r, p)
                t = metrics["thresholds"][label]
                at = (proba[:, j] >= t).astype(int)
                tp = int((at & Y[:, j]).sum())
                ax.plot(tp / max(Y[:, j].sum(), 1), tp / max(at.sum(), 1), "o", label=f"threshold {t:.2f}")
                ax.legend(loc="lower left", fontsize=7)
            ax.set_title(label, fontsize=9)
            ax.set_xlabel("recall")
            ax.set_ylim(0, 1.02)
            ax.set_xlim(0, 1.02)
        axes[0].set_ylabel("precision")
        fig.suptitle(f"Precision-recall per label ({split})")
        name = f"pr_{split}.png"
        _save_png(fig, model_dir / name)
        plt.close(fig)
        plots.append(name)
        name = f"cooccurrence_{split}.png"
        _plot_cooccurrence(
            plt,
            Y,
            (proba >= np.array([metrics["thresholds"][label] for label in LABELS])).astype(int),
            split,
            model_dir / name,
        )
        plots.append(name)
    lines = [f"# Model report: {config.name}", "", config.description or "", ""]
    if "cv" in metrics:
        cv = metrics["cv"]
        lines.append(
            f"Cross-validation ({cv['folds']} folds grouped by document): macro-F1 {cv['mean']:.3f} ± {cv['std']:.3f}"
        )
        lines.append("")
    lines += ["Thresholds: " + ", ".join(f"{k} {v:.2f}" for k, v in metrics["thresholds"].items()), ""]
    lines += held_out_table(metrics)
    for split in (s for s in ("validation", "test", "temporal_test", "written_test") if s in metrics):
        m = metrics[split]
        lines += [
            f"## {split} (n={m['n']})",
            "",
            "| label | precision | recall | F1 | support |",
            "|---|---|---|---|---|",
        ]
        for label, v in m["per_label"].items():
            lines.append(
                f"| {label} | {v['precision']:.3f} | {v['recall']:.3f} | {v['f1']:.3f} | {v['support']} |"
            )
        for avg in ("macro", "micro"):
            v = m[avg]
            lines.append(f"| **{avg}** | {v['precision']:.3f} | {v['recall']:.3f} | {v['f1']:.3f} | |")
        lines.append("")
        for name in plots:
            if name in (f"pr_{split}.png", f"cooccurrence_{split}.png"):
                lines.append(f"![{name}]({name})")
        lines.append("")
    atomic_write_bytes(model_dir / "report.md", "\n".join(lines).encode())


def held_out_table(metrics: dict[str, Any]) -> list[str]:
    """Markdown lines: macro-F1, per-label F1 and none-given-a-topic per held-out register."""
    from .train import held_out

    sets = held_out(metrics)
    if not sets:
        return []
    lines = ["## Held-out sets by register", "",
             "| held-out set | paragraphs | macro-F1 | " + " | ".join(LABELS) + " | none given a topic |",
             "|---|---|---|" + "---|" * (len(LABELS) + 1)]
    for name, m in sets.items():
        lines.append(f"| {name} | {m['n']} | {m['macro']['f1']:.3f} | "
                     + " | ".join(f"{m['per_label'][label]['f1']:.3f}" for label in LABELS)
                     + f" | {m['none_given_topic']:.1%} of {m['n_none']} |")
    return [*lines, ""]


def _plot_cooccurrence(plt: Any, Y: np.ndarray, P: np.ndarray, split: str, path: Path) -> None:
    """Rows: true label (or none); columns: predicted label (or none); counts."""
    names = [*LABELS, NONE_LABEL]
    Yx = np.hstack([Y, (Y.sum(axis=1) == 0)[:, None]]).astype(int)
    Px = np.hstack([P, (P.sum(axis=1) == 0)[:, None]]).astype(int)
    M = Yx.T @ Px
    fig, ax = plt.subplots(figsize=(6, 5))
    ax.imshow(M, cmap="Blues")
    for i in range(M.shape[0]):
        for j in range(M.shape[1]):
            ax.text(
                j,
                i,
                str(M[i, j]),
                ha="center",
                va="center",
                fontsize=8,
                color="white" if M[i, j] > M.max() / 2 else "black",
            )
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"Label co-occurrence confusion ({split})")
    _save_png(fig, path)
    plt.close(fig)


# --- tagging reports ---------------------------------------------------------

_MONTHS = {
    m: i
    for i, m in enumerate(
        [
            "enero",
            "febrero",
            "marzo",
            "abril",
            "mayo",
            "junio",
            "julio",
            "agosto",
            "septiembre",
            "octubre",
            "noviembre",
            "diciembre",
        ],
        1,
    )
}
_DATE_DMY = re.compile(r"\b(\d{1,2})\s+de\s+([a-záéíóú]+)\s+(?:de|del)\s+(\d{4})\b", re.IGNORECASE)
_DATE_MDY = re.compile(r"\b([a-záéíóú]+)\s+(\d{1,2}),?\s+(\d{4})\b", re.IGNORECASE)


def find_date(paragraphs: Iterable[str]) -> str | None:
    """The first Spanish date in the opening paragraphs of a release, as YYYY-MM-DD."""
    for text in list(paragraphs)[:4]:
        for m in _DATE_DMY.finditer(text):
            month = _MONTHS.get(m.group(2).lower())
            if month:
                return f"{int(m.group(3)):04d}-{month:02d}-{int(m.group(1)):02d}"
        for m in _DATE_MDY.finditer(text):
            month = _MONTHS.get(m.group(1).lower())
            if month:
                return f"{int(m.group(3)):04d}-{month:02d}-{int(m.group(2)):02d}"
    return None


def summarize(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per document: paragraph count and paragraphs per topic."""
    docs: dict[str, dict[str, Any]] = {}
    texts: dict[str, list[str]] = defaultdict(list)
    for rec in records:
        row = docs.setdefault(
            rec["doc_id"],
            {
                "source": rec["source"],
                "doc_id": rec["doc_id"],
                "date": None,
                "paragraphs": 0,
                **{label: 0 for label in LABELS},
                NONE_LABEL: 0,
            },
        )
        row["paragraphs"] += 1
        texts[rec["doc_id"]].append(rec["text"])
        for label in rec["labels"] or [NONE_LABEL]:
            row[label] += 1
    for doc_id, row in docs.items():
        row["date"] = find_date(texts[doc_id])
        main = max(LABELS, key=lambda label: row[label])
        row["main_topic"] = main if row[main] > 0 else NONE_LABEL
    return list(docs.values())


def write_html_report(
    records: list[dict[str, Any]], path: Path, *, title: str = "bulletin_clf report"
) -> None:
    """A self-contained HTML page: topic share per release and monthly trends."""
    rows = summarize(records)
    plt = _pyplot()
    trend_png = ""
    by_month: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        if row["date"]:
            month = row["date"][:7]
            for label in LABELS:
                by_month[month][label] += row[label]
            by_month[month]["_n"] += row["paragraphs"]
    if by_month:
        months = sorted(by_month)
        fig, ax = plt.subplots(figsize=(8, 3.5))
        for label in LABELS:
            ax.plot(
                months,
                [by_month[m][label] / max(by_month[m]["_n"], 1) for m in months],
                marker="o",
                label=label,
            )
        ax.set_ylabel("share of paragraphs")
        ax.set_title("Topics by month of release")
        ax.legend(fontsize=8)
        fig.autofmt_xdate()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=90, bbox_inches="tight", metadata={"Software": None})
        plt.close(fig)
        trend_png = base64.b64encode(buf.getvalue()).decode()
    esc = html.escape
    head = "".join(
        f"<th>{esc(h)}</th>" for h in ["release", "date", "paragraphs", *LABELS, NONE_LABEL, "main topic"]
    )
    body = []
    for row in rows:
        cells = [esc(str(row["source"])), esc(row["date"] or "?"), str(row["paragraphs"])]
        for label in [*LABELS, NONE_LABEL]:
            share = row[label] / max(row["paragraphs"], 1)
            cells.append(f'<td style="background: rgba(40,110,200,{share:.2f})">{row[label]}</td>')
        body.append(
            "<tr>"
            + "".join(c if c.startswith("<td") else f"<td>{c}</td>" for c in cells)
            + f"<td>{esc(row['main_topic'])}</td></tr>"
        )
    para_rows = "".join(
        f"<tr><td>{esc(str(r['source']))}</td><td>{r['para_idx']}</td><td>{esc(', '.join(r['labels']) or NONE_LABEL)}</td><td>{esc(r['text'])}</td></tr>"
        for r in records
    )
    page = f"""<!doctype html><html lang="es"><head><meta charset="utf-8"><title>{esc(title)}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1200px}}table{{border-collapse:collapse;margin-bottom:2em}}
td,th{{border:1px solid #ccc;padding:4px 8px;font-size:13px;vertical-align:top}}th{{background:#eee}}</style></head><body>
<h1>{esc(title)}</h1><p>{len(rows)} releases, {len(records)} paragraphs.</p>
<h2>Topics per release</h2><table><tr>{head}</tr>{"".join(body)}</table>
{'<h2>Trends</h2><img alt="topic trends" src="data:image/png;base64,' + trend_png + '">' if trend_png else ""}
<h2>Paragraphs</h2><table><tr><th>release</th><th>#</th><th>topics</th><th>text</th></tr>{para_rows}</table>
</body></html>"""
    atomic_write_bytes(path, page.encode())


MAX_RECORD_BYTES = 4 << 20  # one tagged record; a longer line is not a record of ours


def _check_record(rec: Any, where: str) -> dict[str, Any]:
    if not isinstance(rec, dict):
        raise BulletinError(f"{where}: not a tagged record (expected a JSON object)")
    for key, typ in (("source", str), ("doc_id", str), ("text", str), ("labels", list), ("scores", dict)):
        if not isinstance(rec.get(key), typ):
            raise BulletinError(f"{where}: not a tagged record ({key!r} missing or of the wrong type)")
    if not all(label in LABELS for label in rec["labels"]):
        raise BulletinError(f"{where}: unknown label in {rec['labels'][:4]}")
    return rec


def read_records(path: Path) -> list[dict[str, Any]]:
    """Tagged records from a ``bulletin-clf tag`` output: JSON Lines, CSV or Parquet (by suffix).

    Any problem is a one-line :class:`BulletinError` naming the file (and line).
    """
    suffix = path.suffix.lower()
    shown = str(path)
    try:
        if suffix == ".parquet":
            return _read_parquet(path)
        if suffix == ".csv":
            return _read_csv(path)
        out = []
        with open(path, "rb") as fh:
            for lineno, raw in enumerate(fh, 1):
                if len(raw) > MAX_RECORD_BYTES:
                    raise BulletinError(f"{shown}:{lineno}: line over {MAX_RECORD_BYTES:,} bytes; not a tagged record")
                if not raw.strip():
                    continue
                try:
                    rec = json.loads(raw)
                except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                    raise BulletinError(f"{shown}:{lineno}: not JSON ({str(exc)[:60]}); "
                                        "give a .jsonl, .csv or .parquet output of 'bulletin-clf tag'") from None
                except RecursionError:
                    raise BulletinError(f"{shown}:{lineno}: JSON nested too deeply") from None
                out.append(_check_record(rec, f"{shown}:{lineno}"))
        return out
    except OSError as exc:
        raise BulletinError(f"{shown}: cannot read ({exc.strerror or exc})") from None


def _scores_from_row(row: dict[str, Any], where: str) -> dict[str, float]:
    try:
        return {label: float(row[f"score_{label}"]) for label in LABELS}
    except (KeyError, TypeError, ValueError):
        raise BulletinError(f"{where}: not a tagged record (score columns missing)") from None


def _read_csv(path: Path) -> list[dict[str, Any]]:
    import csv

    out = []
    with open(path, encoding="utf-8", newline="") as fh:
        for lineno, row in enumerate(csv.DictReader(fh), 2):
            where = f"{path}:{lineno}"
            try:
                rec = {"source": row["source"], "doc_id": row["doc_id"], "para_idx": int(row["para_idx"]),
                       "text": row["text"], "labels": [x for x in row["labels"].split(";") if x]}
            except (KeyError, TypeError, ValueError, AttributeError):
                raise BulletinError(f"{where}: not a tagged record (columns source, doc_id, para_idx, text, "
                                    "labels expected)") from None
            rec["scores"] = _scores_from_row(row, where)
            if row.get("terms"):
                rec["terms"] = json.loads(row["terms"])
            out.append(_check_record(rec, where))
    return out


def _read_parquet(path: Path) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises its own error types for damaged files
        raise BulletinError(f"{path}: not a readable Parquet file ({type(exc).__name__})") from None
    out = []
    for i, row in enumerate(table.to_pylist()):
        where = f"{path}: row {i}"
        rec = {k: row.get(k) for k in ("source", "doc_id", "para_idx", "text", "labels")}
        rec["scores"] = _scores_from_row(row, where)
        if row.get("terms"):
            rec["terms"] = json.loads(row["terms"])
        out.append(_check_record(rec, where))
    return out

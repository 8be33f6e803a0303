"""Stage 7: what people look at.

Training reports (``metrics.json``, ``report.md`` with precision-recall curves
and the label co-occurrence confusion as PNG plots) and tagging reports
(per-document summary rows; an HTML page with topic shares per release and
a monthly trend plot).
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import html
import io
import json
import math
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

import numpy as np

from ._labels import LABELS, NONE_LABEL
from ._version import __version__
from .errors import BulletinError
from .persist import atomic_stream, atomic_write_bytes, write_json


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


# --- tagging reports: summary rows and the HTML page ---------------------------
#
# ReportBuilder aggregates records as they stream past: one small row per
# release (file + doc_id), never the paragraphs themselves. For the HTML page
# each paragraph is rendered once, at add() time, into an anonymous temporary
# file, and copied from there into the page at write time.

SUMMARY_COLUMNS: tuple[str, ...] = (
    "source", "doc_id", "date", "date_source", "paragraphs", *LABELS, NONE_LABEL,
    *(f"share_{label}" for label in LABELS), "main_topic", "warnings", "duplicate_of",
)
MIN_MAIN_SHARE = 0.2  # main_topic is "other" when no topic reaches this share of paragraphs
_FIND_DATE_PARAGRAPHS = 4  # find_date looks at the opening paragraphs only

_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_NAME_DATE = re.compile(r"(?<!\d)((?:19|20)\d\d)([-_]?)(\d\d)\2(\d\d)(?!\d)")


def _valid_date(y: str, m: str, d: str) -> str | None:
    try:
        datetime.date(int(y), int(m), int(d))
    except ValueError:
        return None
    return f"{y}-{m}-{d}"


def date_from_name(source: str) -> str | None:
    """A YYYY-MM-DD, YYYY_MM_DD or YYYYMMDD date in the file name (not the folders) of ``source``.

    The compact form counts only when no letter or digit touches it, so a hex
    hash in a name is not read as a date.
    """
    name = re.split(r"[\\/]", source)[-1]
    for m in _NAME_DATE.finditer(name):
        y, sep, mo, d = m.groups()
        if not sep and (name[m.start() - 1 : m.start()].isalpha() or name[m.end() : m.end() + 1].isalpha()):
            continue
        found = _valid_date(y, mo, d)
        if found:
            return found
    return None


def _record_date(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    m = _ISO_DATE.match(value.strip())
    return _valid_date(*m.groups()) if m else None


class _Release:
    """The running aggregate of one release: a few numbers, never its paragraphs."""

    __slots__ = ("counts", "doc_id", "dup_of", "idx", "other", "paragraphs", "ranges", "rec_date",
                 "seen", "source", "text_date", "warnings")

    def __init__(self, idx: int, source: str, doc_id: str, dup_of: str | None) -> None:
        self.idx = idx
        self.source = source
        self.doc_id = doc_id
        self.dup_of = dup_of
        self.paragraphs = 0
        self.counts = [0] * len(LABELS)
        self.other = 0
        self.rec_date: str | None = None
        self.text_date: str | None = None
        self.seen = 0  # paragraphs looked at by find_date
        self.warnings: dict[str, None] = {}  # an ordered set
        self.ranges: list[list[int]] = []  # [start, end) byte ranges of its paragraphs in the spool


class ReportBuilder:
    """Summary rows and the HTML report, built from records as they stream past.

    ``add(record)`` once per tagged record, in output order; then
    ``rows()``, ``write_summary(path)`` and/or ``write_html(path)``, as often
    as wanted; ``close()`` at the end (or use it as a context manager).
    Memory holds one small row per release; with ``html=True`` (the default)
    each paragraph is rendered into an anonymous temporary file, which
    ``write_html`` copies into the page.
    """

    def __init__(self, *, html: bool = True) -> None:
        self._releases: dict[tuple[str, str], _Release] = {}
        self._first_source: dict[str, str] = {}  # doc_id -> the first source with that text
        self._spool: IO[bytes] | None = None
        if html:  # closed by close(); an anonymous file, gone with the process in any case
            self._spool = tempfile.TemporaryFile(prefix="bulletin-clf-report-")  # noqa: SIM115
        self._pos = 0
        self._last: _Release | None = None
        self.n_records = 0

    def __enter__(self) -> ReportBuilder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Remove the temporary paragraph file (write_html cannot be called after this)."""
        if self._spool is not None:
            self._spool.close()
            self._spool = None

    def add(self, rec: dict[str, Any]) -> None:
        source, doc_id = str(rec["source"]), str(rec["doc_id"])
        rel = self._releases.get((source, doc_id))
        if rel is None:
            first = self._first_source.setdefault(doc_id, source)
            rel = self._releases[(source, doc_id)] = _Release(
                len(self._releases), source, doc_id, None if first == source else first
            )
        self.n_records += 1
        rel.paragraphs += 1
        labels = rec.get("labels") or ()
        mask = 0
        for j, label in enumerate(LABELS):
            if label in labels:
                mask |= 1 << j
                rel.counts[j] += 1
        if not mask:
            rel.other += 1
        text = str(rec.get("text", ""))
        if rel.seen < _FIND_DATE_PARAGRAPHS:
            rel.seen += 1
            if rel.text_date is None:
                rel.text_date = find_date([text])
        if rel.rec_date is None:
            rel.rec_date = _record_date(rec.get("date"))
        for w in rec.get("warnings") or ():
            rel.warnings[str(w)] = None
        if self._spool is not None and rel.dup_of is None:
            chunk = _paragraph_html(text, mask, rec.get("scores"), rec.get("terms"))
            self._spool.write(chunk)
            end = self._pos + len(chunk)
            if rel is self._last and rel.ranges:
                rel.ranges[-1][1] = end
            else:
                rel.ranges.append([self._pos, end])
            self._pos = end
        self._last = rel

    def rows(self) -> list[dict[str, Any]]:
        """One summary row per release (file and doc_id), in the order first seen."""
        return [_row(rel) for rel in self._releases.values()]

    def write_summary(self, path: str | os.PathLike[str]) -> None:
        """The rows as CSV (UTF-8, columns :data:`SUMMARY_COLUMNS`), written atomically."""
        buf = io.StringIO(newline="")
        w = csv.DictWriter(buf, fieldnames=SUMMARY_COLUMNS, lineterminator="\r\n")
        w.writeheader()
        w.writerows(self.rows())
        atomic_write_bytes(Path(path), buf.getvalue().encode("utf-8", "replace"))

    def write_html(self, path: str | os.PathLike[str], *, title: str = "bulletin_clf report") -> None:
        """The self-contained HTML report, streamed to a temporary file and renamed into place."""
        if self._spool is None:
            raise BulletinError("ReportBuilder: no paragraphs kept for an HTML report "
                                "(made with html=False, or closed)")
        self._spool.flush()
        rows = self.rows()
        with atomic_stream(Path(path)) as out:
            out.write(_page_head(title, rows, self.n_records).encode("utf-8", "replace"))
            for rel, row in zip(self._releases.values(), rows, strict=True):
                out.write(_release_head(rel, row).encode("utf-8", "replace"))
                for start, end in rel.ranges:
                    self._copy_spool(out, start, end)
                out.write(b"</div></details>\n")
            out.write(_page_tail().encode("utf-8"))
        self._spool.seek(0, os.SEEK_END)

    def _copy_spool(self, out: IO[bytes], start: int, end: int) -> None:
        assert self._spool is not None
        self._spool.seek(start)
        left = end - start
        while left > 0:
            chunk = self._spool.read(min(left, 1 << 20))
            if not chunk:
                raise BulletinError("report: temporary paragraph file ended early")
            out.write(chunk)
            left -= len(chunk)


def _row(rel: _Release) -> dict[str, Any]:
    n = rel.paragraphs
    name_date = None if rel.rec_date or rel.text_date else date_from_name(rel.source)
    date, how = next(((d, h) for d, h in ((rel.rec_date, "record"), (rel.text_date, "text"),
                                          (name_date, "file name")) if d), (None, "none"))
    best = 0
    for j in range(1, len(LABELS)):
        if rel.counts[j] > rel.counts[best]:  # strict: ties go to the earlier label
            best = j
    main = LABELS[best] if n and rel.counts[best] / n >= MIN_MAIN_SHARE else NONE_LABEL
    return {
        "source": rel.source,
        "doc_id": rel.doc_id,
        "date": date,
        "date_source": how,
        "paragraphs": n,
        **{label: rel.counts[j] for j, label in enumerate(LABELS)},
        NONE_LABEL: rel.other,
        **{f"share_{label}": round(rel.counts[j] / n, 4) if n else 0.0 for j, label in enumerate(LABELS)},
        "main_topic": main,
        "warnings": " | ".join(rel.warnings),
        "duplicate_of": rel.dup_of,
    }


def summarize(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per release (file and doc_id): counts and shares per topic, date, main topic."""
    with ReportBuilder(html=False) as builder:
        for rec in records:
            builder.add(rec)
        return builder.rows()


def write_html_report(
    records: Iterable[dict[str, Any]], path: Path, *, title: str = "bulletin_clf report"
) -> None:
    """A self-contained HTML page: overview (shares per release, monthly trend), then each release."""
    with ReportBuilder() as builder:
        for rec in records:
            builder.add(rec)
        builder.write_html(path, title=title)


# --- the HTML page ----------------------------------------------------------------

# Okabe-Ito colours (told apart with colour-blindness), then grey for "other".
_COLORS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#999999")
_DASHES = ("", "7 4", "2 3", "9 3 2 3")
_MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_esc = html.escape


def _paragraph_html(text: str, mask: int, scores: Any, terms: Any) -> bytes:
    """One paragraph: ``<p class=kMASK data-s=PCT,PCT,PCT,PCT data-t="terms|...">text</p>``."""
    attrs = f"<p class=k{mask}"
    if isinstance(scores, dict):
        with contextlib.suppress(KeyError, TypeError, ValueError, OverflowError):
            attrs += " data-s=" + ",".join(str(round(float(scores[label]) * 100)) for label in LABELS)
    if isinstance(terms, dict) and terms:
        parts = [
            ",".join(re.sub(r"[|,]", " ", str(t)) for t in terms.get(label) or [] if str(t))
            if isinstance(terms.get(label) or [], list) else ""
            for label in LABELS
        ]
        attrs += f' data-t="{_esc("|".join(parts))}"'
    # "replace": a file name that was not UTF-8 reaches us with lone surrogates
    return f"{attrs}>{_esc(text, quote=False)}</p>\n".encode("utf-8", "replace")


def _label_index(name: str) -> int:
    return LABELS.index(name) if name in LABELS else len(LABELS)


def _chip(name: str) -> str:
    return f'<span class="t t{_label_index(name)}">{_esc(name)}</span>'


def _pct(x: float) -> str:
    return f"{x * 100:.0f}%"


def _monthly(rows: list[dict[str, Any]]) -> dict[int, list[int]]:
    """Month number (year*12 + month-1) -> [releases, paragraphs, count per label]; duplicates once."""
    months: dict[int, list[int]] = {}
    for row in rows:
        if not row["date"] or row["duplicate_of"]:
            continue
        y, m = int(row["date"][:4]), int(row["date"][5:7])
        if not 1 <= m <= 12:
            continue
        acc = months.setdefault(y * 12 + m - 1, [0, 0] + [0] * len(LABELS))
        acc[0] += 1
        acc[1] += row["paragraphs"]
        for j, label in enumerate(LABELS):
            acc[2 + j] += row[label]
    return months


def _marker(j: int, x: float, y: float) -> str:
    """Marker shape j (circle, square, triangle, diamond) at (x, y), as the start of an element."""
    if j == 0:
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.8"'
    if j == 1:
        return f'<rect x="{x - 3.4:.1f}" y="{y - 3.4:.1f}" width="6.8" height="6.8"'
    if j == 2:
        return f'<path d="M{x:.1f} {y - 4.8:.1f}l4.3 7.4h-8.6z"'
    return f'<path d="M{x:.1f} {y - 5:.1f}l5 5-5 5-5-5z"'


def _trend_svg(months: dict[int, list[int]]) -> str:
    """Inline SVG: monthly share of paragraphs per topic on a true time axis."""
    W, left, right, top, bottom = 960, 58, 744, 14, 250
    lx = right + 26  # legend, outside the plot
    first, last = min(months), max(months)
    n = last - first + 1
    slot = (right - left) / n
    shares = {mi: [acc[2 + j] / acc[1] if acc[1] else 0.0 for j in range(len(LABELS))] for mi, acc in months.items()}
    top_share = max((max(s) for s in shares.values()), default=0.0)
    ystep = 0.1 if top_share <= 0.5 else 0.2
    ymax = min(1.0, max(ystep * 2, math.ceil(top_share / ystep - 1e-9) * ystep))

    dodge = min(2.5, slot / 10)  # series j sits (j - 1.5) * dodge px off its month: equal values stay visible

    def X(mi: int, j: float = 1.5) -> float:
        return left + (mi - first + 0.5) * slot + (j - 1.5) * dodge

    def Y(v: float) -> float:
        return bottom - v / ymax * (bottom - top)

    out = [f'<svg id="trend" viewBox="0 0 {W} 340" role="img" '
           f'aria-labelledby="trend-t" font-family="sans-serif" font-size="12">'
           '<title id="trend-t">Share of paragraphs per topic, by month of release</title>']
    # months inside the range without a dated release: shaded bands (so gaps read as gaps)
    mi = first
    while mi <= last:
        if mi in months:
            mi += 1
            continue
        start = mi
        while mi <= last and mi not in months:
            mi += 1
        out.append(f'<rect class="gap" x="{left + (start - first) * slot:.1f}" y="{top}" '
                   f'width="{(mi - start) * slot:.1f}" height="{bottom - top}" fill="#ececec"/>')
    # y grid and labels
    k = 0
    while k * ystep <= ymax + 1e-9:
        v = k * ystep
        out.append(f'<line x1="{left}" x2="{right}" y1="{Y(v):.1f}" y2="{Y(v):.1f}" stroke="#d8d8d8"/>'
                   f'<text x="{left - 6}" y="{Y(v) + 4:.1f}" text-anchor="end" fill="#444">{_pct(v)}</text>')
        k += 1
    out.append(f'<text transform="translate(14 {(top + bottom) / 2:.0f}) rotate(-90)" text-anchor="middle" '
               'fill="#444">share of paragraphs</text>')
    out.append(f'<line x1="{left}" x2="{right}" y1="{bottom}" y2="{bottom}" stroke="#555"/>')
    # x ticks: every month a small tick; labels every 1/2/3/6/12/... months so they never collide
    step = next((s for s in (1, 2, 3, 6, 12, 24, 60, 120) if slot * s >= 46), 240)
    labelled_once = False
    for mi in range(first, last + 1):
        y, m = divmod(mi, 12)
        x = X(mi)
        if slot >= 3:
            out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{bottom}" y2="{bottom + 3}" stroke="#555"/>')
        if step < 12 and m % step == 0:
            year = f'<tspan x="{x:.1f}" dy="14">{y}</tspan>' if (m == 0 or not labelled_once) else ""
            out.append(f'<text class="xl" x="{x:.1f}" y="{bottom + 16}" text-anchor="middle" fill="#444">'
                       f"{_MONTH_ABBR[m]}{year}</text>")
            labelled_once = True
        elif step >= 12 and m == 0 and y % (step // 12) == 0:
            out.append(f'<text class="xl" x="{x:.1f}" y="{bottom + 16}" text-anchor="middle" fill="#444">{y}</text>')
        if (step < 12 and m % step == 0) or (step >= 12 and m == 0 and y % (step // 12) == 0):
            out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{bottom}" y2="{bottom + 6}" stroke="#555"/>')
    # releases per month: a strip of bars under the axis
    s0, s1 = bottom + 50, bottom + 84
    most = max(acc[0] for acc in months.values())
    out.append(f'<text x="{left - 6}" y="{s1}" text-anchor="end" fill="#666" font-size="11">releases</text>'
               f'<text x="{left - 6}" y="{s0 + 8}" text-anchor="end" fill="#666" font-size="11">{most}</text>')
    bw = min(24.0, max(1.0, slot * 0.7))
    for mi, acc in sorted(months.items()):
        h = max(1.0, acc[0] / most * (s1 - s0))
        y, m = divmod(mi, 12)
        out.append(f'<rect x="{X(mi) - bw / 2:.1f}" y="{s1 - h:.1f}" width="{bw:.1f}" height="{h:.1f}" '
                   f'fill="#a9b4bf"><title>{y}-{m + 1:02d}: {acc[0]} releases, {acc[1]} paragraphs</title></rect>')
    # one series per topic: line runs over consecutive months only; a marker on every month
    for j, label in enumerate(LABELS):
        color, dash = _COLORS[j], _DASHES[j]
        out.append(f'<g class="series" data-label="{label}" stroke="{color}" fill="none">')
        run: list[str] = []
        pts = sorted(shares)
        for i, mi in enumerate(pts):
            run.append(f"{X(mi, j):.1f} {Y(shares[mi][j]):.1f}")
            if i + 1 == len(pts) or pts[i + 1] != mi + 1:
                if len(run) > 1:
                    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
                    out.append(f'<path d="M{"L".join(run)}" stroke-width="2"{dash_attr}/>')
                run = []
        if slot >= 8:  # markers on every month while they do not crowd (up to ~85 months)
            for mi in pts:
                y, m = divmod(mi, 12)
                acc = months[mi]
                out.append(f'{_marker(j, X(mi, j), Y(shares[mi][j]))} stroke-width="1.6"><title>{y}-{m + 1:02d} '
                           f'{label}: {_pct(shares[mi][j])} of {acc[1]} paragraphs ({acc[0]} releases)'
                           f"</title>{'</circle>' if j == 0 else '</rect>' if j == 1 else '</path>'}")
        out.append("</g>")
    # legend, to the right of the plot
    for j, label in enumerate(LABELS):
        y = top + 10 + j * 24
        dash_attr = f' stroke-dasharray="{_DASHES[j]}"' if _DASHES[j] else ""
        out.append(f'<g class="legend" stroke="{_COLORS[j]}" fill="none"><line x1="{lx}" x2="{lx + 34}" '
                   f'y1="{y}" y2="{y}" stroke-width="2"{dash_attr}/>{_marker(j, lx + 17, y)} stroke-width="1.6"/>'
                   f'<text x="{lx + 42}" y="{y + 4}" fill="#222" stroke="none">{label}</text></g>')
    y = top + 10 + len(LABELS) * 24
    out.append(f'<rect x="{lx}" y="{y - 7}" width="34" height="14" fill="#ececec"/>'
               f'<text x="{lx + 42}" y="{y + 4}" fill="#222">no dated release</text>'
               f'<rect x="{lx + 12}" y="{y + 17}" width="10" height="14" fill="#a9b4bf"/>'
               f'<text x="{lx + 42}" y="{y + 28}" fill="#222">releases per month</text>')
    out.append("</svg>")
    return "".join(out)


def _css() -> str:
    css = [
        "body{font:14px/1.45 system-ui,'DejaVu Sans',sans-serif;margin:0 auto;max-width:1180px;padding:0 16px 40px;color:#222}",
        "h1{font-size:22px;margin:16px 0 2px}h2{font-size:18px;margin:22px 0 6px}.meta,.note{color:#555;margin:4px 0}",
        ".note{background:#fff8e1;border-left:4px solid #e0b000;padding:6px 10px}",
        "[hidden]{display:none!important}",
        "#bar{position:sticky;top:0;z-index:3;background:#fff;border-bottom:1px solid #ccc;padding:8px 0;"
        "display:flex;flex-wrap:wrap;gap:6px 8px;align-items:center}",
        ".tb{border:2px solid var(--c);border-radius:14px;padding:1px 9px 1px 3px;cursor:pointer;white-space:nowrap;"
        "user-select:none}.tb input{accent-color:var(--c);margin:0 4px 0 2px;vertical-align:-2px}.tb small{color:#666}",
        "#q{flex:1 1 200px;min-width:160px;padding:4px 8px;font:inherit}#bar button{font:inherit;padding:2px 8px}",
        ".tg{flex-basis:100%;display:flex;flex-wrap:wrap;gap:6px 8px;align-items:center}"
        "#count{margin-left:auto;color:#333;font-weight:600}",
        ".t{display:inline-block;padding:0 6px;border-radius:8px;background:var(--c);color:#fff;font-size:12px;"
        "white-space:nowrap}.t4{color:#222}",
        "#trend{width:100%;max-width:960px;height:auto;display:block}",
        ".tw{max-height:65vh;overflow:auto;border:1px solid #ccc}",
        "#ov{border-collapse:collapse;width:100%;font-size:13px}#ov th{position:sticky;top:0;background:#f2f2f2;"
        "cursor:pointer;text-align:left;padding:3px 6px;border-bottom:1px solid #bbb;white-space:nowrap}",
        "#ov td{padding:1px 6px;border-bottom:1px solid #eee;white-space:nowrap}#ov td.n,#ov td[class^=h]{text-align:right}",
        "#ov td:first-child{max-width:340px;overflow:hidden;text-overflow:ellipsis}#ov tr.all td{font-weight:600;"
        "background:#fafafa;border-bottom:1px solid #bbb}#ov th.sd:after{content:' ▾'}#ov th.sa:after{content:' ▴'}",
        "details.rel{border:1px solid #ddd;border-radius:4px;margin:3px 0;scroll-margin-top:120px}details.rel[open]{border-color:#aaa}",
        "summary{cursor:pointer;padding:3px 8px;display:flex;gap:8px;align-items:baseline}",
        "summary .src{flex:1;min-width:0;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;font-weight:600}",
        "summary .dt{color:#555;font-variant-numeric:tabular-nums}summary .c{color:#555;min-width:7em;text-align:right}",
        ".bar{display:inline-flex;width:90px;height:9px;background:#eee;border-radius:2px;overflow:hidden}"
        ".bar i{display:block;height:100%;background:var(--c)}",
        ".warn{color:#8a4b00;background:#fff3e0;margin:4px 10px;padding:3px 8px;font-size:13px}",
        ".dup{color:#555;margin:4px 10px;font-size:13px}",
        ".ps{padding:2px 10px 8px}.ps p{margin:4px 0;padding:3px 8px 3px 24px;border-radius:3px}",
        "#tip{position:fixed;z-index:5;background:#fff;border:1px solid #888;border-radius:4px;padding:6px 8px;"
        "font-size:12px;box-shadow:0 2px 8px #0003;max-width:420px;pointer-events:none}"
        "#tip div{padding-left:15px;text-indent:-15px}#tip .on{font-weight:700}#tip b{display:inline-block;width:10px;height:10px;"
        "margin-right:5px;background:var(--c)}#tip em{color:#555;font-style:normal}",
    ]
    css += [f".t{j},.tb.t{j},.bar .t{j},#tip .t{j}{{--c:{c}}}" for j, c in enumerate(_COLORS)]
    # heat cells: share buckets 0..10 per topic
    for j, c in enumerate(_COLORS):
        css.append("".join(f".h{j}{b}{{background:{c}{round(b / 10 * 0.75 * 255):02x}}}" for b in range(1, 11)))
    # paragraph highlight by label set (bit j = LABELS[j]): a stripe per topic, then a tint of the first
    for mask in range(1 << len(LABELS)):
        js = [j for j in range(len(LABELS)) if mask >> j & 1]
        if not js:
            css.append(".k0{background:linear-gradient(90deg,#bbb 0 4px,#0000 4px)}")
            continue
        stops = ",".join(f"{_COLORS[j]} {4 * i}px {4 * i + 4}px" for i, j in enumerate(js))
        css.append(f".k{mask}{{background:linear-gradient(90deg,{stops},{_COLORS[js[0]]}1c {4 * len(js)}px)}}")
    return "".join(css)


def _page_head(title: str, rows: list[dict[str, Any]], n_records: int) -> str:
    months = _monthly(rows)
    dated = sum(1 for row in rows if row["date"])
    dups = sum(1 for row in rows if row["duplicate_of"])
    shown = sum(row["paragraphs"] for row in rows if not row["duplicate_of"])
    totals = [sum(row[label] for row in rows) for label in (*LABELS, NONE_LABEL)]
    parts = [
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1"><title>{_esc(title)}</title>'
        f"<style>{_css()}</style></head><body>",
        f"<h1>{_esc(title)}</h1>",
        f'<p class="meta">{len(rows):,} releases, {n_records:,} paragraphs; {dated:,} releases dated'
        + (f", {dups:,} with the same text as an earlier file (their paragraphs are shown once)" if dups else "")
        + f". bulletin_clf {_esc(__version__)}.</p>",
    ]
    # filter bar (sticky), doubling as the colour legend
    bar = ['<div id="bar"><div class="tg"><span>Topics:</span>']
    for j, name in enumerate((*LABELS, NONE_LABEL)):
        bar.append(f'<label class="tb t{j}" title="show paragraphs tagged {name}"><input type="checkbox" '
                   f'value="{name}" data-b="{1 << j}" checked>{name} <small>{totals[j]:,}</small></label>')
    bar.append('</div><input id="q" type="search" placeholder="search the text (accents and case ignored)" '
               'aria-label="search the text"><button id="ex" type="button">expand shown</button>'
               '<button id="co" type="button">collapse all</button>'
               f'<output id="count" data-p="{shown}" data-r="{len(rows)}">All {shown:,} paragraphs in '
               f"{len(rows):,} releases</output></div>")
    parts.append("".join(bar))
    parts.append('<section id="overview"><h2>Overview</h2><h3>Topics by month</h3>')
    if months:
        parts.append(_trend_svg(months))
        notes = ["Share of paragraphs with each topic among all paragraphs of the releases dated that month "
                 "(a paragraph can have several topics). Hover a marker for its numbers."]
        if dated < len(rows):
            notes.append(f"{len(rows) - dated:,} release{'s' if len(rows) - dated != 1 else ''} without a date "
                         "are left out of the trend.")
        if dups:
            notes.append("Files with the same text as an earlier file are counted once.")
        parts.append(f'<p class="meta">{" ".join(notes)}</p>')
    elif rows:
        parts.append('<p class="note" id="no-trend">No release has a date, so no trend is drawn: a date comes from '
                     'a record\'s "date" field, a Spanish date in the opening paragraphs (e.g. "21 de febrero de '
                     '2023") or a YYYY-MM-DD date in the file name.</p>')
    else:
        parts.append('<p class="note" id="no-trend">No paragraphs were tagged, so there is nothing to show.</p>')
    # releases x topics table
    head = "".join(
        f'<th data-k="{k}"{" class=num" if num else ""}>{_esc(h)}</th>'
        for k, (h, num) in enumerate([("release", False), ("date", False), ("paragraphs", True),
                                      *((label, True) for label in (*LABELS, NONE_LABEL)), ("main topic", False)])
    )
    total_n = sum(row["paragraphs"] for row in rows)
    all_cells = "".join(
        f'<td class="h{j}{min(10, round(t / total_n * 10)) if total_n else 0}">{_pct(t / total_n if total_n else 0)}</td>'
        for j, t in enumerate(totals)
    )
    parts.append('<h3>Topics per release</h3><p class="meta">Share of each release\'s paragraphs per topic; '
                 'click a column to sort, a release to open it below.</p>'
                 f'<div class="tw"><table id="ov"><thead><tr>{head}</tr><tr class="all"><td>all releases</td>'
                 f'<td></td><td class="n">{total_n:,}</td>{all_cells}<td></td></tr></thead><tbody>')
    body = []
    for i, row in enumerate(rows):
        n = row["paragraphs"]
        cells = []
        for j, label in enumerate((*LABELS, NONE_LABEL)):
            share = row[label] / n if n else 0.0
            cells.append(f'<td class="h{j}{min(10, round(share * 10))}">{_pct(share)}</td>')
        name = row["source"].replace("\\", "/").rsplit("/", 1)[-1]
        date = f'<td title="date from {row["date_source"]}">{row["date"]}</td>' if row["date"] else "<td>–</td>"
        body.append(f'<tr id="o{i}"><td title="{_esc(row["source"])}"><a href="#r{i}">{_esc(name)}</a></td>{date}'
                    f'<td class="n">{n}</td>{"".join(cells)}<td>{_chip(row["main_topic"])}</td></tr>\n')
    parts.append("".join(body))
    parts.append('</tbody></table></div></section><section id="releases"><h2>Releases</h2>'
                 '<p class="meta">Paragraphs are marked by topic colour (a stripe per topic); hover one for its '
                 "scores and the terms behind them.</p>\n")
    return "".join(parts)


def _release_head(rel: _Release, row: dict[str, Any]) -> str:
    n = row["paragraphs"]
    in_dom = 0 if rel.dup_of else n
    # shares can add up to more than 1 (several topics per paragraph): then the bar shows their proportions
    scale = max(1, sum(row[label] for label in LABELS) / n) if n else 1
    bar = "".join(
        f'<i class="t{j}" style="width:{share * 100:.0f}%"></i>'
        for j, label in enumerate(LABELS)
        if (share := row[label] / n / scale if n else 0.0) >= 0.005
    )
    warn = f' <span title="{_esc(row["warnings"])}">⚠</span>' if row["warnings"] else ""
    parts = [
        f'<details class="rel" id="r{rel.idx}" data-n="{in_dom}"><summary><span class="src" title="'
        f'{_esc(rel.source)}">{_esc(rel.source)}</span><span class="dt">{row["date"] or "no date"}</span>'
        f'<span class="bar" title="share of paragraphs per topic">{bar}</span>{_chip(row["main_topic"])}'
        f'<span><span class="c">{in_dom}</span> ¶{warn}</span></summary>'
    ]
    for w in rel.warnings:
        parts.append(f'<div class="warn">warning: {_esc(w)}</div>')
    if rel.dup_of:
        parts.append(f'<div class="dup">Same text as {_esc(rel.dup_of)} ({n} paragraphs, shown there; '
                     "not repeated here).</div>")
    parts.append('<div class="ps" lang="es">\n')
    return "".join(parts)


_SCRIPT = r"""(function(){"use strict";
var L=%LABELS%,$=function(s){return document.querySelector(s)},A=function(s,r){return [].slice.call((r||document).querySelectorAll(s))};
var rels=A("details.rel").map(function(d){return {d:d,ps:A(".ps>p",d),c:d.querySelector("summary .c"),o:document.getElementById("o"+d.id.slice(1)),n:+d.dataset.n}});
var boxes=A("#bar input[type=checkbox]"),q=$("#q"),out=$("#count"),total=0,timer=0,dirty=false;
rels.forEach(function(r){total+=r.ps.length});
function norm(s){return s.normalize("NFD").replace(/[\u0300-\u036f]/g,"").toLowerCase()}
function txt(p){if(p._n===undefined)p._n=norm(p.textContent);return p._n}
function bits(p){return +p.className.slice(1)||0}
function fmt(n){return n.toLocaleString("en")}
function apply(){
 var on=0;boxes.forEach(function(b){if(b.checked)on|=+b.dataset.b});
 var s=norm(q.value.trim()),active=on!==31||s!=="",sp=0,sr=0,hit=[];
 rels.forEach(function(r){
  var k=0;
  if(!active&&!dirty)k=r.ps.length;
  else r.ps.forEach(function(p){var b=bits(p),ok=(b?(b&on):(on&16))&&(!s||txt(p).indexOf(s)>=0);p.hidden=!ok;if(ok)k++});
  var show=!active||k>0;r.d.hidden=!show;if(r.o)r.o.hidden=!show;
  r.c.textContent=active?k+" of "+r.n:String(r.n);
  sp+=k;if(show)sr++;if(s&&k)hit.push(r.d)});
 dirty=active;if(hit.length<=20)hit.forEach(function(d){d.open=true});
 out.textContent=active?"Showing "+fmt(sp)+" of "+fmt(total)+" paragraphs in "+fmt(sr)+" of "+fmt(rels.length)+" releases":"All "+fmt(total)+" paragraphs in "+fmt(rels.length)+" releases";
 out.dataset.p=sp;out.dataset.r=sr;out.dataset.q=s;out.dataset.topics=boxes.filter(function(b){return b.checked}).map(function(b){return b.value}).join(",");out.dataset.ms=Math.round(performance.now())}
function fromUrl(){
 var p=new URLSearchParams(location.search),h=location.hash.slice(1);
 if(h.indexOf("=")>=0)new URLSearchParams(h).forEach(function(v,k){p.set(k,v)});
 if(p.has("topic")){var want=p.get("topic").split(",");boxes.forEach(function(b){b.checked=want.indexOf(b.value)>=0})}
 if(p.has("q"))q.value=p.get("q");
 apply();
 var t=/^r\d+$/.test(h)&&document.getElementById(h);if(t){t.open=true;t.scrollIntoView()}}
boxes.forEach(function(b){b.addEventListener("change",apply)});
q.addEventListener("input",function(){clearTimeout(timer);timer=setTimeout(apply,180)});
$("#ex").addEventListener("click",function(){rels.forEach(function(r){if(!r.d.hidden)r.d.open=true})});
$("#co").addEventListener("click",function(){rels.forEach(function(r){r.d.open=false})});
window.addEventListener("hashchange",fromUrl);
var tb=$("#ov tbody");
A("#ov thead th").forEach(function(th){th.addEventListener("click",function(){
 var c=+th.dataset.k,num=th.classList.contains("num"),dir=th.classList.contains("sd")?1:-1;
 A("#ov th").forEach(function(x){x.classList.remove("sa","sd")});th.classList.add(dir<0?"sd":"sa");
 var rows=[].slice.call(tb.rows);
 rows.sort(function(a,b){var x=a.cells[c].textContent,y=b.cells[c].textContent;
  if(num)return(parseFloat(x.replace(/,/g,""))-parseFloat(y.replace(/,/g,"")))*dir||0;return x<y?dir:x>y?-dir:0});
 rows.forEach(function(r){tb.appendChild(r)})})});
var tip=$("#tip");
function el(tag,cls,text){var e=document.createElement(tag);if(cls)e.className=cls;if(text)e.textContent=text;return e}
function place(e){var x=e.clientX+14,y=e.clientY+14;if(x+tip.offsetWidth>innerWidth-8)x=Math.max(8,innerWidth-tip.offsetWidth-8);
 if(y+tip.offsetHeight>innerHeight-8)y=Math.max(8,e.clientY-tip.offsetHeight-10);tip.style.left=x+"px";tip.style.top=y+"px"}
document.addEventListener("mouseover",function(e){
 var p=e.target.closest&&e.target.closest(".ps>p");if(!p||!p.dataset.s){tip.hidden=true;return}
 var s=p.dataset.s.split(","),t=(p.dataset.t||"").split("|"),b=bits(p);tip.textContent="";
 tip.appendChild(el("div","",b?"topics (bold) and scores":"no topic (other); scores"));
 L.forEach(function(l,j){var d=el("div",(b>>j)&1?"on t"+j:"t"+j);d.appendChild(el("b"));
  d.appendChild(document.createTextNode(l+" "+(+s[j]/100).toFixed(2)));
  if(t[j])d.appendChild(el("em",""," · "+t[j].split(",").join(", ")));tip.appendChild(d)});
 tip.hidden=false;place(e)});
document.addEventListener("mousemove",function(e){if(!tip.hidden)place(e)});
fromUrl()})();"""


def _page_tail() -> str:
    return ('</section><div id="tip" hidden></div><script>'
            + _SCRIPT.replace("%LABELS%", json.dumps(list(LABELS)))
            + "</script></body></html>\n")


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

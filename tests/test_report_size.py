"""The HTML report at scale: 2,000 releases x 50 paragraphs, built by ReportBuilder.

``synth_records`` (used by the browser test too) makes realistic tagged
records: paragraphs of press-release length, dates over 36 months with gaps,
labels whose shares drift over time, a few duplicates and undated releases.
"""

from __future__ import annotations

import hashlib
import random
import re
import time
from pathlib import Path
from typing import Any

from bulletin_clf._labels import LABELS
from bulletin_clf.report import ReportBuilder

_MESES = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
          "noviembre", "diciembre")
_SENTENCES = (
    "Se distribuyeron 12 mil cajas de insulina a los almacenes estatales del IMSS-Bienestar.",
    "El abasto de medicamentos en las farmacias de las unidades médicas llegó al 96 por ciento.",
    "La convocatoria ofrece 800 plazas para médicos especialistas en hospitales rurales de la región.",
    "Se contrataron cinco mil enfermeras y enfermeros para cubrir el déficit en los turnos nocturnos.",
    "Se concluirá la construcción de la torre médica y se instalarán dos tomógrafos de última generación.",
    "La rehabilitación de 40 centros de salud terminará este año, informó el titular de la Secretaría.",
    "El gobierno del estado firmó el convenio de adhesión al IMSS-Bienestar con la Federación.",
    "La federalización de los servicios de salud se coordina en mesas de trabajo con los municipios.",
    "Pidió a la población lavarse las manos y acudir a vacunarse en el módulo más cercano.",
    "Durante la gira de trabajo, la funcionaria dialogó con pacientes y familiares en la sala de espera.",
)


def _text(rng: random.Random) -> str:  # about 265 characters on average, as in examples/seeds
    return " ".join(rng.choice(_SENTENCES) for _ in range(rng.choice((1, 2, 2, 3, 3, 3, 4, 5))))


def synth_records(n_releases: int = 2000, per_release: int = 50, *, seed: int = 0) -> list[dict[str, Any]]:
    """Tagged records of ``n_releases`` releases; dates 2022-01 .. 2024-12 with three empty months."""
    rng = random.Random(seed)
    gap_months = {(2022, 7), (2023, 4), (2023, 5)}
    months = [(y, m) for y in (2022, 2023, 2024) for m in range(1, 13) if (y, m) not in gap_months]
    out: list[dict[str, Any]] = []
    seen_ids: list[str] = []
    for r in range(n_releases):
        y, m = months[r * len(months) // n_releases]
        d = rng.randint(1, 28)
        t = (y - 2022) * 12 + m  # drift over time
        p = (0.15 + 0.004 * t, 0.30 - 0.005 * t, 0.12, 0.25)
        how = r % 20
        name = f"bol_{r:04d}.txt"
        if how == 1:
            name = f"{y}-{m:02d}-{d:02d}_boletin.txt"
        n = per_release if per_release else rng.randint(5, 15)
        texts = [_text(rng) for _ in range(n)]
        if how not in (0, 1, 2):  # a Spanish date line opens most releases
            texts[0] = f"Ciudad de México, {d} de {_MESES[m - 1]} de {y}.- " + texts[0]
        doc_id = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
        if r % 97 == 50 and seen_ids:  # now and then, the same release saved twice
            doc_id = seen_ids[-3] if len(seen_ids) > 3 else seen_ids[0]
        seen_ids.append(doc_id)
        for i, text in enumerate(texts):
            scores = {label: round(rng.random() * 0.4 + (0.55 if rng.random() < p[j] else 0.0), 4)
                      for j, label in enumerate(LABELS)}
            rec: dict[str, Any] = {"source": f"boletines/{y}/{name}", "doc_id": doc_id, "para_idx": i,
                                   "text": text, "labels": [k for k, v in scores.items() if v >= 0.5],
                                   "scores": scores}
            if r % 5 == 0:
                rec["terms"] = {k: ["abast", "medicament"] for k in rec["labels"]}
            if how == 2:
                rec["date"] = f"{y}-{m:02d}-{d:02d}"
            if r % 250 == 7:
                rec["warnings"] = [f"{name}: 2 lines dropped as boilerplate"]
            out.append(rec)
    return out


def test_two_thousand_releases_stay_small_and_fast(tmp_path: Path) -> None:
    records = synth_records(2000, 50)
    text_bytes = sum(len(r["text"].encode()) for r in records)
    t0 = time.perf_counter()
    with ReportBuilder() as builder:
        for rec in records:
            builder.add(rec)
        builder.write_summary(tmp_path / "s.csv")
        builder.write_html(tmp_path / "r.html")
        rows = builder.rows()
    seconds = time.perf_counter() - t0
    size = (tmp_path / "r.html").stat().st_size
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    n_dups = sum(1 for row in rows if row["duplicate_of"])
    shown_paragraphs = sum(row["paragraphs"] for row in rows if not row["duplicate_of"])
    overhead = (size - text_bytes) / len(records)
    print(f"\n2,000 releases x 50 paragraphs: {size / 1e6:.1f} MB HTML "
          f"({text_bytes / 1e6:.1f} MB of it paragraph text, {overhead:.0f} bytes per paragraph besides), "
          f"{seconds:.1f} s to build")
    assert len(rows) == 2000 and n_dups > 0
    assert page.count('<details class="rel"') == 2000
    assert len(re.findall(r"<p class=k\d+", page)) == shown_paragraphs
    # the overview (table and chart) comes before the first release section
    assert page.index('id="trend"') < page.index('id="ov"') < page.index('<details class="rel"')
    # the text itself is most of the file; the markup around each paragraph stays small
    # (2,000 x 50 paragraphs of seed-like length are ~27.5 MB of text alone: the page adds under 6 MB)
    assert overhead < 60 and size - text_bytes < 6e6
    assert seconds < 30

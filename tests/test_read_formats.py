"""One release written as TXT, DOCX, HTML and PDF reads as the same paragraphs.

The release is made here: a title, a dateline lead, body paragraphs (one long
enough to cross a PDF page break), a quotation, a bullet list, a small table
and the closing mark "-0-". The PDF has running headers, footers and page
numbers on every page, as real bulletins do.
"""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from bulletin_clf.read import read_release
from bulletin_clf.segment import segment

TITLE = "IMSS-Bienestar fortalece la atención médica en Oaxaca con 1,120 especialistas"
LEAD = (
    "Oaxaca de Juárez, Oax., 21 de febrero de 2023.- El Instituto Mexicano del Seguro Social (IMSS) y el "
    "Gobierno del Estado instalaron cinco mesas de trabajo para ampliar la atención a las personas que no "
    "cuentan con seguridad social."
)
BODY1 = (
    "Durante la reunión, la secretaria de Salud, Alma Lilia Velasco Hernández, informó que los trabajos se "
    "enfocan en el ordenamiento del personal y en el abasto de medicamentos, que son las demandas más "
    "sentidas de la población y del personal de salud."
)
LONG = (
    "Destacó el compromiso asumido por el Gobernador del Estado, Salomón Jara Cruz, de responder con "
    "eficacia y prontitud a las necesidades en materia de salud, de ahí la importancia de desarrollar las "
    "mesas de trabajo en los temas de infraestructura, abasto de medicamentos, asuntos jurídicos, recursos "
    "humanos y equipamiento, que permitirán generar estrategias que den respuesta a la población de las "
    "ocho regiones del estado. En la mesa de infraestructura se revisó el avance de las obras de los "
    "hospitales generales de Juchitán, Pinotepa Nacional y Tlaxiaco, así como la rehabilitación de "
    "los centros de salud afectados por los sismos de 2017 y por los huracanes de los últimos años, que "
    "requieren una inversión superior a los 600 millones de pesos para volver a dar servicio a las "
    "comunidades. En la mesa de abasto se acordó que el IMSS-Bienestar distribuirá los medicamentos "
    "directamente a las unidades médicas, sin intermediarios, con un inventario semanal que permitirá "
    "conocer las claves faltantes en cada jurisdicción sanitaria y corregir los retrasos antes de que "
    "afecten a los pacientes. En la mesa de recursos humanos se presentó el censo del personal que "
    "labora en los Servicios de Salud de Oaxaca, con el fin de regularizar las plazas de quienes han "
    "trabajado durante años con contratos eventuales y de garantizar que todas y todos reciban sus "
    "prestaciones completas."
)
QUOTE = (
    "“Tenemos el compromiso y la responsabilidad de garantizar la salud de las familias oaxaqueñas; aquí "
    "no es de esperar, es de hacer”, enfatizó la funcionaria."
)
LIST_INTRO = "Los acuerdos de la reunión fueron los siguientes:"
BULLETS = [
    "Contratar 651 médicos especialistas para las comunidades rurales",
    "Concluir las 52 unidades médicas que quedaron abandonadas",
    "Garantizar el abasto de medicamentos en los 570 municipios",
]
TABLE_INTRO = "La distribución del personal contratado por región es la siguiente:"
TABLE = [
    ["Región", "Médicos", "Enfermeras"],
    ["Valles Centrales", "1,120", "730"],
    ["Istmo", "500", "412"],
    ["Costa", "389", "275"],
]
CLOSING = (
    "El coordinador de Recursos Humanos del Insabi, Candelario Pérez Alvarado, anunció que pronto habrá "
    "convocatorias para cubrir el déficit de personal en los hospitales de la entidad."
)

BEFORE_LIST = [TITLE, LEAD, BODY1, LONG, QUOTE]
EXPECTED = [
    *BEFORE_LIST,
    LIST_INTRO,
    *BULLETS,
    TABLE_INTRO,
    *(" | ".join(row) for row in TABLE),
    CLOSING,
]

RUNNING_HEADER = "SERVICIOS DE SALUD DE OAXACA"
RUNNING_FOOTER = "Av. Independencia 123, Centro, Oaxaca de Juárez. Tel. 951 501 5000."


def write_txt(path: Path) -> Path:
    lines = [TITLE, "", LEAD, "", BODY1, "", LONG, "", QUOTE, "", LIST_INTRO]
    lines += [f"• {item}" for item in BULLETS]
    lines += ["", TABLE_INTRO, ""]
    lines += ["| " + " | ".join(row) + " |" for row in TABLE]
    lines += ["", CLOSING, "", "-0-", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def write_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.add_heading(TITLE, level=1)
    for text in [LEAD, BODY1, LONG, QUOTE, LIST_INTRO]:
        document.add_paragraph(text)
    for item in BULLETS:
        document.add_paragraph(item, style="List Bullet")
    document.add_paragraph(TABLE_INTRO)
    table = document.add_table(rows=len(TABLE), cols=len(TABLE[0]))
    for r, row in enumerate(TABLE):
        for c, cell in enumerate(row):
            table.cell(r, c).text = cell
    document.add_paragraph(CLOSING)
    document.add_paragraph("-0-")
    section = document.sections[0]
    section.header.paragraphs[0].text = RUNNING_HEADER  # headers are not part of the body
    section.footer.paragraphs[0].text = RUNNING_FOOTER
    document.save(str(path))
    return path


def article_html() -> str:
    """The release as the <article> of a page (the layouts of test_read_html wrap it)."""
    e = html.escape
    parts = [f'<header class="entry-header"><h1 class="entry-title">{e(TITLE)}</h1></header>']
    parts += [f"<p>{e(t)}</p>" for t in [LEAD, BODY1, LONG, QUOTE, LIST_INTRO]]
    parts.append("<ul>" + "".join(f"<li>{e(b)}</li>" for b in BULLETS) + "</ul>")
    parts.append(f"<p>{e(TABLE_INTRO)}</p>")
    head = "".join(f"<th>{e(c)}</th>" for c in TABLE[0])
    body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in TABLE[1:])
    parts.append(f'<table class="tabla"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>')
    parts.append(f"<p>{e(CLOSING)}</p>")
    parts.append('<p style="text-align: center">-0-</p>')
    return "\n".join(parts)


def write_html(path: Path) -> Path:
    page = (
        '<!DOCTYPE html>\n<html lang="es"><head><meta charset="utf-8"><title>Boletín</title></head><body>\n'
        f'<article class="post">\n{article_html()}\n</article>\n</body></html>\n'
    )
    path.write_text(page, encoding="utf-8")
    return path


def write_pdf(path: Path) -> Path:
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    body = ParagraphStyle("cuerpo", parent=styles["BodyText"], fontSize=11, leading=14, spaceAfter=8)
    bullet = ParagraphStyle("viñeta", parent=body, leftIndent=18, bulletIndent=6, spaceAfter=2)
    center = ParagraphStyle("centro", parent=body, alignment=TA_CENTER)

    def furniture(canvas, doc) -> None:  # type: ignore[no-untyped-def]
        canvas.saveState()
        canvas.setFont("Helvetica-Bold", 9)
        canvas.drawString(72, 750, RUNNING_HEADER)
        canvas.setFont("Helvetica", 8)
        canvas.drawString(72, 40, RUNNING_FOOTER)
        canvas.drawRightString(540, 40, f"Página {doc.page}")
        canvas.restoreState()

    e = html.escape
    story = [Paragraph(e(TITLE), styles["Title"])]
    story += [Paragraph(e(t), body) for t in [LEAD, BODY1]]
    story.append(Spacer(1, 290))  # the release's photo: it pushes the long paragraph over the page break
    story += [Paragraph(e(t), body) for t in [LONG, QUOTE, LIST_INTRO]]
    story += [Paragraph(e(b), bullet, bulletText="•") for b in BULLETS]
    story.append(Paragraph(e(TABLE_INTRO), body))
    table = Table(TABLE, colWidths=[150, 90, 90])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, "black"), ("FONTSIZE", (0, 0), (-1, -1), 10)]))
    story += [table, Spacer(1, 10), Paragraph(e(CLOSING), body), Paragraph("-0-", center)]
    SimpleDocTemplate(str(path), pagesize=letter, topMargin=90, bottomMargin=80).build(
        story, onFirstPage=furniture, onLaterPages=furniture
    )
    return path


WRITERS = {"txt": write_txt, "docx": write_docx, "html": write_html, "pdf": write_pdf}


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_same_release_same_paragraphs_in_every_format(tmp_path: Path, fmt: str) -> None:
    path = WRITERS[fmt](tmp_path / f"boletin.{fmt}")
    text, _ = read_release(path)
    seg = segment(text)
    assert seg.paragraphs == EXPECTED
    assert [d.text for d in seg.dropped] == ["-0-"]


def test_the_long_paragraph_really_crosses_a_pdf_page_break(tmp_path: Path) -> None:
    from pypdf import PdfReader

    pages = [p.extract_text() for p in PdfReader(str(write_pdf(tmp_path / "b.pdf"))).pages]
    assert len(pages) >= 2
    first_words, last_words = " ".join(LONG.split()[:6]), " ".join(LONG.split()[-4:])
    assert first_words in " ".join(pages[0].split())
    assert last_words not in " ".join(pages[0].split())
    assert last_words in " ".join(pages[1].split())
    assert all(RUNNING_HEADER in p for p in pages)


def test_pdf_running_heads_are_reported_not_lost(tmp_path: Path) -> None:
    text, notes = read_release(write_pdf(tmp_path / "b.pdf"))
    assert RUNNING_HEADER not in text and RUNNING_FOOTER not in text and "Página" not in text
    (note,) = [n for n in notes if "running heads" in n]
    assert note.startswith(str(tmp_path / "b.pdf")) and "\n" not in note
    assert "SERVICIOS DE SALUD" in note and "page number" in note


def test_docx_headers_and_footers_are_not_body_text(tmp_path: Path) -> None:
    text, notes = read_release(write_docx(tmp_path / "b.docx"))
    assert RUNNING_HEADER not in text and RUNNING_FOOTER not in text
    assert notes == []


def test_table_numbers_are_not_page_numbers(tmp_path: Path) -> None:
    # "730" and "500" alone on a line would be page numbers; in a table they are data.
    for fmt in ("txt", "docx", "html", "pdf"):
        seg = segment(read_release(WRITERS[fmt](tmp_path / f"t.{fmt}"))[0])
        assert "Istmo | 500 | 412" in seg.paragraphs, fmt
        assert not [d for d in seg.dropped if d.reason == "page number"], fmt

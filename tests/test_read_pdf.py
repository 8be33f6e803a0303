"""PDF pages read the way a person reads them (PDFs drawn line by line here)."""

from __future__ import annotations

from pathlib import Path

from bulletin_clf.read import read_release
from bulletin_clf.segment import segment

HEADER = "SECRETARÍA DE SALUD DE OAXACA"
REPEATED = "Se contrataron 500 médicos especialistas para las comunidades rurales del estado."


def draw(path: Path, pages: list[list[str]], *, header: bool = True, footer: bool = True) -> Path:
    """Each page's lines drawn top-down at 14 pt; "" leaves a paragraph gap."""
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=letter)
    for n, lines in enumerate(pages, 1):
        if header:
            c.setFont("Helvetica-Bold", 9)
            c.drawString(72, 750, HEADER)
        if footer:
            c.setFont("Helvetica", 9)
            c.drawCentredString(306, 36, f"Página {n} de {len(pages)}")
        c.setFont("Helvetica", 11)
        y = 700.0
        for line in lines:
            if line:
                c.drawString(72, y, line)
            y -= 14 if line else 10
        c.showPage()
    c.save()
    return path


def test_hyphenation_across_pdf_lines(tmp_path: Path) -> None:
    lines = [
        "El director general informó que las unidades médicas del programa IMS-",
        "S-Bienestar comenzarán a operar en los 23 estados adheridos, que el IMSS-",
        "Bienestar garantizará el abasto de medica-",
        "mentos y que la cobertura llegará a todos los municipios del estado.",
    ]
    p = draw(tmp_path / "guiones.pdf", [lines], header=False)
    (para,) = segment(read_release(p)[0]).paragraphs
    assert "programa IMSS-Bienestar comenzarán" in para
    assert "que el IMSS-Bienestar garantizará" in para
    assert "abasto de medicamentos y que" in para
    assert "IMS-S" not in para and "IMSS- " not in para


def test_repeated_body_paragraph_survives_and_running_heads_go(tmp_path: Path) -> None:
    first = ["El Instituto Mexicano del Seguro Social informó este martes que la contratación de", "personal avanza."]
    second = ["La Secretaría de Salud informó que el abasto de medicamentos en los hospitales del", "estado mejora."]
    page1 = [*first, "", REPEATED, "", "Fin de la primera página."]
    page2 = [*second, "", REPEATED]
    p = draw(tmp_path / "repetido.pdf", [page1, page2])
    text, notes = read_release(p)
    assert segment(text).paragraphs == [" ".join(first), REPEATED, "Fin de la primera página.", " ".join(second), REPEATED]
    assert HEADER not in text and "Página" not in text
    (note,) = notes
    assert "running header/footer ×2" in note and "page number ×2" in note


def test_paragraph_continues_on_the_next_page(tmp_path: Path) -> None:
    first = [
        "Durante la reunión, la secretaria de Salud informó que los trabajos se enfocan en el",
        "ordenamiento del personal y en el abasto de medicamentos, que son las demandas más",
    ]
    second = ["sentidas de la población.", "", "Otro párrafo del boletín."]
    p = draw(tmp_path / "salto.pdf", [first, second])
    assert segment(read_release(p)[0]).paragraphs == [
        " ".join(first) + " sentidas de la población.",
        "Otro párrafo del boletín.",
    ]


def test_paragraph_ending_at_the_page_end_is_not_joined(tmp_path: Path) -> None:
    first = [
        "Durante la reunión, la secretaria de Salud informó que los trabajos se enfocan en el",
        "ordenamiento del personal.",
    ]
    second = ["La entrega de medicamentos comenzará la próxima semana en todo el estado."]
    p = draw(tmp_path / "fin.pdf", [first, second])
    assert segment(read_release(p)[0]).paragraphs == [" ".join(first), second[0]]


def test_single_page_number_is_dropped_but_body_numbers_stay(tmp_path: Path) -> None:
    p = draw(tmp_path / "uno.pdf", [["Se contrataron médicos.", "", "730"]], header=False)
    text, _ = read_release(p)
    assert "730" in text  # mid-page: a line of the body (the segmenter judges it)
    assert "Página 1 de 1" not in text


def test_lines_within_a_paragraph_ending_in_a_period_stay_together(tmp_path: Path) -> None:
    # A hard-wrapped TXT would split here; the PDF's line spacing says it is one paragraph.
    lines = [
        "El Instituto informó que se contrataron quinientos médicos para el estado de Oaxaca.",
        "Además, se entregaron ambulancias y equipo médico a los hospitales de la región.",
        "Fin.",
    ]
    p = draw(tmp_path / "punto.pdf", [lines], header=False, footer=False)
    assert segment(read_release(p)[0]).paragraphs == [" ".join(lines)]

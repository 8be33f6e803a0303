"""Segmenting converted text the way a person reads it: paragraphs across page
breaks, hyphenation, tables, repeated body text and web-page chrome."""

from __future__ import annotations

import pytest

from bulletin_clf.segment import DroppedLine, boilerplate_reason, segment

FIRST_HALF = (
    "Durante la reunión, la secretaria de Salud informó que los trabajos se enfocan en el ordenamiento\n"
    "del personal y en el abasto de medicamentos, que son las demandas más sentidas de la población y"
)
SECOND_HALF = "del personal de salud en las ocho regiones del estado."
JOINED = " ".join(FIRST_HALF.split("\n")) + " " + SECOND_HALF


@pytest.mark.parametrize(
    "furniture",
    [
        "\n\nPágina 1 de 2\n\fSERVICIOS DE SALUD DE OAXACA\n\n",
        "\nPágina 1 de 2\nSERVICIOS DE SALUD DE OAXACA\n",
        "\n\n\f\n",
        "\n- 1 -\n\f",
        "\n\n— 12 —\n\n",
    ],
    ids=["blank-footer-formfeed-header", "inline", "formfeed-only", "dash-page-number", "blank-dash-page-number"],
)
def test_paragraph_continues_across_a_page_break(furniture: str) -> None:
    header = "SERVICIOS DE SALUD DE OAXACA\n" if "SERVICIOS" in furniture else ""
    text = header + FIRST_HALF + furniture + SECOND_HALF + "\n\nOtro párrafo."
    seg = segment(text)
    assert seg.paragraphs == [JOINED, "Otro párrafo."]
    assert {d.reason for d in seg.dropped} <= {"repeated header", "page number", "no text"}


def test_finished_paragraph_is_not_joined_across_a_page_break() -> None:
    text = "Primer párrafo del boletín, que termina al final de la página.\n\fPágina 2\nSegundo párrafo."
    assert segment(text).paragraphs == [
        "Primer párrafo del boletín, que termina al final de la página.",
        "Segundo párrafo.",
    ]


def test_lower_case_start_after_a_page_break_continues() -> None:
    text = "El instituto informó que se contrataron médicos.\n\f\ny enfermeras para los hospitales."
    assert segment(text).paragraphs == ["El instituto informó que se contrataron médicos. y enfermeras para los hospitales."]


def test_bullet_after_a_page_break_starts_its_own_paragraph() -> None:
    text = "Los acuerdos de la reunión de trabajo de este martes en Oaxaca fueron\n\f\n• Contratar médicos"
    assert segment(text).paragraphs == [
        "Los acuerdos de la reunión de trabajo de este martes en Oaxaca fueron",
        "Contratar médicos",
    ]


def test_a_paragraph_repeated_word_for_word_survives() -> None:
    quote = "“Vamos a garantizar el abasto de medicamentos en todo el país”"
    short = "Se inauguró la clínica de Juchitán."
    text = f"{quote}\n\nEl director habló.\n\n{short}\n\n{quote}\n\n{short}"
    assert segment(text).paragraphs == [quote, "El director habló.", short, quote, short]


def test_repeated_capital_motto_is_still_a_header() -> None:
    text = "“POR LA SALUD DE TODOS”\nPrimer párrafo.\n\n“POR LA SALUD DE TODOS”\nSegundo párrafo."
    seg = segment(text)
    assert seg.paragraphs == ["Primer párrafo.", "Segundo párrafo."]
    assert [d.reason for d in seg.dropped] == ["repeated header", "repeated header"]


# --- hyphenation ---------------------------------------------------------------------

WRAP = "El director general informó que las unidades médicas del programa {}\n{} comenzarán a operar este mes."


@pytest.mark.parametrize(
    ("head", "tail", "word"),
    [
        ("IMS-", "S-Bienestar", "IMSS-Bienestar"),  # a hyphenation inside the acronym
        ("IMSS-", "Bienestar", "IMSS-Bienestar"),  # a compound wrapped at its own hyphen
        ("IMSS-", "BIENESTAR", "IMSS-BIENESTAR"),
        ("medica-", "mentos", "medicamentos"),
        ("COVID-", "19", "COVID-19"),
        ("ISSS-", "TE", "ISSSTE"),
    ],
)
def test_hyphenation_is_undone_without_inventing_letters(head: str, tail: str, word: str) -> None:
    (para,) = segment(WRAP.format(head, tail)).paragraphs
    assert f"programa {word} comenzarán" in para


def test_the_documents_own_words_decide_hyphenation() -> None:
    kept = "La formación teórico-práctica del personal es clave para la atención en las unidades de\nteórico-\npráctica y de campo."
    (para,) = segment(kept).paragraphs
    assert para.count("teórico-práctica") == 2
    glued = "El nivel socioeconómico de las familias y la situación de la población en el estado\nsocio-\neconómico."
    (para,) = segment(glued).paragraphs
    assert para.count("socioeconómico") == 2
    # An upper-case continuation whose glued form is a word of the document is glued.
    ims = "El IMSS-Bienestar atiende a la población sin seguridad social en los estados del país con el\nIMS-\nS-Bienestar."
    assert segment(ims).paragraphs[0].count("IMSS-Bienestar") == 2


def test_a_dash_before_a_line_break_is_not_a_hyphen() -> None:
    (para,) = segment("El titular de la Secretaría de Salud habló con la prensa y los asistentes -\nque eran muchos.").paragraphs
    assert "asistentes - que" in para


# --- tables ---------------------------------------------------------------------------


def test_table_rows_are_paragraphs_and_numbers_stay_with_labels() -> None:
    text = "La distribución es la siguiente:\n| Región | Médicos |\n|---|---|\n| Istmo | 500 |\n| Costa | 730 |\n|  | 12 |\nFin."
    seg = segment(text)
    assert seg.paragraphs == ["La distribución es la siguiente:", "Región | Médicos", "Istmo | 500", "Costa | 730", "12", "Fin."]
    assert [d.reason for d in seg.dropped] == ["no text"]  # only the Markdown rule line


def test_table_row_repeated_is_not_a_header() -> None:
    text = "| Total | 3 |\n\nTexto.\n\n| Total | 3 |"
    assert segment(text).paragraphs == ["Total | 3", "Texto.", "Total | 3"]


# --- web-page chrome in the text --------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("Etiquetas: medicamentos, abasto, IMSS-Bienestar", "tag list"),
        ("Tags: salud", "tag list"),
        ("Temas: vacunación", "tag list"),
        ("Foto: IMSS-Bienestar", "photo credit"),
        ("Fotos: Coordinación de Comunicación Social", "photo credit"),
        ("(Foto: Especial)", "photo credit"),
        ("Fotografía cortesía de la Secretaría de Salud", "photo credit"),
        ("© 2024 Gobierno del Estado", "copyright"),
        ("Copyright 2023 Servicios de Salud de Oaxaca", "copyright"),
        ("Gobierno del Estado de Oaxaca. Todos los derechos reservados.", "copyright"),
        ("Lee también: IMSS abre convocatoria para médicos", "related link"),
        ("LEE TAMBIÉN", "related link"),
        ("Te puede interesar", "related link"),
        ("También te puede interesar: Inauguran hospital", "related link"),
        ("Notas relacionadas", "related link"),
        ("Leer más »", "related link"),
        ("Compartir en Facebook Twitter WhatsApp", "share bar"),
        ("Compartir:", "share bar"),
        ("Facebook X WhatsApp Telegram", "share bar"),
        ("Por: Redacción", "byline"),
        ("Por Redacción", "byline"),
        ("Publicado el 21 febrero, 2023 por Redacción", "byline"),
        ("Última actualización: 22/02/2023", "byline"),
        ("21/02/2023", "date"),
        ("Martes 21 de febrero de 2023", "date"),
    ],
)
def test_web_chrome_lines_are_dropped_with_a_reason(line: str, reason: str) -> None:
    assert boilerplate_reason(line) == reason
    seg = segment(f"Primer párrafo.\n\n{line}\n\nSegundo párrafo.")
    assert seg.paragraphs == ["Primer párrafo.", "Segundo párrafo."]
    assert seg.dropped == [DroppedLine(line, reason)]


@pytest.mark.parametrize(
    "line",
    [
        "Por su parte, el director general destacó el abasto.",
        "Publicado el decreto en el Diario Oficial, entrará en vigor mañana.",
        "Fotos del evento en el hospital de Oaxaca",
        "El gobernador compartió en Facebook el avance de las obras.",
        "Oaxaca de Juárez, Oax., 21 de febrero de 2023.- El IMSS informó que se contrataron médicos.",
        "Los temas de la reunión fueron el abasto y la contratación de personal.",
        "La red de hospitales comparte expedientes con el IMSS.",
    ],
)
def test_body_lines_are_not_web_chrome(line: str) -> None:
    assert boilerplate_reason(line) is None

"""Stage 2: segment, clean_text and boilerplate_reason.

The seed expectations below were written by reading each bulletin in
``examples/seeds`` (copies of the project's shared seed corpus, kept in the repo
so that these tests never skip) by eye (titles and leads are paragraphs, each bullet is
its own paragraph, an attribution name under a quote is its own paragraph),
not by running the segmenter.
"""

from __future__ import annotations

import time
import unicodedata
from pathlib import Path

import pytest

from bulletin_clf.segment import DroppedLine, Segmentation, boilerplate_reason, clean_text, segment

SEEDS = Path(__file__).resolve().parents[1] / "examples" / "seeds"

# stem -> (paragraphs as (first words, last words), dropped (reason, text))
SEED_EXPECTED: dict[str, tuple[list[tuple[str, str]], list[tuple[str, str]]]] = {
    "000_ce69f7b727d09816": (
        [
            ("Gobierno de Oaxaca e instituciones", "servicios de salud"),
            ("Instalan cinco mesas de trabajo", "con seguridad social"),
            ("Oaxaca de Juárez, Oax. 21", "del IMSS-Bienestar."),
            ("Durante esta reunión la secretaria", "personal de Salud."),
            ("“Tenemos el compromiso y la", "enfatizó la funcionaria."),
            ("Destacó el compromiso asumido por", "a la población."),
            ("Por su parte, el Jefe", "en la entidad."),
            ("“Hay interés por parte del", "sin intermediarios”, destacó."),
            ("El coordinador de Recursos Humanos", "necesidades en Oaxaca."),
            ("Anunció que pronto habrá convocatorias", "las comunidades rurales."),
            ("En las mesas de trabajo", "Yáñez, entre otros."),
        ],
        [
            ("year motto", "“2023, AÑO DE LA INTERCULTURALIDAD”"),
            ("year motto", "“2023, AÑO DE LA INTERCULTURALIDAD”"),
            ("closing mark", "-0-"),
        ],
    ),
    "001_83dc0674dc44574e": (
        [
            ("Destaca secretario de salud coordinación", "de la ciudadanía"),
            ("Para garantizar el acceso a", "(OPD) IMSS-BIENESTAR"),
            ("MEXICALI, NOVIEMBRE 19, 2023.- Para", "en Baja California."),
            ("En ese sentido, el secretario", "Bernardo Romero Flores."),
            ("“Celebro que contemos con un", "expresó Medina Amarillas."),
            ("Por su parte, Romero Flores", "población sin derechohabiencia."),
            ("Durante la toma de protesta", "en el país."),
            ("Refirió que durante este año", "todas las áreas."),
            ("Se ha intercambiado información relativa", "a la brevedad."),
            ("El Dr. Romero Flores, se", "Gerencia en Salud."),
        ],
        [
            ("comment form", "DEJA UNA RESPUESTA"),
            ("comment form", "Escribe tu comentario"),
            ("comment form", "Por favor escribe tu nombre"),
        ],
    ),
    "002_07235daff39535a8": (
        [
            ("México.- Mediante una videoconferencia en", "en todo el país."),
            ("En el ejercicio participaron los", "abasto de medicinas."),
            ("En este ejercicio también participaron", "con Medicina Familiar."),
            ("Durante la reunión virtual en", "el sector salud”."),
            ("Por su parte, la Oficial", "todos los mexicanos."),
            ("“Un solo equipo, con una", "el sector salud”"),
            ("Zoé Robledo Aburto", "Zoé Robledo Aburto"),
            ("Durante el evento que tuvo", "de medicamentos oncológicos."),
            ("Igualmente se estableció dar seguimiento", "dar atención inmediata."),
            ("Fueron más 150 participantes en", "de los medicamentos."),
            ("Tanto el IMSS como la", "de salud adecuados."),
        ],
        [],
    ),
    "003_9977f2cffea54f7a": (
        [
            ("IMSS-Bienestar se fortalece con la", "Clínica es Nuestra"),
            ("El 16 de mayo comienzan", "en zonas apartadas"),
            ("El 1° de junio se", "en su beneficio"),
            ("Se han realizado 11 mil", "99% de avance"),
            ("El IMSS-Bienestar se fortalece con", "(IMSS), Zoé Robledo."),
            ("Durante la conferencia de prensa", "de manera directa."),
            ("“Estamos hablando desde centros de", "centros de salud.”"),
            ("Los trabajos incluyen acciones de", "vinculación y apropiación.”"),
            ("Detalló que como parte del", "ciento de avance."),
            ("Por otra parte, explicó que", "por cada espacio."),
            ("“Aquí vamos a lograr que", "atendiendo cualquier urgencia.”"),
            ("Al presentar un reporte de", "e Hidalgo, 700."),
            ("En tanto, en Nayarit son", "211 de 215."),
        ],
        [
            ("photo/video link", "LINK DE FOTOS"),
            ("link", "https://drive.google.com/drive/folders/1BIEY_xuy78Atii8USj2XorL2iTX2Ojtv?usp=sharing"),
            ("photo/video link", "LINK DE VIDEO"),
            (
                "link",
                "https://imssmx.sharepoint.com/:v:/s/comunicacionsocial/"
                "ER6Nrm2bYLVJkXes-V2tyvEBnj6w4FVmwEPKhqvgYfM1Mw?e=BUWfDE",
            ),
        ],
    ),
    "004_fc572cfdc16ed9d7": (
        [
            ("IMSS continuará con el reto", "estados: Zoé Robledo"),
            ("Se inauguró la Tercera Reunión", "y de infraestructura."),
            ("En lo que resta del", "IMSS-Bienestar en Michoacán."),
            ("Se trabaja arduamente para que", "Alfredo Ramírez Bedolla."),
            ("El Instituto Mexicano del Seguro", "entre otros temas."),
            ("Al encabezar la inauguración, el", "en este cambio."),
            ("Invitó a los representantes a", "equipamiento e instrumental."),
            ("“La experiencia de la pandemia", "Seguro Social”, enfatizó."),
            ("Zoé Robledo agradeció al gobernador", "y de IMSS-Bienestar."),
            ("En su mensaje, el gobernador", "para no derechohabientes."),
            ("Ramírez Bedolla dijo que se", "social en Michoacán”."),
            ("Por su parte, el director", "de otros años."),
            ("Subrayó que el papel de", "de esta región."),
            ("En tanto, la titular del", "la Zona Occidente."),
            ("En el acto inaugural las", "CMN de Noroeste."),
        ],
        [
            ("header", "BOLETÍN DE PRENSA"),
            ("photo/video link", "LINK DE FOTOGRAFÍAS"),
            ("link", "https://bit.ly/3TW6fEo"),
            ("photo/video link", "LINK DE VIDEO"),
            ("link", "https://bit.ly/3f9GEco"),
        ],
    ),
}


def _seed_text(stem: str) -> str:
    path = SEEDS / f"{stem}.txt"
    assert path.is_file(), f"seed bulletin {path} is missing (examples/seeds ships with the repo)"
    return path.read_text(encoding="utf-8")


def test_every_seed_has_expectations() -> None:
    assert sorted(p.stem for p in SEEDS.glob("*.txt")) == sorted(SEED_EXPECTED)


@pytest.mark.parametrize("stem", sorted(SEED_EXPECTED))
def test_seed_paragraphs(stem: str) -> None:
    expected, _ = SEED_EXPECTED[stem]
    paragraphs = segment(_seed_text(stem)).paragraphs
    got = [(p.split()[:5], p.split()[-3:]) for p in paragraphs]
    assert len(paragraphs) == len(expected), [" ".join(p.split()[:5]) for p in paragraphs]
    for i, (para, (first, last)) in enumerate(zip(paragraphs, expected, strict=True)):
        words = para.split()
        assert words[: len(first.split())] == first.split(), (i, got[i])
        assert words[-len(last.split()) :] == last.split(), (i, got[i])
        assert para == para.strip() and "  " not in para and "\n" not in para
        assert not para.startswith(("·", "*", "•")) and not para.endswith("*")


@pytest.mark.parametrize("stem", sorted(SEED_EXPECTED))
def test_seed_dropped_boilerplate(stem: str) -> None:
    _, expected = SEED_EXPECTED[stem]
    dropped = segment(_seed_text(stem)).dropped
    assert [(d.reason, d.text) for d in dropped] == expected


@pytest.mark.parametrize("stem", sorted(SEED_EXPECTED))
def test_seed_text_is_conserved(stem: str) -> None:
    # Every word of the bulletin ends up in a paragraph or a dropped line.
    text = _seed_text(stem)
    seg = segment(text)
    kept = " ".join(seg.paragraphs + [d.text for d in seg.dropped]).split()
    # Layout marks (bullets, markdown emphasis) are the only thing removed.
    assert sorted(kept) == sorted(text.replace("·", "").replace("*", "").split())


def test_seed_bullets_are_separate_paragraphs() -> None:
    paragraphs = segment(_seed_text("003_9977f2cffea54f7a")).paragraphs
    assert paragraphs[1] == (
        "El 16 de mayo comienzan a trabajar en más de 3 mil centros de salud para garantizar "
        "atención en el primer nivel en zonas apartadas"
    )
    assert (
        paragraphs[3]
        == "Se han realizado 11 mil 807 asambleas comunitarias, de las 11 mil 947 que concluyen esta semana, con 99% de avance"
    )


def test_seed_markdown_emphasis_is_stripped() -> None:
    paragraphs = segment(_seed_text("000_ce69f7b727d09816")).paragraphs
    assert paragraphs[1].startswith("Instalan cinco")
    assert paragraphs[1].endswith("no cuentan con seguridad social")


# --- joining and splitting lines ---------------------------------------------

WRAPPED = [
    "La Secretaría de Salud informó que durante la presente semana se llevaron a",
    "cabo jornadas de vacunación en diversas comunidades del estado, con el fin",
    "de proteger a la población más vulnerable ante la temporada invernal que se",
    "avecina y reducir el número de hospitalizaciones por enfermedades de las vías",
    "respiratorias en los Servicios de Salud de Oaxaca.",
]


def test_hard_wrapped_lines_are_joined() -> None:
    assert all(60 <= len(line) <= 80 for line in WRAPPED[:-1])
    seg = segment("\n".join(WRAPPED))
    assert seg.paragraphs == [" ".join(WRAPPED)]
    assert seg.dropped == []


def test_hard_wrapped_paragraphs_split_at_sentence_end() -> None:
    second = [
        "El director general del Instituto Mexicano del Seguro Social destacó que",
        "los trabajos continuarán durante todo el año en las unidades médicas.",
    ]
    seg = segment("\n".join(WRAPPED + second))
    assert seg.paragraphs == [" ".join(WRAPPED), " ".join(second)]


def test_hard_wrapped_line_starting_upper_case_joined() -> None:
    lines = [
        "En la reunión participaron representantes del Instituto de Salud para el",
        "Bienestar (Insabi), de los Servicios de Salud de Oaxaca y del gobierno del",
        "Estado de Oaxaca.",
    ]
    assert segment("\n".join(lines)).paragraphs == [" ".join(lines)]


def test_short_title_line_stays_separate() -> None:
    text = "IMSS inaugura clínica en Oaxaca\n" + "\n".join(WRAPPED)
    assert segment(text).paragraphs == ["IMSS inaugura clínica en Oaxaca", " ".join(WRAPPED)]


def test_hyphenated_line_end_word_is_rejoined() -> None:
    text = (
        "El programa de atención primaria a la salud se amplió con nuevas estrate-\n"
        "gias de vacunación en las comunidades rurales del estado de Oaxaca."
    )
    assert segment(text).paragraphs == [
        "El programa de atención primaria a la salud se amplió con nuevas estrategias de "
        "vacunación en las comunidades rurales del estado de Oaxaca."
    ]


def test_hyphenated_compound_name_keeps_its_hyphen() -> None:
    text = (
        "El director general informó que las unidades médicas del programa IMSS-\n"
        "Bienestar comenzarán a operar en los 23 estados adheridos durante este mes."
    )
    (para,) = segment(text).paragraphs
    assert "IMSS-Bienestar comenzarán" in para
    assert "IMSS- Bienestar" not in para


def test_dash_with_space_is_not_a_hyphenation() -> None:
    text = "El titular de la Secretaría de Salud habló con la prensa y los asistentes -\nque eran muchos."
    (para,) = segment(text).paragraphs
    assert "asistentes - que eran" in para


@pytest.mark.parametrize("marker", ["•", "-", "*", "·", "–", "●", "▪"])
def test_symbol_bullets_are_paragraphs_with_marker_stripped(marker: str) -> None:
    text = f"Acciones:\n{marker} Se contrataron médicos\n{marker} Se compraron medicamentos\n{marker} Se abrió un hospital"
    assert segment(text).paragraphs == [
        "Acciones:",
        "Se contrataron médicos",
        "Se compraron medicamentos",
        "Se abrió un hospital",
    ]


def test_mixed_bullets_each_their_own_paragraph() -> None:
    text = "\n".join(
        [
            "Los acuerdos fueron los siguientes:",
            "• Ampliar la cobertura",
            "- Contratar especialistas",
            "* Rehabilitar hospitales",
            "1. Abastecer farmacias",
            "2) Capacitar al personal",
        ]
    )
    assert segment(text).paragraphs == [
        "Los acuerdos fueron los siguientes:",
        "Ampliar la cobertura",
        "Contratar especialistas",
        "Rehabilitar hospitales",
        "1. Abastecer farmacias",  # numbered items keep their number
        "2) Capacitar al personal",
    ]


def test_bullet_at_start_of_block_and_wrapped_bullet() -> None:
    text = (
        "• Se inauguró la Tercera Reunión Regional Zona Occidente; se trabajará para\n"
        "fortalecer servicios médicos y de infraestructura.\n"
        "• En lo que resta del año se tiene un presupuesto de 383 millones de pesos."
    )
    assert segment(text).paragraphs == [
        "Se inauguró la Tercera Reunión Regional Zona Occidente; se trabajará para "
        "fortalecer servicios médicos y de infraestructura.",
        "En lo que resta del año se tiene un presupuesto de 383 millones de pesos.",
    ]


def test_blank_lines_separate_paragraphs() -> None:
    text = "Primer párrafo sin punto\n\n\n\nSegundo párrafo sin punto\n   \nTercero"
    assert segment(text).paragraphs == ["Primer párrafo sin punto", "Segundo párrafo sin punto", "Tercero"]


def test_whitespace_is_collapsed() -> None:
    text = "  La\tSecretaría \u00a0de   Salud\u2003informó.  "
    assert segment(text).paragraphs == ["La Secretaría de Salud informó."]


# --- boilerplate -------------------------------------------------------------


def test_repeated_page_header_dropped() -> None:
    text = "\n".join(
        [
            "SERVICIOS DE SALUD DE OAXACA",
            "Primer párrafo del boletín con información sobre vacunación.",
            "Página 1 de 2",
            "",
            "SERVICIOS DE SALUD DE OAXACA",
            "Segundo párrafo del boletín con información sobre hospitales.",
            "Página 2 de 2",
        ]
    )
    seg = segment(text)
    assert seg.paragraphs == [
        "Primer párrafo del boletín con información sobre vacunación.",
        "Segundo párrafo del boletín con información sobre hospitales.",
    ]
    assert seg.dropped == [
        DroppedLine("SERVICIOS DE SALUD DE OAXACA", "repeated header"),
        DroppedLine("Página 1 de 2", "page number"),
        DroppedLine("SERVICIOS DE SALUD DE OAXACA", "repeated header"),
        DroppedLine("Página 2 de 2", "page number"),
    ]


def test_repeated_header_in_mixed_case_and_spacing() -> None:
    text = "Secretaría de Salud\nTexto uno.\n\nSecretaría  de  Salud \nTexto dos."
    seg = segment(text)
    assert seg.paragraphs == ["Texto uno.", "Texto dos."]
    assert [d.reason for d in seg.dropped] == ["repeated header", "repeated header"]


def test_header_seen_once_is_content() -> None:
    assert segment("Secretaría de Salud\n\nTexto uno.").paragraphs == ["Secretaría de Salud", "Texto uno."]


def test_repeated_sentence_is_not_a_header() -> None:
    text = "Se contrataron médicos.\n\nOtro párrafo.\n\nSe contrataron médicos."
    assert segment(text).paragraphs == ["Se contrataron médicos.", "Otro párrafo.", "Se contrataron médicos."]


def test_repeated_attribution_under_quotes_is_kept() -> None:
    text = "\n".join(
        [
            "“Vamos a garantizar el abasto de medicamentos en todo el país”",
            "Zoé Robledo Aburto",
            "",
            "El director destacó los avances del programa.",
            "",
            "“Cada centro de salud tendrá médicos de lunes a domingo”",
            "Zoé Robledo Aburto",
        ]
    )
    seg = segment(text)
    assert seg.paragraphs == [
        "“Vamos a garantizar el abasto de medicamentos en todo el país”",
        "Zoé Robledo Aburto",
        "El director destacó los avances del programa.",
        "“Cada centro de salud tendrá médicos de lunes a domingo”",
        "Zoé Robledo Aburto",
    ]
    assert seg.dropped == []


@pytest.mark.parametrize(
    "line",
    ["Página 2 de 5", "página 3", "Pág. 4", "Pag 7/9", "12", "3 / 10", "  5 de 6  "],
)
def test_page_numbers_dropped(line: str) -> None:
    assert boilerplate_reason(line) == "page number"
    seg = segment(f"Texto del boletín.\n{line}\nMás texto del boletín.")
    assert seg.paragraphs == ["Texto del boletín.", "Más texto del boletín."]
    assert seg.dropped == [DroppedLine(" ".join(line.split()), "page number")]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("-0-", "closing mark"),
        ("- 0 -", "closing mark"),
        ("—0—", "closing mark"),
        ("-o0o-", "closing mark"),
        ("-oOo-", "closing mark"),
        ("---o0o---", "closing mark"),
        ("-000-", "closing mark"),
        ("--- 0 ---", "closing mark"),
        ("-----", "no text"),
        ("* * *", "no text"),
        ("“2023, AÑO DE LA INTERCULTURALIDAD”", "year motto"),
        ('"2024, Año de Felipe Carrillo Puerto, Benemérito del Proletariado"', "year motto"),
        ("2022, Año de Ricardo Flores Magón", "year motto"),
        ("LINK DE FOTOS", "photo/video link"),
        ("LINK DE VIDEO", "photo/video link"),
        ("LINK DE FOTOGRAFÍAS", "photo/video link"),
        ("Liga de fotos: https://bit.ly/abc", "photo/video link"),
        ("Enlace a la galería", "photo/video link"),
        ("https://bit.ly/3TW6fEo", "link"),
        ("www.gob.mx/imss", "link"),
        ("https://a.mx/1 https://b.mx/2", "link"),
        ("DEJA UNA RESPUESTA", "comment form"),
        ("Escribe tu comentario", "comment form"),
        ("Por favor escribe tu nombre", "comment form"),
        ("Por favor introduce tu dirección de correo electrónico aquí", "comment form"),
        ("BOLETÍN DE PRENSA", "header"),
        ("Boletín No. 123", "header"),
        ("COMUNICADO DE PRENSA 045/2023", "header"),
        ("**Nota informativa**", "header"),
    ],
)
def test_boilerplate_reasons(line: str, reason: str) -> None:
    assert boilerplate_reason(line) == reason
    seg = segment(f"Primer párrafo.\n\n{line}\n\nSegundo párrafo.")
    assert seg.paragraphs == ["Primer párrafo.", "Segundo párrafo."]
    assert [d.reason for d in seg.dropped] == [reason]


@pytest.mark.parametrize(
    "line",
    [
        "Zoé Robledo Aburto",
        "Fotos del evento en el hospital de Oaxaca",
        "El link de fotos se compartió con la prensa.",
        "El IMSS informó que 2023 fue un año de retos.",
        "Boletín de la Secretaría de Salud sobre el dengue",
        "Comentarios del director general sobre la vacunación",
        "Ver https://bit.ly/abc para más información",
        "1. Abastecer farmacias",
        "o",
    ],
)
def test_content_lines_are_not_boilerplate(line: str) -> None:
    assert boilerplate_reason(line) is None
    assert segment(line).paragraphs == [line]


def test_dropped_line_ends_the_paragraph_it_interrupts() -> None:
    text = "Los trabajos incluyen acciones de infraestructura\nLINK DE FOTOS\nhttps://drive.google.com/x"
    seg = segment(text)
    assert seg.paragraphs == ["Los trabajos incluyen acciones de infraestructura"]
    assert [d.reason for d in seg.dropped] == ["photo/video link", "link"]


# --- cleaning ------------------------------------------------------------------


def test_crlf_input() -> None:
    text = "Primera línea del primer párrafo.\r\nSegundo párrafo.\r\n\r\nTercer párrafo\r\n"
    seg = segment(text)
    assert seg.paragraphs == ["Primera línea del primer párrafo.", "Segundo párrafo.", "Tercer párrafo"]
    assert not any("\r" in p for p in seg.paragraphs)
    assert segment(text.replace("\r\n", "\r")).paragraphs == seg.paragraphs  # old Mac line ends


def test_form_feed_and_unicode_separators_break_lines() -> None:
    text = "Página uno.\fPágina dos.\u2028Línea.\u2029Párrafo.\x85Fin."
    assert segment(text).paragraphs == ["Página uno.", "Página dos.", "Línea.", "Párrafo.", "Fin."]


@pytest.mark.parametrize(
    "invisible",
    [
        "\u200b",
        "\u200c",
        "\u200d",
        "\u2060",
        "\ufeff",
        "\u00ad",
        "\u200e",
        "\u200f",
        "\u202a",
        "\u2066",
        "\x00",
        "\x07",
        "\x1b",
        "\x9c",
    ],
)
def test_invisible_characters_removed(invisible: str) -> None:
    text = f"{invisible}Secre{invisible}taría de Sa{invisible}lud{invisible}"
    assert clean_text(text) == "Secretaría de Salud"
    assert segment(text).paragraphs == ["Secretaría de Salud"]


def test_clean_text_is_nfc() -> None:
    decomposed = "Secretari\u0301a de Salud, nin\u0303os"
    assert clean_text(decomposed) == "Secretaría de Salud, niños"
    assert segment(decomposed).paragraphs == ["Secretaría de Salud, niños"]


def test_clean_text_is_nfc_after_removing_invisibles() -> None:
    # A zero-width space between a letter and its accent used to block composition.
    out = clean_text("Secretari\u200b\u0301a")
    assert out == "Secretaría"
    assert unicodedata.is_normalized("NFC", out)


def test_clean_text_keeps_tabs_and_newlines() -> None:
    assert clean_text("a\tb\nc\r\nd\re") == "a\tb\nc\nd\ne"


# --- edge cases ------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n\n\n", "\u200b\ufeff", "-0-", "***\n---\n· ·"])
def test_nothing_to_keep(text: str) -> None:
    seg = segment(text)
    assert isinstance(seg, Segmentation)
    assert seg.paragraphs == []


def test_minus_sign_of_a_number_is_a_limitation_but_digits_survive() -> None:
    # A line starting with "-5" is read as a bullet (documented rule); the
    # number itself must not be lost.
    seg = segment("Temperaturas:\n-5 grados en la sierra")
    assert seg.paragraphs[-1].endswith("5 grados en la sierra")


# Inputs on which the old patterns backtracked for many seconds or minutes
# (exponential URL pattern, quadratic closing-mark, header, asterisk and
# line-joining code). The bound is far above what linear code needs.
PATHOLOGICAL = {
    "urls": "https://" * 40 + " x",
    "www": "www." * 60 + " x",
    "closing": "-" * 40_000 + "x",
    "header": "Boletín " + "1" * 20_000 + "!",
    "stars": "x" + "*" * 50_000 + "y",
    "spaces": "Boletín" + " " * 50_000 + "!",
}


@pytest.mark.parametrize("name", sorted(PATHOLOGICAL))
def test_pathological_lines_are_fast(name: str) -> None:
    line = PATHOLOGICAL[name]
    start = time.perf_counter()
    boilerplate_reason(line)
    seg = segment(line)
    assert time.perf_counter() - start < 5
    assert seg.paragraphs or seg.dropped


def test_long_hard_wrapped_block_is_fast() -> None:
    lines = [f"la población número {i} más vulnerable ante la temporada invernal que se" for i in range(4000)]
    start = time.perf_counter()
    seg = segment("\n".join(lines))
    assert time.perf_counter() - start < 5
    assert seg.paragraphs == [" ".join(lines)]


def test_invisible_characters_are_all_non_printable() -> None:
    """clean_text skips its regex when the text is printable: exact only if this holds."""
    from bulletin_clf.segment import _INVISIBLE

    assert all(not chr(c).isprintable() for c in _INVISIBLE)


@pytest.mark.parametrize("text", ["Texto\tcon tabulador\ny salto", "sin nada raro", "a\u200bb", "x\u00a0y\u00ad", ""])
def test_clean_text_fast_path_equals_the_regex(text: str) -> None:
    from bulletin_clf.segment import _INVISIBLE_RE

    assert clean_text(text) == unicodedata.normalize("NFC", _INVISIBLE_RE.sub("", text))


def test_all_rights_guard_is_exact() -> None:
    """The "todos los derechos reservados" rule runs only on lines containing "rvado":
    no character other than those five letters (in either case) matches them ignoring case."""
    import re
    import sys

    letters = re.compile("[rvado]", re.IGNORECASE)
    matching = [chr(c) for c in range(sys.maxunicode + 1) if letters.fullmatch(chr(c))]
    assert all(c.lower() in "rvado" and len(c.lower()) == 1 for c in matching)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("Gobierno de Oaxaca. Todos los derechos reservados.", "copyright"),
        ("TODOS LOS DERECHOS RESERVADOS", "copyright"),
        ("x" * 119 + " todos los derechos reservados " + "y" * 119, "copyright"),
        ("x" * 121 + " todos los derechos reservados", None),
        ("Etiquetas: todos los derechos reservados", "tag list"),  # an earlier rule decides first
        ("Lee también: todos los derechos reservados", "copyright"),  # a later one does not
        ("Por: Redacción. Todos los derechos reservados", "copyright"),  # copyright comes before byline
        ("Se informó que todos los derechos reservados a los trabajadores se respetan " * 4, None),
    ],
)
def test_all_rights_rule_keeps_its_place_in_the_order(line: str, reason: str | None) -> None:
    assert boilerplate_reason(line) == reason

"""Property tests for read_text and segment (hypothesis; bounded examples, no database)."""

from __future__ import annotations

import unicodedata
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bulletin_clf.errors import ReadError
from bulletin_clf.read import read_release, read_text
from bulletin_clf.segment import Segmentation, clean_text, segment

FUZZ = settings(
    max_examples=200,
    deadline=None,
    database=None,  # nothing written into the repo
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Pieces that exercise every rule of the segmenter.
TOKENS = st.sampled_from(
    [
        "\n",
        "\n\n",
        "\r\n",
        "\r",
        "\f",
        "\t",
        " ",
        "\u00a0",
        "\u2028",
        "\u2029",
        "\x85",
        "\x00",
        "\x0b",
        "\u200b",
        "\ufeff",
        "\u00ad",
        "\u200e",
        "\u0301",
        "\u0303",
        "e\u200b\u0301",
        "n\u00ad\u0303",
        "·",
        "•",
        "- ",
        "-",
        "* ",
        "**",
        "1. ",
        "a) ",
        "–",
        "—",
        "-0-",
        "-o0o-",
        "https://bit.ly/3f9GEco",
        "www.gob.mx",
        "LINK DE FOTOS",
        "Liga de video",
        "DEJA UNA RESPUESTA",
        "Escribe tu comentario",
        "Página 2 de 5",
        "BOLETÍN DE PRENSA",
        "“2023, AÑO DE LA INTERCULTURALIDAD”",
        "SECRETARÍA DE SALUD",
        "Zoé Robledo Aburto",
        "estrate-",
        "IMSS-",
        "gias",
        "Bienestar",
        "”",
        "“",
        ".",
        ":",
        ";",
        "?",
        "…",
        "El IMSS informó que se contrataron médicos especialistas en Oaxaca",
        "la población más vulnerable ante la temporada invernal que se avecina y",
        "| Istmo | 500 |",
        "|",
        " | ",
        "|---|",
        "Etiquetas: salud",
        "Foto: IMSS-Bienestar",
        "© 2024",
        "Lee también",
        "Compartir Facebook",
        "21/02/2023",
        "IMS-",
        "S-Bienestar",
        "medica-",
        "mentos",
        "- 2 -",
        "\uf0b7 ",
        "Ã©",
        "â€œ",
    ]
)
ANY_TEXT = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=200)
DOCUMENTS = st.lists(st.one_of(TOKENS, ANY_TEXT), max_size=60).map("".join)
LONG_LINES = st.tuples(st.one_of(TOKENS, ANY_TEXT.filter(bool)), st.integers(1, 3000)).map(
    lambda pair: pair[0].replace("\n", " ") * pair[1]
)


def alnum(texts: list[str]) -> Counter[str]:
    return Counter(ch for text in texts for ch in text if ch.isalnum())


def check_segmentation(text: str, seg: Segmentation) -> None:
    assert isinstance(seg, Segmentation)
    for para in seg.paragraphs:
        assert isinstance(para, str) and para
        assert para == para.strip()
        assert "\n" not in para and "\r" not in para
        assert any(ch.isalnum() for ch in para)
    for line in seg.dropped:
        assert line.text and line.reason
        assert "\n" not in line.text
    # Content is never lost: every letter and digit of the cleaned input is in
    # a paragraph or in a dropped line (joining hyphenated words only removes "-").
    assert alnum([clean_text(text)]) == alnum(seg.paragraphs + [d.text for d in seg.dropped])


@FUZZ
@given(DOCUMENTS)
def test_segment_never_raises_and_keeps_content(text: str) -> None:
    check_segmentation(text, segment(text))


@FUZZ
@given(st.lists(LONG_LINES, min_size=1, max_size=4).map("\n".join))
def test_segment_long_lines(text: str) -> None:
    check_segmentation(text, segment(text))


@FUZZ
@given(st.text(max_size=300))
def test_segment_arbitrary_unicode(text: str) -> None:
    check_segmentation(text, segment(text))


@FUZZ
@given(DOCUMENTS)
def test_clean_text_is_nfc_and_idempotent(text: str) -> None:
    cleaned = clean_text(text)
    assert unicodedata.is_normalized("NFC", cleaned)
    assert "\r" not in cleaned and "\x00" not in cleaned and "\u200b" not in cleaned
    assert clean_text(cleaned) == cleaned


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@FUZZ
def _reads_or_fails_in_one_line(p: Path) -> None:
    """Either text with content and one-line warnings naming the file, or a one-line ReadError
    that starts with the path; and read_text agrees with read_release."""
    try:
        out, notes = read_release(p)
    except ReadError as exc:
        msg = str(exc)
        assert msg.startswith(str(p)) and "\n" not in msg and "\r" not in msg
        with pytest.raises(ReadError):
            read_text(p)
    else:
        assert isinstance(out, str) and out.strip()
        for note in notes:
            assert note.startswith(str(p)) and "\n" not in note and "\r" not in note
        assert read_text(p) == out
        check_segmentation(out, segment(out))


@given(data=st.binary(max_size=2000))
def test_read_text_on_arbitrary_bytes(fuzz_dir: Path, data: bytes) -> None:
    p = fuzz_dir / "entrada.txt"
    p.write_bytes(data)
    _reads_or_fails_in_one_line(p)


HTML_TOKENS = st.sampled_from(
    [
        "<p>",
        "</p>",
        "<div class='comment'>",
        "<div id='menu'>",
        "</div>",
        "<article>",
        "</article>",
        "<header>",
        "</header>",
        "<script>",
        "</script>",
        "<style>",
        "<br>",
        "<td>",
        "</td>",
        "<th>",
        "<tr>",
        "</tr>",
        "<table>",
        "</table>",
        "<ol>",
        "<li>",
        "<h1>",
        "</h1>",
        "<nav>",
        "<footer>",
        "<main>",
        "<form>",
        "<div class='entry-content'>",
        "<div class='share'>",
        "<span class='tags'>",
        "<p hidden>",
        "<a href='x'>",
        "</a>",
        "|",
        "Foto: IMSS",
        "<!--",
        "-->",
        "<![CDATA[",
        "]]>",
        "<!DOCTYPE html>",
        "<?xml version='1.0'?>",
        "<",
        ">",
        "</",
        "&",
        "&amp;",
        "&#",
        "&#x",
        ";",
        '"',
        "'",
        "=",
        "</body>",
        "<body class='has-sidebar'>",
        "https://www.gob.mx/salud",
        "boletin.html",
        "Secretaría de Salud",
        "\n",
        " ",
    ]
)


@FUZZ
@given(
    st.one_of(HTML_TOKENS, st.lists(st.one_of(HTML_TOKENS, st.text(max_size=40)), max_size=40).map("".join))
)
def test_read_text_on_arbitrary_html(fuzz_dir: Path, text: str) -> None:
    p = fuzz_dir / "pagina.html"
    p.write_bytes(text.encode("utf-8", "surrogatepass"))
    _reads_or_fails_in_one_line(p)


@FUZZ
@given(data=st.binary(min_size=1, max_size=2000), suffix=st.sampled_from([".pdf", ".docx", ".md", ".htm"]))
def test_read_text_on_arbitrary_bytes_any_suffix(fuzz_dir: Path, data: bytes, suffix: str) -> None:
    p = fuzz_dir / f"entrada{suffix}"
    p.write_bytes(data)
    try:
        assert isinstance(read_text(p), str)
    except ReadError as exc:
        assert str(exc).startswith(str(p)) and "\n" not in str(exc)


# --- 2 MB inputs: must finish (the old line joiner was quadratic) ---------------

WORDS = [
    "la",
    "secretaría",
    "de",
    "salud",
    "informó",
    "que",
    "el",
    "instituto",
    "mexicano",
    "del",
    "seguro",
    "social",
    "contrató",
    "médicos",
    "especialistas",
    "enfermeras",
    "hospitales",
    "clínicas",
    "medicamentos",
    "abasto",
    "vacunación",
    "comunidades",
    "rurales",
]


def _wrapped_lines(n_chars: int) -> list[str]:
    lines, i = [], 0
    total = 0
    while total < n_chars:
        words = [WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(11)]
        lines.append(f"{' '.join(words)} {i}")
        total += len(lines[-1]) + 1
        i += 1
    return lines


def test_two_megabytes_in_one_hard_wrapped_block() -> None:
    lines = _wrapped_lines(2 * 2**20)
    text = "\n".join(lines)
    seg = segment(text)
    assert len(seg.paragraphs) == 1
    assert len(seg.paragraphs[0]) == len(text)
    check_segmentation(text, seg)


def test_two_megabytes_of_mixed_bulletin_text() -> None:
    lines = _wrapped_lines(2 * 2**20)
    for i in range(0, len(lines) - 1, 9):  # a sentence ends, the next one starts in capitals
        lines[i] += "."
        lines[i + 1] = lines[i + 1].capitalize()
    for i in range(5, len(lines), 40):
        lines[i] = "· " + lines[i]
    for i in range(20, len(lines), 300):
        lines[i] = "\nSECRETARÍA DE SALUD\nPágina 3 de 9\n"
    text = "\n".join(lines)
    seg = segment(text)
    assert len(seg.paragraphs) > 1000
    assert {d.reason for d in seg.dropped} == {"repeated header", "page number"}
    check_segmentation(text, seg)


def test_two_megabytes_on_one_line() -> None:
    text = " ".join(_wrapped_lines(2 * 2**20))
    seg = segment(text)
    assert seg.paragraphs == [text]


# --- tagging ------------------------------------------------------------------

PARAGRAPH = st.lists(st.one_of(TOKENS, st.text(max_size=12), st.sampled_from(
    ["medicamentos", "médicos", "hospital", "convenio", "IMSS-Bienestar", "¼ µ ﬁ ™", "\x01", "Σ"])), max_size=25).map("".join)


@pytest.fixture(scope="module", params=["arrays", "pickle"])
def fuzz_tagger(request: pytest.FixtureRequest, tiny_model_dir: Path):
    from bulletin_clf import load

    return load(tiny_model_dir, backend=request.param, allow_pickle=request.param == "pickle")


@FUZZ
@given(paragraphs=st.lists(PARAGRAPH, max_size=6))
def test_predict_is_aligned_with_its_input(fuzz_tagger, paragraphs: list[str]) -> None:
    proba = fuzz_tagger.predict_proba(paragraphs)
    assert proba.shape == (len(paragraphs), 4)
    assert ((proba >= 0) & (proba <= 1)).all()
    labels = fuzz_tagger.predict(paragraphs)
    assert len(labels) == len(paragraphs)
    # one paragraph at a time gives the same answer as the batch
    assert [fuzz_tagger.predict([p])[0] for p in paragraphs] == labels


@FUZZ
@given(text=st.lists(st.one_of(TOKENS, PARAGRAPH), max_size=20).map("".join))
def test_tag_text_is_aligned_with_the_segmentation(fuzz_tagger, text: str) -> None:
    tagged = fuzz_tagger.tag_text(text)
    paragraphs = segment(text).paragraphs
    assert [t.text for t in tagged] == paragraphs
    assert [t.index for t in tagged] == list(range(len(paragraphs)))
    assert [t.labels for t in tagged] == fuzz_tagger.predict(paragraphs)

"""Stage 1: read_text. Every input is a tiny file built by the test in tmp_path."""

from __future__ import annotations

import io
import os
import re
import threading
import zipfile
from pathlib import Path

import pytest

from bulletin_clf.errors import ReadError
from bulletin_clf.read import DEFAULT_MAX_BYTES, read_text
from bulletin_clf.segment import segment


def read_error(path: Path | str, *needles: str, **kwargs: int) -> str:
    """Assert read_text fails with a one-line message that starts with the path."""
    with pytest.raises(ReadError) as info:
        read_text(path, **kwargs)
    msg = str(info.value)
    assert msg.startswith(str(path)), msg
    assert str(path) in msg
    assert "\n" not in msg and "\r" not in msg, msg
    for needle in needles:
        assert needle.lower() in msg.lower(), (needle, msg)
    return msg


def make_pdf(path: Path, lines: list[str]) -> Path:
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=letter)
    y = 720
    for line in lines:
        c.drawString(72, y, line)
        y -= 16
    c.showPage()
    c.save()
    return path


def make_docx(path: Path, paragraphs: list[str], table: list[list[str]] | None = None) -> Path:
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        t = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, cell in enumerate(row):
                t.cell(r, c).text = cell
    document.save(str(path))
    return path


# --- plain text -------------------------------------------------------------


def test_utf8_txt_keeps_accents(tmp_path: Path) -> None:
    text = "Secretaría de Salud: niños, vacunación y atención médica en Oaxaca.\n"
    p = tmp_path / "boletin.txt"
    p.write_bytes(text.encode("utf-8"))
    assert read_text(p) == text


def test_cp1252_txt_accents_survive(tmp_path: Path) -> None:
    p = tmp_path / "windows.txt"
    p.write_bytes("Secretaría de Salud, niños".encode("cp1252"))
    assert read_text(p) == "Secretaría de Salud, niños"


def test_cp1252_curly_quotes_and_dashes(tmp_path: Path) -> None:
    text = "“Tenemos el compromiso” – dijo la secretaria… año 2023"
    p = tmp_path / "comillas.txt"
    p.write_bytes(text.encode("cp1252"))
    assert read_text(p) == text


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_byte_order_mark(tmp_path: Path, encoding: str) -> None:
    text = "Secretaría de Salud: niños y atención médica.\n\nSegundo párrafo."
    data = text.encode(encoding)
    if encoding != "utf-16":  # the explicit-endian codecs write no BOM; add the one editors write
        data = ("\ufeff" + text).encode(encoding)
    p = tmp_path / "unicode.txt"
    p.write_bytes(data)
    assert read_text(p) == text


def test_utf16_without_byte_order_mark_is_refused_as_binary(tmp_path: Path) -> None:
    p = tmp_path / "sin_bom.txt"
    p.write_bytes("Texto sin marca de orden.".encode("utf-16-le"))
    read_error(p, "binary")


def test_broken_utf16_names_the_problem(tmp_path: Path) -> None:
    p = tmp_path / "roto.txt"
    p.write_bytes(b"\xff\xfe" + "Texto".encode("utf-16-le") + b"\x00\xd8")  # unpaired surrogate
    read_error(p, "not valid UTF-16")


def test_utf8_bom_is_removed(tmp_path: Path) -> None:
    p = tmp_path / "bom.txt"
    p.write_bytes(b"\xef\xbb\xbf" + "Atención médica".encode())
    out = read_text(p)
    assert out == "Atención médica"
    assert "\ufeff" not in out


def test_markdown_file(tmp_path: Path) -> None:
    text = "# Boletín\n\nEl IMSS informó que **se amplía** la atención.\n"
    p = tmp_path / "nota.md"
    p.write_text(text, encoding="utf-8")
    assert read_text(p) == text


def test_uppercase_suffix_is_supported(tmp_path: Path) -> None:
    p = tmp_path / "NOTA.TXT"
    p.write_text("Texto del boletín.", encoding="utf-8")
    assert read_text(p) == "Texto del boletín."


def test_single_one_megabyte_line(tmp_path: Path) -> None:
    line = "salud " * (2**20 // 6)
    p = tmp_path / "linea.txt"
    p.write_text(line, encoding="utf-8")
    out = read_text(p)
    assert out == line
    assert len(out) >= 1_000_000


# --- HTML -------------------------------------------------------------------

PAGE = """<!DOCTYPE html>
<html lang="es">
<head>
  <title>TITULO-DE-PESTANA</title>
  <style>.x { color: red } ESTILO-OCULTO</style>
  <script>var s = "SCRIPT-OCULTO";</script>
</head>
<body class="post-template-default single has-sidebar">
  <header class="site-header"><a href="/">ENCABEZADO-DEL-SITIO</a></header>
  <nav><ul><li>MENU-INICIO</li><li>MENU-CONTACTO</li></ul></nav>
  <article class="post">
    <header class="entry-header"><h1>IMSS amplía la atención en Oaxaca</h1></header>
    <p>El Instituto Mexicano del Seguro Social informó que se contrataron
       <b>médicos</b> especialistas.</p>
    <p>La secretaria de Salud destacó el abasto de medicamentos.</p>
    <ul><li>Se inauguró la clínica</li><li>Se entregaron ambulancias</li></ul>
    <div class="td-post-sharing">COMPARTIR-EN-REDES</div>
    <script>document.write("SCRIPT-EN-ARTICULO")</script>
  </article>
  <aside>LATERAL-RELACIONADOS</aside>
  <div id="comments">
    <h3 class="reply-title">DEJA UNA RESPUESTA</h3>
    <form><textarea>Escribe tu comentario</textarea><input value="NOMBRE-CAMPO"></form>
    <p>COMENTARIO-DE-LECTOR</p>
  </div>
  <footer>PIE-DE-PAGINA Todos los derechos reservados</footer>
</body>
</html>
"""


def test_html_keeps_article_and_drops_chrome(tmp_path: Path) -> None:
    p = tmp_path / "pagina.html"
    p.write_text(PAGE, encoding="utf-8")
    out = read_text(p)
    for kept in (
        "IMSS amplía la atención en Oaxaca",
        "Instituto Mexicano del Seguro Social",
        "médicos",
        "abasto de medicamentos",
        "Se inauguró la clínica",
        "Se entregaron ambulancias",
    ):
        assert kept in out, kept
    for gone in (
        "TITULO-DE-PESTANA",
        "ESTILO-OCULTO",
        "SCRIPT-OCULTO",
        "SCRIPT-EN-ARTICULO",
        "ENCABEZADO-DEL-SITIO",
        "MENU-INICIO",
        "COMPARTIR-EN-REDES",
        "LATERAL-RELACIONADOS",
        "DEJA UNA RESPUESTA",
        "Escribe tu comentario",
        "NOMBRE-CAMPO",
        "COMENTARIO-DE-LECTOR",
        "PIE-DE-PAGINA",
    ):
        assert gone not in out, gone
    # Block elements are separated; list items do not run together.
    assert "clínicaSe" not in out


def test_html_without_article_uses_body_and_id_marked_comments_dropped(tmp_path: Path) -> None:
    p = tmp_path / "sin_article.htm"
    p.write_text(
        "<html><body><nav>MENU</nav><p>Primer párrafo del boletín.</p>"
        '<div id="comments"><p>COMENTARIO-DE-LECTOR</p></div>'
        '<div class="cookie-banner">Aceptar COOKIES</div></body></html>',
        encoding="utf-8",
    )
    out = read_text(p)
    assert "Primer párrafo del boletín." in out
    assert "COMENTARIO-DE-LECTOR" not in out
    assert "COOKIES" not in out
    assert "MENU" not in out


def test_html_html_comments_and_entities(tmp_path: Path) -> None:
    p = tmp_path / "entidades.html"
    p.write_text(
        "<p>Salud&nbsp;y bienestar &amp; atenci&oacute;n<!-- COMENTARIO-HTML --></p>", encoding="utf-8"
    )
    out = read_text(p)
    assert "Salud\u00a0y bienestar & atención" in out
    assert "COMENTARIO-HTML" not in out


def test_html_table_cells_do_not_run_together(tmp_path: Path) -> None:
    p = tmp_path / "tabla.html"
    p.write_text(
        "<article><table><tr><td>Tlaxcala</td><td>179</td></tr><tr><td>Colima</td><td>118</td></tr>"
        "</table></article>",
        encoding="utf-8",
    )
    out = read_text(p)
    assert "Tlaxcala179" not in out
    assert "Tlaxcala" in out and "179" in out and "Colima" in out


def test_html_br_is_a_line_break(tmp_path: Path) -> None:
    p = tmp_path / "br.html"
    p.write_text("<p>primera línea<br>segunda línea</p>", encoding="utf-8")
    out = read_text(p)
    assert "primera línea\nsegunda línea" in out


def test_malformed_html_is_still_read(tmp_path: Path) -> None:
    p = tmp_path / "roto.html"
    p.write_text(
        "<html><body><div><p>Primer párrafo <b>en negritas<p>Segundo párrafo"
        "<div><span>Tercer párrafo</body><p>Cuarto</i></table>",
        encoding="utf-8",
    )
    out = read_text(p)
    for part in ("Primer párrafo", "en negritas", "Segundo párrafo", "Tercer párrafo", "Cuarto"):
        assert part in out


def test_html_that_looks_like_a_url_warns_nothing(tmp_path: Path) -> None:
    # bs4 warns MarkupResemblesLocatorWarning here; filterwarnings=error makes it fail.
    p = tmp_path / "url.html"
    p.write_text("https://www.gob.mx/salud/prensa/boletin-123", encoding="utf-8")
    assert "gob.mx" in read_text(p)


def test_xhtml_with_xml_declaration(tmp_path: Path) -> None:
    p = tmp_path / "x.html"
    p.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml">'
        "<body><p>Texto XHTML del boletín.</p></body></html>",
        encoding="utf-8",
    )
    assert "Texto XHTML del boletín." in read_text(p)


def test_html_cp1252(tmp_path: Path) -> None:
    p = tmp_path / "latin.html"
    p.write_bytes("<p>Secretaría de Salud, niños</p>".encode("cp1252"))
    assert "Secretaría de Salud, niños" in read_text(p)


def test_html_with_only_chrome_has_no_text(tmp_path: Path) -> None:
    p = tmp_path / "vacio.html"
    p.write_text("<html><body><nav>Inicio</nav><script>x()</script></body></html>", encoding="utf-8")
    read_error(p, "no text")


# --- PDF --------------------------------------------------------------------


def test_text_pdf(tmp_path: Path) -> None:
    p = make_pdf(
        tmp_path / "boletin.pdf",
        ["Secretaría de Salud informa.", "Se contrataron 500 médicos especialistas."],
    )
    out = read_text(p)
    assert "Secretaría de Salud informa." in out
    assert "Se contrataron 500 médicos especialistas." in out


def test_pdf_without_text_layer(tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    p = tmp_path / "escaneado.pdf"
    c = canvas.Canvas(str(p))
    c.rect(100, 100, 300, 400, fill=1)
    c.showPage()
    c.save()
    read_error(p, "no text layer")


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.4\n" + bytes(range(256)) * 4,
        b"esto no es un PDF",
        b"",
    ],
    ids=["garbage", "not-pdf", "empty"],
)
def test_corrupt_pdf(tmp_path: Path, data: bytes) -> None:
    p = tmp_path / "roto.pdf"
    p.write_bytes(data)
    read_error(p)


def test_truncated_pdf(tmp_path: Path) -> None:
    good = make_pdf(tmp_path / "bueno.pdf", ["Texto de prueba del boletín."]).read_bytes()
    p = tmp_path / "truncado.pdf"
    p.write_bytes(good[: len(good) // 2])
    read_error(p, "pdf")


# --- DOCX -------------------------------------------------------------------


def test_docx_paragraphs_and_table(tmp_path: Path) -> None:
    p = make_docx(
        tmp_path / "boletin.docx",
        ["IMSS amplía la atención", "Se contrataron médicos.", "", "La secretaría informó."],
        table=[["Estado", "Comités"], ["Tlaxcala", "179"]],
    )
    out = read_text(p)
    blocks = [b for b in out.split("\n\n") if b]
    assert blocks[:3] == ["IMSS amplía la atención", "Se contrataron médicos.", "La secretaría informó."]
    # A table is read as a table: one "| cell | cell |" line per row, one paragraph per row.
    assert blocks[3:] == ["| Estado | Comités |", "| Tlaxcala | 179 |"]
    assert segment(out).paragraphs[3:] == ["Estado | Comités", "Tlaxcala | 179"]


def test_docx_table_stays_where_it_is_and_merged_cells_count_once(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("Antes de la tabla.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).merge(table.cell(0, 1)).text = "Avance de obras"
    table.cell(1, 0).text, table.cell(1, 1).text = "Hospital", "90 %"
    document.add_paragraph("Después de la tabla.")
    p = tmp_path / "tabla.docx"
    document.save(str(p))
    out = read_text(p)
    blocks = [b for b in out.split("\n\n") if b]
    assert blocks == ["Antes de la tabla.", "| Avance de obras |", "| Hospital | 90 % |", "Después de la tabla."]
    assert segment(out).paragraphs == ["Antes de la tabla.", "Avance de obras", "Hospital | 90 %", "Después de la tabla."]


@pytest.mark.parametrize(
    "data",
    [b"PK\x03\x04 esto no es un zip", b"texto plano", b""],
    ids=["bad-zip", "plain-text", "empty"],
)
def test_corrupt_docx(tmp_path: Path, data: bytes) -> None:
    p = tmp_path / "roto.docx"
    p.write_bytes(data)
    read_error(p, "docx")


def test_zip_that_is_not_a_docx(tmp_path: Path) -> None:
    p = tmp_path / "otro.docx"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("hola.txt", "hola")
    read_error(p, "docx")


def test_docx_with_broken_xml(tmp_path: Path) -> None:
    # lxml's XMLSyntaxError used to escape as a non-ReadError.
    good = make_docx(tmp_path / "bueno.docx", ["Primer párrafo."]).read_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "word/document.xml":
                data = data[: len(data) // 2]
            zout.writestr(item, data)
    p = tmp_path / "xml_roto.docx"
    p.write_bytes(out.getvalue())
    read_error(p, "docx")


def test_truncated_docx(tmp_path: Path) -> None:
    good = make_docx(tmp_path / "bueno.docx", ["Primer párrafo."]).read_bytes()
    p = tmp_path / "truncado.docx"
    p.write_bytes(good[: len(good) // 2])
    read_error(p, "docx")


def test_docx_without_text(tmp_path: Path) -> None:
    p = make_docx(tmp_path / "vacio.docx", ["", "   "])
    read_error(p, "no text")


# --- file-system errors -----------------------------------------------------


def test_missing_path(tmp_path: Path) -> None:
    read_error(tmp_path / "no_existe.txt", "no such file")


def test_directory_with_supported_suffix(tmp_path: Path) -> None:
    d = tmp_path / "carpeta.txt"
    d.mkdir()
    read_error(d, "directory")


def test_directory_without_suffix(tmp_path: Path) -> None:
    d = tmp_path / "carpeta"
    d.mkdir()
    read_error(d, "unsupported")


@pytest.mark.parametrize("content", [b"", b"   \n\t\r\n  \n"], ids=["empty", "whitespace"])
@pytest.mark.parametrize("suffix", [".txt", ".md", ".html"])
def test_empty_and_whitespace_files(tmp_path: Path, content: bytes, suffix: str) -> None:
    p = tmp_path / f"vacio{suffix}"
    p.write_bytes(content)
    read_error(p, "no text")


@pytest.mark.parametrize("suffix", [".txt", ".html"])
def test_binary_renamed_as_text(tmp_path: Path, suffix: str) -> None:
    p = tmp_path / f"imagen{suffix}"
    p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    read_error(p, "binary")


def test_binary_without_nul_bytes(tmp_path: Path) -> None:
    p = tmp_path / "control.txt"
    p.write_bytes(bytes(range(1, 9)) * 200)
    read_error(p, "binary")


def test_unsupported_suffix(tmp_path: Path) -> None:
    p = tmp_path / "tabla.xlsx"
    p.write_bytes(b"PK\x03\x04")
    read_error(p, "unsupported", ".xlsx")


def test_no_suffix(tmp_path: Path) -> None:
    p = tmp_path / "LEEME"
    p.write_text("texto", encoding="utf-8")
    read_error(p, "unsupported", "(none)")


def test_over_max_bytes_names_the_limit(tmp_path: Path) -> None:
    p = tmp_path / "grande.txt"
    p.write_text("a" * 2000, encoding="utf-8")
    msg = read_error(p, "limit", max_bytes=1000)
    assert "1000 bytes" in msg  # not "0 MiB"
    assert read_text(p, max_bytes=2000) == "a" * 2000  # the limit is inclusive


def test_over_max_bytes_fractional_megabytes(tmp_path: Path) -> None:
    p = tmp_path / "mediano.txt"
    p.write_bytes(b"a" * (2**20))
    msg = read_error(p, "limit", max_bytes=2**19)
    assert "512.0 KiB" in msg


def test_hundred_megabyte_file_refused_with_default_limit(tmp_path: Path) -> None:
    p = tmp_path / "enorme.txt"
    block = b"Texto repetido del boletin de salud. " * 28339  # ~1 MiB
    with p.open("wb") as fh:
        for _ in range(100):
            fh.write(block)
    assert p.stat().st_size > DEFAULT_MAX_BYTES
    msg = read_error(p, "limit", "--max-mb")
    assert re.search(r"\b64(\.0)? MiB\b", msg), msg


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_named_pipe_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "tuberia.txt"
    os.mkfifo(fifo)

    def writer() -> None:  # unblocks a reader that (wrongly) opened the pipe
        fd = os.open(fifo, os.O_WRONLY)
        os.close(fd)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        read_error(fifo, "not a regular file")
    finally:
        fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # lets the writer finish
        thread.join(5)
        os.close(fd)


def test_unreadable_file(tmp_path: Path) -> None:
    p = tmp_path / "secreto.txt"
    p.write_text("Texto reservado.", encoding="utf-8")
    p.chmod(0)
    try:
        try:
            with p.open("rb"):
                pass
        except PermissionError:
            pass
        else:
            pytest.skip("running as root (or without permission checks): chmod 000 stays readable")
        read_error(p, "permission denied")
    finally:
        p.chmod(0o600)


def test_path_with_newline_gives_one_line_message(tmp_path: Path) -> None:
    p = tmp_path / "mal\nnombre.txt"
    with pytest.raises(ReadError) as info:
        read_text(p)
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith(repr(str(p))[1:-1])
    assert "no such file" in msg


def test_path_with_nul_character(tmp_path: Path) -> None:
    p = str(tmp_path / "a\x00b.txt")
    with pytest.raises(ReadError) as info:
        read_text(p)
    msg = str(info.value)
    assert "\n" not in msg and "\x00" not in msg
    assert msg.startswith(repr(p)[1:-1])


def test_accepts_str_paths(tmp_path: Path) -> None:
    p = tmp_path / "cadena.txt"
    p.write_text("Hola", encoding="utf-8")
    assert read_text(str(p)) == "Hola"
    read_error(str(tmp_path / "falta.txt"), "no such file")

"""Bounded resources on hostile or large input (every input is generated here).

Each case must finish in well under 10 s and grow the process's peak memory by
well under 1 GB, with either a correct reading or a one-line ReadError that
names the file and the limit.
"""

from __future__ import annotations

import io
import itertools
import resource
import struct
import time
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bulletin_clf.errors import ReadError
from bulletin_clf.read import (
    MAX_DOCX_XML_BYTES,
    MAX_HTML_DEPTH,
    MAX_HTML_ELEMENTS,
    MAX_LINES,
    MAX_PDF_PAGES,
    MAX_ZIP_MEMBERS,
    MAX_ZIP_RATIO,
    Budget,
    read_release,
    read_text,
)
from bulletin_clf.segment import segment

SECONDS = 10.0
MEGABYTES = 512  # "well under 1 GB"


@contextmanager
def bounded(seconds: float = SECONDS, megabytes: int = MEGABYTES) -> Iterator[None]:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    start = time.perf_counter()
    yield
    elapsed = time.perf_counter() - start
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert elapsed < seconds, f"took {elapsed:.1f} s"
    assert grown < megabytes, f"peak memory grew by {grown:.0f} MiB"


def limit_error(path: Path, *needles: str, **kwargs: object) -> str:
    with bounded(), pytest.raises(ReadError) as info:
        read_release(path, **kwargs)  # type: ignore[arg-type]
    msg = str(info.value)
    assert msg.startswith(str(path)) and "\n" not in msg, msg
    for needle in needles:
        assert needle.lower() in msg.lower(), (needle, msg)
    return msg


# --- HTML -------------------------------------------------------------------------

P = "<p>La Secretaría de Salud informó que se contrataron médicos.</p>"


def test_html_forty_thousand_flat_paragraphs_are_read(tmp_path: Path) -> None:
    p = tmp_path / "p.html"
    p.write_text("<html><body><article>" + P * 40_000 + "</article></body></html>", encoding="utf-8")
    with bounded():
        text, _ = read_release(p)
        seg = segment(text)
    assert len(seg.paragraphs) == 40_000
    assert seg.paragraphs[0] == "La Secretaría de Salud informó que se contrataron médicos."


def test_html_forty_thousand_unclosed_paragraphs_are_read(tmp_path: Path) -> None:
    # html.parser nested every unclosed <p> in the one before; libxml2 closes them.
    p = tmp_path / "p.html"
    p.write_text("<body>" + P.replace("</p>", "") * 40_000, encoding="utf-8")
    with bounded():
        assert len(segment(read_release(p)[0]).paragraphs) == 40_000


@pytest.mark.parametrize(
    "markup",
    [
        "<p>" + "línea<br>" * 100_000 + "</p>",
        "<table><tr>" + "<td>1,120</td>" * 100_000 + "</tr></table>",
        "<div>" * 100_000 + "texto" + "</div>" * 100_000,
        "<p>" + "<b>x</b>" * 60_000,
    ],
    ids=["100k-br", "100k-td", "100k-nested-div", "60k-inline"],
)
def test_html_too_many_elements(tmp_path: Path, markup: str) -> None:
    p = tmp_path / "muchos.html"
    p.write_text(markup, encoding="utf-8")
    limit_error(p, f"{MAX_HTML_ELEMENTS:,} HTML elements", "limit")


@pytest.mark.parametrize("tag", ["header", "div", "h1", "span"])
def test_html_twenty_thousand_deep_nesting(tmp_path: Path, tag: str) -> None:
    p = tmp_path / "hondo.html"
    p.write_text(f"<{tag}>" * 20_000 + "título" + f"</{tag}>" * 20_000, encoding="utf-8")
    limit_error(p, f"nested more than {MAX_HTML_DEPTH}", "limit")


def test_html_nesting_under_the_limit_is_read(tmp_path: Path) -> None:
    p = tmp_path / "hondo.html"
    p.write_text("<div>" * 150 + "Texto del boletín en lo hondo." + "</div>" * 150, encoding="utf-8")
    assert read_text(p) == "Texto del boletín en lo hondo."


def test_html_unterminated_comment_on_a_large_file(tmp_path: Path) -> None:
    p = tmp_path / "comentario.html"
    p.write_text("<p>Antes del comentario, el texto del boletín.</p><!--" + "x y z " * 3_000_000, encoding="utf-8")
    with bounded():
        text, notes = read_release(p)
    assert text == "Antes del comentario, el texto del boletín."
    (note,) = notes
    assert note.startswith(str(p)) and "unterminated HTML comment" in note and "MiB" in note


def test_html_unterminated_comment_hiding_everything(tmp_path: Path) -> None:
    p = tmp_path / "comentario.html"
    p.write_text("<!--<p>Texto</p>" + "x y z " * 3_000_000, encoding="utf-8")
    limit_error(p, "no text", "unterminated")


# --- DOCX -------------------------------------------------------------------------


def raw_zip(members: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A zip written by hand: (name, payload as stored, method, crc, declared size) per member.

    zipfile cannot write a member whose declared size differs from its data.
    """
    out = io.BytesIO()
    central = []
    for name, payload, method, crc, size in members:
        offset = out.tell()
        n = name.encode()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0, crc, len(payload), size, len(n), 0))
        out.write(n + payload)
        central.append(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50, 20, 20, 0, method, 0, 0, crc, len(payload), size, len(n), 0, 0, 0, 0, 0, offset,
            )
            + n
        )
    start = out.tell()
    for entry in central:
        out.write(entry)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), out.tell() - start, start, 0))
    return out.getvalue()


def docx_members(tmp_path: Path) -> list[tuple[str, bytes, int, int, int]]:
    """The members of a small real DOCX, stored uncompressed."""
    import docx

    document = docx.Document()
    document.add_paragraph("Se contrataron 500 médicos especialistas.")
    path = tmp_path / "base.docx"
    document.save(str(path))
    with zipfile.ZipFile(path) as z:
        return [(i.filename, z.read(i), 0, zlib.crc32(z.read(i)), i.file_size) for i in z.infolist()]


def deflate_bomb(mebibytes: int) -> bytes:
    """A raw deflate stream that inflates to ``mebibytes`` MiB of XML (about 1 KiB per MiB)."""
    chunk = b"<w:p><w:r><w:t>bomba</w:t></w:r></w:p>" * (2**20 // 38) + b" " * (2**20 % 38)
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = co.compress(chunk) + co.flush(zlib.Z_FULL_FLUSH)  # history reset: the block repeats as is
    return block * mebibytes + zlib.compressobj(9, zlib.DEFLATED, -15).flush()


def test_deflate_bomb_helper_really_inflates() -> None:
    d = zlib.decompressobj(-15)
    assert len(d.decompress(deflate_bomb(3))) == 3 * 2**20


def test_docx_zip_bomb_declared_honestly(tmp_path: Path) -> None:
    members = [m for m in docx_members(tmp_path) if m[0] != "word/document.xml"]
    members.append(("word/document.xml", deflate_bomb(1024), 8, 0, 2**30))  # inflates to 1 GiB
    p = tmp_path / "bomba.docx"
    p.write_bytes(raw_zip(members))
    limit_error(p, "word/document.xml", "1024.0 MiB", f"{MAX_DOCX_XML_BYTES // 2**20}.0 MiB limit")


def test_docx_zip_bomb_lying_about_its_size(tmp_path: Path) -> None:
    members = [m for m in docx_members(tmp_path) if m[0] != "word/document.xml"]
    members.append(("word/document.xml", deflate_bomb(1024), 8, 0, 100_000))
    p = tmp_path / "mentira.docx"
    p.write_bytes(raw_zip(members))
    limit_error(p, "docx")


def test_docx_compression_ratio_over_the_limit(tmp_path: Path) -> None:
    members = [m for m in docx_members(tmp_path) if m[0] != "word/document.xml"]
    members.append(("word/document.xml", deflate_bomb(30), 8, 0, 30 * 2**20))  # under the size limit
    p = tmp_path / "razon.docx"
    p.write_bytes(raw_zip(members))
    limit_error(p, "compressed", f"{MAX_ZIP_RATIO}:1 limit")


def test_docx_two_gigabyte_image_is_never_inflated(tmp_path: Path) -> None:
    members = docx_members(tmp_path)
    members.append(("word/media/image1.png", deflate_bomb(64), 8, 0, 2 * 2**30 - 1))
    p = tmp_path / "imagen.docx"
    p.write_bytes(raw_zip(members))
    with bounded():
        text, notes = read_release(p)
    assert text == "Se contrataron 500 médicos especialistas." and notes == []


def test_docx_too_many_members(tmp_path: Path) -> None:
    p = tmp_path / "miembros.docx"
    with zipfile.ZipFile(p, "w") as z:
        for name, data, *_ in docx_members(tmp_path):
            z.writestr(name, data)
        for i in range(5_000):
            z.writestr(f"word/media/x{i}.bin", b"")
    limit_error(p, "5,0", f"limit of {MAX_ZIP_MEMBERS:,}")


# --- PDF --------------------------------------------------------------------------


def raw_pdf(content: bytes, pages: int = 1, *, compress: bool = False) -> bytes:
    """A PDF whose pages all share one content stream."""
    stream = zlib.compress(content) if compress else content
    filt = b"/Filter /FlateDecode " if compress else b""
    font = 4 + pages
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % (4 + i) for i in range(pages)) + b"] /Count %d >>" % pages,
        b"<< " + filt + b"/Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    objs += [
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R "
        b"/Resources << /Font << /F1 %d 0 R >> >> >>" % font
    ] * pages
    objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objs):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % (i + 1) + obj + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % o for o in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref))
    return out.getvalue()


TEXT_OP = b"BT /F1 12 Tf 72 700 Td (Texto del boletin de salud) Tj ET\n"


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "flate"])
def test_pdf_ten_megabytes_of_text_operators(tmp_path: Path, compress: bool) -> None:
    p = tmp_path / "operadores.pdf"
    p.write_bytes(raw_pdf(TEXT_OP * (10 * 2**20 // len(TEXT_OP)), compress=compress))
    limit_error(p, "page 1", "1.0 MiB limit per page")


def test_pdf_thousand_pages_sharing_one_content_stream(tmp_path: Path) -> None:
    p = tmp_path / "mil.pdf"
    p.write_bytes(raw_pdf(TEXT_OP * 200, pages=1000))
    with bounded():
        text, notes = read_release(p)
    assert "Texto del boletin de salud" in text
    assert any(f"1,000 pages; read only the first {MAX_PDF_PAGES}" in n for n in notes), notes


def test_pdf_pages_within_limits_are_all_read(tmp_path: Path) -> None:
    p = tmp_path / "diez.pdf"
    p.write_bytes(raw_pdf(TEXT_OP, pages=10))
    text, notes = read_release(p)
    assert text.count("Texto del boletin de salud") == 10 and notes == []


# --- plain text -------------------------------------------------------------------


def test_text_with_millions_of_tiny_paragraphs(tmp_path: Path) -> None:
    p = tmp_path / "millones.txt"
    p.write_bytes(b"a\n\n" * 2_500_000)  # 5M lines, the shape of a 60M-paragraph file
    limit_error(p, "5,000,001 lines", f"limit of {MAX_LINES:,} lines")


def test_segment_refuses_millions_of_lines_directly() -> None:
    with bounded(), pytest.raises(ReadError, match=f"over the limit of {MAX_LINES:,} lines"):
        segment("a\n" * 5_000_000)


def test_lines_at_the_limit_are_read(tmp_path: Path) -> None:
    p = tmp_path / "limite.txt"
    p.write_text("Párrafo.\n" * (MAX_LINES - 1), encoding="utf-8")
    with bounded():
        assert len(segment(read_release(p)[0]).paragraphs) == MAX_LINES - 1


# --- the time budget --------------------------------------------------------------


def ticking(step: float = 1.0):  # type: ignore[no-untyped-def]
    """A clock that advances ``step`` seconds each time it is read."""
    counter = itertools.count()
    return lambda: next(counter) * step


def test_budget_stops_a_pdf_between_pages(tmp_path: Path) -> None:
    p = tmp_path / "paginas.pdf"
    p.write_bytes(raw_pdf(TEXT_OP, pages=60))
    budget = Budget(p, 30, clock=ticking())
    msg = limit_error(p, "30 s time budget", "page", budget=budget)
    assert "of the PDF" in msg


def test_budget_stops_html_reading(tmp_path: Path) -> None:
    p = tmp_path / "pagina.html"
    p.write_text("<article>" + P * 20_000 + "</article>", encoding="utf-8")
    limit_error(p, "5 s time budget", "HTML", budget=Budget(p, 5, clock=ticking()))


def test_budget_stops_segmenting(tmp_path: Path) -> None:
    p = tmp_path / "texto.txt"
    budget = Budget(p, 10, clock=ticking())
    with pytest.raises(ReadError) as info:
        segment("Párrafo del boletín.\n" * 100_000, budget=budget)
    msg = str(info.value)
    assert msg.startswith(str(p)) and "10 s time budget" in msg and "segmenting" in msg


def test_budget_in_real_time(tmp_path: Path) -> None:
    p = tmp_path / "pagina.html"
    p.write_text("<article>" + P * 40_000 + "</article>", encoding="utf-8")
    with bounded(2.0), pytest.raises(ReadError, match="0.05 s time budget"):
        read_release(p, budget=Budget(p, 0.05))


def test_one_budget_covers_read_and_segment(tmp_path: Path) -> None:
    p = tmp_path / "ok.txt"
    p.write_text("Primer párrafo.\n\nSegundo párrafo.", encoding="utf-8")
    budget = Budget(p)
    text, notes = read_release(p, budget=budget)
    assert segment(text, budget=budget).paragraphs == ["Primer párrafo.", "Segundo párrafo."]
    assert notes == []

"""Mixed or doubtful encodings: read right where possible, and always said in a warning."""

from __future__ import annotations

from pathlib import Path

import pytest

from bulletin_clf.read import read_release

UTF8_LINE = "La Secretaría de Salud contrató médicos y enfermeras para los niños."
CP1252_LINE = "“Tenemos el compromiso” – dijo la secretaria… año 2023, señaló."


def test_pure_utf8_has_no_warning(tmp_path: Path) -> None:
    p = tmp_path / "utf8.txt"
    p.write_bytes(f"{UTF8_LINE}\n{CP1252_LINE}\n".encode())
    assert read_release(p) == (f"{UTF8_LINE}\n{CP1252_LINE}\n", [])


def test_pure_cp1252_is_read_without_warning(tmp_path: Path) -> None:
    p = tmp_path / "cp1252.txt"
    p.write_bytes(f"{UTF8_LINE}\n{CP1252_LINE}\n".encode("cp1252"))
    assert read_release(p) == (f"{UTF8_LINE}\n{CP1252_LINE}\n", [])


def test_mixed_utf8_and_cp1252_lines_are_each_read_right_and_warned(tmp_path: Path) -> None:
    p = tmp_path / "mixto.txt"
    p.write_bytes(UTF8_LINE.encode() + b"\r\n" + CP1252_LINE.encode("cp1252") + b"\r\n" + "Atención médica.".encode())
    text, notes = read_release(p)
    assert text == f"{UTF8_LINE}\r\n{CP1252_LINE}\r\nAtención médica."
    assert "Ã" not in text
    (note,) = notes
    assert note.startswith(str(p)) and "\n" not in note
    assert "mixed encodings" in note and "2 lines read as UTF-8" in note and "1 as Windows-1252" in note


def test_utf8_and_cp1252_in_the_same_line(tmp_path: Path) -> None:
    # The line is not UTF-8, so it is read as Windows-1252: its UTF-8 "é" shows as "Ã©", then is repaired.
    p = tmp_path / "linea.txt"
    p.write_bytes("médicos ".encode() + "niños".encode("cp1252") + b"\n" + "Salud pública".encode())
    text, notes = read_release(p)
    assert text == "médicos niños\nSalud pública"
    assert any("mixed encodings" in n for n in notes) and any("mojibake" in n for n in notes)


@pytest.mark.parametrize(
    ("broken", "fixed"),
    [
        ("mÃ©dicos", "médicos"),
        ("niÃ±os", "niños"),
        ("CompaÃ±Ã­a", "Compañía"),
        ("â€œTenemos el compromisoâ€\x9d", "“Tenemos el compromiso”"),
        ("atenciÃ³n â€“ salud", "atención – salud"),
        ("Â¿QuÃ© pasÃ³?", "¿Qué pasó?"),
        ("AÃ‘O", "AÑO"),
        ("â‚¬", "€"),
    ],
)
def test_mojibake_in_utf8_text_is_repaired_and_warned(tmp_path: Path, broken: str, fixed: str) -> None:
    p = tmp_path / "doble.txt"
    p.write_text(f"La Secretaría informó: {broken}.", encoding="utf-8")
    text, notes = read_release(p)
    assert text == f"La Secretaría informó: {fixed}."
    (note,) = notes
    assert note.startswith(str(p)) and "mojibake" in note and "\n" not in note


@pytest.mark.parametrize("text", ["SÃO PAULO recibió médicos.", "Â es una letra; Ã también.", "El año â la"])
def test_letters_that_only_look_like_mojibake_stay(tmp_path: Path, text: str) -> None:
    p = tmp_path / "letras.txt"
    p.write_text(text, encoding="utf-8")
    assert read_release(p) == (text, [])


def test_replacement_characters_are_warned(tmp_path: Path) -> None:
    p = tmp_path / "danado.txt"
    p.write_text("La Secretar\ufffda de Salud contrat\ufffd m\ufffddicos.", encoding="utf-8")
    _, notes = read_release(p)
    assert "3 replacement characters" in notes[0]


def test_html_with_mixed_encodings(tmp_path: Path) -> None:
    p = tmp_path / "mixto.html"
    p.write_bytes(
        b"<html><body><article><p>" + UTF8_LINE.encode() + b"</p>\n<p>" + CP1252_LINE.encode("cp1252")
        + b"</p></article></body></html>"
    )
    text, notes = read_release(p)
    assert text == f"{UTF8_LINE}\n\n{CP1252_LINE}"
    assert any("mixed encodings" in n for n in notes)


def test_docx_with_mojibake_is_repaired(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("Se contrataron mÃ©dicos especialistas.")
    p = tmp_path / "doble.docx"
    document.save(str(p))
    text, notes = read_release(p)
    assert text == "Se contrataron médicos especialistas." and "mojibake" in notes[0]


def test_latin1_bytes_undefined_in_cp1252_are_warned(tmp_path: Path) -> None:
    p = tmp_path / "latin1.txt"
    p.write_bytes(b"Texto con un byte \x81 raro y acentos: m\xe9dicos.")
    text, notes = read_release(p)
    assert "médicos" in text
    assert any("not Windows-1252" in n for n in notes)

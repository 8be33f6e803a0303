"""Stage 1: files on disk to text.

Supported: ``.txt``/``.md`` (UTF-8, falling back to Windows-1252 so accents in
files saved by Windows tools survive), ``.html``/``.htm`` (main text only),
``.pdf`` (text layer) and ``.docx``. Every failure is a :class:`ReadError`
whose message names the file and the reason in one line.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

from .errors import ReadError

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".docx")
DEFAULT_MAX_BYTES = 64 * 1024 * 1024

# Elements that never hold the text of a release: navigation, scripts, forms.
_HTML_DROP = (
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "svg",
    "canvas",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "button",
    "select",
    "input",
    "textarea",
    "menu",
)
_HTML_BLOCKS = (
    "p",
    "div",
    "section",
    "article",
    "main",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "br",
    "tr",
    "table",
    "pre",
    "figcaption",
    "dd",
    "dt",
)


def read_text(path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """Return the text of one release file.

    Raises:
        ReadError: missing, unreadable, too large, unsupported or corrupt file,
            or a file with no text in it.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ReadError(
            f"{p}: unsupported file type {suffix or '(none)'!r}; "
            f"expected one of {', '.join(SUPPORTED_SUFFIXES)}"
        )
    data = _read_bytes(p, max_bytes)
    if suffix in (".txt", ".md"):
        text = _decode_plain(p, data)
    elif suffix in (".html", ".htm"):
        text = _html_to_text(_decode_plain(p, data))
    elif suffix == ".pdf":
        text = _pdf_to_text(p, data)
    else:
        text = _docx_to_text(p, data)
    if not text.strip():
        raise ReadError(f"{p}: file has no text")
    return text


def _read_bytes(p: Path, max_bytes: int) -> bytes:
    try:
        size = p.stat().st_size
        if p.is_dir():
            raise ReadError(f"{p}: is a directory, not a file")
        if size > max_bytes:
            raise ReadError(
                f"{p}: file is {size / 2**20:.1f} MiB, over the {max_bytes / 2**20:.0f} MiB "
                "limit (raise it with --max-mb)"
            )
        return p.read_bytes()
    except FileNotFoundError:
        raise ReadError(f"{p}: no such file") from None
    except PermissionError:
        raise ReadError(f"{p}: permission denied") from None
    except OSError as exc:
        raise ReadError(f"{p}: cannot read ({exc.strerror or exc})") from None


def _decode_plain(p: Path, data: bytes) -> str:
    head = data[:8192]
    if b"\x00" in head:
        raise ReadError(f"{p}: looks like a binary file (NUL bytes), not text")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        # Not UTF-8: Spanish text from Windows tools is almost always cp1252.
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > max(8, len(text[:8192]) // 20):
        raise ReadError(f"{p}: looks like a binary file (control characters), not text")
    return text


def _html_to_text(markup: str) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "html.parser")
    for tag in soup(list(_HTML_DROP)):
        tag.decompose()
    # Comment forms and menus often live in divs marked by class or id.
    for tag in soup.find_all(attrs={"class": True}):
        if tag.decomposed:
            continue
        marks = " ".join(tag.get("class") or []).lower() + " " + str(tag.get("id") or "").lower()
        if any(m in marks for m in ("comment", "menu", "navbar", "sidebar", "share", "cookie")):
            tag.decompose()
    root = soup.find("article") or soup.find("main") or soup.body or soup
    for tag in root.find_all(list(_HTML_BLOCKS)):
        tag.insert_before("\n\n")
        tag.insert_after("\n\n")
    return str(root.get_text())


def _pdf_to_text(p: Path, data: bytes) -> str:
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # malformed PDFs log noisily
    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, AttributeError) as exc:
        raise ReadError(f"{p}: corrupt or unreadable PDF ({type(exc).__name__})") from None
    text = "\n\n".join(pages)
    if not text.strip():
        raise ReadError(f"{p}: PDF has no text layer (scanned image?); run OCR first")
    return text


def _docx_to_text(p: Path, data: bytes) -> str:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ReadError(f"{p}: corrupt or unreadable DOCX ({type(exc).__name__})") from None
    blocks = [para.text for para in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            blocks.extend(cell.text for cell in row.cells)
    return "\n\n".join(blocks)

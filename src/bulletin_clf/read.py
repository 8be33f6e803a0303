"""Stage 1: files on disk to text.

Supported: ``.txt``/``.md`` (UTF-8, falling back to Windows-1252 so accents in
files saved by Windows tools survive), ``.html``/``.htm`` (main text only),
``.pdf`` (text layer) and ``.docx``. Every failure is a :class:`ReadError`
whose message names the file and the reason in one line.
"""

from __future__ import annotations

import io
import os
import re
import stat
import warnings
from pathlib import Path
from typing import Any

from .errors import ReadError

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".docx")
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
# Control characters other than tab, newline, form feed and carriage return.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")

# Elements that never hold the text of a release: navigation, scripts, forms.
_HTML_DROP = (
    "title",  # the browser tab's title, not the page's
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
    where = _where(p)
    suffix = p.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ReadError(
            f"{where}: unsupported file type {suffix or '(none)'!r}; "
            f"expected one of {', '.join(SUPPORTED_SUFFIXES)}"
        )
    data = _read_bytes(p, where, max_bytes)
    if suffix in (".txt", ".md"):
        text = _decode_plain(where, data)
    elif suffix in (".html", ".htm"):
        text = _html_to_text(where, _decode_plain(where, data))
    elif suffix == ".pdf":
        text = _pdf_to_text(where, data)
    else:
        text = _docx_to_text(where, data)
    if not text.strip():
        raise ReadError(f"{where}: file has no text")
    return text


def _where(p: Path) -> str:
    """The path as shown in messages, escaped so that a message stays one line."""
    s = str(p)
    return s if s.isprintable() else repr(s)[1:-1]


def _size(n: float) -> str:
    if n >= 2**20:
        return f"{n / 2**20:.1f} MiB"
    if n >= 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{int(n)} bytes"


def _read_bytes(p: Path, where: str, max_bytes: int) -> bytes:
    too_big = f"over the {_size(max_bytes)} limit (raise it with --max-mb)"
    try:
        st = p.stat()
        if stat.S_ISDIR(st.st_mode):
            raise ReadError(f"{where}: is a directory, not a file")
        if not stat.S_ISREG(st.st_mode):
            # FIFOs and devices would block or never end.
            raise ReadError(f"{where}: not a regular file")
        if st.st_size > max_bytes:
            raise ReadError(f"{where}: file is {_size(st.st_size)}, {too_big}")
        with p.open("rb") as fh:
            data = fh.read(max_bytes + 1)  # the file may have grown since stat()
        if len(data) > max_bytes:
            raise ReadError(f"{where}: file is {too_big}")
        return data
    except FileNotFoundError:
        raise ReadError(f"{where}: no such file") from None
    except PermissionError:
        raise ReadError(f"{where}: permission denied") from None
    except OSError as exc:
        raise ReadError(f"{where}: cannot read ({exc.strerror or type(exc).__name__})") from None
    except ValueError:  # e.g. a NUL character in the path
        raise ReadError(f"{where}: invalid path") from None


def _decode_plain(where: str, data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Windows editors save "Unicode" text as UTF-16 with a byte-order mark.
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise ReadError(f"{where}: starts with a UTF-16 byte-order mark but is not valid UTF-16") from None
        return _refuse_controls(where, text)
    head = data[:8192]
    if b"\x00" in head:
        raise ReadError(f"{where}: looks like a binary file (NUL bytes), not text")
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
    return _refuse_controls(where, text)


def _refuse_controls(where: str, text: str) -> str:
    controls = len(_CONTROLS.findall(text, 0, 8192))
    if controls > max(8, len(text[:8192]) // 20):
        raise ReadError(f"{where}: looks like a binary file (control characters), not text")
    return text


def _html_to_text(where: str, markup: str) -> str:
    from bs4 import BeautifulSoup

    try:
        with warnings.catch_warnings():
            # "looks like a URL/filename", "XML parsed as HTML": the file is
            # read as HTML on purpose.
            warnings.simplefilter("ignore")
            soup = BeautifulSoup(markup, "html.parser")
    except Exception as exc:  # html.parser/bs4 reject some broken markup
        raise ReadError(f"{where}: cannot parse HTML ({type(exc).__name__})") from None
    for tag in soup(list(_HTML_DROP)):
        if tag.decomposed:  # inside an element removed before
            continue
        # An article's own header holds its title and lead.
        if tag.name == "header" and tag.find_parent(["article", "main"]) is not None:
            continue
        tag.decompose()
    # Comment forms and menus often live in divs marked by class or id.
    for tag in soup.find_all(_is_marked):
        if tag.decomposed or tag.name in _HTML_KEEP or tag.find(list(_HTML_KEEP)) is not None:
            # Never the page or the article itself ("has-sidebar" on <body>).
            continue
        tag.decompose()
    # Not soup.body: html.parser leaves text that follows a stray </body> outside it.
    root = soup.find("article") or soup.find("main") or soup
    for tag in root.find_all(list(_HTML_BLOCKS)):
        tag.insert_before("\n\n")
        tag.insert_after("\n\n")
    for tag in root.find_all("br"):
        tag.insert_after("\n")  # a line break, not a new paragraph
    for tag in root.find_all(["td", "th"]):
        tag.insert_after(" ")  # cells of a row must not run together
    return str(root.get_text())


_HTML_KEEP = ("html", "body", "main", "article")
_HTML_MARKS = ("comment", "menu", "navbar", "sidebar", "share", "sharing", "cookie")


def _is_marked(tag: Any) -> bool:
    classes = tag.get("class") or []
    if isinstance(classes, str):
        classes = [classes]
    marks = " ".join(classes).lower() + " " + str(tag.get("id") or "").lower()
    return any(m in marks for m in _HTML_MARKS)


def _pdf_to_text(where: str, data: bytes) -> str:
    import logging

    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # malformed PDFs log noisily
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data))
            pages = [page.extract_text() or "" for page in reader.pages]
    except Exception as exc:  # a corrupt PDF can fail anywhere inside pypdf
        raise ReadError(f"{where}: corrupt or unreadable PDF ({type(exc).__name__})") from None
    text = "\n\n".join(pages)
    if not text.strip():
        raise ReadError(f"{where}: PDF has no text layer (scanned image?); run OCR first")
    return text


def _docx_to_text(where: str, data: bytes) -> str:
    import docx
    from docx.table import Table

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            document = docx.Document(io.BytesIO(data))
            blocks = []
            for item in document.iter_inner_content():  # paragraphs and tables in reading order
                if isinstance(item, Table):
                    for row in item.rows:
                        seen = set()
                        for cell in row.cells:  # a merged cell is returned once per grid column
                            if id(cell._tc) not in seen:
                                seen.add(id(cell._tc))
                                blocks.append(cell.text)
                else:
                    blocks.append(item.text)
    except Exception as exc:  # bad zip, bad XML (lxml), zlib errors, wrong content type...
        raise ReadError(f"{where}: corrupt or unreadable DOCX ({type(exc).__name__})") from None
    return "\n\n".join(blocks)

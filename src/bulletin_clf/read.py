"""Stage 1: files on disk to text.

Supported: ``.txt``/``.md`` (UTF-8, falling back line by line to Windows-1252
so accents in files saved by Windows tools survive), ``.html``/``.htm`` (main
text only), ``.pdf`` (text layer) and ``.docx``. Every failure is a
:class:`ReadError` whose message names the file and the reason in one line.

:func:`read_release` returns the text and a list of per-file warnings (one
line each, starting with the file's name); :func:`read_text` is the same
without the warnings. Warnings say what a person would want to check: mixed
or repaired encodings, web-page chrome and PDF running headers that were
dropped (listed, so that nothing disappears unseen), pages not read.

The text is laid out for :func:`bulletin_clf.segment.segment`: paragraphs
separated by blank lines, and table rows one per line as ``| cell | cell |``
(DOCX, HTML and PDF tables alike), which the segmenter turns into one
paragraph per row ("Oaxaca | 1,120").

Limits (module constants; over a limit is a one-line ReadError naming it,
unless said otherwise):

=========================  ==============  ==========================================
name                       value           what
=========================  ==============  ==========================================
``DEFAULT_MAX_BYTES``      64 MiB          file size (``max_bytes=``; ``--max-mb``)
``DEFAULT_TIME_BUDGET``    30 s            read + segment one file (:class:`Budget`),
                                           checked cooperatively inside the loops
``MAX_LINES``              200,000         lines of text per file (from segment.py)
``MAX_HTML_ELEMENTS``      50,000          HTML start tags (counted before parsing)
``MAX_HTML_DEPTH``         200             HTML element nesting
``MAX_ZIP_MEMBERS``        1,000           members of a DOCX (counted before opening)
``MAX_DOCX_XML_BYTES``     32 MiB          declared and actual size of the XML parts
                                           read (document, relationships)
``MAX_ZIP_RATIO``          200             compression ratio of an XML part read
                                           (checked before inflating; zip bombs)
``MAX_PDF_PAGES``          100             pages read; later pages are skipped with
                                           a warning
``MAX_PDF_PAGE_CONTENT``   1 MiB           decoded content of one PDF page (its
                                           content streams and forms); such a page is
                                           skipped with a warning, an error if no
                                           page had text
``MAX_PDF_CONTENT``        4 MiB           decoded content of all pages read; the
                                           rest is skipped with a warning
=========================  ==============  ==========================================

DOCX: only ``word/document.xml`` (found through ``_rels/.rels``) and the
package relationships are inflated, never media. PDF: content sizes are
measured with a bounded decompressor before pypdf parses a page, and the time
budget is checked between pages and every thousand content-stream operators.

HTML main text: hand-written rules on lxml's HTML parser (libxml2), chosen
over trafilatura 2.3.1 and readability-lxml 0.9 after running all three on
the four layouts of ``tests/test_read_html.py`` (WordPress, Drupal, gob.mx,
a state portal with unmarked sidebars; 15 body paragraphs and 32 chrome
strings each) and on hostile pages (``python tests/test_read_html.py``
reruns the comparison when the two are installed). The pages were written
alongside these rules, so the first row has a home advantage:

====================  ============  ============  =======  ==================  ==========================
extractor             body kept     chrome left   ms/page  dependencies        hostile pages
====================  ============  ============  =======  ==================  ==========================
these rules           60/60         0/128         1.4      none new (lxml)     bounded; limits named
trafilatura           53/60 (a)     2/128 (b)     3.7      12 pkgs, ~50 MB     100k <td>: 22 s (c)
readability-lxml      57/60 (a)     0/128         2.7      3 pkgs, ~3 MB       deep nesting: empty (d)
====================  ============  ============  =======  ==================  ==========================

(a) neither keeps the page's ``<h1>`` title in the text (trafilatura also
lost the portal's bullet list); (b) the portal's sidebar paragraphs; (c)
trafilatura also returns 40,000 identical paragraphs as one (it drops
repeated text) and (d) both return nothing, silently, for a 20,000-deep
page, where libxml2 stops at depth 256. Neither says what it dropped. These
rules read 40,000 paragraphs in 0.7 s, refuse 100k elements or deep nesting
in 0.2 s, and read a 20 MB page with an unterminated comment in 0.4 s.
Rules:

* script, style, forms' controls, iframes, SVG, hidden elements and the like
  are not text;
* chrome is recognised by element (nav, aside, footer, a site header outside
  the article, a form or menu) and by class/id/role words (menu, sidebar,
  widget, share/social, tags/etiquetas, related/relacionadas, byline/author,
  breadcrumb, comments, cookie, copyright ...), unless the element holds most
  of the page's text (a ``has-sidebar`` wrapper, an ASP.NET page-wide form);
* the main text is the ``<article>``/``<main>`` with the most non-link text,
  else a known content container (``entry-content``, ``field--name-body``,
  ``contenido``, ``nota`` ...), else the element whose paragraphs hold the
  most text; the page's ``<h1>`` is put first when it lies outside;
* chrome dropped with words in it (not only links) is listed in one warning
  per page, as is other text left outside the main text;
  chrome lines that remain inside the text ("Foto: ...", "Lee también") are
  dropped by the segmenter and listed in its ``dropped``.
"""

from __future__ import annotations

import io
import itertools
import math
import os
import re
import stat
import time
import unicodedata
import warnings as _warnings
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ReadError
from .segment import _BULLET, _SENTENCE_END, MAX_LINES, Vocabulary, join_lines

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_TIME_BUDGET",
    "MAX_DOCX_XML_BYTES",
    "MAX_HTML_DEPTH",
    "MAX_HTML_ELEMENTS",
    "MAX_LINES",
    "MAX_PDF_CONTENT",
    "MAX_PDF_PAGES",
    "MAX_PDF_PAGE_CONTENT",
    "MAX_ZIP_MEMBERS",
    "MAX_ZIP_RATIO",
    "SUPPORTED_SUFFIXES",
    "Budget",
    "ReadError",
    "read_release",
    "read_text",
]

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".docx")
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
DEFAULT_TIME_BUDGET = 30.0
MAX_HTML_ELEMENTS = 50_000
MAX_HTML_DEPTH = 200
MAX_ZIP_MEMBERS = 1_000
MAX_DOCX_XML_BYTES = 32 * 2**20
MAX_ZIP_RATIO = 200
MAX_PDF_PAGES = 100
MAX_PDF_PAGE_CONTENT = 2**20
MAX_PDF_CONTENT = 4 * 2**20

# Control characters other than tab, newline, form feed and carriage return.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")


class Budget:
    """A cooperative time budget for reading and segmenting one file.

    Create one per file and pass it to :func:`read_release` and then to
    :func:`bulletin_clf.segment.segment`; each checks it inside its loops and
    raises :class:`ReadError` naming the file and the budget when it has run
    out. ``clock`` is for tests.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        seconds: float = DEFAULT_TIME_BUDGET,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = _where(Path(path))
        self.seconds = float(seconds)
        self._clock = clock
        self.deadline = clock() + self.seconds

    def check(self, doing: str) -> None:
        """Raise :class:`ReadError` if the budget has run out."""
        if self._clock() > self.deadline:
            raise ReadError(
                f"{self.name}: over the {self.seconds:g} s time budget for reading one file "
                f"(stopped while {doing})"
            )


def read_text(path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """Return the text of one release file (:func:`read_release` without its warnings).

    Raises:
        ReadError: missing, unreadable, too large, unsupported or corrupt file,
            a file over a limit, or a file with no text in it.
    """
    return read_release(path, max_bytes=max_bytes)[0]


def read_release(
    path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES, budget: Budget | None = None
) -> tuple[str, list[str]]:
    """Return the text of one release file and its warnings (one line each, naming the file).

    ``budget`` (default: a new :class:`Budget` of :data:`DEFAULT_TIME_BUDGET`)
    is checked while reading; pass the same one on to ``segment``.

    Raises:
        ReadError: as :func:`read_text`.
    """
    p = Path(path)
    where = _where(p)
    if budget is None:
        budget = Budget(p)
    suffix = p.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ReadError(
            f"{where}: unsupported file type {suffix or '(none)'!r}; "
            f"expected one of {', '.join(SUPPORTED_SUFFIXES)}"
        )
    data = _read_bytes(p, where, max_bytes)
    notes: list[str] = []
    if suffix in (".txt", ".md"):
        text = _decode_plain(where, data, notes)
    elif suffix in (".html", ".htm"):
        text = _html_to_text(where, _decode_plain(where, data, notes), notes, budget)
    elif suffix == ".pdf":
        text = _pdf_to_text(where, data, notes, budget)
    else:
        text = _docx_to_text(where, data, budget)
    text = _repair_mojibake(where, text, notes)
    if not text.strip():
        raise ReadError(f"{where}: file has no text")
    lines = max(text.count("\n"), text.count("\r")) + 1
    if lines > MAX_LINES:
        raise ReadError(f"{where}: {lines:,} lines, over the limit of {MAX_LINES:,} lines per release")
    budget.check("reading")
    return text, notes


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


def _sample(text: str, n: int = 50) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= n else text[: n - 1] + "…")


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


# --- encodings ----------------------------------------------------------------

# Windows-1252 leaves five bytes undefined; Windows tools map them to the C1
# controls of the same number, as Latin-1 does.
_CP1252_HOLES = {0x81, 0x8D, 0x8F, 0x90, 0x9D}
_CP1252_TO_BYTE = {
    (chr(b) if b in _CP1252_HOLES else bytes([b]).decode("cp1252")): b for b in range(0x80, 0x100)
}
_CONT = "".join(re.escape(ch) for ch, b in _CP1252_TO_BYTE.items() if b < 0xC0)
# UTF-8 read as Windows-1252: "Ã©" (é), "Ã±" (ñ), "Â¿" (¿), "â€œ" (“), "â€”" (—).
# Only the lead bytes of Spanish letters and punctuation: "Ã"/"Â" before such
# a symbol, or "â€", never occur in Spanish text.
_MOJIBAKE = re.compile(f"(?:[ÂÃ][{_CONT}]|â[€‚„][{_CONT}])")


def _decode_plain(where: str, data: bytes, notes: list[str]) -> str:
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
        text = _decode_mixed(where, data, notes)
    return _refuse_controls(where, text)


def _decode_mixed(where: str, data: bytes, notes: list[str]) -> str:
    """Not UTF-8 as a whole: decode line by line, UTF-8 where it is, else Windows-1252."""
    out = []
    utf8 = legacy = holes = 0
    for line in data.splitlines(keepends=True):
        try:
            out.append(line.decode("utf-8"))
            utf8 += not line.isascii()
        except UnicodeDecodeError:
            legacy += 1
            try:
                out.append(line.decode("cp1252"))
            except UnicodeDecodeError:
                holes += 1
                out.append(line.decode("latin-1"))
    if utf8:
        notes.append(
            f"{where}: mixed encodings: {utf8:,} lines read as UTF-8 and {legacy:,} as Windows-1252; "
            "check the accents"
        )
    if holes:
        notes.append(f"{where}: {holes:,} lines have bytes that are not Windows-1252 text; read as Latin-1")
    return "".join(out)


def _repair_mojibake(where: str, text: str, notes: list[str]) -> str:
    """Repair UTF-8 that was read as Windows-1252 and saved again ("mÃ©dicos")."""
    found = 0
    examples: list[str] = []

    def fix(m: re.Match[str]) -> str:
        nonlocal found
        s = m.group()
        try:
            repaired = bytes(_CP1252_TO_BYTE[ch] for ch in s).decode("utf-8")
        except (KeyError, UnicodeDecodeError):
            return s
        found += 1
        if len(examples) < 3 and s not in examples:
            examples.append(s)
        return repaired

    if "Ã" in text or "Â" in text or "â" in text:
        text = _MOJIBAKE.sub(fix, text)
    if found:
        notes.append(
            f"{where}: repaired {found:,} mojibake characters (UTF-8 read as Windows-1252, "
            f"e.g. {', '.join(examples)}); check the accents"
        )
    bad = text.count("\ufffd")
    if bad:
        notes.append(f"{where}: {bad:,} replacement characters (�): the text was damaged before it was saved")
    return text


def _refuse_controls(where: str, text: str) -> str:
    controls = len(_CONTROLS.findall(text, 0, 8192))
    if controls > max(8, len(text[:8192]) // 20):
        raise ReadError(f"{where}: looks like a binary file (control characters), not text")
    return text


# --- HTML -----------------------------------------------------------------------

# Elements that never hold the text of a release.
_HTML_SKIP = frozenset(
    "head title script style noscript template iframe frame frameset svg math canvas object embed applet "
    "video audio map area button select option optgroup datalist input textarea label meter progress "
    "dialog picture source track img".split()
)
_HTML_BLOCKS = frozenset(
    "p div section article main li ul ol dl dd dt h1 h2 h3 h4 h5 h6 blockquote tr table thead tbody tfoot "
    "pre figure figcaption address hr center caption details summary fieldset legend header footer "
    "aside nav body html td th".split()
)
# Chrome by element (outside an article's own header: that holds its title).
_HTML_CHROME_TAGS = {
    "nav": "navigation",
    "aside": "sidebar",
    "footer": "footer",
    "header": "site header",
    "form": "form",
    "menu": "navigation",
}
_HTML_ROLES = {
    "navigation": "navigation",
    "banner": "site header",
    "contentinfo": "footer",
    "complementary": "sidebar",
    "search": "navigation",
    "menu": "navigation",
    "menubar": "navigation",
}
# Chrome by words in class or id (whole words: "nav" is not "navidad").
_HTML_MARKS: tuple[tuple[str, str], ...] = (
    ("comments", r"comments?|comentarios?|respond|disqus|reply"),
    ("share bar", r"share|shares|sharing|social|social-links|addtoany|a2a|sharedaddy|compartir|redes|rrss"),
    ("tags", r"tags?|tagcloud|tag-cloud|etiquetas?|post-categories|cat-links|categories|keywords|temas"),
    (
        "related links",
        r"related|relacionad[oa]s?|jp-relatedposts|te-puede-interesar|lee-tambien|recomendad[oa]s|more-news|"
        r"mas-noticias|otras-noticias|read-more|ultimas-noticias|mas-leidas|most-read|popular",
    ),
    (
        "byline",
        r"byline|author|autor|autora|posted-on|posted-by|entry-meta|post-meta|meta|node__meta|submitted|meta-info|"
        r"post-date|entry-date|fecha-publicacion",
    ),
    ("photo credit", r"credit|credits|credito|creditos|photo-credit"),
    ("copyright", r"copyright|derechos"),
    ("cookie banner", r"cookie|cookies|gdpr|consent|aviso-cookies"),
    ("newsletter", r"newsletter|suscribete|suscripcion|subscribe"),
    ("navigation", r"menu|navbar|nav|navigation|breadcrumbs?|migas|pagination|paginacion|pager|skip-link|toolbar"),
    ("sidebar", r"sidebar|widget|widgets|lateral|publicidad|advert|advertisement|ads|banner-lateral"),
    ("site header", r"site-header|masthead|top-bar|topbar|encabezado"),
    ("footer", r"site-footer|footer|pie-de-pagina|pie-pagina|entry-footer"),
)
_HTML_MARK_RES = tuple(
    (category, re.compile(rf"(?<![a-z0-9])(?:{words})(?![a-z0-9])")) for category, words in _HTML_MARKS
)
# Known main-text containers of CMS themes and government portals.
_HTML_CONTENT = re.compile(
    r"(?<![a-z0-9])(?:entry-content|post-content|article-content|article-body|articlebody|articulo|"
    r"field--name-body|field-name-body|node__content|node-content|content-body|cuerpo|cuerpo-nota|contenido|"
    r"contenido-nota|nota|noticia|post-body|story-body|texto|texto-nota|main-content|page-content|"
    r"single-content|td-post-content|entry|post-entry|article-text|pane-node-body)(?![a-z0-9])"
)
_HTML_WS = re.compile(r"[ \t\n\r\f]+")
_TAG_START = re.compile(r"<[A-Za-z]")
# A wrapper marked "has-sidebar" or a page-wide form holds the release: it is not chrome.
_WRAPPER_SHARE = 0.5


@dataclass
class _Node:
    text: int = 0  # characters of text in the subtree
    links: int = 0  # of which inside links
    kept: int = 0  # non-link text outside chrome
    chrome: str | None = None


def _html_tag(el: Any) -> str:
    tag = el.tag
    if not isinstance(tag, str):
        return ""  # comments, processing instructions, entities
    return tag.rsplit("}", 1)[-1].lower()


def _html_marks(el: Any) -> str:
    return f"{el.get('class') or ''} {el.get('id') or ''}".lower()


def _html_chrome(el: Any, tag: str, in_article: bool) -> str | None:
    """The chrome category of one element (not of its ancestors), or None."""
    if tag in _HTML_SKIP:
        return "skip"
    if el.get("hidden") is not None or (el.get("aria-hidden") or "").lower() == "true":
        return "skip"
    style = (el.get("style") or "").replace(" ", "").lower()
    if "display:none" in style or "visibility:hidden" in style:
        return "skip"
    if tag in ("html", "body", "main", "article"):
        return None
    if tag in _HTML_CHROME_TAGS and not (tag == "header" and in_article):
        return "footer" if tag == "footer" and in_article else _HTML_CHROME_TAGS[tag]
    role = (el.get("role") or "").lower()
    if role in _HTML_ROLES:
        return _HTML_ROLES[role]
    marks = _html_marks(el)
    if marks.strip():
        for category, pattern in _HTML_MARK_RES:
            if pattern.search(marks):
                return category
    return None


def _html_to_text(where: str, markup: str, notes: list[str], budget: Budget) -> str:
    from lxml import etree
    from lxml import html as lxml_html

    if markup.count("<") > MAX_HTML_ELEMENTS:
        for n, _ in enumerate(_TAG_START.finditer(markup), 1):
            if n > MAX_HTML_ELEMENTS:
                raise ReadError(f"{where}: more than {MAX_HTML_ELEMENTS:,} HTML elements, over the limit")
    opened = markup.rfind("<!--")
    unterminated = opened >= 0 and markup.find("-->", opened + 4) < 0
    data = markup.replace("\x00", "").encode("utf-8", "replace")
    parser = lxml_html.HTMLParser(
        encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True, recover=True
    )
    try:
        root = etree.fromstring(data, parser) if data.strip() else None
    except (etree.LxmlError, ValueError) as exc:
        if "empty" in str(exc).lower():  # only comments, a doctype or processing instructions
            root = None
        else:
            raise ReadError(f"{where}: cannot parse HTML ({type(exc).__name__})") from None
    if root is None:
        return ""
    nodes, depth = _html_measure(where, root, budget)
    if depth > MAX_HTML_DEPTH or any("depth" in str(e.message).lower() for e in parser.error_log):
        raise ReadError(f"{where}: HTML elements nested more than {MAX_HTML_DEPTH} deep, over the limit")
    main, title = _html_main(root, nodes)
    lines: list[str] = []
    if title is not None:
        _html_emit(title, nodes, lines, budget)
    _html_emit(main, nodes, lines, budget)
    dropped = _html_dropped(root, main, title, nodes)
    text = "\n".join(lines).strip()
    if unterminated:
        hidden = _size(len(markup) - opened)
        if not text:
            raise ReadError(f"{where}: file has no text (an unterminated '<!--' comment hides the last {hidden})")
        notes.append(f"{where}: unterminated HTML comment: the last {hidden} of the page were not read")
    if dropped:
        notes.append(_dropped_note(where, "web-page chrome", dropped))
    return text


def _dropped_note(where: str, what: str, dropped: list[tuple[str, str]]) -> str:
    groups: dict[str, list[str]] = {}
    for category, text in dropped:
        groups.setdefault(category, []).append(text)
    parts = []
    for category, texts in groups.items():
        count = f" ×{len(texts)}" if len(texts) > 1 else ""
        samples = list(dict.fromkeys(_sample(t, 60) for t in texts))[:2]
        parts.append(f"{category}{count} {', '.join(samples)}")
    shown = "; ".join(parts[:8]) + (f"; +{len(parts) - 8} more" if len(parts) > 8 else "")
    return f"{where}: dropped {what}: {shown}"


def _html_measure(where: str, root: Any, budget: Budget) -> tuple[dict[Any, _Node], int]:
    """Text and link lengths of every element, bottom-up, and the nesting depth (iterative)."""
    nodes: dict[Any, _Node] = {}
    order: list[tuple[Any, Any]] = []  # (element, parent) in document order
    stack: list[tuple[Any, Any, int, bool]] = [(root, None, 0, False)]
    depth = 0
    while stack:
        el, parent, d, in_article = stack.pop()
        depth = max(depth, d)
        if depth > MAX_HTML_DEPTH:
            break
        tag = _html_tag(el)
        node = _Node(chrome=_html_chrome(el, tag, in_article) if tag else "skip")
        nodes[el] = node
        order.append((el, parent))
        if len(order) > MAX_HTML_ELEMENTS:
            raise ReadError(f"{where}: more than {MAX_HTML_ELEMENTS:,} HTML elements, over the limit")
        if not len(order) & 1023:
            budget.check("reading the HTML")
        if node.chrome == "skip":
            continue
        inside = in_article or tag in ("article", "main")
        stack.extend((child, el, d + 1, inside) for child in reversed(el))
    _html_count(order, nodes, kept_only=False)
    # Chrome that holds most of the page is a wrapper, not chrome.
    total = nodes[root].text - nodes[root].links
    wrappers = [
        el
        for el, _ in order
        if nodes[el].chrome not in (None, "skip", "comments")
        and (_html_tag(el) not in _HTML_CHROME_TAGS or _html_tag(el) == "form")
        and total > 0
        and nodes[el].text - nodes[el].links >= _WRAPPER_SHARE * total
    ]
    if wrappers:
        for el in wrappers:
            nodes[el].chrome = None
        _html_count(order, nodes, kept_only=True)
    return nodes, depth


def _html_count(order: list[tuple[Any, Any]], nodes: dict[Any, _Node], *, kept_only: bool) -> None:
    """Sum text (all, in links, kept outside chrome) from the leaves up."""
    for node in nodes.values():
        node.kept = 0
        if not kept_only:
            node.text = node.links = 0
    for el, parent in reversed(order):  # children before parents
        node = nodes[el]
        if node.chrome != "skip":
            own = len((el.text or "").strip())
            node.kept += own
            if not kept_only:
                node.text += own
            if _html_tag(el) == "a":
                node.kept = 0
                if not kept_only:
                    node.links = node.text
        if parent is not None:
            pnode = nodes[parent]
            tail = len((el.tail or "").strip())
            pnode.kept += tail + (node.kept if node.chrome is None else 0)
            if not kept_only:
                pnode.text += node.text + tail
                pnode.links += node.links


def _html_main(root: Any, nodes: dict[Any, _Node]) -> tuple[Any, Any]:
    """The element holding the release, and the page's h1 when it lies outside it."""
    body = root  # not <body>: libxml2 puts text after a stray </body> beside it
    total = max(nodes[body].kept, 1)
    visible = []  # elements outside chrome, in document order
    stack = [body]
    while stack:
        el = stack.pop()
        node = nodes.get(el)
        if node is None or node.chrome is not None:
            continue
        visible.append(el)
        stack.extend(reversed(el))

    def best(cands: list[Any]) -> Any:
        return max(cands, key=lambda el: nodes[el].kept) if cands else None

    main = None
    marked = [
        el
        for el in visible
        if _html_tag(el) in ("article", "main")
        or (el.get("role") or "").lower() == "main"
        or (el.get("itemprop") or "").lower() == "articlebody"
    ]
    cand = best(marked)
    if cand is not None and nodes[cand].kept >= 0.3 * total:
        main = cand
        inner = [el for el in marked if el is not cand and _html_descends(el, cand)]
        tighter = best(inner)
        if tighter is not None and nodes[tighter].kept >= 0.7 * nodes[cand].kept:
            main = tighter
    if main is None:
        known = [el for el in visible if _HTML_CONTENT.search(_html_marks(el))]
        cand = best(known)
        if cand is not None and nodes[cand].kept >= 0.3 * total:
            main = cand
    if main is None:
        # The element whose own paragraphs hold the most text (readability's idea).
        score: Counter[Any] = Counter()
        for el in visible:
            if _html_tag(el) in ("p", "pre", "blockquote", "li", "h2", "h3", "td") and nodes[el].kept >= 20:
                parent = el.getparent()
                if parent is not None:
                    score[parent] += nodes[el].kept
                    grand = parent.getparent()
                    if grand is not None:
                        score[grand] += nodes[el].kept // 2
        main = max(score, key=lambda el: score[el]) if score else body
        if nodes[body].kept - nodes[main].kept < 100 + 0.05 * nodes[body].kept:
            main = body  # little else on the page: keep stray text too
    title = None
    if main is not body and main.find(".//h1") is None:
        for el in visible:
            if _html_tag(el) == "h1" and nodes[el].kept:
                title = el
                break
        if title is not None and _html_descends(main, title):
            title = None
    return main, title


def _html_descends(el: Any, ancestor: Any) -> bool:
    parent = el.getparent()
    while parent is not None:
        if parent is ancestor:
            return True
        parent = parent.getparent()
    return False


def _html_dropped(root: Any, main: Any, title: Any, nodes: dict[Any, _Node]) -> list[tuple[str, str]]:
    """Chrome with words in it, anywhere on the page, and other text left outside the main text."""
    from lxml import etree

    out: list[tuple[str, str]] = []
    outside: list[str] = []
    inside = 0
    walker = etree.iterwalk(root, events=("start", "end"))
    for event, el in walker:
        if event == "end":
            if el is main or el is title:
                inside -= 1
            elif not inside and el.tail and el.tail.strip():
                outside.append(el.tail)
            continue
        node = nodes.get(el)
        if node is None or node.chrome == "skip":
            walker.skip_subtree()
            continue
        if node.chrome is not None:
            if node.text - node.links > 0:
                out.append((node.chrome, " ".join(" ".join(el.itertext()).split()[:12])))
            walker.skip_subtree()
            if not inside and el.tail and el.tail.strip():
                outside.append(el.tail)
            continue
        if el is main or el is title:
            inside += 1
        elif not inside and el.text and el.text.strip():
            outside.append(el.text)
    if outside:
        words = sum(len(t.split()) for t in outside)
        out.append((f"other text outside the release ({words} words)", " ".join(outside)))
    return out


def _html_emit(root: Any, nodes: dict[Any, _Node], lines: list[str], budget: Budget) -> None:
    """Append the text of ``root`` to ``lines``: one line per block, "" between blocks."""
    from lxml import etree

    buf: list[str] = []

    def flush() -> None:
        s = _HTML_WS.sub(" ", "".join(buf)).strip()
        buf.clear()
        if s:
            lines.append(s)

    def brk() -> None:
        flush()
        if lines and lines[-1] != "":
            lines.append("")

    counters: dict[Any, int] = {}
    walker = etree.iterwalk(root, events=("start", "end"))
    seen = 0
    for event, el in walker:
        tag = _html_tag(el)
        if event == "start":
            seen += 1
            if not seen & 1023:
                budget.check("reading the HTML")
            node = nodes.get(el)
            chrome = "skip" if node is None else node.chrome
            if chrome is not None:
                walker.skip_subtree()
                if el is not root and el.tail:
                    buf.append(el.tail)
                continue
            if tag == "br":
                flush()
                continue
            if tag == "table" and _html_data_table(el, nodes):
                brk()
                lines.extend(_html_table_rows(el))
                brk()
                walker.skip_subtree()
                if el is not root and el.tail:
                    buf.append(el.tail)
                continue
            if tag in _HTML_BLOCKS:
                brk()
            if tag == "li":
                parent = el.getparent()
                if parent is not None and _html_tag(parent) == "ol":
                    counters[parent] = counters.get(parent, 0) + 1
                    buf.append(f"{counters[parent]}. ")
            if el.text:
                buf.append(el.text)
        else:
            if tag in _HTML_BLOCKS:
                brk()
            elif tag in ("td", "th"):
                buf.append(" ")
            if el is not root and el.tail:
                buf.append(el.tail)
    brk()


def _html_rows(table: Any) -> list[Any]:
    rows = []
    for child in table:
        tag = _html_tag(child)
        if tag == "tr":
            rows.append(child)
        elif tag in ("thead", "tbody", "tfoot"):
            rows.extend(c for c in child if _html_tag(c) == "tr")
    return rows


def _html_data_table(table: Any, nodes: dict[Any, _Node]) -> bool:
    """A table of data (rows of short cells), not a table used for page layout."""
    rows = _html_rows(table)
    if not rows or table.find(".//table") is not None:
        return False
    widest = 0
    for row in rows:
        cells = [c for c in row if _html_tag(c) in ("td", "th")]
        widest = max(widest, len(cells))
        for cell in cells:
            node = nodes.get(cell)
            if node is not None and node.text > 400:
                return False
    return widest >= 2


def _html_table_rows(table: Any) -> list[str]:
    out = []
    for row in _html_rows(table):
        cells = []
        for cell in row:
            if _html_tag(cell) not in ("td", "th"):
                continue
            parts = []
            for piece in cell.itertext():
                parts.append(piece)
            text = _HTML_WS.sub(" ", " ".join(parts)).replace("|", "/").strip()
            cells.append(text)
        if any(cells):
            out.append("| " + " | ".join(cells) + " |")
    return out


# --- PDF --------------------------------------------------------------------------

# Helvetica's advance widths (1/1000 em): widths of text runs are estimated to
# tell a word continued by the next run from the next cell of a table row.
_WIDTHS: dict[str, int] = {
    **dict.fromkeys(" !,./:;I[\\]ftijl|", 278),
    **dict.fromkeys("ijl", 222),
    **dict.fromkeys("\"'", 278),
    **dict.fromkeys("()-`r{}¡“”‘’«»", 333),
    **dict.fromkeys("*", 389),
    **dict.fromkeys("Jcksvxyz", 500),
    **dict.fromkeys("#$0123456789?_abdeghnopqu¿–", 556),
    **dict.fromkeys("+<=>~", 584),
    **dict.fromkeys("FTZ", 611),
    **dict.fromkeys("&ABEKPSVXY", 667),
    **dict.fromkeys("CDHNRUw", 722),
    **dict.fromkeys("GOQ", 778),
    **dict.fromkeys("Mm%", 833),
    **dict.fromkeys("W", 944),
    **dict.fromkeys("—…@", 1000),
}


def _text_width(text: str, size: float) -> float:
    total = 0
    for ch in text:
        w = _WIDTHS.get(ch)
        if w is None:
            w = _WIDTHS.get(unicodedata.normalize("NFD", ch)[:1], 556)
        total += w
    return total * size / 1000


@dataclass
class _PdfLine:
    x: float
    y: float
    size: float
    cells: list[str] = field(default_factory=list)
    end: float = 0.0  # estimated x where the last cell ends
    closed: bool = False

    @property
    def text(self) -> str:
        return " ".join(c.strip() for c in self.cells if c.strip())

    @property
    def is_row(self) -> bool:
        return sum(1 for c in self.cells if c.strip()) >= 2


@dataclass
class _PdfPage:
    number: int
    top: float
    bottom: float
    lines: list[_PdfLine]


def _pdf_to_text(where: str, data: bytes, notes: list[str], budget: Budget) -> str:
    import logging

    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # malformed PDFs log noisily
    pages: list[_PdfPage] = []
    skipped: list[tuple[int, int]] = []
    try:
        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted:
                opened: object
                try:
                    opened = reader.decrypt("")
                except Exception:
                    opened = 0
                if not opened:
                    raise ReadError(f"{where}: PDF is encrypted with a password")
            n = len(reader.pages)
            if n > MAX_PDF_PAGES:
                notes.append(f"{where}: PDF has {n:,} pages; read only the first {MAX_PDF_PAGES} (the page limit)")
            total = 0
            for i in range(min(n, MAX_PDF_PAGES)):
                budget.check(f"reading page {i + 1} of the PDF")
                page = reader.pages[i]
                size = _pdf_content_size(page, MAX_PDF_PAGE_CONTENT)
                if size > MAX_PDF_PAGE_CONTENT:
                    skipped.append((i + 1, size))
                    continue
                total += size
                if total > MAX_PDF_CONTENT:
                    notes.append(
                        f"{where}: stopped before page {i + 1}: the pages read hold over "
                        f"{_size(MAX_PDF_CONTENT)} of PDF content (the limit)"
                    )
                    break
                pages.append(_pdf_page(page, i + 1, budget))
    except ReadError:
        raise
    except Exception as exc:  # a corrupt PDF can fail anywhere inside pypdf
        raise ReadError(f"{where}: corrupt or unreadable PDF ({type(exc).__name__})") from None
    text = _pdf_layout(where, pages, notes)
    if skipped:
        first, size = skipped[0]
        what = (
            f"page {first} has {_size(size)} of PDF content, over the {_size(MAX_PDF_PAGE_CONTENT)} limit per page"
        )
        if not text.strip():
            raise ReadError(f"{where}: {what}" + (f" (and {len(skipped) - 1} more pages)" if len(skipped) > 1 else ""))
        others = f"; {len(skipped) - 1} more pages skipped" if len(skipped) > 1 else ""
        notes.append(f"{where}: skipped {what}{others}")
    if not text.strip():
        raise ReadError(f"{where}: PDF has no text layer (scanned image?); run OCR first")
    return text


def _pdf_content_size(page: Any, limit: int) -> int:
    """Decoded bytes of a page's content streams and form XObjects, counted up to ``limit`` + 1."""
    from pypdf.generic import ArrayObject, StreamObject

    remaining = [limit + 1]

    def size_of(obj: Any, depth: int = 0) -> int:
        if obj is None or remaining[0] <= 0 or depth > 3:
            return 0
        obj = obj.get_object()
        if isinstance(obj, ArrayObject):
            return sum(size_of(item, depth) for item in obj[:10_000])
        if not isinstance(obj, StreamObject):
            return 0
        filters = obj.get("/Filter")
        names = [str(f) for f in filters] if isinstance(filters, ArrayObject) else ([str(filters)] if filters else [])
        raw = getattr(obj, "_data", b"") or b""
        if not names:
            n = len(raw)
        elif names == ["/FlateDecode"]:
            try:
                n = len(zlib.decompressobj().decompress(raw, remaining[0]))
            except zlib.error:
                n = len(raw)
        else:
            n = len(obj.get_data())
        remaining[0] -= n
        return n

    total = size_of(page.get("/Contents"))
    resources = page.get("/Resources")
    if resources is not None:
        resources = resources.get_object()
        xobjects = resources.get("/XObject") if hasattr(resources, "get") else None
        if xobjects is not None:
            xobjects = xobjects.get_object()
            for name in list(xobjects)[:1000]:
                x = xobjects[name]
                if x is not None and x.get_object().get("/Subtype") == "/Form":
                    total += size_of(x, 1)
    return total


def _pdf_page(page: Any, number: int, budget: Budget) -> _PdfPage:
    chunks: list[tuple[str, float, float, float]] = []
    ops = [0]

    def on_text(text: str, cm: Any, tm: Any, font: Any, size: Any) -> None:
        if not text:
            return
        a, b, c, d, e, f = (float(v) for v in cm)
        _ta, _tb, tc, td, te, tf = (float(v) for v in tm)
        x = te * a + tf * c + e
        y = te * b + tf * d + f
        scale = math.hypot(tc * a + td * c, tc * b + td * d) or 1.0
        chunks.append((text, x, y, float(size or 0) * scale or 10.0))

    def on_op(op: Any, args: Any, cm: Any, tm: Any) -> None:
        ops[0] += 1
        if not ops[0] & 1023:
            budget.check(f"reading page {number} of the PDF")

    page.extract_text(visitor_text=on_text, visitor_operand_before=on_op)
    box = page.mediabox
    lines = _pdf_lines(chunks)
    return _PdfPage(number, float(box.top), float(box.bottom), lines)


def _pdf_lines(chunks: list[tuple[str, float, float, float]]) -> list[_PdfLine]:
    """Lines from pypdf's text runs; runs side by side on one baseline are a table row's cells."""
    lines: list[_PdfLine] = []
    cur: _PdfLine | None = None
    for text, x, y, size in chunks:
        pieces = text.split("\n")
        for k, piece in enumerate(pieces):
            if k > 0:
                if cur is not None:
                    cur.closed = True
                if not piece:
                    continue
                cur = _PdfLine(x, y - k * size * 1.2, size, [piece], 0.0)
                cur.end = cur.x + _text_width(piece, size)
                lines.append(cur)
                continue
            if not piece:
                continue
            same_row = cur is not None and abs(cur.y - y) <= 0.3 * max(size, 1.0)
            if cur is not None and not cur.closed and same_row:
                cur.cells[-1] += piece  # pypdf continued the line itself (a font change)
                cur.end += _text_width(piece, size)
            elif cur is not None and same_row and x >= cur.end - 0.5 * size - 0.15 * (cur.end - cur.x):
                gap = x - cur.end
                last = cur.cells[-1]
                if gap > 2.0 * size + 0.1 * _text_width(last, size):
                    cur.cells.append(piece)  # the next cell of a row
                elif last.endswith((" ", "\t")) or piece.startswith((" ", "\t")) or gap < 0.2 * size:
                    cur.cells[-1] = last + piece
                else:
                    cur.cells[-1] = last + " " + piece
                cur.end = x + _text_width(piece, size)
                cur.closed = False
            else:
                cur = _PdfLine(x, y, size, [piece])
                cur.end = x + _text_width(piece, size)
                lines.append(cur)
    return [ln for ln in lines if ln.text]


_PAGE_NO = re.compile(r"^\W*(?:p[áa]g(?:ina)?\.?\s*)?\d{1,4}(?:\s*(?:de|/|of)\s*\d{1,4})?\W*$", re.IGNORECASE)
_MARGIN = 0.08  # share of the page height, at the top and at the bottom, where running heads live


def _pdf_key(line: _PdfLine) -> tuple[str, int]:
    return re.sub(r"\d+", "#", " ".join(line.text.lower().split())), round(line.y / 3)


def _pdf_layout(where: str, pages: list[_PdfPage], notes: list[str]) -> str:
    """Paragraphs of the pages: running heads and page numbers out, halves split by a page joined."""
    in_margin: dict[int, list[bool]] = {}
    seen: Counter[tuple[str, int]] = Counter()
    for page in pages:
        zone = _MARGIN * (page.top - page.bottom)
        flags = [ln.y >= page.top - zone or ln.y <= page.bottom + zone for ln in page.lines]
        in_margin[page.number] = flags
        seen.update({_pdf_key(ln) for ln, m in zip(page.lines, flags, strict=True) if m})
    dropped: list[tuple[str, str]] = []
    bodies: list[list[_PdfLine]] = []
    for page in pages:
        body = []
        for ln, margin in zip(page.lines, in_margin[page.number], strict=True):
            if margin and (seen[_pdf_key(ln)] > 1 or _PAGE_NO.match(ln.text)):
                dropped.append(("page number" if _PAGE_NO.match(ln.text) else "running header/footer", ln.text))
                continue
            body.append(ln)
        bodies.append(body)
    if dropped:
        notes.append(_dropped_note(where, f"{len(dropped)} PDF running heads and page numbers", dropped))
    every = [ln for body in bodies for ln in body]
    if not every:
        return ""
    vocabulary = Vocabulary("\n".join(ln.text for ln in every))
    plain = [len(ln.text) for ln in every if not ln.is_row]
    widest = max(plain) if plain else 1
    sizes: Counter[float] = Counter()
    for ln in every:
        sizes[round(ln.size, 1)] += len(ln.text)
    body_size = sizes.most_common(1)[0][0]
    paragraphs: list[list[_PdfLine]] = []
    spacing = _pdf_spacing(bodies)  # over the whole document: a page may hold only a few lines
    for p, body in enumerate(bodies):
        for i, ln in enumerate(body):
            if i == 0:
                if p > 0 and paragraphs and _pdf_continues_page(paragraphs[-1][-1], ln, widest):
                    paragraphs[-1].append(ln)
                else:
                    paragraphs.append([ln])
                continue
            if _pdf_new_paragraph(body[i - 1], ln, spacing, widest, body_size):
                paragraphs.append([ln])
            else:
                paragraphs[-1].append(ln)
    out: list[str] = []
    for para in paragraphs:
        if para[0].is_row:
            if out and not out[-1].startswith("|"):
                out.append("")
            out.extend("| " + " | ".join(c.strip() for c in ln.cells) + " |" for ln in para)
            continue
        if out:
            out.append("")
        out.append(join_lines([ln.text for ln in para], vocabulary))
    return "\n".join(out)


def _pdf_spacing(bodies: list[list[_PdfLine]]) -> float:
    """The line spacing inside paragraphs, from the gaps between consecutive lines."""
    gaps: Counter[float] = Counter(
        round(a.y - b.y, 0)
        for lines in bodies
        for a, b in itertools.pairwise(lines)
        if not (a.is_row or b.is_row) and 0 < a.y - b.y < 3 * max(a.size, b.size)
    )
    if not gaps:
        return 0.0
    # The smallest gap that is common: short paragraphs make paragraph gaps common too.
    total = sum(gaps.values())
    common = [g for g in sorted(gaps) if gaps[g] >= max(2, 0.2 * total)]
    return common[0] if common else min(gaps, key=lambda g: (-gaps[g], g))


def _pdf_new_paragraph(a: _PdfLine, b: _PdfLine, spacing: float, widest: int, body_size: float) -> bool:
    if a.is_row or b.is_row:
        return not (a.is_row and b.is_row)  # the rows of one table stay one block
    gap = a.y - b.y
    if gap <= 0:
        return True  # back up the page: another column or box
    if abs(a.size - b.size) > 0.5:
        return True  # a title over the text
    if a.size > body_size + 0.5:
        return gap > 1.6 * a.size  # a heading wrapped on two lines goes on
    if (spacing and gap > 1.35 * spacing) or (not spacing and gap > 1.6 * b.size):
        return True
    if _BULLET.match(b.text):
        return True
    if len(a.text) >= 2 and a.text[-1] == "-" and a.text[-2].isalpha():
        return False
    if b.x > a.x + 1.5 * b.size and not _BULLET.match(a.text):
        return True  # an indented first line
    # The last line of a paragraph is short; a line ending a sentence short of the
    # margin ends its paragraph.
    return len(a.text) < 0.75 * widest


def _pdf_continues_page(a: _PdfLine, b: _PdfLine, widest: int) -> bool:
    """Whether the first line of a page goes on with the paragraph of the last line of the page before."""
    if a.is_row or b.is_row or _BULLET.match(b.text) or abs(a.size - b.size) > 0.5:
        return False
    if b.text[:1].islower():
        return True
    if len(a.text) >= 2 and a.text[-1] == "-" and a.text[-2].isalpha():
        return True
    full = len(a.text) >= 0.85 * widest
    return full or (len(a.text) >= 0.6 * widest and not _SENTENCE_END.search(a.text))


# --- DOCX -------------------------------------------------------------------------

_DOCX_SKIP = frozenset({"drawing", "pict", "object", "AlternateContent", "delText", "instrText", "del"})


def _docx_to_text(where: str, data: bytes, budget: Budget) -> str:
    from lxml import etree

    members = data.count(b"PK\x01\x02")  # central-directory entries, counted before zipfile lists them
    if members > MAX_ZIP_MEMBERS:
        raise ReadError(f"{where}: DOCX has {members:,} zip members, over the limit of {MAX_ZIP_MEMBERS:,}")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = {info.filename: info for info in zf.infolist()}
            target = "word/document.xml"
            if "_rels/.rels" in infos:
                rels = etree.fromstring(_zip_read(where, zf, infos["_rels/.rels"]), _xml_parser())
                for rel in rels:
                    if str(rel.get("Type", "")).endswith("/officeDocument"):
                        target = str(rel.get("Target", target)).lstrip("/")
            info = infos.get(target)
            if info is None:
                raise ReadError(f"{where}: not a DOCX document (no {target} in the zip)")
            xml = _zip_read(where, zf, info)
    except ReadError:
        raise
    except Exception as exc:  # bad zip, zlib errors, encrypted members...
        raise ReadError(f"{where}: corrupt or unreadable DOCX ({type(exc).__name__})") from None
    try:
        root = etree.fromstring(xml, _xml_parser())
    except Exception as exc:  # XMLSyntaxError, too deep
        raise ReadError(f"{where}: corrupt or unreadable DOCX ({type(exc).__name__})") from None
    body = next((el for el in root if _local(el) == "body"), None)
    if body is None:
        raise ReadError(f"{where}: corrupt or unreadable DOCX (no document body)")
    blocks: list[str] = []
    _docx_blocks(body, blocks, budget)
    return "\n\n".join(b for b in blocks if b.strip())


def _xml_parser() -> Any:
    from lxml import etree

    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)


def _zip_read(where: str, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """One member, after checking its declared size and compression ratio; never more than the limit."""
    limit = MAX_DOCX_XML_BYTES
    if info.file_size > limit:
        raise ReadError(
            f"{where}: DOCX part {info.filename} declares {_size(info.file_size)}, over the {_size(limit)} limit"
        )
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > 2**20 and ratio > MAX_ZIP_RATIO:
        raise ReadError(
            f"{where}: DOCX part {info.filename} is compressed {ratio:,.0f}:1, over the "
            f"{MAX_ZIP_RATIO}:1 limit (zip bomb?)"
        )
    with zf.open(info) as fh:
        out = fh.read(limit + 1)
    if len(out) > limit:
        raise ReadError(f"{where}: DOCX part {info.filename} is over the {_size(limit)} limit")
    return out


def _local(el: Any) -> str:
    tag = el.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _docx_blocks(container: Any, blocks: list[str], budget: Budget) -> None:
    """Paragraphs and tables of a body, cell or content control, in reading order (iterative)."""
    stack = list(reversed(container))
    count = 0
    while stack:
        el = stack.pop()
        count += 1
        if not count & 1023:
            budget.check("reading the DOCX")
        name = _local(el)
        if name == "p":
            blocks.append(_docx_paragraph(el))
        elif name == "tbl":
            blocks.extend(_docx_table(el, budget))
        elif name in ("sdt", "sdtContent", "customXml", "ins", "smartTag"):
            stack.extend(reversed(el))


def _docx_paragraph(p: Any) -> str:
    from lxml import etree

    parts: list[str] = []
    walker = etree.iterwalk(p, events=("start",))
    for _, el in walker:
        name = _local(el)
        if name in _DOCX_SKIP:
            walker.skip_subtree()
        elif name == "t":
            parts.append(el.text or "")
        elif name == "tab":
            parts.append(" ")
        elif name in ("br", "cr"):
            parts.append("\n")
        elif name == "noBreakHyphen":
            parts.append("-")
    return "".join(parts)


def _docx_table(tbl: Any, budget: Budget) -> list[str]:
    """Rows as ``| cell | cell |`` lines; a table used for layout gives its cells' paragraphs."""
    rows: list[list[list[str]]] = []  # row -> cell -> blocks
    for tr in (el for el in tbl if _local(el) == "tr"):
        cells: list[list[str]] = []
        for tc in (el for el in tr if _local(el) == "tc"):
            if _docx_merged_below(tc):
                cells.append([])  # the continuation of a cell merged with the one above
                continue
            inner: list[str] = []
            _docx_blocks(tc, inner, budget)
            cells.append([b for b in inner if b.strip()])
        rows.append(cells)
    widest = max((len(r) for r in rows), default=0)
    texts = [[" ".join(" ".join(b.split()) for b in cell).replace("|", "/") for cell in r] for r in rows]
    if widest < 2 or any(len(c) > 400 for r in texts for c in r):
        return [b for r in rows for cell in r for b in cell]
    return ["| " + " | ".join(r) + " |" for r in texts if any(r)]


def _docx_merged_below(tc: Any) -> bool:
    props = next((el for el in tc if _local(el) == "tcPr"), None)
    merge = None if props is None else next((el for el in props if _local(el) == "vMerge"), None)
    if merge is None:
        return False
    val = next((v for k, v in merge.attrib.items() if k.rsplit("}", 1)[-1] == "val"), "continue")
    return val != "restart"

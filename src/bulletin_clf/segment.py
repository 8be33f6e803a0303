"""Stage 2: text to paragraphs, the way a person reads a bulletin.

Rules, in order:

* Text is NFC-normalised, line ends unified and invisible characters
  (zero-width spaces, control characters) removed.
* Table rows, written ``| cell | cell |`` (the readers write DOCX, HTML and
  PDF tables so; Markdown tables are the same), are one paragraph each with
  the cells joined by ``" | "`` ("Oaxaca | 1,120"): a number stays with its
  label, and no boilerplate rule (page numbers!) applies inside a table.
* Boilerplate lines are dropped and reported (:class:`DroppedLine`): closing
  marks such as ``-0-``, lines that are only links, "LINK DE FOTOS/VIDEO"
  lines, web-comment forms, page numbers, "BOLETÍN DE PRENSA" headers, year
  mottos ("2023, AÑO DE ...") and any short non-sentence line repeated within
  the document (page headers; a repeated sentence or quotation is body text
  and stays). Web-page chrome that survives into the text is dropped too:
  tag lists ("Etiquetas: ..."), share bars ("Compartir en Facebook X
  WhatsApp"), bylines ("Por: Redacción"), photo credits ("Foto:
  IMSS-Bienestar"), lines that are only a date ("21/02/2023"), copyright lines ("© 2024 Gobierno del Estado") and
  related-link teasers ("Lee también: ...", "Te puede interesar").
* Blank lines separate blocks. Inside a block every bullet (``·``, ``•``,
  ``-``, ``*``, ``–``, or a numbered item) starts its own paragraph, a line that
  ends a sentence starts a new one, and hard-wrapped lines of converted PDFs
  (a long line with no sentence end, or a next line starting in lower case)
  are joined back.
* Page furniture (page numbers, repeated headers, mottos, form feeds) between
  the two halves of a paragraph does not end it: when the text before it
  stops mid-sentence (or the text after it starts in lower case) the halves
  are joined.
* A word hyphenated at a line end is rejoined without inventing letters: the
  document's own words decide ("IMS-" + "S-Bienestar" is "IMSS-Bienestar"
  when that word occurs elsewhere, or because IMSS is a known acronym);
  otherwise a lower-case continuation is one word ("medica-" + "mentos") and
  an upper-case one a compound ("IMSS-" + "Bienestar").

Limits (module constants):

* ``MAX_LINES`` = 200,000 lines per text (blank lines included): more raises :class:`ReadError`
  (a release has hundreds; a file of millions of tiny paragraphs is refused
  before it costs gigabytes).
* ``segment(text, budget=...)`` checks the per-file time budget of
  :class:`bulletin_clf.read.Budget` every few thousand lines.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from .errors import ReadError

MAX_LINES = 200_000

_INVISIBLE = dict.fromkeys(
    [0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2060, 0xFEFF, 0x00AD, 0x180E]
    + list(range(0x202A, 0x202F))  # bidi embeddings and overrides
    + list(range(0x2061, 0x2065))  # invisible operators
    + list(range(0x2066, 0x206A))  # bidi isolates
    + [c for c in range(32) if c not in (9, 10)]
    + list(range(0x7F, 0xA0))
)
# str.translate with a dict costs ~40 ns per character; a regex over the same
# characters removes them ten times faster (identical result: all map to "").
_INVISIBLE_RE = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(_INVISIBLE)) + "]+")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
# What _SPACES changes: runs of two or more, or one space that is not " " (a lone " " stays as it is).
_SPACE_RUNS = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]{2,}|[\t\u00a0\u2000-\u200a\u202f\u205f\u3000]")
_ODD_SPACES = ("  ", "\t", "\u00a0", *map(chr, range(0x2000, 0x200B)), "\u202f", "\u205f", "\u3000")
# Word's Symbol/Wingdings bullets come out of PDFs as private-use characters.
_BULLET = re.compile(r"^\s*(?:[·•●▪■◦‣∙*–—\uf0b7\uf0a7\uf0a8\uf0d8\uf076\uf0fc-]+|\d{1,2}[.)](?=\s)|[a-z][)](?=\s))\s*")
_SYMBOL_BULLET = re.compile(r"^\s*[·•●▪■◦‣∙*–—\uf0b7\uf0a7\uf0a8\uf0d8\uf076\uf0fc-]+\s*")
_SENTENCE_END = re.compile(r"""[.!?:;"”»’)\]…]\s*\**$""")
# URLs separated by white space. Written so that no URL can also be read as
# several (a nested ``(?:url\S+\s*)+`` backtracks exponentially).
_URL_ONLY = re.compile(r"^\s*(?:https?://|www\.)\S*(?:\s+(?:https?://|www\.)\S*)*\s*$", re.IGNORECASE)
_SHARE_WORDS = frozenset(
    "compartir comparte compártelo compartelo comparta compartido share facebook twitter x whatsapp telegram "
    "linkedin pinterest messenger email e-mail correo imprimir print tweet tuitear tuit enviar copiar enlace "
    "link url en por o y redes sociales | : · • - – — veces".split()
)
_SHARE_NAMES = frozenset(
    "compartir comparte compártelo compartelo comparta share facebook twitter whatsapp telegram linkedin "
    "pinterest messenger tweet tuitear".split()
)
_BOILERPLATE: tuple[tuple[str, re.Pattern[str]], ...] = (
    # -0-, - 0 -, -o0o-, ---oOo---, -000- (no overlapping classes: linear time).
    ("closing mark", re.compile(r"^\s*(?:[-–—_=*#~]\s*)+[0oO]+(?:\s*[-–—_=*#~])+\s*$")),
    ("closing mark", re.compile(r"^\s*(?:[-–—_=*#]\s*){3,}$")),
    ("link", _URL_ONLY),
    (
        "photo/video link",
        re.compile(
            r"^\s*(?:link|liga|enlace|links|ligas|enlaces)s?\s+(?:de|a|al|para)\s+(?:las?\s+|los?\s+)?"
            r"(?:fotos?|fotograf[ií]as?|im[áa]gen(?:es)?|videos?|audios?|galer[ií]a)\b.*$",
            re.IGNORECASE,
        ),
    ),
    (
        "comment form",
        re.compile(
            r"^\s*(?:deja (?:una respuesta|un comentario|tu comentario)|escribe tu comentario|"
            r"por favor (?:escribe|introduce|ingresa) tu (?:nombre|direcci[óo]n|correo).*|"
            r"has introducido una direcci[óo]n.*|guardar mi nombre.*|comentarios?|"
            r"publicar comentario|responder|cancelar respuesta|"
            r"tu direcci[óo]n de correo electr[óo]nico no ser[áa] publicada.*)\s*[.:!]?\s*$",
            re.IGNORECASE,
        ),
    ),
    (
        "page number",
        re.compile(
            r"^\s*(?:[-–—]\s*)?(?:p[áa]g(?:ina)?\.?\s*)?\d{1,4}(?:\s*(?:de|/)\s*\d{1,4})?\s*(?:[-–—]\s*)?$",
            re.IGNORECASE,
        ),
    ),
    (
        "header",
        re.compile(
            r"^\s*\**\s*(?:bolet[íi]n(?: de prensa)?|comunicado(?: de prensa)?|nota informativa)"
            r"(?:\s*(?:no\.?|n[úu]m\.?|n[°º])?\s*(?=[\w/-]*\d)[\w/-]+)?\s*\**\s*\.?\s*$",
            re.IGNORECASE,
        ),
    ),
    (
        "year motto",
        re.compile(r"^\s*[\"“«']?\s*\d{4}\s*,\s*a[ñn]o de[^.]{0,150}[\"”»']?\s*$", re.IGNORECASE),
    ),
    # Web-page chrome copied along with the text (each bounded: a long line is body text).
    (
        "tag list",
        re.compile(
            r"^\s*(?:etiquetas|tags|temas|palabras clave|categor[íi]as?|archivado en|publicado en)\s*:.{0,300}$",
            re.IGNORECASE,
        ),
    ),
    (
        "photo credit",
        re.compile(
            r"^\s*[(\[]?\s*(?:fotos?|fotograf[íi]as?|im[áa]gen(?:es)?|cr[ée]ditos?(?: de (?:la )?fotos?)?)"
            r"\s*(?::|/|\bcortes[íi]a\b)\s*\S.{0,100}$",
            re.IGNORECASE,
        ),
    ),
    (
        "copyright",
        re.compile(
            r"^\s*(?:©|\(c\)\s|copyright\b|d\.\s?r\.\s?©?|derechos reservados\b).{0,200}$",
            re.IGNORECASE,
        ),
    ),
    (
        "related link",
        re.compile(
            r"^\s*(?:lee|lea|leer|ver|mira|checa|consulta)\s+tambi[ée]n\b.{0,200}$"
            r"|^\s*(?:tambi[ée]n\s+)?te\s+(?:puede|podr[íi]a)\s+interesar\b.{0,200}$"
            r"|^\s*te\s+recomendamos\b.{0,200}$"
            r"|^\s*(?:notas?|noticias?|art[íi]culos?|entradas?|publicaciones?)\s+relacionad[oa]s\b.{0,200}$"
            r"|^\s*(?:relacionad[oa]s?|m[áa]s noticias|[úu]ltimas noticias|leer m[áa]s|lee m[áa]s|ver m[áa]s"
            r"|seguir leyendo|continuar leyendo|sigue leyendo)\s*[:.»›>]*\s*$",
            re.IGNORECASE,
        ),
    ),
    (
        "date",
        re.compile(
            r"^\s*(?:(?:lunes|martes|mi[ée]rcoles|jueves|viernes|s[áa]bado|domingo)\s*,?\s*)?"
            r"(?:\d{1,2}\s*[/.-]\s*\d{1,2}\s*[/.-]\s*\d{2,4}|\d{1,2}\s+de\s+(?:enero|febrero|marzo|abril|mayo|"
            r"junio|julio|agosto|sep?tiembre|octubre|noviembre|diciembre)\s+(?:de|del)\s+\d{4})\s*\.?\s*$",
            re.IGNORECASE,
        ),
    ),
    (
        "byline",
        re.compile(
            r"^\s*(?:por|autor|autora|escrito por|publicado por|redacci[óo]n|reportero|reportera)\s*:\s*\S.{0,80}$"
            r"|^\s*por\s+redacci[óo]n\b.{0,60}$"
            r"|^\s*(?:publicado|fecha de publicaci[óo]n|[úu]ltima actualizaci[óo]n|actualizado)\s*"
            r"(?::|el\s+(?=\d|lunes|martes|mi[ée]rcoles|jueves|viernes|s[áa]bado|domingo)|por\s)\s*\S.{0,60}$",
            re.IGNORECASE,
        ),
    ),
)
# All patterns as one alternation, in the same order, each with its own flags: the first
# branch that matches is the pattern the loop would have found first, in one C-level call.
_BOILERPLATE_ANY = re.compile("|".join(
    f"(?P<b{i}>(?{'i' if p.flags & re.IGNORECASE else ''}:{p.pattern}))" if p.flags & re.IGNORECASE
    else f"(?P<b{i}>(?:{p.pattern}))" for i, (_, p) in enumerate(_BOILERPLATE)))
_BOILERPLATE_REASONS = {f"b{i}": reason for i, (reason, _) in enumerate(_BOILERPLATE)}
_BOILERPLATE_ORDER = {f"b{i}": i for i in range(len(_BOILERPLATE))}
# "... Todos los derechos reservados ...", a copyright rule kept out of the
# combined pattern: its leading ``.{0,120}`` tries the phrase at every one of
# 120 positions, which cost more than all the other rules together on body
# text. It is tried only on lines it can match: at most 269 characters that
# contain "rvado" (letters with no special case folding, so the guard is exact).
_ALL_RIGHTS = re.compile(r"^.{0,120}\btodos los derechos reservados\b.{0,120}$", re.IGNORECASE)
_ALL_RIGHTS_MAX = 120 + len("todos los derechos reservados") + 120
_COPYRIGHT_ORDER = next(i for i, (reason, _) in enumerate(_BOILERPLATE) if reason == "copyright")
_REPEAT_MAX_CHARS = 120
_CLOSING_QUOTES = ('"', "”", "»")
# Reasons that mark page furniture: a paragraph interrupted by them goes on after them.
_FURNITURE = frozenset({"page number", "repeated header", "header", "year motto"})
# A form feed (page break of converted PDFs) becomes this line before cleaning.
_PAGE_BREAK = "\uffff"
_WORD = re.compile(r"\w+(?:-\w+)*")
_HYPHEN_HEAD = re.compile(r"(\w+(?:-\w+)*)-")  # fullmatch on the last word: linear
_HYPHEN_TAIL = re.compile(r"^(\w+)((?:-\w+)*)")
# Acronyms of the sector that typesetters split: "IMS-" + "S" is IMSS.
_ACRONYMS = frozenset(
    "IMSS ISSSTE INSABI COFEPRIS CONAMED CENSIDA CENAPRECE CENETEC BIRMEX CCINSHAE SEDENA SEMAR PEMEX "
    "ISSEMYM ISSSTEP ISSSTELEON ISSSTECALI ISSET ISSFAM UMAE SHCP SEP UNAM CONACYT CONAHCYT OPD CDMX "
    "COVID SARS ISESALUD SESA SSO DIF".split()
)


class _Budget(Protocol):
    """What :func:`segment` needs of :class:`bulletin_clf.read.Budget`."""

    name: str

    def check(self, doing: str) -> None: ...


@dataclass(frozen=True)
class DroppedLine:
    """A line removed as boilerplate, with the reason."""

    text: str
    reason: str


@dataclass
class Segmentation:
    """Paragraphs kept, in reading order, and boilerplate dropped."""

    paragraphs: list[str] = field(default_factory=list)
    dropped: list[DroppedLine] = field(default_factory=list)


Segmented = Segmentation  # the name used in the design notes


def clean_text(text: str) -> str:
    """NFC-normalise, unify line ends and remove invisible characters."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n\n").replace("\x85", "\n")
    # Normalise last: removing a zero-width character between a letter and a
    # combining accent leaves a pair that NFC composes.
    # Every invisible character is non-printable, so a text that is printable
    # apart from its newlines and tabs has none: three C-level passes instead
    # of the regex's slower scan.
    if not text.replace("\n", "").replace("\t", "").isprintable():
        text = _INVISIBLE_RE.sub("", text)
    return unicodedata.normalize("NFC", text)


def boilerplate_reason(line: str) -> str | None:
    """Why a whole line is boilerplate, or ``None`` when it is content."""
    if not (line[:1].isalnum() or any(ch.isalnum() for ch in line)):
        return "no text"
    # Runs of white space only make the patterns below backtrack. (Segmented
    # lines have none: the split is skipped when it would change nothing.)
    if not line.isprintable() or "  " in line or line[:1] == " " or line[-1:] == " ":
        line = " ".join(line.split())
    m = _BOILERPLATE_ANY.match(line)
    branch = m.lastgroup if m is not None else None
    if (
        (branch is None or _BOILERPLATE_ORDER[branch] > _COPYRIGHT_ORDER)
        and len(line) <= _ALL_RIGHTS_MAX
        and "rvado" in line.lower()
        and _ALL_RIGHTS.match(line)
    ):
        return "copyright"
    if branch is not None:
        return _BOILERPLATE_REASONS[branch]
    if _is_share_bar(line):
        return "share bar"
    return None


def _is_share_bar(line: str) -> bool:
    if len(line) > 160:
        return False
    words = [w.strip(":·•|,.()[]") for w in line.lower().split()]
    words = [w for w in words if w]
    return bool(words) and all(w in _SHARE_WORDS for w in words) and any(w in _SHARE_NAMES for w in words)


def table_row(line: str) -> str | None:
    """The paragraph of a ``| cell | cell |`` line (cells joined by " | "), or ``None``."""
    if len(line) < 3 or line[0] != "|" or line[-1] != "|":
        return None
    cells = [c.strip() for c in line[1:-1].split("|")]
    cells = [c for c in cells if c]
    if not cells or not any(ch.isalnum() for c in cells for ch in c):
        return None
    return " | ".join(cells)


def _key(line: str) -> str:
    return " ".join(line.lower().split()).strip("\"“”«»' ")


class Vocabulary:
    """Counts of the words of one document, built on first use (hyphenation repair)."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._counts: Counter[str] | None = None

    def __getitem__(self, word: str) -> int:
        if self._counts is None:
            self._counts = Counter(_WORD.findall(self._text.lower()))
            self._text = ""
        return self._counts[word.lower()]


def segment(text: str, *, budget: _Budget | None = None) -> Segmentation:
    """Split the text of one release into content paragraphs.

    Raises:
        ReadError: the text has more than :data:`MAX_LINES` lines, or
            ``budget`` (a :class:`bulletin_clf.read.Budget`) ran out.
    """
    if "\f" in text:
        text = text.replace("\f", f"\n{_PAGE_BREAK}\n")
    cleaned = clean_text(text)
    n_lines = cleaned.count("\n") + 1
    if n_lines > MAX_LINES:
        name = budget.name if budget is not None else "text"
        raise ReadError(f"{name}: {n_lines:,} lines, over the limit of {MAX_LINES:,} lines per release")
    if any(odd in cleaned for odd in _ODD_SPACES):  # most releases have no run to collapse: skip the regex
        cleaned = _SPACE_RUNS.sub(" ", cleaned)  # no newline in the class: the same as line by line
    lines = [line.strip() for line in cleaned.split("\n")]
    # Short lines seen twice or more in a document are page headers or slogans.
    counts = Counter(_key(ln) for ln in lines if ln and len(ln) <= _REPEAT_MAX_CHARS and ln[0] != "|")
    vocabulary = Vocabulary(cleaned)
    result = Segmentation()
    block: list[str] = []
    joins: set[int] = set()  # indices in block of lines that continue the line before across a page break
    gap = ""  # what lies between the block and the next line: "", "blank", "page" or "hard"

    def flush() -> None:
        result.paragraphs.extend(_split_block(block, vocabulary, joins))
        block.clear()
        joins.clear()

    previous = ""  # the last non-empty line
    for i, line in enumerate(lines):
        if budget is not None and not i & 4095:
            budget.check(f"segmenting line {i + 1:,}")
        if not line:
            gap = gap or "blank"
            continue
        if line == _PAGE_BREAK:
            gap = "hard" if gap == "hard" else "page"
            continue
        row = table_row(line)
        if row is not None:
            flush()
            result.paragraphs.append(row)
            gap = "hard"
            previous = line
            continue
        reason = boilerplate_reason(line)
        # A repeated full sentence may be a quoted line: only non-sentences or
        # capitals count as repeated headers. A name under a quote is its
        # attribution, even when the same person is quoted twice.
        if (
            reason is None
            and len(line) <= _REPEAT_MAX_CHARS
            and counts[_key(line)] > 1
            and (not _SENTENCE_END.search(line) or line.isupper())
            and not (previous.endswith(_CLOSING_QUOTES) and not line.isupper())
        ):
            reason = "repeated header"
        previous = line
        if reason is not None:
            result.dropped.append(DroppedLine(line, reason))
            if reason in _FURNITURE:
                gap = "hard" if gap == "hard" else "page"
            else:
                gap = "hard"  # a dropped line ends the paragraph it interrupts
            continue
        if gap == "page" and block and _continues_across_page(block[-1], line):
            joins.add(len(block))
        elif gap:
            flush()
        gap = ""
        block.append(line)
    flush()
    return result


def _continues_across_page(prev: str, line: str) -> bool:
    """Whether ``line``, after page furniture, goes on with the paragraph ending in ``prev``."""
    if _BULLET.match(line):
        return False
    if line[:1].islower():
        return True
    # A wrapped line cut by the page break, not a short title or a finished sentence.
    return len(prev) >= 40 and not _SENTENCE_END.search(prev)


def _split_block(lines: list[str], vocabulary: Vocabulary, joins: set[int]) -> list[str]:
    if not lines:
        return []
    if len(lines) == 1:  # most blocks of born-digital text: nothing to split or join
        only = _strip_marks(lines[0])
        return [only] if any(ch.isalnum() for ch in only) else []
    width = max(len(ln) for ln in lines)
    paragraphs: list[list[str]] = []
    current: list[str] = []
    for i, line in enumerate(lines):
        if current and i not in joins and (_BULLET.match(line) or not _continues(current[-1], line, width)):
            paragraphs.append(current)
            current = []
        current.append(line)
    if current:
        paragraphs.append(current)
    out = []
    for para in paragraphs:
        joined = join_lines(para, vocabulary)
        joined = _strip_marks(joined)
        if any(ch.isalnum() for ch in joined):
            out.append(joined)
    return out


def _continues(prev: str, line: str, width: int) -> bool:
    """Whether ``line`` continues the paragraph that ``prev`` belongs to."""
    first = line[:1]
    if first.islower():
        return True
    if len(prev) >= 2 and prev[-1] == "-" and _is_letter(prev[-2]):
        return True  # a word hyphenated at the line end goes on
    if _SENTENCE_END.search(prev):
        return False
    # A hard wrap leaves a line close to the block's width with no sentence end.
    return width >= 40 and len(prev) >= 0.6 * width


def join_lines(lines: Sequence[str], vocabulary: Vocabulary | None = None) -> str:
    """Join the wrapped lines of one paragraph, undoing hyphenation at line ends."""
    # Built as a list and checked line by line: re-scanning the growing text
    # for each line made long hard-wrapped blocks quadratic.
    parts = [lines[0]]
    for line in lines[1:]:
        prev = parts[-1]
        if len(prev) >= 2 and prev[-1] == "-" and _is_letter(prev[-2]) and line:
            glue = _hyphen_glues(prev, line, vocabulary)
            if glue is not None:
                parts[-1] = prev[:-1] if glue else prev
                parts.append(line)
                continue
        parts.append(" ")
        parts.append(line)
    return "".join(parts)


def _hyphen_glues(prev: str, line: str, vocabulary: Vocabulary | None) -> bool | None:
    """For ``prev`` ending in letter + "-": True to drop the hyphen, False to keep it
    (no space either way), None when the line break is not a hyphenation."""
    head_m = _HYPHEN_HEAD.fullmatch(prev, prev.rfind(" ") + 1)
    tail_m = _HYPHEN_TAIL.match(line)
    if head_m is None or tail_m is None or not _is_letter(line[0]):
        return False if line[:1].isdigit() else None  # COVID-19 wrapped after its hyphen
    head, first, rest = head_m.group(1), tail_m.group(1), tail_m.group(2)
    if vocabulary is not None:
        glued, kept = vocabulary[head + first + rest], vocabulary[f"{head}-{first}{rest}"]
        if glued != kept:
            return glued > kept
    last = head.rsplit("-", 1)[-1]
    if first[0].islower():
        return True  # medica- + mentos
    # IMS- + S-Bienestar is IMSS; otherwise a compound name wrapped at its hyphen: IMSS- + Bienestar.
    return last.isupper() and first.isupper() and (last + first) in _ACRONYMS and last not in _ACRONYMS


def _is_letter(ch: str) -> bool:
    return ch.isalpha() and ch != "_"


def _strip_marks(text: str) -> str:
    # Symbol bullets and markdown emphasis are layout, not content; numbered
    # items keep their number. (str methods: a regex ``\s*\*+$`` searched
    # a long run of asterisks in quadratic time.)
    bullet = _SYMBOL_BULLET.match(text)  # anchored: the one place sub() could replace
    if bullet is not None:
        text = text[bullet.end() :]
    if text.startswith("*"):
        text = text.lstrip("*").lstrip()
    if text.endswith("*"):
        text = text.rstrip("*").rstrip()
    return text.strip()

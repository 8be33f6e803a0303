"""Stage 3: Spanish text normalisation and TF-IDF features.

:class:`SpanishNormalizer` turns a paragraph into the token stream the
vectorizers see (lowercasing, accent folding, stop words, number handling,
optional Snowball stemming). :func:`build_features` composes scikit-learn's
``TfidfVectorizer`` for words and characters, alone or as a ``FeatureUnion``.
Everything here is picklable, so a fitted pipeline saves with joblib.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # scikit-learn is imported only when building features, not when scoring
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

NumberMode = Literal["keep", "token", "drop"]

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_DIGITS = re.compile(r"\d+")


@lru_cache(maxsize=1)
def spanish_stop_words() -> frozenset[str]:
    """The Snowball Spanish stop list shipped in ``resources/``."""
    # A plain path, not importlib.resources (30 ms of imports at start-up); the package is never zipped.
    text = (Path(__file__).parent / "resources" / "stopwords_es.txt").read_text("utf-8")
    return frozenset(w for w in text.split("\n") if w and not w.startswith("#"))


def _fold_table() -> dict[int, str]:
    """Per-character result of :func:`_fold_slow` for the first 12k code points."""
    table = {}
    for cp in range(0x80, 0x3000):
        ch = chr(cp)
        if unicodedata.combining(ch):
            table[cp] = ""
        elif unicodedata.decomposition(ch) and ch not in "ñÑ":  # no decomposition: NFKD leaves it alone
            folded = _fold_slow(ch)
            if folded != ch:
                table[cp] = folded
    return table


_OUTSIDE_TABLE = re.compile(r"[^\x00-\u2fff]")
_OTHER_NON_ASCII = re.compile(r"[^\x00-\x7fñÑ]")


_COMMON_FOLDS = tuple((a, b) for a, b in zip("áéíóúüÁÉÍÓÚÜàèìòù", "aeiouuAEIOUUaeiou", strict=True))


def fold_accents(text: str) -> str:
    """Remove diacritics but keep ``ñ`` (it changes the word: año/ano).

    Same result as NFKD decomposition minus combining marks, made fast: plain
    replacements for Spanish vowels, a translation table for the rest of the
    first 12k code points, and the exact slow path beyond them.
    """
    if text.isascii():
        return text
    for accented, plain in _COMMON_FOLDS:
        if accented in text:
            text = text.replace(accented, plain)
    if not _OTHER_NON_ASCII.search(text):  # only ñ/Ñ left: nothing to fold
        return text
    if _OUTSIDE_TABLE.search(text):
        return _fold_slow(text)
    table, changed_by_table = _fold_tables()
    if changed_by_table.search(text):
        return text.translate(table)
    return text


_ENYE = re.compile("([ñÑ])")


def _fold_slow(text: str) -> str:
    # Split around ñ/Ñ rather than swapping them for placeholder characters,
    # which would turn real occurrences of the placeholders into ñ.
    return "".join(
        part if part in ("ñ", "Ñ") else
        "".join(ch for ch in unicodedata.normalize("NFKD", part) if not unicodedata.combining(ch))
        for part in _ENYE.split(text)
    )


@lru_cache(maxsize=1)
def _fold_tables() -> tuple[dict[int, str], re.Pattern[str]]:
    """The table and a pattern of the characters it changes (built on first use: 0.1 s)."""
    table = _fold_table()
    return table, re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(table)) + "]")


class SpanishNormalizer:
    """Callable that maps a paragraph to its list of normalised word tokens.

    Args:
        lowercase: lowercase before anything else.
        strip_accents: fold diacritics (``médicos`` -> ``medicos``), keeping ``ñ``.
        stop_words: drop Snowball's Spanish stop words.
        stemming: apply the Snowball Spanish stemmer.
        numbers: ``keep`` digits as tokens, map every number to ``token``
            ``0``, or ``drop`` them.
    """

    def __init__(
        self,
        *,
        lowercase: bool = True,
        strip_accents: bool = True,
        stop_words: bool = True,
        stemming: bool = False,
        numbers: NumberMode = "token",
    ) -> None:
        self.lowercase = lowercase
        self.strip_accents = strip_accents
        self.stop_words = stop_words
        self.stemming = stemming
        self.numbers = numbers

    def normalize(self, text: str) -> str:
        """Character-level normalisation shared by word and character features."""
        if self.lowercase:
            text = text.lower()
        if self.strip_accents:
            text = fold_accents(text)
        if self.numbers == "token":
            text = _DIGITS.sub("0", text)
        elif self.numbers == "drop":
            text = _DIGITS.sub(" ", text)
        return text

    def __call__(self, text: str) -> list[str]:
        tokens = _TOKEN.findall(self.normalize(text))
        if self.stop_words:
            stops = _stop_set(self.lowercase, self.strip_accents)
            tokens = [t for t in tokens if t not in stops]
        if self.stemming:
            tokens = _stem_all(tokens)
        return tokens

    def __repr__(self) -> str:
        return (
            f"SpanishNormalizer(lowercase={self.lowercase}, strip_accents={self.strip_accents}, "
            f"stop_words={self.stop_words}, stemming={self.stemming}, numbers={self.numbers!r})"
        )


@lru_cache(maxsize=4)
def _stop_set(lowercase: bool, strip_accents: bool) -> frozenset[str]:
    words = spanish_stop_words()
    if strip_accents:
        words = frozenset(fold_accents(w) for w in words)
    if not lowercase:
        words = words | frozenset(w.capitalize() for w in words)
    return words


@lru_cache(maxsize=1)
def _stemmer() -> Callable[[str], str]:
    import snowballstemmer

    stemmer = snowballstemmer.stemmer("spanish")
    cache: dict[str, str] = {}

    def stem(word: str) -> str:
        out = cache.get(word)
        if out is None:
            out = cache[word] = stemmer.stemWord(word)
        return out

    return stem


def _stem_all(tokens: list[str]) -> list[str]:
    stem = _stemmer()
    return [stem(t) for t in tokens]


class _WordAnalyzer:
    """Tokens plus word n-grams, built once per paragraph (picklable)."""

    def __init__(self, normalizer: SpanishNormalizer, ngram_range: tuple[int, int]) -> None:
        self.normalizer = normalizer
        self.ngram_range = ngram_range

    def __call__(self, text: str) -> list[str]:
        tokens = self.normalizer(text)
        lo, hi = self.ngram_range
        if hi == 1:
            return tokens
        grams = list(tokens) if lo == 1 else []
        for n in range(max(lo, 2), hi + 1):
            grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
        return grams


def word_tfidf(
    normalizer: SpanishNormalizer,
    *,
    ngram_range: tuple[int, int] = (1, 2),
    min_df: int | float = 2,
    max_df: float = 1.0,
    max_features: int | None = None,
    sublinear_tf: bool = True,
) -> TfidfVectorizer:
    """Word-level TF-IDF on the normaliser's tokens."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        analyzer=_WordAnalyzer(normalizer, ngram_range),
        min_df=min_df,
        max_df=max_df,
        max_features=max_features,
        sublinear_tf=sublinear_tf,
        dtype=_float32(),
    )


def char_tfidf(
    normalizer: SpanishNormalizer,
    *,
    ngram_range: tuple[int, int] = (2, 5),
    min_df: int | float = 2,
    max_df: float = 1.0,
    max_features: int | None = None,
    sublinear_tf: bool = True,
) -> TfidfVectorizer:
    """Character n-grams inside word boundaries, on normalised text."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        analyzer="char_wb",
        preprocessor=normalizer.normalize,
        lowercase=False,
        ngram_range=ngram_range,
        min_df=min_df,
        max_df=max_df,
        max_features=max_features,
        sublinear_tf=sublinear_tf,
        dtype=_float32(),
    )


def build_features(
    word: TfidfVectorizer | None, char: TfidfVectorizer | None
) -> TfidfVectorizer | FeatureUnion:
    """One vectorizer, or the union of both when both are given."""
    from sklearn.pipeline import FeatureUnion

    if word is not None and char is not None:
        return FeatureUnion([("word", word), ("char", char)])
    if word is not None:
        return word
    if char is not None:
        return char
    raise ValueError("features: at least one of 'word' or 'char' must be set")


def _float32() -> type:
    import numpy as np

    return np.float32

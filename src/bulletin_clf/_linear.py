"""A pickle-free copy of a fitted word/char TF-IDF + logistic-regression model.

``export_linear(model)`` turns a fitted :class:`~bulletin_clf.model.TopicModel`
whose classifier is a one-vs-rest logistic regression into plain arrays
(vocabularies, idf, weights, intercepts) and JSON parameters;
:class:`LinearScorer` recomputes exactly the same scores from them with numpy
only. Loading it needs neither scikit-learn (fast cold start) nor pickle
(no code runs when a shared model is opened).
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterable, Sequence
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np

from .features import (
    _DIGITS,
    _TOKEN,
    SpanishNormalizer,
    _fold_slow,
    _stem_all,
    _stop_set,
    _WordAnalyzer,
    fold_accents,
)

LINEAR_ARRAYS = "linear.npz"
LINEAR_PARAMS = "linear.json"
_SPACES = re.compile(r"\s\s+")

# Limits on an array model read from disk (documented in SECURITY.md): far
# above what training produces (the shipped model has ~60k terms), far below
# what would exhaust memory.
MAX_PARAMS_BYTES = 128 << 20
MAX_TERMS = 2_000_000
MAX_TERM_CHARS = 300
MAX_BLOCKS = 4
MAX_NGRAM = {"word": 3, "char_wb": 8}
MAX_ARRAY_BYTES = 256 << 20
_BLOCK_NAME = re.compile(r"[a-z][a-z0-9_]{0,15}")
_NORMALIZER_KEYS = {"lowercase": bool, "strip_accents": bool, "stop_words": bool, "stemming": bool, "numbers": str}
_NUMBER_MODES = ("keep", "token", "drop")


def _char_wb(text: str, lo: int, hi: int) -> list[str]:
    """scikit-learn's ``char_wb`` analyzer, reproduced."""
    text = _SPACES.sub(" ", text)
    grams: list[str] = []
    for w in text.split():
        w = f" {w} "
        w_len = len(w)
        for n in range(lo, hi + 1):
            offset = 0
            grams.append(w[offset : offset + n])
            while offset + n < w_len:
                offset += 1
                grams.append(w[offset : offset + n])
            if offset == 0:
                break
    return grams


class _CharAnalyzer:
    def __init__(self, normalizer: SpanishNormalizer, lo: int, hi: int) -> None:
        self.normalizer, self.lo, self.hi = normalizer, lo, hi

    def __call__(self, text: str) -> list[str]:
        return _char_wb(self.normalizer.normalize(text), self.lo, self.hi)


def export_linear(model: Any) -> tuple[dict[str, Any], dict[str, np.ndarray]] | None:
    """``(params, arrays)`` for models this module can score, else ``None``."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    pipeline = getattr(model, "pipeline_", None)
    if pipeline is None:
        return None
    head = pipeline.named_steps["classifier"]
    if not isinstance(head, OneVsRestClassifier) or not all(isinstance(e, LogisticRegression) for e in head.estimators_):
        return None
    feats = pipeline.named_steps["features"]
    vecs = [("word", feats)] if isinstance(feats, TfidfVectorizer) else list(feats.transformer_list)
    blocks = []
    arrays: dict[str, np.ndarray] = {}
    for name, vec in vecs:
        if vec.norm != "l2" or not vec.use_idf or vec.binary:
            return None
        if isinstance(vec.analyzer, _WordAnalyzer):
            kind, norm, ngram = "word", vec.analyzer.normalizer, vec.analyzer.ngram_range
        elif vec.analyzer == "char_wb" and isinstance(getattr(vec.preprocessor, "__self__", None), SpanishNormalizer):
            kind, norm, ngram = "char_wb", vec.preprocessor.__self__, vec.ngram_range
        else:
            return None
        terms = [""] * len(vec.vocabulary_)
        for term, j in vec.vocabulary_.items():
            terms[j] = term
        blocks.append({
            "name": name, "kind": kind, "ngram_range": list(ngram), "sublinear_tf": bool(vec.sublinear_tf),
            "normalizer": {k: getattr(norm, k) for k in ("lowercase", "strip_accents", "stop_words", "stemming", "numbers")},
            "terms": terms,
        })
        arrays[f"idf_{name}"] = np.asarray(vec.idf_, dtype=np.float64)
    arrays["coef"] = np.vstack([e.coef_.ravel() for e in head.estimators_]).astype(np.float64)
    arrays["intercept"] = np.array([float(e.intercept_[0]) for e in head.estimators_])
    return {"format": "bulletin_clf.linear/1", "blocks": blocks}, arrays


def save_linear(model: Any, directory: Path) -> bool:
    """Write ``linear.json`` and ``linear.npz`` next to the pickle, if exportable."""
    exported = export_linear(model)
    if exported is None:
        return False
    params, arrays = exported
    (directory / LINEAR_PARAMS).write_text(json.dumps(params, ensure_ascii=False), encoding="utf-8")
    with open(directory / LINEAR_ARRAYS, "wb") as fh:
        np.savez(fh, **arrays)  # type: ignore[arg-type]
    return True


class _TokenCodes(dict[Any, int]):
    """Raw token -> id of its normalised word in the model's word table.

    Raw tokens come from lowercased, accent-folded text (``str``, or Latin-1
    ``bytes`` on the fast path); digits, stop words and stemming are applied
    here, once per distinct token, so later lookups are a C-level dict get.
    Codes: -1 stop word (removed before n-grams are formed, as in the
    analyzer); -2 a word that no vocabulary term contains; -3 the document
    separator of the fast path.
    """

    def __init__(self, normalizer: SpanishNormalizer, words: dict[str, int]) -> None:
        super().__init__()
        self.stops = _stop_set(normalizer.lowercase, normalizer.strip_accents) if normalizer.stop_words else frozenset()
        self.stemming = normalizer.stemming
        self.digits_to_zero = normalizer.numbers == "token"
        self.words = words

    def __missing__(self, token: str | bytes) -> int:
        if len(self) > 2_000_000:  # bound memory on endless streams of new tokens
            self.clear()
        word = token.decode("latin-1") if isinstance(token, bytes) else token
        if word == _SEP_TOKEN:
            code = -3
        else:
            # Digit runs lie inside tokens, so mapping them here equals mapping them in the text.
            word = _DIGITS.sub("0", word) if self.digits_to_zero else word
            if word in self.stops:
                code = -1
            else:
                code = self.words.get(_stem_all([word])[0] if self.stemming else word, -2)
        self[token] = code
        return code


# Fast tokenisation. A chunk of documents is joined with a separator token,
# encoded to Latin-1 and mapped through a 256-byte table that applies accent
# folding and turns every non-word byte into a space; ``bytes.split`` then
# yields the same tokens as the regex. Both the table and the handling of
# characters outside Latin-1 are derived from ``fold_accents`` and the
# tokenizer regex, so the two paths agree by construction (and a test checks
# it on real paragraphs and random text). Text the table cannot express
# (a word character outside Latin-1, a separator inside a document) takes
# the regex path.
_SEP_TOKEN = "\x01"
_SEP = f" {_SEP_TOKEN} "


class _SlowPath(Exception):
    pass


def _is_word(ch: str) -> bool:
    return _TOKEN.fullmatch(ch) is not None


def _latin1_replacement(ch: str, fold: bool) -> str:
    """What the byte path writes for one character outside Latin-1."""
    out = fold_accents(ch) if fold else ch
    if all(ord(c) < 256 and c != _SEP_TOKEN for c in out) and not any(c in _MULTI_FOLD for c in out):
        return out
    if any(_is_word(c) for c in out):
        raise _SlowPath
    return " "


# Latin-1 characters whose folded form is not one Latin-1 character (µ -> μ, ¼ -> 1⁄4).
_MULTI_FOLD = frozenset(c for c in map(chr, range(256)) if len(_fold_slow(c)) != 1 or ord(_fold_slow(c)) > 255)


def _make_error_handler(fold: bool) -> Any:
    cache: dict[str, str] = {}

    def handler(exc: UnicodeError) -> tuple[str, int]:
        assert isinstance(exc, UnicodeEncodeError)
        out = []
        for ch in exc.object[exc.start : exc.end]:
            rep = cache.get(ch)
            if rep is None:
                rep = cache[ch] = _latin1_replacement(ch, fold)
            out.append(rep)
        return "".join(out), exc.end

    return handler


codecs.register_error("bulletin_clf.fold", _make_error_handler(True))
codecs.register_error("bulletin_clf.keep", _make_error_handler(False))


def _byte_table(fold: bool, drop_digits: bool) -> bytes:
    table = bytearray(b" " * 256)
    for b in range(256):
        ch = chr(b)
        if ch == _SEP_TOKEN:
            table[b] = b
            continue
        out = _fold_slow(ch) if fold else ch  # fold_accents of one character, without its 0.1 s table
        if len(out) == 1 and ord(out) < 256 and _is_word(out) and not (drop_digits and _DIGITS.fullmatch(out)):
            table[b] = ord(out)
    return bytes(table)


_CODE_OFFSET = 3  # token codes start at -3 (see _TokenCodes)


class _HashTable:
    """Rows of uint64 key words to int64 values: open addressing with linear probing, in numpy.

    A batch of keys is a tuple of uint64 arrays, one per key word; the first
    word is never 0, which marks an empty slot. A lookup is a few vectorised
    gathers (an empty slot ends a key's search); inserting places every key
    a slot further per step. The table grows to stay at most half full.
    """

    _MULTIPLIERS = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F))  # Fibonacci hashing

    def __init__(self, width: int, capacity: int = 1 << 11) -> None:
        if not 1 <= width <= len(self._MULTIPLIERS):
            raise ValueError(f"key width {width}: 1 or 2 words")
        self.width = width
        self._reset(capacity)

    def _reset(self, capacity: int) -> None:
        size = max(16, 1 << (2 * capacity - 1).bit_length())  # a power of two, at least twice the keys
        self.bits = size.bit_length() - 1
        self.keys = [np.zeros(size, dtype=np.uint64) for _ in range(self.width)]
        self.values = np.zeros(size, dtype=np.int64)
        self.count = 0
        self.max_probe = 0

    def clear(self) -> None:
        self._reset(1 << 11)

    def _slots(self, keys: tuple[np.ndarray, ...]) -> np.ndarray:
        mixed = keys[0] * self._MULTIPLIERS[0]
        for word, multiplier in zip(keys[1:], self._MULTIPLIERS[1:], strict=False):
            mixed ^= word * multiplier
        return (mixed >> np.uint64(64 - self.bits)).astype(np.int64)

    def find(self, keys: tuple[np.ndarray, ...], missing: int) -> np.ndarray:
        """The value of each key, ``missing`` where it is not in the table."""
        found = np.full(len(keys[0]), missing, dtype=np.int64)
        mask = (1 << self.bits) - 1
        home = self._slots(keys)
        pending = np.arange(len(keys[0]))
        for probe in range(self.max_probe + 1):
            if not len(pending):
                break
            slot = (home[pending] + probe) & mask
            first = self.keys[0][slot]
            hit = first == keys[0][pending]
            for stored, key in zip(self.keys[1:], keys[1:], strict=True):
                hit &= stored[slot] == key[pending]
            found[pending[hit]] = self.values[slot[hit]]
            pending = pending[~hit & (first != 0)]  # an empty slot ends the search
        return found

    def insert(self, keys: tuple[np.ndarray, ...], values: np.ndarray) -> None:
        """Add distinct keys that are not in the table yet."""
        if 2 * (self.count + len(values)) > len(self.values):
            used = self.keys[0] != 0
            keys = tuple(np.concatenate([old[used], new]) for old, new in zip(self.keys, keys, strict=True))
            values = np.concatenate([self.values[used], values])
            self._reset(len(values))
        mask = (1 << self.bits) - 1
        home = self._slots(keys)
        pending = np.arange(len(values))
        probe = 0
        while len(pending):
            slot = (home[pending] + probe) & mask
            free = np.flatnonzero(self.keys[0][slot] == 0)
            _, first = np.unique(slot[free], return_index=True)  # one key per free slot
            taken = free[first]
            where, which = slot[taken], pending[taken]
            for stored, key in zip(self.keys, keys, strict=True):
                stored[where] = key[which]
            self.values[where] = values[which]
            self.max_probe = max(self.max_probe, probe)
            keep = np.ones(len(pending), dtype=bool)
            keep[taken] = False
            pending = pending[keep]
            probe += 1
        self.count += len(values)


class _KeyTable(_HashTable):
    """Non-negative int64 n-gram keys to vocabulary columns, ``-1`` for a key not in it.

    Built once per model; a lookup is a few vectorised gathers, where a sorted
    search costs one per halving. Keys are stored plus one (0 marks an empty slot).
    """

    def __init__(self, keys: np.ndarray, columns: np.ndarray) -> None:
        super().__init__(1, len(keys))
        self.insert((keys.astype(np.uint64) + np.uint64(1),), np.asarray(columns, dtype=np.int64))

    def _home(self, keys: np.ndarray) -> np.ndarray:
        return self._slots((keys.astype(np.uint64) + np.uint64(1),))

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        return self.find((keys.astype(np.uint64) + np.uint64(1),), -1)


_BYTE_MASKS = np.array([(1 << (8 * n)) - 1 for n in range(9)], dtype=np.uint64)  # the low n bytes
_NOT_FOUND = np.iinfo(np.int64).min


class _PackedTokenCodes:
    """Codes of the tokens of a translated byte buffer, without a bytes object per token.

    The fast path's buffer holds tokens separated by spaces (0x20 is the only
    white-space byte the translation table writes, and it never writes 0x00).
    A token of up to 16 bytes, zero-padded, is exactly two little-endian
    uint64 words, so it is its own key in an open-addressing table of codes:
    finding the tokens and reading their keys are a few numpy passes, and a
    lookup is a few vectorised gathers (3x faster than ``bytes.split`` plus a
    dict lookup per token, which this replaces). Keys not in the table yet and
    longer tokens get their code from :class:`_TokenCodes` (the definition);
    the table is a cache of it, emptied when it reaches ``MAX_ENTRIES``.
    """

    MAX_TOKEN_BYTES = 16
    MAX_ENTRIES = 1 << 19  # table of at most 2^20 slots x 24 bytes: 24 MB

    def __init__(self, codes: _TokenCodes) -> None:
        self.codes = codes
        self.table = _HashTable(2)

    def __call__(self, data: bytes) -> np.ndarray:
        """The code of every space-separated token of ``data``, in order."""
        buf = np.frombuffer(b" " + data + b" " + bytes(2 * 8 + 8), dtype=np.uint8)
        is_token = buf[: len(data) + 2] != 0x20
        edges = np.flatnonzero(is_token[1:] != is_token[:-1])
        starts, ends = edges[0::2] + 1, edges[1::2] + 1
        lengths = ends - starts
        # Eight bytes from every offset (unaligned, overlapping reads of the padded buffer).
        words = np.ndarray(shape=(len(buf) - 7,), dtype="<u8", buffer=buf, strides=(1,))
        key0 = words[starts] & _BYTE_MASKS[np.minimum(lengths, 8)]
        key1 = words[starts + 8] & _BYTE_MASKS[np.clip(lengths - 8, 0, 8)]
        codes = self.table.find((key0, key1), _NOT_FOUND)
        long = lengths > self.MAX_TOKEN_BYTES
        if long.any():
            at = np.flatnonzero(long)
            codes[at] = [self.codes[data[s - 1 : e - 1]] for s, e in zip(starts[at].tolist(), ends[at].tolist(), strict=True)]
        new = np.flatnonzero(codes == _NOT_FOUND)
        if len(new):
            _, first, inverse = np.unique(np.stack([key0[new], key1[new]], axis=1), axis=0, return_index=True,
                                          return_inverse=True)
            at = new[first]
            values = np.array([self.codes[data[s - 1 : e - 1]] for s, e in zip(starts[at].tolist(), ends[at].tolist(), strict=True)],
                              dtype=np.int64)
            if self.table.count + len(at) > self.MAX_ENTRIES:
                self.table.clear()
            if len(at) <= self.MAX_ENTRIES:  # a buffer of more new tokens is answered, not cached
                self.table.insert((key0[at], key1[at]), values)
            codes[new] = values[inverse.reshape(-1)]
        return codes


class _WordBlock:
    """Vectorised word n-gram TF-IDF for a batch of paragraphs.

    Same features as ``_WordAnalyzer`` + vocabulary lookup + TF-IDF, but the
    per-token work is one dict lookup: n-grams become integer keys over a
    table of the words that occur in vocabulary terms, matched with an array
    (unigrams) or a hash table (longer n-grams), and counting, weighting and
    normalising are numpy operations.
    """

    def __init__(self, normalizer: SpanishNormalizer, lo: int, hi: int, terms: list[str], idf: np.ndarray,
                 sublinear: bool) -> None:
        parts = [term.split(" ") for term in terms]
        flat = list(chain.from_iterable(parts))
        words = {w: i for i, w in enumerate(dict.fromkeys(flat))}  # ids in order of first use
        self.base = max(len(words), 1)
        word_ids = np.fromiter(map(words.__getitem__, flat), dtype=np.int64, count=len(flat))
        lengths = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts))
        starts = np.cumsum(lengths) - lengths
        # Unigrams: a word id indexes its column directly (codes -3..-1 land on -1);
        # longer n-grams are keys sum(id_k * base^(n-1-k)) in a hash table.
        self.unigram_columns: np.ndarray | None = None
        self.tables: dict[int, _KeyTable] = {}
        for n in np.unique(lengths).tolist():
            columns = np.flatnonzero(lengths == n)
            keys = np.zeros(len(columns), dtype=np.int64)
            for k in range(n):
                keys = keys * self.base + word_ids[starts[columns] + k]
            if n == 1:
                self.unigram_columns = np.full(self.base + _CODE_OFFSET, -1, dtype=np.int64)
                self.unigram_columns[keys + _CODE_OFFSET] = columns
            else:
                self.tables[n] = _KeyTable(keys, columns)
        self.normalizer, self.lo, self.hi = normalizer, lo, hi
        self.codes = _TokenCodes(normalizer, words)
        self.packed = _PackedTokenCodes(self.codes)
        fold = normalizer.strip_accents
        self._table = _byte_table(fold, normalizer.numbers == "drop")
        self._errors = "bulletin_clf.fold" if fold else "bulletin_clf.keep"
        self._multi_fold = [c.encode("latin-1") for c in _MULTI_FOLD] if fold else []
        self.idf, self.sublinear, self.width = idf, sublinear, len(terms)

    @staticmethod
    def fits(n_words: int, hi: int) -> bool:
        """Whether every n-gram key fits in int64."""
        return max(n_words, 1) ** hi < 2**62

    def _chars(self, text: str) -> str:
        """The normaliser's character steps except digits-to-zero (done per token)."""
        n = self.normalizer
        text = text.lower() if n.lowercase else text
        text = fold_accents(text) if n.strip_accents else text
        return _DIGITS.sub(" ", text) if n.numbers == "drop" else text

    def _codes(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Token codes of all texts in order, and the document of each."""
        n = self.normalizer
        joined = _SEP.join(texts)
        joined = joined.lower() if n.lowercase else joined
        try:
            if joined.count(_SEP_TOKEN) != len(texts) - 1:
                raise _SlowPath
            data = joined.encode("latin-1", self._errors)
            if any(c in data for c in self._multi_fold):
                raise _SlowPath
        except _SlowPath:
            pass
        else:
            codes = self.packed(data.translate(self._table))
            is_sep = codes == -3
            return codes[~is_sep], np.cumsum(is_sep)[~is_sep]
        # Rare (non-Latin word characters, or a separator inside a text): token by token.
        lengths = np.empty(len(texts), dtype=np.int64)
        tokens: list[str] = []
        for i, text in enumerate(texts):
            found = _TOKEN.findall(self._chars(text))
            lengths[i] = len(found)
            tokens += found
        codes = np.fromiter(map(self.codes.__getitem__, tokens), dtype=np.int64, count=len(tokens))
        return codes, np.repeat(np.arange(len(texts), dtype=np.int64), lengths)

    def transform(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(rows, columns, values)`` of the l2-normalised TF-IDF matrix."""
        if not texts:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, np.zeros(0)
        codes, docs = self._codes(texts)
        kept = codes != -1
        codes, docs = codes[kept], docs[kept]
        rows, cols = [], []
        if self.lo == 1 and self.unigram_columns is not None:
            col = self.unigram_columns[codes + _CODE_OFFSET]
            hit = col >= 0
            rows.append(docs[hit])
            cols.append(col[hit])
        for n in range(max(self.lo, 2), self.hi + 1):
            if n not in self.tables or len(codes) < n:
                continue
            span = len(codes) - n + 1
            key = codes[:span].copy()
            valid = (key >= 0) & (docs[:span] == docs[n - 1 :])  # docs ascend: same first and last doc
            for k in range(1, n):
                nxt = codes[k : k + span]
                valid &= nxt >= 0
                key = key * self.base + nxt
            key, doc = key[valid], docs[:span][valid]
            col = self.tables[n].lookup(key)
            hit = col >= 0
            rows.append(doc[hit])
            cols.append(col[hit])
        if not rows:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, np.zeros(0)
        cells = np.concatenate(rows) * self.width + np.concatenate(cols)
        if len(texts) * self.width < 2**31:  # sorting int32 is about twice as fast
            cells = cells.astype(np.int32)
        cells, counts = np.unique(cells, return_counts=True)
        cells = cells.astype(np.int64, copy=False)
        row, col = cells // self.width, cells % self.width
        tf = counts.astype(np.float64)
        if self.sublinear:
            tf = np.log(tf) + 1.0
        val = tf * self.idf[col]
        norms = np.sqrt(np.bincount(row, weights=val * val, minlength=len(texts)))
        return row, col, val / norms[row]


class _CharBlock:
    """Vectorised ``char_wb`` n-gram TF-IDF for a batch of paragraphs.

    scikit-learn's ``char_wb`` takes n-grams inside each whitespace token
    (padded with a space each side), so a token's n-grams do not depend on its
    neighbours: each distinct token gets an id, its vocabulary columns are
    computed once and stored flat, and a chunk's features are gathered from
    them with numpy, counted per row, weighted and normalised. Same values as
    ``_CharAnalyzer`` + vocabulary lookup + TF-IDF (tests check both paths).
    """

    _MAX_TOKENS = 500_000  # distinct tokens kept; the table is reset when full (bounded memory)

    def __init__(self, normalizer: SpanishNormalizer, lo: int, hi: int, vocab: dict[str, int], idf: np.ndarray,
                 sublinear: bool) -> None:
        self.normalizer, self.lo, self.hi, self.vocab = normalizer, lo, hi, vocab
        self.idf, self.sublinear, self.width = idf, sublinear, len(vocab)
        self._reset()

    def _reset(self) -> None:
        self.token_id: dict[str, int] = {}
        self.flat = np.zeros(0, dtype=np.int64)  # columns of every token, token after token
        self.ptr = np.zeros(1, dtype=np.int64)  # token i's columns are flat[ptr[i]:ptr[i + 1]]

    def _add_tokens(self, tokens: Iterable[str]) -> None:
        new = [t for t in dict.fromkeys(tokens) if t not in self.token_id]
        if len(self.token_id) + len(new) > self._MAX_TOKENS:
            self._reset()
            new = list(dict.fromkeys(tokens))
        get = self.vocab.get
        cols = [[j for j in map(get, _char_wb(t, self.lo, self.hi)) if j is not None] for t in new]
        lengths = np.fromiter(map(len, cols), dtype=np.int64, count=len(cols))
        base = len(self.token_id)
        self.token_id.update(zip(new, range(base, base + len(new)), strict=True))
        self.flat = np.concatenate([self.flat, np.fromiter(chain.from_iterable(cols), dtype=np.int64,
                                                           count=int(lengths.sum()))])
        self.ptr = np.concatenate([self.ptr, self.ptr[-1] + np.cumsum(lengths)])

    def transform(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(rows, columns, values)`` of the l2-normalised TF-IDF matrix."""
        from scipy.sparse import csr_matrix  # only models with character features pay for the import

        normalize = self.normalizer.normalize
        tokens_per_text = [normalize(t).split() for t in texts]
        tokens = list(chain.from_iterable(tokens_per_text))
        ids_or_none = list(map(self.token_id.get, tokens))
        if None in ids_or_none:
            self._add_tokens(tokens)
            ids_or_none = list(map(self.token_id.get, tokens))
        ids = np.array(ids_or_none, dtype=np.int64)
        per_token = (self.ptr[1:] - self.ptr[:-1])[ids]
        total = int(per_token.sum())
        if total == 0:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, np.zeros(0)
        # Gather every token's columns: start of each token's run, then consecutive positions.
        run_start = np.repeat(self.ptr[:-1][ids] - (np.cumsum(per_token) - per_token), per_token)
        cols = self.flat[run_start + np.arange(total, dtype=np.int64)]
        tokens_in_text = np.fromiter(map(len, tokens_per_text), dtype=np.int64, count=len(texts))
        cols_in_text = np.bincount(np.repeat(np.arange(len(texts)), tokens_in_text), weights=per_token,
                                   minlength=len(texts)).astype(np.int64)
        indptr = np.concatenate([[0], np.cumsum(cols_in_text)])
        # Counting duplicates within each (short) row is much cheaper than one global sort.
        X = csr_matrix((np.ones(total), cols, indptr), shape=(len(texts), self.width))
        X.sum_duplicates()
        row = np.repeat(np.arange(len(texts), dtype=np.int64), np.diff(X.indptr))
        col = X.indices.astype(np.int64)
        tf = X.data
        if self.sublinear:
            tf = np.log(tf) + 1.0
        val = tf * self.idf[col]
        norms = np.sqrt(np.bincount(row, weights=val * val, minlength=len(texts)))
        return row, col, val / norms[row]


class LinearScorer:
    """Scores ``(n, 4)`` from an exported model, numpy only."""

    def __init__(self, params: dict[str, Any], arrays: Any) -> None:
        self.blocks = []
        self.batch_blocks: list[tuple[_WordBlock | _CharBlock, int]] = []
        offset = 0
        for block in params["blocks"]:
            norm = SpanishNormalizer(**block["normalizer"])
            lo, hi = block["ngram_range"]
            analyze: Any = _WordAnalyzer(norm, (lo, hi)) if block["kind"] == "word" else _CharAnalyzer(norm, lo, hi)
            vocab = {t: i for i, t in enumerate(block["terms"])}
            idf = np.asarray(arrays[f"idf_{block['name']}"])
            self.blocks.append((analyze, vocab, idf, block["sublinear_tf"], offset))
            n_words = len({w for t in block["terms"] for w in t.split(" ")})
            if block["kind"] == "word" and _WordBlock.fits(n_words, hi):
                self.batch_blocks.append(
                    (_WordBlock(norm, lo, hi, block["terms"], idf, block["sublinear_tf"]), offset))
            elif block["kind"] == "char_wb":
                self.batch_blocks.append((_CharBlock(norm, lo, hi, vocab, idf, block["sublinear_tf"]), offset))
            offset += len(vocab)
        self.names = np.array([f"{b['name']}__{t}" if len(params["blocks"]) > 1 else t for b in params["blocks"] for t in b["terms"]], dtype=object)
        self.coef = np.asarray(arrays["coef"])
        self.intercept = np.asarray(arrays["intercept"])

    @classmethod
    def load(cls, directory: Path) -> LinearScorer:
        """Read and validate ``linear.json`` and ``linear.npz``; raises ModelLoadError."""
        from .errors import ModelLoadError
        from .persist import read_json_bounded

        params = read_json_bounded(directory / LINEAR_PARAMS, MAX_PARAMS_BYTES, LINEAR_PARAMS)
        problem = params_problem(params)
        if problem:
            raise ModelLoadError(f"{directory / LINEAR_PARAMS}: {problem}")
        n_terms = sum(len(b["terms"]) for b in params["blocks"])
        shapes: dict[str, tuple[int, ...]] = {f"idf_{b['name']}": (len(b["terms"]),) for b in params["blocks"]}
        shapes |= {"coef": (4, n_terms), "intercept": (4,)}
        try:
            arrays = read_npz_checked(directory / LINEAR_ARRAYS, shapes)
        except ValueError as exc:
            raise ModelLoadError(f"{directory / LINEAR_ARRAYS}: {exc}") from None
        return cls(params, arrays)

    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Column indices and TF-IDF values of one paragraph (l2-normalised per block)."""
        cols: list[np.ndarray] = []
        vals: list[np.ndarray] = []
        for analyze, vocab, idf, sublinear, offset in self.blocks:
            counts: dict[int, int] = {}
            get = vocab.get
            for term in analyze(text):
                j = get(term)
                if j is not None:
                    counts[j] = counts.get(j, 0) + 1
            if not counts:
                continue
            idx = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            if sublinear:
                tf = np.log(tf) + 1.0
            w = tf * idf[idx]
            w /= np.sqrt(np.dot(w, w))
            cols.append(idx + offset)
            vals.append(w)
        if not cols:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        return np.concatenate(cols), np.concatenate(vals)

    def decision_function(self, texts: Sequence[str]) -> np.ndarray:
        if len(self.batch_blocks) == len(self.blocks):
            return self._decision_batched(texts)
        return self._decision_per_text(texts)

    def _decision_batched(self, texts: Sequence[str], chunk: int = 2000) -> np.ndarray:
        """All blocks vectorised; chunks bound the memory of the n-gram arrays."""
        out = np.zeros((len(texts), self.coef.shape[0]))
        for start in range(0, len(texts), chunk):
            part = texts[start : start + chunk]
            for block, offset in self.batch_blocks:
                row, col, val = block.transform(part)
                for label in range(self.coef.shape[0]):
                    out[start : start + len(part), label] += np.bincount(
                        row, weights=val * self.coef[label, col + offset], minlength=len(part))
        return out + self.intercept

    def _decision_per_text(self, texts: Sequence[str]) -> np.ndarray:
        out = np.empty((len(texts), self.coef.shape[0]))
        coef_t = self.coef.T
        for i, text in enumerate(texts):
            idx, val = self.features(text)
            out[i] = val @ coef_t[idx] if len(idx) else 0.0
        return out + self.intercept

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.decision_function(texts)))


def params_problem(params: Any) -> str | None:
    """What is wrong with a parsed ``linear.json``, or ``None`` (types, sizes, ranges)."""
    if not isinstance(params, dict) or set(params) != {"format", "blocks"}:
        return "not an object with exactly the keys 'format' and 'blocks'"
    if params["format"] != "bulletin_clf.linear/1":
        return f"format: unknown format {str(params['format'])[:40]!r}"
    blocks = params["blocks"]
    if not isinstance(blocks, list) or not 1 <= len(blocks) <= MAX_BLOCKS:
        return f"blocks: not a list of 1 to {MAX_BLOCKS} feature blocks"
    names: set[str] = set()
    total = 0
    for i, b in enumerate(blocks):
        where = f"blocks[{i}]"
        if not isinstance(b, dict) or set(b) != {"name", "kind", "ngram_range", "sublinear_tf", "normalizer", "terms"}:
            return f"{where}: not a feature block (name, kind, ngram_range, sublinear_tf, normalizer, terms)"
        if not isinstance(b["name"], str) or not _BLOCK_NAME.fullmatch(b["name"]) or b["name"] in names:
            return f"{where}.name: not a short unique identifier"
        names.add(b["name"])
        if b["kind"] not in MAX_NGRAM:
            return f"{where}.kind: must be one of {', '.join(MAX_NGRAM)}"
        ng = b["ngram_range"]
        if (not isinstance(ng, list) or len(ng) != 2 or not all(type(x) is int for x in ng)
                or not 1 <= ng[0] <= ng[1] <= MAX_NGRAM[b["kind"]]):
            return f"{where}.ngram_range: must be [lo, hi] with 1 <= lo <= hi <= {MAX_NGRAM[b['kind']]}"
        if type(b["sublinear_tf"]) is not bool:
            return f"{where}.sublinear_tf: not true or false"
        norm = b["normalizer"]
        if not isinstance(norm, dict) or set(norm) != set(_NORMALIZER_KEYS):
            return f"{where}.normalizer: must have exactly the keys {', '.join(_NORMALIZER_KEYS)}"
        for key, typ in _NORMALIZER_KEYS.items():
            if type(norm[key]) is not typ:
                return f"{where}.normalizer.{key}: not a {typ.__name__}"
        if norm["numbers"] not in _NUMBER_MODES:
            return f"{where}.normalizer.numbers: must be one of {', '.join(_NUMBER_MODES)}"
        terms = b["terms"]
        if not isinstance(terms, list):
            return f"{where}.terms: not a list"
        total += len(terms)
        if total > MAX_TERMS:
            return f"vocabulary over the limit of {MAX_TERMS:,} terms"
        for j, t in enumerate(terms):
            if not isinstance(t, str) or not 0 < len(t) <= MAX_TERM_CHARS:
                return f"{where}.terms[{j}]: not a term of 1 to {MAX_TERM_CHARS} characters"
        if len(set(terms)) != len(terms):
            return f"{where}.terms: duplicate terms"
    return None


def read_npz_checked(path: Path, shapes: dict[str, tuple[int, ...]]) -> dict[str, np.ndarray]:
    """Read float64 arrays of exactly ``shapes`` from an ``.npz``, or raise ValueError.

    Member names, declared sizes (before inflating), headers, dtypes and
    shapes are all checked before an array is allocated; no pickles; values
    must be finite.
    """
    import zipfile

    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ValueError(f"not a valid .npz archive ({exc})") from None
    with zf:
        infos = {info.filename: info for info in zf.infolist()}
        expected = {f"{k}.npy" for k in shapes}
        if set(infos) != expected:
            raise ValueError(f"members {sorted(infos)[:8]} differ from the expected {sorted(expected)}")
        total = sum(i.file_size for i in infos.values())
        if total > MAX_ARRAY_BYTES:
            raise ValueError(f"arrays inflate to {total:,} bytes, over the limit of {MAX_ARRAY_BYTES:,}")
        out = {}
        for key, shape in shapes.items():
            info = infos[f"{key}.npy"]
            if info.file_size > 8 * int(np.prod(shape)) + 4096:
                raise ValueError(f"{key}: declared size {info.file_size:,} bytes does not fit shape {shape}")
            try:
                with zf.open(info) as fh:
                    version = np.lib.format.read_magic(fh)
                    header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                              else np.lib.format.read_array_header_2_0)(fh)
                    got_shape, fortran, dtype = header
                    if dtype != np.dtype("<f8") or tuple(got_shape) != shape or fortran:
                        raise ValueError(f"{key}: {dtype} array of shape {tuple(got_shape)}, "
                                         f"expected float64 of shape {shape}")
                    data = fh.read(8 * int(np.prod(shape)) + 1)
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                raise ValueError(f"{key}: unreadable ({exc})") from None
            if len(data) != 8 * int(np.prod(shape)):
                raise ValueError(f"{key}: {len(data):,} bytes of data, expected {8 * int(np.prod(shape)):,}")
            arr = np.frombuffer(data, dtype="<f8").reshape(shape)
            if not np.isfinite(arr).all():
                raise ValueError(f"{key}: contains NaN or infinite values")
            out[key] = arr
    return out

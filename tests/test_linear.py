"""The pickle-free scorer: its vectorised batch path must equal the per-text path.

The per-text path is checked against the scikit-learn pipeline in test_tag;
here every normaliser option and awkward text is run through both paths.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import TINY, TINY_CONFIG
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bulletin_clf._linear import LinearScorer, export_linear
from bulletin_clf.config import parse_config
from bulletin_clf.data import multi_hot
from bulletin_clf.train import build_estimator

NORMALIZATIONS = [
    {},
    {"stemming": True},
    {"lowercase": False, "strip_accents": False, "stop_words": False, "numbers": "keep"},
    {"numbers": "drop", "stemming": True},
    {"strip_accents": False, "numbers": "token"},
]

AWKWARD = [
    "",
    "   ",
    "Los médicos y las médicas",
    "MÉDICOS Y ENFERMERAS DEL IMSS-BIENESTAR: 1,250 PLAZAS",
    "¼ de los 2³ hospitales ½ µg — «abasto» “surtimiento” ﬁnanzas ™ ①②",
    "Señor Müller, año 2025; n\u0303 (tilde combinante) y Ñandú",
    "a\x00b\x01c\x01 separador dentro del texto \x01",
    "Ελληνικά, русский, 企業 y árabe ٣٤ mezclados con medicamentos",
    "under_score y guion-bajo, x²+y² = z²",
    "İstanbul ΣΊΣΥΦΟΣ final sigma",
    "\u3000ideográfico\u3000espacio y 𝐁𝐨𝐥𝐝 matemático",
]


def _scorer(normalization: dict, ngram_range: list[int]) -> LinearScorer:
    cfg = parse_config(
        TINY_CONFIG | {"normalization": normalization, "features": {"word": {"ngram_range": ngram_range, "min_df": 1}}}
    )
    texts = [t for t, _ in TINY]
    model = build_estimator(cfg).fit(texts, multi_hot(labels for _, labels in TINY))
    exported = export_linear(model)
    assert exported is not None
    scorer = LinearScorer(*exported)
    assert len(scorer.batch_blocks) == 1  # the vectorised path is the one in use
    return scorer


@pytest.fixture(scope="module", params=range(len(NORMALIZATIONS)))
def scorer(request: pytest.FixtureRequest) -> LinearScorer:
    return _scorer(NORMALIZATIONS[request.param], [1, 3] if request.param % 2 else [1, 2])


def _assert_same(scorer: LinearScorer, texts: list[str]) -> None:
    batched = scorer._decision_batched(texts, chunk=3)
    per_text = scorer._decision_per_text(texts)
    assert np.allclose(batched, per_text, rtol=0, atol=1e-12), texts


def test_batch_path_equals_per_text_path_on_awkward_text(scorer: LinearScorer) -> None:
    texts = AWKWARD + [t for t, _ in TINY]
    _assert_same(scorer, texts)
    # Chunk boundaries and document order do not matter.
    _assert_same(scorer, texts[::-1])
    assert np.allclose(scorer.decision_function(texts[:1]), scorer._decision_per_text(texts[:1]))


def test_batch_path_of_empty_input(scorer: LinearScorer) -> None:
    assert scorer.decision_function([]).shape == (0, 4)


WORDS = st.sampled_from(
    [w for t, _ in TINY for w in t.split()[:6]] + ["de", "los", "Médicos", "MEDICAMENTOS", "2025", "\x01", "µ", "ß", "ǅ"]
)
TEXT = st.lists(st.one_of(WORDS, st.text(max_size=6)), max_size=30).map(" ".join)


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(TEXT, max_size=8))
def test_batch_path_equals_per_text_path_on_random_text(scorer: LinearScorer, texts: list[str]) -> None:
    _assert_same(scorer, texts)


@pytest.fixture(scope="module", params=["char", "union"])
def char_scorer(request: pytest.FixtureRequest) -> LinearScorer:
    features = {"char": {"ngram_range": [2, 5], "min_df": 1}}
    if request.param == "char":
        features["word"] = None
    else:
        features["word"] = {"ngram_range": [1, 2], "min_df": 1}
    cfg = parse_config(TINY_CONFIG | {"normalization": {"stemming": True}, "features": features})
    texts = [t for t, _ in TINY]
    model = build_estimator(cfg).fit(texts, multi_hot(labels for _, labels in TINY))
    scorer = LinearScorer(*export_linear(model))
    assert len(scorer.batch_blocks) == len(scorer.blocks)  # character blocks are vectorised too
    # The scikit-learn pipeline builds TF-IDF in float32, the array copy in float64 (as in test_tag).
    assert np.allclose(scorer.predict_proba(texts), model.predict_proba(texts), rtol=0, atol=1e-6)
    return scorer


def test_char_blocks_batch_path_equals_per_text_path(char_scorer: LinearScorer) -> None:
    texts = AWKWARD + [t for t, _ in TINY]
    _assert_same(char_scorer, texts)
    _assert_same(char_scorer, texts[::-1] * 2)  # the token cache is warm the second time


@settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(TEXT, max_size=8))
def test_char_blocks_on_random_text(char_scorer: LinearScorer, texts: list[str]) -> None:
    _assert_same(char_scorer, texts)


@pytest.mark.parametrize("n_keys", [0, 1, 7, 1000, 20_000])
def test_key_table_finds_every_key_and_nothing_else(n_keys: int) -> None:
    from bulletin_clf._linear import _KeyTable

    rng = np.random.default_rng(n_keys)
    keys = np.unique(rng.integers(0, 2**62, n_keys * 2))[:n_keys]
    rng.shuffle(keys)
    columns = rng.permutation(n_keys)
    table = _KeyTable(keys, columns)
    absent = rng.integers(0, 2**62, 5000)
    absent = absent[~np.isin(absent, keys)]
    queries = np.concatenate([keys, absent, keys[: n_keys // 2]])
    expected = dict(zip(keys.tolist(), columns.tolist(), strict=True))
    assert table.lookup(queries).tolist() == [expected.get(k, -1) for k in queries.tolist()]


def test_key_table_with_keys_that_share_their_home_slot() -> None:
    """Keys built to collide (same high bits of the hash) are all found by probing."""
    from bulletin_clf._linear import _KeyTable

    probe = _KeyTable(np.arange(64, dtype=np.int64), np.arange(64))
    candidates = np.arange(200_000, dtype=np.int64)
    home = probe._home(candidates)
    colliding = candidates[home == home[0]][:40]
    assert len(colliding) >= 20
    keys = np.concatenate([colliding, np.arange(10**6, 10**6 + 24, dtype=np.int64)])
    table = _KeyTable(keys, np.arange(len(keys)))
    assert table.lookup(keys).tolist() == list(range(len(keys)))
    assert table.lookup(candidates[home == home[0]][40:60]).tolist() == [-1] * 20


class _FirstSeenIds(dict):
    """A stand-in for _TokenCodes: each new token gets the next id, and calls are counted."""

    def __missing__(self, token: bytes) -> int:
        self[token] = len(self)
        return self[token]


def _packed_equals_split(packed, ids: _FirstSeenIds, data: bytes) -> None:
    got = packed(data).tolist()
    assert got == [ids[t] for t in data.split()], data


@given(st.lists(st.sampled_from([b"de", b"medicamentos", b"a", b"\x01", b"x" * 7, b"y" * 8, b"z" * 9, b"w" * 16,
                                 b"v" * 17, b"responsabilidades", b"0", b"\xe9xito", b"\xff" * 16, b"\xff" * 15]),
                max_size=60),
       st.lists(st.sampled_from([b" ", b"  ", b"   "]), min_size=61, max_size=61))
@settings(max_examples=300, deadline=None)
def test_packed_token_codes_equal_split_and_lookup(tokens: list[bytes], gaps: list[bytes]) -> None:
    from bulletin_clf._linear import _PackedTokenCodes

    ids = _FirstSeenIds()
    packed = _PackedTokenCodes(ids)  # type: ignore[arg-type]
    data = gaps[0] + b"".join(t + g for t, g in zip(tokens, gaps[1:], strict=False))
    _packed_equals_split(packed, ids, data)
    _packed_equals_split(packed, ids, data[::-1])  # now partly cached
    _packed_equals_split(packed, ids, data.strip())


def test_packed_token_codes_grow_and_empty_when_full(monkeypatch: pytest.MonkeyPatch) -> None:
    from bulletin_clf._linear import _PackedTokenCodes

    monkeypatch.setattr(_PackedTokenCodes, "MAX_ENTRIES", 3000)
    ids = _FirstSeenIds()
    packed = _PackedTokenCodes(ids)  # type: ignore[arg-type]
    rng = np.random.default_rng(1)
    for _ in range(8):  # 8 x 2,000 new tokens: grows past its start size, then is emptied and refilled
        tokens = [bytes(rng.integers(97, 123, rng.integers(1, 20)).astype(np.uint8)) for _ in range(2000)]
        _packed_equals_split(packed, ids, b" ".join(tokens))
        assert packed.table.count <= 3000 and 2 * packed.table.count <= len(packed.table.values)
    big = b" ".join(b"t%d" % i for i in range(5000))  # more new tokens than the table keeps: answered anyway
    _packed_equals_split(packed, ids, big)
    assert packed.table.count <= 3000


@pytest.mark.parametrize("fold", [True, False])
@pytest.mark.parametrize("drop_digits", [True, False])
def test_translation_table_writes_only_spaces_as_white_space(fold: bool, drop_digits: bool) -> None:
    """What _PackedTokenCodes relies on to find tokens and to mark empty slots."""
    from bulletin_clf._linear import _byte_table

    table = _byte_table(fold, drop_digits)
    assert 0 not in table
    assert all(b == 0x20 or not bytes([b]).isspace() for b in table)

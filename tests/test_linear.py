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

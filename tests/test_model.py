import numpy as np
import pytest
from conftest import TINY
from sklearn.linear_model import LogisticRegression

from bulletin_clf.data import multi_hot
from bulletin_clf.features import SpanishNormalizer, word_tfidf
from bulletin_clf.model import KeywordBaseline, MajorityBaseline, TopicModel, linear_weights, tune_thresholds


def _model(**kw):
    return TopicModel(features=word_tfidf(SpanishNormalizer(), min_df=1), classifier=LogisticRegression(C=10), **kw)


def _xy():
    return [t for t, _ in TINY], multi_hot(lab for _, lab in TINY)


def test_fit_predict_shapes_and_learned_attributes():
    X, Y = _xy()
    m = _model()
    assert not hasattr(m, "pipeline_")  # __init__ only stores parameters
    m.fit(X, Y)
    assert m.predict_proba(X).shape == (len(X), 4)
    assert m.predict(X).shape == (len(X), 4)
    assert m.thresholds_.tolist() == [0.5] * 4
    assert m.predict_proba([]).shape == (0, 4)
    train_f1 = (m.predict(X) == Y).mean()
    assert train_f1 > 0.9


def test_chain_strategy_fits():
    X, Y = _xy()
    proba = _model(strategy="chain").fit(X, Y).predict_proba(X)
    assert proba.shape == (len(X), 4)


@pytest.mark.parametrize(
    ("Y_patch", "message"),
    [
        (lambda Y: Y * 0, "has no positive"),
        (lambda Y: np.ones_like(Y), "has no negative"),
    ],
)
def test_untrainable_labels_are_refused(Y_patch, message):
    X, Y = _xy()
    with pytest.raises(ValueError, match=message):
        _model().fit(X, Y_patch(Y))


def test_input_validation():
    X, Y = _xy()
    with pytest.raises(ValueError, match="shape"):
        _model().fit(X, Y[:, :3])
    with pytest.raises(ValueError, match="rows"):
        _model().fit(X[:-1], Y)
    with pytest.raises(TypeError, match="single string"):
        _model().fit("texto", Y)
    with pytest.raises(ValueError, match="strategy"):
        _model(strategy="bogus").fit(X, Y)


def test_tune_thresholds_maximises_f1():
    Y = np.array([[1, 0, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0], [0, 1, 0, 0]])
    P = np.array([[0.3, 0.1, 0.1, 0.1], [0.25, 0.1, 0.1, 0.1], [0.2, 0.1, 0.1, 0.1], [0.1, 0.9, 0.1, 0.1]])
    t = tune_thresholds(Y, P)
    assert 0.2 < t[0] <= 0.25  # separates 0.25/0.3 from 0.2
    assert t[2] == 0.5  # no positives: default kept
    assert ((t <= P)[:, 0] == Y[:, 0].astype(bool)).all()


def test_linear_weights_point_to_label_words():
    X, Y = _xy()
    names, W = linear_weights(_model().fit(X, Y))
    assert W.shape == (4, len(names))
    top_supply = names[np.argsort(-W[0])[:10]]
    assert "abasto" in top_supply or "medicamentos" in top_supply


def test_baselines():
    X, Y = _xy()
    kb = KeywordBaseline(keywords={"medicine_supply": ["medicamento"], "governance": ["ley"]}).fit(X, Y)
    pred = kb.predict(["Falta un medicamento", "La Ley General de Salud", "Hola"])
    assert pred.tolist() == [[1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 0, 0]]
    mb = MajorityBaseline().fit(X, Y)
    assert mb.predict(["cualquier cosa"]).tolist() == [[0, 0, 0, 0]]

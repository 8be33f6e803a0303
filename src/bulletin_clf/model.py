"""Stage 4: the multi-label linear classifier with per-label thresholds.

:class:`TopicModel` is a scikit-learn estimator: ``fit(X, Y)`` takes
paragraphs and a multi-hot matrix in :data:`LABELS` order, ``predict_proba``
returns an ``(n, 4)`` score matrix and ``predict`` applies the per-label
thresholds in ``thresholds_``. Features and the base classifier are
parameters, so any vectorizer and linear model compose with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.metrics import precision_recall_curve
from sklearn.multiclass import OneVsRestClassifier
from sklearn.multioutput import ClassifierChain
from sklearn.pipeline import Pipeline

from ._labels import LABELS

Strategy = Literal["one_vs_rest", "chain"]


def _check_y(Y: Any) -> np.ndarray:
    arr = np.asarray(Y)
    if arr.ndim != 2 or arr.shape[1] != len(LABELS):
        raise ValueError(f"Y must have shape (n, {len(LABELS)}) in LABELS order, got {arr.shape}")
    if not np.isin(arr, (0, 1)).all():
        raise ValueError("Y must be multi-hot (0/1)")
    return arr.astype(np.int8)


def check_trainable(Y: np.ndarray) -> None:
    """Refuse training data on which some label cannot be learned."""
    if Y.shape[0] == 0:
        raise ValueError("no training paragraphs")
    for j, label in enumerate(LABELS):
        pos = int(Y[:, j].sum())
        if pos == 0 or pos == Y.shape[0]:
            kind = "no positive" if pos == 0 else "no negative"
            raise ValueError(f"label {label!r} has {kind} examples in the training data")


class TopicModel(ClassifierMixin, BaseEstimator):
    """Multi-label topic classifier: features -> linear model -> thresholds.

    Args:
        features: an unfitted scikit-learn text vectorizer (or union).
        classifier: an unfitted binary classifier with ``predict_proba``.
        strategy: ``one_vs_rest`` (one independent classifier per label) or
            ``chain`` (each label also sees the previous labels).
        threshold: starting decision threshold for every label; tuned
            thresholds replace it via :meth:`set_thresholds`.
    """

    def __init__(
        self,
        *,
        features: Any,
        classifier: Any,
        strategy: Strategy = "one_vs_rest",
        threshold: float = 0.5,
        n_jobs: int | None = None,
    ) -> None:
        self.features = features
        self.classifier = classifier
        self.strategy = strategy
        self.threshold = threshold
        self.n_jobs = n_jobs

    def fit(self, X: Sequence[str], Y: Any) -> TopicModel:
        texts = _check_texts(X)
        Ymat = _check_y(Y)
        if len(texts) != Ymat.shape[0]:
            raise ValueError(f"X has {len(texts)} paragraphs but Y has {Ymat.shape[0]} rows")
        check_trainable(Ymat)
        if not 0.0 < self.threshold < 1.0:
            raise ValueError(f"threshold must be in (0, 1), got {self.threshold}")
        if self.strategy == "one_vs_rest":
            head: Any = OneVsRestClassifier(clone(self.classifier), n_jobs=self.n_jobs)
        elif self.strategy == "chain":
            head = ClassifierChain(clone(self.classifier), order=None, random_state=0)
        else:
            raise ValueError(f"strategy must be 'one_vs_rest' or 'chain', got {self.strategy!r}")
        self.pipeline_ = Pipeline([("features", clone(self.features)), ("classifier", head)])
        self.pipeline_.fit(texts, Ymat)
        self.thresholds_ = np.full(len(LABELS), float(self.threshold))
        self.classes_ = np.array(LABELS)
        return self

    def predict_proba(self, X: Sequence[str]) -> np.ndarray:
        """Scores in [0, 1], shape ``(n, 4)``, columns in :data:`LABELS` order."""
        texts = _check_texts(X)
        if not texts:
            return np.zeros((0, len(LABELS)))
        proba = np.asarray(self.pipeline_.predict_proba(texts), dtype=np.float64)
        return proba.reshape(len(texts), len(LABELS))

    def predict(self, X: Sequence[str]) -> np.ndarray:
        """Multi-hot ``(n, 4)`` decisions using ``thresholds_``."""
        return (self.predict_proba(X) >= self.thresholds_).astype(np.int8)

    def set_thresholds(self, thresholds: Sequence[float] | np.ndarray) -> TopicModel:
        arr = np.asarray(thresholds, dtype=np.float64)
        if arr.shape != (len(LABELS),) or not ((arr > 0) & (arr < 1)).all():
            raise ValueError(f"thresholds must be {len(LABELS)} values in (0, 1), got {arr}")
        self.thresholds_ = arr
        return self


def tune_thresholds(Y: np.ndarray, proba: np.ndarray, *, default: float = 0.5) -> np.ndarray:
    """Per-label threshold that maximises F1 of ``proba`` against ``Y``.

    Ties are broken towards the threshold closest to ``default``; a label with
    no positives keeps ``default``.
    """
    out = np.full(len(LABELS), default)
    for j in range(len(LABELS)):
        if Y[:, j].sum() == 0:
            continue
        precision, recall, thresh = precision_recall_curve(Y[:, j], proba[:, j])
        f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
        f1 = f1[:-1]  # the last point has no threshold
        best = np.flatnonzero(f1 >= f1.max() - 1e-9)
        pick = best[np.argmin(np.abs(thresh[best] - default))]
        out[j] = float(np.clip(thresh[pick], 0.01, 0.99))
    return out


def _check_texts(X: Sequence[str]) -> list[str]:
    if isinstance(X, str):
        raise TypeError("expected a sequence of paragraphs, got a single string")
    texts = list(X)
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise TypeError(f"paragraph {i} is {type(t).__name__}, expected str")
    return texts


def linear_weights(model: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """``(feature_names, weights)`` with weights of shape ``(4, n_features)``.

    Returns ``None`` for models without one linear weight vector per label
    (the baselines). For calibrated SVMs the weights are averaged over the
    calibration folds; for naive Bayes they are the log-probability ratios.
    """
    pipeline = getattr(model, "pipeline_", None)
    if pipeline is None:
        return None
    names = np.asarray(pipeline.named_steps["features"].get_feature_names_out())
    head = pipeline.named_steps["classifier"]
    rows = []
    for est in head.estimators_:
        w = _estimator_weights(est)
        if w is None:
            return None
        rows.append(w[: len(names)])  # a chain appends previous labels as features
    return names, np.vstack(rows)


def _estimator_weights(est: Any) -> np.ndarray | None:
    if hasattr(est, "calibrated_classifiers_"):
        parts = [_estimator_weights(c.estimator) for c in est.calibrated_classifiers_]
        if any(p is None for p in parts):
            return None
        return np.mean(np.vstack(parts), axis=0)  # type: ignore[arg-type]
    if hasattr(est, "feature_log_prob_"):
        flp = np.asarray(est.feature_log_prob_)
        return flp[-1] - flp[0]
    coef = getattr(est, "coef_", None)
    if coef is None:
        return None
    return np.asarray(coef).ravel()


class KeywordBaseline(ClassifierMixin, BaseEstimator):
    """Baseline: a label is predicted when one of its keywords occurs.

    Keywords are matched as accent-folded, lowercase substrings. Scores are
    0 or 1; there is nothing to learn.
    """

    def __init__(self, *, keywords: dict[str, list[str]]) -> None:
        self.keywords = keywords

    def fit(self, X: Sequence[str], Y: Any) -> KeywordBaseline:
        _check_texts(X)
        _check_y(Y)
        from .features import fold_accents

        self.patterns_ = [[fold_accents(k.lower()) for k in self.keywords.get(label, [])] for label in LABELS]
        self.thresholds_ = np.full(len(LABELS), 0.5)
        self.classes_ = np.array(LABELS)
        return self

    def predict_proba(self, X: Sequence[str]) -> np.ndarray:
        from .features import fold_accents

        texts = [fold_accents(t.lower()) for t in _check_texts(X)]
        out = np.zeros((len(texts), len(LABELS)))
        for j, words in enumerate(self.patterns_):
            for i, t in enumerate(texts):
                out[i, j] = float(any(w in t for w in words))
        return out

    def predict(self, X: Sequence[str]) -> np.ndarray:
        return (self.predict_proba(X) >= self.thresholds_).astype(np.int8)

    def set_thresholds(self, thresholds: Sequence[float] | np.ndarray) -> KeywordBaseline:
        self.thresholds_ = np.asarray(thresholds, dtype=np.float64)
        return self


class MajorityBaseline(ClassifierMixin, BaseEstimator):
    """Baseline: every paragraph gets each label's training prevalence as score."""

    def fit(self, X: Sequence[str], Y: Any) -> MajorityBaseline:
        _check_texts(X)
        self.prior_ = _check_y(Y).mean(axis=0).astype(np.float64)
        self.thresholds_ = np.full(len(LABELS), 0.5)
        self.classes_ = np.array(LABELS)
        return self

    def predict_proba(self, X: Sequence[str]) -> np.ndarray:
        return np.tile(self.prior_, (len(_check_texts(X)), 1))

    def predict(self, X: Sequence[str]) -> np.ndarray:
        return (self.predict_proba(X) >= self.thresholds_).astype(np.int8)

    def set_thresholds(self, thresholds: Sequence[float] | np.ndarray) -> MajorityBaseline:
        self.thresholds_ = np.asarray(thresholds, dtype=np.float64)
        return self

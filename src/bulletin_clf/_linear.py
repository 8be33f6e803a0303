"""A pickle-free copy of a fitted word/char TF-IDF + logistic-regression model.

``export_linear(model)`` turns a fitted :class:`~bulletin_clf.model.TopicModel`
whose classifier is a one-vs-rest logistic regression into plain arrays
(vocabularies, idf, weights, intercepts) and JSON parameters;
:class:`LinearScorer` recomputes exactly the same scores from them with numpy
only. Loading it needs neither scikit-learn (fast cold start) nor pickle
(no code runs when a shared model is opened).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .features import SpanishNormalizer, _WordAnalyzer

LINEAR_ARRAYS = "linear.npz"
LINEAR_PARAMS = "linear.json"
_SPACES = re.compile(r"\s\s+")


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


class LinearScorer:
    """Scores ``(n, 4)`` from an exported model, numpy only."""

    def __init__(self, params: dict[str, Any], arrays: Any) -> None:
        self.blocks = []
        offset = 0
        for block in params["blocks"]:
            norm = SpanishNormalizer(**block["normalizer"])
            lo, hi = block["ngram_range"]
            analyze: Any = _WordAnalyzer(norm, (lo, hi)) if block["kind"] == "word" else _CharAnalyzer(norm, lo, hi)
            vocab = {t: i for i, t in enumerate(block["terms"])}
            idf = np.asarray(arrays[f"idf_{block['name']}"])
            self.blocks.append((analyze, vocab, idf, block["sublinear_tf"], offset))
            offset += len(vocab)
        self.names = np.array([f"{b['name']}__{t}" if len(params["blocks"]) > 1 else t for b in params["blocks"] for t in b["terms"]], dtype=object)
        self.coef = np.asarray(arrays["coef"])
        self.intercept = np.asarray(arrays["intercept"])

    @classmethod
    def load(cls, directory: Path) -> LinearScorer:
        params = json.loads((directory / LINEAR_PARAMS).read_text(encoding="utf-8"))
        if params.get("format") != "bulletin_clf.linear/1":
            raise ValueError(f"{directory / LINEAR_PARAMS}: unknown format {params.get('format')!r}")
        with np.load(directory / LINEAR_ARRAYS, allow_pickle=False) as arrays:
            return cls(params, {k: arrays[k] for k in arrays.files})

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
        out = np.empty((len(texts), self.coef.shape[0]))
        coef_t = self.coef.T
        for i, text in enumerate(texts):
            idx, val = self.features(text)
            out[i] = val @ coef_t[idx] if len(idx) else 0.0
        return out + self.intercept

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.decision_function(texts)))

"""Experiments: build a model from a config, train, evaluate, compare.

``train(config)`` fits on the config's training splits, tunes per-label
thresholds (on out-of-fold scores from cross-validation grouped by document,
or on the validation split), scores every evaluation split and writes a
model directory (see :mod:`bulletin_clf.persist`). ``evaluate`` re-scores a
saved model; ``compare`` runs many configs and writes ``RESULTS.md``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.metrics import f1_score, precision_recall_fscore_support
from sklearn.model_selection import GroupKFold

from . import data as data_mod
from ._labels import LABELS
from .config import ExperimentConfig, load_config
from .errors import DataError
from .features import SpanishNormalizer, build_features, char_tfidf, word_tfidf
from .model import KeywordBaseline, MajorityBaseline, TopicModel, tune_thresholds


def build_estimator(config: ExperimentConfig) -> Any:
    """The unfitted estimator a config describes."""
    m = config.model
    if m.type == "keyword_baseline":
        return KeywordBaseline(keywords=m.keywords)
    if m.type == "majority":
        return MajorityBaseline()
    norm = SpanishNormalizer(**config.normalization.model_dump())
    f = config.features
    features = build_features(
        word_tfidf(norm, **_tfidf_kwargs(f.word)) if f.word else None,
        char_tfidf(norm, **_tfidf_kwargs(f.char)) if f.char else None,
    )
    return TopicModel(
        features=features,
        classifier=_classifier(config),
        strategy=config.multilabel.strategy,
        threshold=config.thresholds.value,
    )


def _tfidf_kwargs(section: Any) -> dict[str, Any]:
    kw = section.model_dump()
    kw["ngram_range"] = tuple(kw["ngram_range"])
    return kw


def _classifier(config: ExperimentConfig) -> Any:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.linear_model import LogisticRegression, RidgeClassifier, SGDClassifier
    from sklearn.naive_bayes import ComplementNB
    from sklearn.svm import LinearSVC

    m = config.model
    seed = config.seed
    if m.type == "logreg":
        return LogisticRegression(
            C=m.C,
            class_weight=m.class_weight,
            max_iter=m.max_iter,
            solver="liblinear",
            random_state=seed,
        )
    if m.type == "linear_svm":
        svm = LinearSVC(C=m.C, class_weight=m.class_weight, random_state=seed)
        return CalibratedClassifierCV(svm, method=m.calibration, cv=m.calibration_folds)
    if m.type == "sgd":
        return SGDClassifier(
            loss=m.loss,
            alpha=m.alpha,
            class_weight=m.class_weight,
            max_iter=m.max_iter,
            tol=1e-4,
            random_state=seed,
        )
    if m.type == "complement_nb":
        return ComplementNB(alpha=m.alpha)
    if m.type == "ridge":
        ridge = RidgeClassifier(alpha=m.alpha, class_weight=m.class_weight)
        return CalibratedClassifierCV(ridge, method="sigmoid", cv=3)
    raise AssertionError(m.type)  # pragma: no cover - config validation forbids it


def scores(Y: np.ndarray, P: np.ndarray) -> dict[str, Any]:
    """Per-label and macro/micro precision, recall and F1 of decisions ``P``."""
    p, r, f, s = precision_recall_fscore_support(Y, P, average=None, zero_division=0)
    out: dict[str, Any] = {
        "per_label": {
            label: {"precision": float(p[j]), "recall": float(r[j]), "f1": float(f[j]), "support": int(s[j])}
            for j, label in enumerate(LABELS)
        }
    }
    for avg in ("macro", "micro"):
        pa, ra, fa, _ = precision_recall_fscore_support(Y, P, average=avg, zero_division=0)
        out[avg] = {"precision": float(pa), "recall": float(ra), "f1": float(fa)}
    out["n"] = int(Y.shape[0])
    out["exact_match"] = float((Y == P).all(axis=1).mean()) if len(Y) else 0.0
    none = Y.sum(axis=1) == 0
    out["n_none"] = int(none.sum())
    # How often a paragraph about none of the topics is given one: what users see as noise.
    out["none_given_topic"] = float(P[none].any(axis=1).mean()) if none.any() else 0.0
    return out


# Held-out sets reported per register: (name, split, register or None for the whole split).
HELD_OUT = (
    ("speech", "test", "speech"),
    ("questions", "test", "question"),
    ("temporal", "temporal_test", None),
    ("written", "written_test", None),
)


def split_scores(recs: Sequence[dict[str, Any]], Y: np.ndarray, P: np.ndarray) -> dict[str, Any]:
    """``scores`` of a split, plus ``by_register`` when its records carry registers."""
    out = scores(Y, P)
    registers = np.array([r.get("register") or "unknown" for r in recs])
    if len(set(registers.tolist())) > 1:
        out["by_register"] = {reg: scores(Y[registers == reg], P[registers == reg]) for reg in sorted(set(registers))}
    return out


def held_out(metrics: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The per-register held-out scores that a metrics dict holds."""
    out = {}
    for name, split, register in HELD_OUT:
        m = metrics.get(split)
        if m is None:
            continue
        if register is not None:
            m = m.get("by_register", {}).get(register, m if register == "speech" and "by_register" not in m else None)
        if m is not None and m.get("n"):
            out[name] = m
    return out


@dataclass
class TrainResult:
    model: Any
    model_dir: Path | None
    metrics: dict[str, Any]


def _records(config: ExperimentConfig, splits: Sequence[str], data_dir: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for split in splits:
        out.extend(data_mod.load_split(split, data_dir))
    return out


def cross_validate(
    config: ExperimentConfig, texts: list[str], Y: np.ndarray, groups: list[str], *, progress: Any = None
) -> tuple[np.ndarray, np.ndarray, list[float]]:
    """Out-of-fold scores with folds grouped by document.

    Returns ``(oof_scores, thresholds, fold_macro_f1)``: thresholds are tuned
    on all out-of-fold scores (when the config asks for ``cv`` thresholds)
    and the fold scores use them.
    """
    folds = min(config.cv.folds, len(set(groups)))
    if folds < 2:
        raise DataError("cross-validation needs paragraphs from at least 2 documents")
    oof = np.zeros(Y.shape, dtype=np.float64)
    splitter = GroupKFold(n_splits=folds, shuffle=True, random_state=config.seed)
    fold_ids = np.zeros(len(texts), dtype=int)
    base = build_estimator(config)
    for k, (tr, te) in enumerate(splitter.split(texts, Y, groups)):
        if progress is not None:
            progress.set_postfix_str(f"cross-validation fold {k + 1}/{folds}")
        est = clone(base).fit([texts[i] for i in tr], Y[tr])
        oof[te] = est.predict_proba([texts[i] for i in te])
        fold_ids[te] = k
        if progress is not None:
            progress.update(1)
    if config.thresholds.strategy == "cv" and not _is_baseline(config):
        thresholds = tune_thresholds(Y, oof, default=config.thresholds.value)
    else:
        thresholds = np.full(len(LABELS), config.thresholds.value)
    fold_f1 = [
        float(
            f1_score(
                Y[fold_ids == k],
                (oof[fold_ids == k] >= thresholds).astype(int),
                average="macro",
                zero_division=0,
            )
        )
        for k in range(folds)
    ]
    return oof, thresholds, fold_f1


def _is_baseline(config: ExperimentConfig) -> bool:
    return config.model.type in ("keyword_baseline", "majority")


def train(
    config: ExperimentConfig | str | os.PathLike[str],
    out_dir: str | os.PathLike[str] | None = None,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    progress: bool = True,
    cv: bool = True,
    force: bool = False,
) -> TrainResult:
    """Train the model a config describes; write a model directory if ``out_dir``.

    Returns the fitted model and its metrics: cross-validation over the
    training data (grouped by document), and every evaluation split that was
    not trained on. The model directory is built aside and swapped in whole;
    ``out_dir`` must be new, empty or a model directory (``force=True``
    allows any folder and replaces only the model's own files there).
    """
    if out_dir is not None:
        from .persist import check_model_out

        check_model_out(Path(out_dir), force=force)
    from tqdm.auto import tqdm

    from .model import check_trainable

    cfg = config if isinstance(config, ExperimentConfig) else load_config(config)
    data_dir = data_dir if data_dir is not None else cfg.data.dir
    started = time.perf_counter()
    train_recs = _records(cfg, cfg.data.train, data_dir)
    silver = data_mod.load_silver(data_dir) if cfg.data.include_silver else []
    fit_recs = train_recs + silver
    texts = [r["text"] for r in fit_recs]
    Y = data_mod.multi_hot(r["labels"] for r in fit_recs)
    try:
        check_trainable(Y)
    except ValueError as exc:
        raise DataError(f"training data ({'+'.join(cfg.data.train)}): {exc}") from None
    groups = [r["doc_id"] for r in fit_recs]
    eval_splits = [s for s in (cfg.data.validation, *cfg.data.test) if s not in cfg.data.train]
    need_oof = cv or (cfg.thresholds.strategy == "cv" and not _is_baseline(cfg))
    bar = tqdm(
        total=(cfg.cv.folds if need_oof else 0) + 1 + len(eval_splits),
        desc=f"train {cfg.name}",
        disable=not progress,
        unit="step",
        leave=False,
    )
    metrics: dict[str, Any] = {"config": cfg.name}
    thresholds = np.full(len(LABELS), cfg.thresholds.value)
    if need_oof:
        _, thresholds, fold_f1 = cross_validate(cfg, texts, Y, groups, progress=bar)
        metrics["cv"] = {
            "folds": len(fold_f1),
            "macro_f1": fold_f1,
            "mean": float(np.mean(fold_f1)),
            "std": float(np.std(fold_f1)),
        }
    bar.set_postfix_str(f"fit on {len(texts)} paragraphs")
    model = build_estimator(cfg).fit(texts, Y)
    _slim(model)
    bar.update(1)
    if cfg.thresholds.strategy == "validation" and not _is_baseline(cfg):
        if cfg.data.validation in cfg.data.train:
            raise DataError(
                "thresholds.strategy 'validation' needs a validation split that is not trained on"
            )
        val = data_mod.load_split(cfg.data.validation, data_dir)
        thresholds = tune_thresholds(
            data_mod.multi_hot(r["labels"] for r in val),
            model.predict_proba([r["text"] for r in val]),
            default=cfg.thresholds.value,
        )
    model.set_thresholds(thresholds)
    metrics["train_seconds"] = round(time.perf_counter() - started, 3)
    metrics["thresholds"] = {label: float(t) for label, t in zip(LABELS, model.thresholds_, strict=False)}
    metrics["n_train"] = len(fit_recs)
    metrics["n_silver"] = len(silver)
    curves: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for split in eval_splits:
        bar.set_postfix_str(f"score {split}")
        recs = data_mod.load_split(split, data_dir)
        Ys = data_mod.multi_hot(r["labels"] for r in recs)
        proba = model.predict_proba([r["text"] for r in recs])
        metrics[split] = split_scores(recs, Ys, (proba >= model.thresholds_).astype(np.int8))
        curves[split] = (Ys, proba)
        bar.update(1)
    bar.close()
    metrics["model_bytes"] = _model_size(model)
    model_dir = None
    if out_dir is not None:
        from .persist import install_model_dir, save_model
        from .report import write_training_report

        model_dir = Path(out_dir)
        staging = Path(tempfile.mkdtemp(prefix=f".{model_dir.name}.", suffix=".tmp", dir=model_dir.parent))
        try:
            from .card import write_model_card
            from .persist import library_versions

            write_training_report(staging, cfg, metrics, curves)
            write_model_card(staging, cfg, metrics, fit_recs, curves, library_versions())
            save_model(
                model,
                staging,
            manifest={
                    "name": cfg.name,
                    "config": cfg.model_dump(mode="json"),
                    "data_fingerprint": data_mod.fingerprint(fit_recs),
                    "trained_on": list(cfg.data.train) + (["silver"] if silver else []),
                    "metrics": headline(metrics),
                },
            )
            install_model_dir(staging, model_dir, force=force)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return TrainResult(model=model, model_dir=model_dir, metrics=metrics)


def _slim(model: Any) -> None:
    """Drop fitted attributes that are not needed to predict.

    ``stop_words_`` (terms cut by min_df/max_df) is a Python set: large, and
    pickled in hash order, which would make the model file differ between
    identical runs.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    pipeline = getattr(model, "pipeline_", None)
    if pipeline is None:
        return
    feats = pipeline.named_steps["features"]
    vecs = [feats] if isinstance(feats, TfidfVectorizer) else [t for _, t in feats.transformer_list]
    for vec in vecs:
        if hasattr(vec, "stop_words_"):
            del vec.stop_words_


def _model_size(model: Any) -> int:
    import io

    import joblib

    buf = io.BytesIO()
    joblib.dump(model, buf, compress=3)
    return buf.tell()


def headline(metrics: dict[str, Any]) -> dict[str, Any]:
    """The few figures worth a manifest or a results table."""
    out: dict[str, Any] = {}
    if "cv" in metrics:
        out["cv_macro_f1"] = round(metrics["cv"]["mean"], 4)
        out["cv_macro_f1_std"] = round(metrics["cv"]["std"], 4)
    for split in data_mod.SPLITS:
        if split in metrics:
            out[f"{split}_macro_f1"] = round(metrics[split]["macro"]["f1"], 4)
    for name, m in held_out(metrics).items():
        out[f"held_out_{name}_macro_f1"] = round(m["macro"]["f1"], 4)
    return out


def evaluate(
    model_dir: str | os.PathLike[str],
    split: str = "test",
    *,
    data_dir: str | os.PathLike[str] | None = None,
    allow_pickle: bool = False,
) -> dict[str, Any]:
    """Re-score a saved model on one split of the labeled data.

    The model is loaded like ``bulletin_clf.load`` loads it: from its array
    copy, never from the pickle unless ``allow_pickle=True``.
    """
    from .tag import load

    tagger = load(model_dir, allow_pickle=allow_pickle)
    if split in tagger.manifest.get("trained_on", []):
        raise DataError(f"{model_dir}: model was trained on {split!r}; scoring it there would be meaningless")
    recs = data_mod.load_split(split, data_dir)
    Y = data_mod.multi_hot(r["labels"] for r in recs)
    P = data_mod.multi_hot(tagger.predict([r["text"] for r in recs]))
    return split_scores(recs, Y, P)


def evaluate_file(
    model_dir: str | os.PathLike[str], path: str | os.PathLike[str], *, allow_pickle: bool = False
) -> dict[str, Any]:
    """Score a saved model on a user's own labeled JSON Lines file (``text`` and ``labels`` per record)."""
    from .tag import load

    recs = data_mod.read_jsonl(Path(path))
    if not recs:
        raise DataError(f"{path}: no records")
    for i, r in enumerate(recs, 1):
        if not isinstance(r.get("text"), str) or not isinstance(r.get("labels"), list):
            raise DataError(f"{path}: record {i}: needs 'text' (a string) and 'labels' (a list of label names)")
        bad = [x for x in r["labels"] if x not in LABELS]
        if bad:
            raise DataError(f"{path}: record {i}: unknown label {bad[0]!r}; labels are {', '.join(LABELS)}")
    tagger = load(model_dir, allow_pickle=allow_pickle)
    Y = data_mod.multi_hot(r["labels"] for r in recs)
    P = data_mod.multi_hot(tagger.predict([r["text"] for r in recs]))
    return split_scores(recs, Y, P)


def write_json_metrics(path: Path, metrics: dict[str, Any]) -> None:
    from .persist import write_json

    write_json(path, metrics)

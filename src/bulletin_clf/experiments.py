"""Compare experiment configs and choose the default model by validation score.

``compare()`` trains every config on the training split, writes a results
table, and (optionally) writes the config of the shipped model: the config
with the best *validation* macro-F1, retrained on train + validation. Test
and temporal-test scores are reported next to it and never used to choose.
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from ._labels import LABELS
from .config import ExperimentConfig, load_config
from .data import SPLITS
from .persist import atomic_write_bytes
from .train import HELD_OUT, held_out, train


def _describe(cfg: ExperimentConfig) -> str:
    m = cfg.model
    if m.type in ("keyword_baseline", "majority"):
        return m.type
    feats = []
    if cfg.features.word:
        feats.append(f"word{tuple(cfg.features.word.ngram_range)}")
    if cfg.features.char:
        feats.append(f"char{tuple(cfg.features.char.ngram_range)}")
    extra = "+stem" if cfg.normalization.stemming else ""
    chain = " chain" if cfg.multilabel.strategy == "chain" else ""
    return f"{m.type}{chain} {'+'.join(feats)}{extra}"


MIN_SPEED = 20_000  # paragraphs/s on one core the shipped model must tag at (the batch command's budget)


def tagging_speed(model_dir: Path, texts: Sequence[str], *, repeats: int = 3) -> float:
    """Paragraphs per second of ``Tagger.predict`` on one core, as users load the model (best of ``repeats``).

    Models without an array copy are unpickled: they were trained by this
    very run, so the pickle is ours.
    """
    from .tag import load

    tagger = load(model_dir, allow_pickle=True)
    sample = list(texts) * max(1, 20_000 // max(len(texts), 1))
    tagger.predict(sample[:200])
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        tagger.predict(sample)
        best = min(best, time.perf_counter() - t0)
    return len(sample) / best


def compare(
    configs: Sequence[str | os.PathLike[str]],
    *,
    results: Path,
    runs: Path,
    select: Path | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    progress: bool = True,
    min_speed: float = MIN_SPEED,
) -> list[dict[str, Any]]:
    """Train each config, write ``results`` (Markdown), return one row per config.

    The chosen config has the best validation macro-F1 among those that are
    not baselines, do not tune thresholds on validation, and tag at least
    ``min_speed`` paragraphs per second on one core.
    """
    from . import data as data_mod
    loaded = [(Path(p), load_config(p)) for p in configs]  # validate all before any work
    for path, cfg in loaded:
        if set(cfg.data.train) != {"train"}:
            raise ValueError(f"{path}: compare needs configs that train on the train split only")
    rows = []
    speed_texts = [r["text"] for r in data_mod.load_split("validation", data_dir if data_dir is not None
                                                         else loaded[0][1].data.dir)]
    for path, cfg in loaded:
        result = train(cfg, runs / cfg.name, data_dir=data_dir, progress=progress)
        m = result.metrics
        speed = tagging_speed(runs / cfg.name, speed_texts)
        rows.append(
            {
                "name": cfg.name,
                "config": str(path),
                "what": _describe(cfg),
                "cv_mean": m["cv"]["mean"],
                "cv_std": m["cv"]["std"],
                "validation": m["validation"]["macro"]["f1"],
                "test": m.get("test", {}).get("macro", {}).get("f1"),
                "temporal_test": m.get("temporal_test", {}).get("macro", {}).get("f1"),
                "held_out": {name: hm["macro"]["f1"] for name, hm in held_out(m).items()},
                "written_none": held_out(m).get("written", {}).get("none_given_topic"),
                "per_label": {label: m["validation"]["per_label"][label]["f1"] for label in LABELS},
                "train_seconds": m["train_seconds"],
                "model_bytes": m["model_bytes"],
                "baseline": cfg.model.type in ("keyword_baseline", "majority"),
                "speed": speed,
                "fast_enough": speed >= min_speed,
                # Thresholds tuned on validation make its validation score
                # optimistic, so such a config cannot be chosen by that score.
                "eligible": cfg.model.type not in ("keyword_baseline", "majority")
                and cfg.thresholds.strategy != "validation" and speed >= min_speed,
            }
        )
    candidates = [r for r in rows if r["eligible"]]
    best = max(candidates, key=lambda r: (round(r["validation"], 4), r["cv_mean"])) if candidates else None
    _write_results(rows, best, results, shipping=select is not None, min_speed=min_speed)
    if select is not None and best is not None:
        chosen = next(c for p, c in loaded if c.name == best["name"])
        write_default_config(chosen, select, best)
        write_default_config(chosen, select.with_name("shipped.yaml"), best, all_splits=True)
    return rows


def write_default_config(cfg: ExperimentConfig, path: Path, row: dict[str, Any], *, all_splits: bool = False) -> None:
    """The chosen config retrained on train + validation (``default``: its held-out
    figures are the ones reported), or on every split (``shipped``: the model users get)."""
    raw = cfg.model_dump(mode="json")
    raw["name"] = "shipped" if all_splits else "default"
    how = "every gold split (its figures come from 'default', which did not see the held-out splits)" \
        if all_splits else "train+validation"
    raw["description"] = (
        f"Config '{cfg.name}' ({row['config']}), chosen by validation macro-F1 "
        f"{row['validation']:.3f}, retrained on {how}."
    )
    raw["data"]["train"] = list(SPLITS) if all_splits else ["train", "validation"]
    if raw["thresholds"]["strategy"] == "validation":
        raw["thresholds"]["strategy"] = "cv"  # validation is now training data
    header = "# Generated by `bulletin-clf compare ... --select`; do not edit by hand.\n"
    atomic_write_bytes(path, (header + yaml.safe_dump(raw, sort_keys=False, allow_unicode=True)).encode())


def _fmt(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def _write_results(rows: list[dict[str, Any]], best: dict[str, Any] | None, path: Path, *, shipping: bool,
                   min_speed: float) -> None:
    lines = [
        "# Experiment results",
        "",
        'Generated by `bulletin-clf compare` (see README, "Reproduce the results"); do not edit by hand.',
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}.",
        "",
        "All models are trained on the `train` split. *CV* is macro-F1 over 5 folds grouped by",
        "document (mean ± std over folds); *validation* chooses the default model; *test* and",
        "*temporal test* (speech and questions from 2025-04 on) and the *held-out* sets per",
        "register (speech and questions of `test`, `temporal_test`, `written_test`) are",
        "reported only, never used to choose.",
        "",
        "| config | model | CV macro-F1 | validation | test | temporal test | "
        + " | ".join(f"held-out {name}" for name, _, _ in HELD_OUT)
        + " | written: none given a topic | "
        + " | ".join(f"{label} (val)" for label in LABELS)
        + " | train s | model MB | tagging /s, 1 core |",
        "|" + "---|" * (10 + len(HELD_OUT) + len(LABELS)),
    ]
    for r in sorted(rows, key=lambda r: -r["validation"]):
        mark = " **(chosen)**" if best is not None and r["name"] == best["name"] and shipping else ""
        mark += " **(best)**" if best is not None and r["name"] == best["name"] and not shipping else ""
        mark += "" if r["eligible"] or r["baseline"] else " ‡" if not r["fast_enough"] else " †"
        lines.append(
            f"| {r['name']}{mark} | {r['what']} | {r['cv_mean']:.3f} ± {r['cv_std']:.3f} | {_fmt(r['validation'])} | "
            f"{_fmt(r['test'])} | {_fmt(r['temporal_test'])} | "
            + " | ".join(_fmt(r["held_out"].get(name)) for name, _, _ in HELD_OUT)
            + f" | {'–' if r['written_none'] is None else format(r['written_none'], '.1%')} | "
            + " | ".join(_fmt(r["per_label"][label]) for label in LABELS)
            + f" | {r['train_seconds']:.1f} | {r['model_bytes'] / 2**20:.2f} | {r['speed']:,.0f} |"
        )
    lines += ["", "† thresholds tuned on the validation split, so its validation score is optimistic;",
              "reported, but not eligible to be chosen.",
              f"‡ tags fewer than {min_speed:,.0f} paragraphs/s on one core (`Tagger.predict`, best of 3 on "
              "the validation texts), the speed the batch command is built around; reported, not eligible."]
    if best is not None and shipping:
        lines += ["", f"Chosen for shipping: **{best['name']}** (highest validation macro-F1 among eligible",
                  "configs; ties broken by CV macro-F1). It is retrained on train + validation as",
                  "`experiments/default.yaml` (whose held-out scores are the ones reported) and on every gold",
                  "split as `experiments/shipped.yaml`, the model shipped in `src/bulletin_clf/models/default/`."]
    elif best is not None:
        lines += ["", f"Best by validation macro-F1 among eligible configs: **{best['name']}** "
                  "(nothing was written for shipping: run with `--select` for that)."]
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, ("\n".join(lines) + "\n").encode())

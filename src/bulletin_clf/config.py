"""Experiment configs: YAML files validated before any work starts.

An unknown key, a wrong type or an impossible value raises
:class:`~bulletin_clf.errors.ConfigError` with a one-line message naming the
file and the key path, e.g. ``exp.yaml: features.word.min_df: Input should be
greater than or equal to 1``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ._labels import LABELS
from .errors import ConfigError

SPLITS = ("train", "validation", "test", "temporal_test")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataConfig(_Strict):
    dir: str | None = None
    # The shipped model may train on every split once its figures come from a run that did not.
    train: list[Literal["train", "validation", "test", "temporal_test", "written_test"]] = ["train"]
    validation: Literal["validation"] = "validation"
    test: list[Literal["test", "temporal_test", "written_test"]] = ["test", "temporal_test", "written_test"]
    include_silver: bool = False


class NormalizationConfig(_Strict):
    lowercase: bool = True
    strip_accents: bool = True
    stop_words: bool = True
    stemming: bool = False
    numbers: Literal["keep", "token", "drop"] = "token"


class _TfidfConfig(_Strict):
    ngram_range: tuple[Annotated[int, Field(ge=1, le=8)], Annotated[int, Field(ge=1, le=8)]]
    min_df: Annotated[int, Field(ge=1, le=100_000)] = 2
    max_df: Annotated[float, Field(gt=0.0, le=1.0)] = 1.0
    max_features: Annotated[int, Field(ge=1, le=2_000_000)] | None = None  # the array format's vocabulary limit
    sublinear_tf: bool = True

    @field_validator("ngram_range")
    @classmethod
    def _ordered(cls, v: tuple[int, int]) -> tuple[int, int]:
        if v[0] > v[1]:
            raise ValueError(f"ngram_range must be [low, high] with low <= high, got {list(v)}")
        return v


class WordFeatures(_TfidfConfig):
    ngram_range: tuple[Annotated[int, Field(ge=1, le=3)], Annotated[int, Field(ge=1, le=3)]] = (1, 2)


class CharFeatures(_TfidfConfig):
    ngram_range: tuple[Annotated[int, Field(ge=1, le=8)], Annotated[int, Field(ge=1, le=8)]] = (2, 5)


class FeaturesConfig(_Strict):
    word: WordFeatures | None = WordFeatures()
    char: CharFeatures | None = None

    @model_validator(mode="after")
    def _some(self) -> FeaturesConfig:
        if self.word is None and self.char is None:
            raise ValueError("at least one of 'word' or 'char' must be set")
        return self


ClassWeight = Literal["balanced"] | None


# Bounds on numbers a config may ask for: wide enough for any sensible run, narrow
# enough that a typo cannot make training run without end.
_C = Annotated[float, Field(ge=1e-4, le=1e4)]
_ALPHA = Annotated[float, Field(ge=1e-8, le=1e4)]


class LogRegModel(_Strict):
    type: Literal["logreg"]
    C: _C = 1.0
    class_weight: ClassWeight = "balanced"
    max_iter: Annotated[int, Field(ge=1, le=20_000)] = 2000


class LinearSVMModel(_Strict):
    type: Literal["linear_svm"]
    C: _C = 1.0
    class_weight: ClassWeight = "balanced"
    calibration: Literal["sigmoid", "isotonic"] = "sigmoid"
    calibration_folds: Annotated[int, Field(ge=2, le=10)] = 3


class SGDModel(_Strict):
    type: Literal["sgd"]
    loss: Literal["log_loss", "modified_huber"] = "modified_huber"
    alpha: _ALPHA = 1e-4
    class_weight: ClassWeight = "balanced"
    max_iter: Annotated[int, Field(ge=1, le=10_000)] = 50


class ComplementNBModel(_Strict):
    type: Literal["complement_nb"]
    alpha: _ALPHA = 0.3


class RidgeModel(_Strict):
    type: Literal["ridge"]
    alpha: _ALPHA = 1.0
    class_weight: ClassWeight = "balanced"


class KeywordModel(_Strict):
    type: Literal["keyword_baseline"]
    keywords: dict[str, Annotated[list[Annotated[str, Field(max_length=200)]], Field(max_length=10_000)]]

    @field_validator("keywords")
    @classmethod
    def _labels_known(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        unknown = sorted(set(v) - set(LABELS))
        if unknown:
            raise ValueError(f"unknown label {unknown[0]!r}; labels are {', '.join(LABELS)}")
        return v


class MajorityModel(_Strict):
    type: Literal["majority"]


ModelConfig = Annotated[
    LogRegModel | LinearSVMModel | SGDModel | ComplementNBModel | RidgeModel | KeywordModel | MajorityModel,
    Field(discriminator="type"),
]


class MultilabelConfig(_Strict):
    strategy: Literal["one_vs_rest", "chain"] = "one_vs_rest"


class ThresholdConfig(_Strict):
    strategy: Literal["fixed", "validation", "cv"] = "cv"
    value: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.5


class CVConfig(_Strict):
    folds: Annotated[int, Field(ge=2, le=20)] = 5


class ExperimentConfig(_Strict):
    """A whole training run. See ``experiments/*.yaml`` for examples."""

    name: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")]
    description: Annotated[str, Field(max_length=10_000)] = ""
    seed: Annotated[int, Field(ge=0, le=2**32 - 1)] = 0
    data: DataConfig = DataConfig()
    normalization: NormalizationConfig = NormalizationConfig()
    features: FeaturesConfig = FeaturesConfig()
    model: ModelConfig
    multilabel: MultilabelConfig = MultilabelConfig()
    thresholds: ThresholdConfig = ThresholdConfig()
    cv: CVConfig = CVConfig()


def _loc_path(loc: tuple[Any, ...]) -> str:
    tags = {"logreg", "linear_svm", "sgd", "complement_nb", "ridge", "keyword_baseline", "majority"}
    parts = [str(p) for i, p in enumerate(loc) if not (i == 1 and loc[0] == "model" and p in tags)]
    return ".".join(parts) or "(top level)"


def parse_config(raw: Any, *, source: str = "config") -> ExperimentConfig:
    """Validate a mapping into an :class:`ExperimentConfig`."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: top level must be a mapping, got {type(raw).__name__}")
    try:
        return ExperimentConfig.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        elif err["type"] == "union_tag_invalid":
            msg = f"unknown model type; expected one of {err['ctx']['expected_tags']}"
        more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
        raise ConfigError(f"{source}: {_loc_path(tuple(err['loc']))}: {msg}{more}") from None


MAX_CONFIG_BYTES = 1 << 20
MAX_CONFIG_DEPTH = 20  # a real config nests 3 levels


def _depth(text: str) -> int:
    """Upper bound of the nesting depth of a YAML text, found without parsing it.

    Counts open flow brackets and indentation levels; PyYAML recurses per
    level, so a hostile file nested 100k deep must be refused before parsing.
    """
    depth = best = 0
    for ch in text:
        if ch in "[{":
            depth += 1
            best = max(best, depth)
        elif ch in "]}":
            depth = max(depth - 1, 0)
    indents = {len(line) - len(line.lstrip(" ")) for line in text.splitlines() if line.strip()}
    return max(best, len(indents))


def load_config(path: str | os.PathLike[str]) -> ExperimentConfig:
    """Read and validate one YAML experiment config (at most 1 MB, nested at most 20 deep)."""
    p = Path(path)
    try:
        if p.stat().st_size > MAX_CONFIG_BYTES:
            raise ConfigError(f"{p}: config is over {MAX_CONFIG_BYTES:,} bytes; not an experiment config")
        text = p.read_text(encoding="utf-8")
        if _depth(text) > MAX_CONFIG_DEPTH:
            raise ConfigError(f"{p}: config is nested more than {MAX_CONFIG_DEPTH} levels deep")
        raw = yaml.safe_load(text)
    except FileNotFoundError:
        raise ConfigError(f"{p}: no such config file") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{p}: config is not UTF-8 text") from None
    except RecursionError:
        raise ConfigError(f"{p}: config is nested too deeply") from None
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise ConfigError(f"{p}: malformed YAML: {where}{getattr(exc, 'problem', exc)}") from None
    return parse_config(raw, source=str(p))

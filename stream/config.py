"""The stream's YAML config, validated into typed models with documented defaults.

Read from ``KAKOU_STREAM_CONFIG`` (a path) or ``configs/stream.yaml``; errors name the file and
the key. Every worker of a deployment must run with the same file.
"""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Literal, TypeVar

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from checkpoint.wire.base import StrictModel, validation_problems
from checkpoint.wire.plates import normalise
from stream.match import MatchPolicy

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "configs" / "stream.yaml"
M = TypeVar("M", bound=StrictModel)


class StreamConfigError(ValueError):
    """A stream config that cannot be used; the message says which file and key."""


class PolicyConfig(StrictModel):
    max_confusions: int = Field(default=1, ge=0, le=3,
                                description="OCR-confusion substitutions allowed (0/O, 8/B ...)")
    max_edits: int = Field(default=0, ge=0, le=2, description="other edits allowed")
    min_fuzzy_length: int = Field(default=5, ge=1, description="shorter plates match exactly only")

    def policy(self) -> MatchPolicy:
        return MatchPolicy(self.max_confusions, self.max_edits, self.min_fuzzy_length)


class CheckpointPolicy(StrictModel):
    """What a checkpoint's flow is measured against."""

    home_prefixes: tuple[str, ...] = Field(
        default=(), description="plates starting with one of these are local (e.g. 鲁A for "
        "Jinan); none: the out-of-region share is not computed")
    flow_warning: dict[Literal["1m", "1h"], int] = Field(
        default_factory=dict, description="vehicles per 1-minute / 1-hour window above which a "
        "flow-warning alert is raised; a window not named never warns")

    @field_validator("home_prefixes")
    @classmethod
    def _normalised(cls, prefixes: tuple[str, ...]) -> tuple[str, ...]:
        folded = tuple(normalise(p) for p in prefixes)
        if not all(folded):
            raise ValueError("a home prefix needs letters or digits")
        return folded

    @field_validator("flow_warning")
    @classmethod
    def _positive(cls, thresholds: dict[str, int]) -> dict[str, int]:
        if any(t < 1 for t in thresholds.values()):
            raise ValueError("flow thresholds are vehicles per window, at least 1")
        return thresholds


class StreamConfig(StrictModel):
    default_match: PolicyConfig = PolicyConfig()
    match: dict[str, PolicyConfig] = Field(default_factory=dict,
                                           description="per watchlist name, overrides default_match")
    alert_cooldown_s: float = Field(
        default=900.0, ge=0, description="one alert per (entry, plate, checkpoint) within this "
        "window: a vehicle stopped at a checkpoint for long is one visit, not several alerts")

    escalate_after_s: dict[int, float] = Field(
        default_factory=lambda: {1: 60.0, 2: 120.0, 3: 300.0, 4: 900.0, 5: 1800.0},
        description="per priority (1 most urgent): an alert still 'new' this long is escalated")
    escalation_check_s: float = Field(default=2.0, gt=0, description="how often to look")
    offline_after_s: float = Field(default=30.0, gt=0,
                                   description="a checkpoint with no heartbeat this long is offline")
    status_check_s: float = Field(default=5.0, gt=0, description="how often to look for that")
    batch_max: int = Field(default=500, ge=1, description="events handled together at most "
                           "(one Redis round trip records a batch of passages)")
    batch_within_s: float = Field(default=0.02, gt=0, description="how long to wait for a "
                                  "batch to fill: adds at most this to an alert's latency")
    history_hours: int = Field(
        default=72, ge=1, description="non-hit passages are kept this long in the history "
        "(PostgreSQL), as on the topic and in Redis; older hourly partitions are dropped")
    default_hit_retention_days: int = Field(
        default=365, ge=1, description="a passage that hit a list is kept this long")
    hit_retention_days: dict[str, int] = Field(
        default_factory=dict, description="per watchlist name, overrides "
        "default_hit_retention_days; a hit on several lists is kept for the longest")
    retention_check_s: float = Field(default=300.0, gt=0,
                                     description="how often expired history is dropped")
    default_checkpoint: CheckpointPolicy = CheckpointPolicy()
    checkpoints: dict[str, CheckpointPolicy] = Field(
        default_factory=dict, description="per checkpoint id, overrides default_checkpoint")

    @model_validator(mode="after")
    def _every_priority(self) -> StreamConfig:
        missing = sorted({1, 2, 3, 4, 5} - set(self.escalate_after_s))
        if missing:
            raise ValueError(f"escalate_after_s needs every priority 1-5, missing {missing}")
        return self

    def hit_retention(self, list_name: str) -> timedelta:
        return timedelta(days=self.hit_retention_days.get(list_name,
                                                          self.default_hit_retention_days))

    def checkpoint(self, checkpoint_id: str) -> CheckpointPolicy:
        return self.checkpoints.get(checkpoint_id, self.default_checkpoint)

    def policies(self) -> dict[str, MatchPolicy]:
        return {name: p.policy() for name, p in self.match.items()}


def load_stream_config(path: str | Path | None = None) -> StreamConfig:
    """The named file, else KAKOU_STREAM_CONFIG, else configs/stream.yaml of a source checkout;
    the documented defaults when none is named and the checkout has none (an installed package)."""
    return load_yaml_model(StreamConfig, path or os.environ.get("KAKOU_STREAM_CONFIG"),
                           DEFAULT_PATH, StreamConfigError)


def load_yaml_model(model: type[M], named: str | Path | None, default: Path,
                    error: type[ValueError]) -> M:
    """``model`` from the YAML file ``named``, else ``default``, else the model's defaults (no
    file named and ``default`` absent); problems raise ``error`` naming the file and key."""
    if named is None and not default.exists():
        return model()
    path = Path(named or default)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise error(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise error(f"{path}: not valid YAML: {exc}") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise error("\n".join(f"{path}: {p}" for p in validation_problems(exc))) from None

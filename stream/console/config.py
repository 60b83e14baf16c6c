"""The console's YAML config, validated into typed models with documented defaults.

Read from ``KAKOU_CONSOLE_CONFIG`` (a path) or ``configs/console.yaml``; errors name the file and
the key. Every replica of a deployment runs with the same file. Secrets (TLS key) are files named
here, never values.
"""
from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, model_validator

from checkpoint.wire.base import StrictModel
from stream.config import load_yaml_model

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "configs" / "console.yaml"


class ConsoleConfigError(ValueError):
    """A console config that cannot be used; the message says which file and key."""


class LoginPolicy(StrictModel):
    """Failed logins allowed per window, per account and per client address, before refusal."""

    window_s: int = Field(default=900, ge=1, description="the window failures are counted in")
    per_account: int = Field(default=5, ge=1, description="failures per account and window")
    per_address: int = Field(default=20, ge=1, description="failures per client address")


class Tls(StrictModel):
    certificate: Path
    key: Path


class Place(StrictModel):
    """Where a checkpoint is, for the trace map."""

    name: str = ""
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class BoxLink(StrictModel):
    """Where a checkpoint's box serves its scene images to consoles, and the console's token."""

    url: str = Field(pattern=r"^https?://", description="the box's API, e.g. https://box:8443")
    token_file: Path = Field(description="file holding this console's bearer token for the "
                             "box (its SHA-256 is in the box's terminal_api.consoles)")
    ca_file: Path | None = Field(default=None, description="CA bundle the box's certificate "
                                 "is checked against; none: the system's")


class ConsoleConfig(StrictModel):
    host: str = Field(default="127.0.0.1", description="address to listen on")
    port: int = Field(default=8080, ge=1, le=65535)
    tls: Tls | None = Field(default=None, description="certificate and key files; none: plain "
                            "HTTP, for loopback or behind a TLS-terminating proxy only")
    idle_timeout_s: int = Field(default=900, ge=60, description="a session unused this long ends")
    session_max_s: int = Field(default=12 * 3600, ge=300,
                               description="a session ends this long after login, used or not")
    login: LoginPolicy = LoginPolicy()
    covert_lists: tuple[str, ...] = Field(
        default=(), description="watchlists whose alerts only supervisors see")
    max_unacknowledged: int = Field(
        default=5, ge=1, description="more new alerts than this waiting: the queue is flagged "
        "(every alert stays in it)")
    units: tuple[str, ...] = Field(default=(), description="dispatch units offered in the form "
                                   "(any other may be typed)")
    checkpoints: dict[str, Place] = Field(
        default_factory=dict, description="checkpoint id -> name and coordinates: the trace "
        "map is laid out from them (checkpoints not named here are listed, not drawn)")
    boxes: dict[str, BoxLink] = Field(
        default_factory=dict, description="checkpoint id -> its box's API, for scene images "
        "on an alert's page; a checkpoint not named here shows the image's reference only")
    offline_after_s: float = Field(default=30.0, gt=0, description="a checkpoint whose last "
                                   "heartbeat is older than this shows as offline")
    lock_wait_s: float = Field(default=2.0, gt=0, le=30, description="how long an action waits "
                               "for an alert another operator or worker holds, before 409")

    @model_validator(mode="after")
    def _session_outlives_idle(self) -> ConsoleConfig:
        if self.session_max_s < self.idle_timeout_s:
            raise ValueError("session_max_s must be at least idle_timeout_s")
        return self


def load_console_config(path: str | Path | None = None) -> ConsoleConfig:
    """The named file, else KAKOU_CONSOLE_CONFIG, else configs/console.yaml of a checkout."""
    return load_yaml_model(ConsoleConfig, path or os.environ.get("KAKOU_CONSOLE_CONFIG"),
                           DEFAULT_PATH, ConsoleConfigError)

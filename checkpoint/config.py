"""The checkpoint's YAML config, validated into typed models with documented defaults.

Errors name the file and the key (``configs/x.yaml: cameras.0.direction: ...``) so a crew setting
up a box at the roadside can fix it without reading code.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from checkpoint.wire.base import StrictModel, validation_problems
from checkpoint.wire.edge import Direction
from checkpoint.wire.plates import REGIONS


class ConfigError(ValueError):
    """A config file that cannot be used; the message says which file and key."""


class CameraConfig(StrictModel):
    id: Annotated[str, Field(min_length=1, description="camera id, unique on this box")]
    source: str = Field(description="video file, rtsp:// or http:// URL, or a device index like '0'")
    lane: str = "1"
    direction: Direction = Direction.UNKNOWN
    plate_region: str | None = Field(
        default=None, description="grammar for plates read here (cn, eu, us, br, ro); none: any")
    roi: list[tuple[int, int]] | None = Field(
        default=None, description="polygon (pixels) where plates are read; none: whole frame")
    reads_per_second: float = Field(
        default=5.0, gt=0, description="how often plates are read; a vehicle in view for 1.5 s is "
        "read about 7 times at the default, whatever the camera's frame rate")

    def read_every(self, source_fps: float) -> int:
        """Read every n-th frame of a source at ``source_fps``."""
        return max(1, round(source_fps / self.reads_per_second))

    @model_validator(mode="after")
    def _check(self) -> CameraConfig:
        if self.plate_region is not None and self.plate_region not in REGIONS:
            raise ValueError(f"plate_region must be one of {', '.join(REGIONS)}")
        if self.roi is not None and len(self.roi) < 3:
            raise ValueError("roi needs at least 3 points")
        return self


class ReaderConfig(StrictModel):
    name: Literal["ppocr", "rapidocr"] = Field(
        default="ppocr", description="ppocr: PP-OCR det+rec through onnxruntime with plate "
        "grammars (default); rapidocr: rapidocr's generic OCR pipeline (the baseline)")
    threads: int = Field(
        default=1, ge=1, le=64, description="onnxruntime threads per camera. More speed up one "
        "camera only where cores are idle: onnxruntime's spinning workers compete with the "
        "video decoder's threads for the same cores. A box with cores to spare runs more cameras")
    detector: Literal["text", "gated", "plate"] = Field(
        default="gated", description="text: PP-OCR's text detector boxes every text line in the "
        "searched region; gated (default): the project's plate detector (plate_det_model) runs "
        "first, text lines are searched only around where it sees a plate and read where it "
        "does, so a sign's text is not taken for a plate; plate: the plate detector finds "
        "plates first and the text detector boxes the number inside each (fastest, reads "
        "fewer plates)")
    det_model: Path | None = Field(default=None, description="text detector ONNX; none: bundled PP-OCR")
    plate_det_model: Path = Field(
        default=Path("plate_det.onnx"), description="plate detector ONNX (detector: gated or "
        "plate); relative paths are in models/ (or KAKOU_MODELS_DIR)")
    plate_threshold: float | None = Field(
        default=0.3, gt=0, lt=1, description="the plate detector's centre-heat threshold for a "
        "plate found outright (none: the model's own, in its metadata). Lower finds more "
        "plates, and more text that is not on one")
    gate_threshold: float = Field(
        default=0.1, gt=0, lt=1, description="detector: gated: the plate-centre heat a text "
        "line's surroundings must reach to be read. Lower reads more lines, signs' too")
    rec_model: Path | None = Field(default=None, description="recogniser ONNX; none: bundled PP-OCR")
    rec_models: dict[str, Path] = Field(
        default_factory=lambda: {"cn": Path("plate_rec_cn.onnx")},
        description="recogniser ONNX per plate region, over rec_model for plates of that region; "
        "relative paths are in models/ (or KAKOU_MODELS_DIR). Default: the project's own CN "
        "recogniser for cn plates (models/README.md)")
    rec_views: int = Field(
        default=5, ge=1, le=5, description="framings in which the region recognisers "
        "(rec_models) read each crop: as found, tighter, looser, moved left and right; the text "
        "likeliest over all is kept. More views read more crops right that the detector framed "
        "badly, at one recognition per view; PP-OCR's recogniser (rec_model) always reads once")
    whole_plate_regions: tuple[str, ...] = Field(
        default=("cn",), description="plates of these regions are read whole: the plate "
        "detector finds each with its four corners, and the region's own recogniser "
        "(rec_models) reads the rectified plate, with no text line search, so a character the "
        "text detector puts on a line of its own (a CN plate's province) is still read. Each "
        "needs a recogniser in rec_models; other regions are read from text lines")
    corner_model: Path | None = Field(
        default=Path("plate_corners.onnx"), description="plates read whole "
        "(whole_plate_regions): the corner refiner that frames each plate the detector found "
        "again where it is, before it is read (the detector's own corners miss a plate's edges "
        "by about a tenth of its size); none: read between the detector's corners. Relative "
        "paths are in models/ (or KAKOU_MODELS_DIR)")
    det_max_side: int = Field(
        default=960, ge=64, description="the text detector's input, longer side in pixels: "
        "larger finds smaller plates and costs time with the square of the side")
    min_text_height: float = Field(
        default=14.0, ge=0, description="text lines less tall than this (frame pixels, as the "
        "detector boxes them) are not read: their glyphs are too small to read reliably, and "
        "such reads are mostly false plates or misreads. Lower reads smaller plates, and more "
        "wrongly")
    min_confidence: float = Field(
        default=0.8, ge=0, le=1, description="drop reads whose mean character confidence is "
        "below this. Higher drops more false plates (text that is not a plate) and more "
        "doubtful reads of real plates")
    min_char_confidence: dict[str, Annotated[float, Field(ge=0, le=1)]] = Field(
        default_factory=lambda: {"cn": 0.5}, description="per plate region: drop reads any "
        "character of which is less sure than this. A plate is only as sure as its least sure "
        "character, and a mean over sure ones hides a guess (a province read as another, a "
        "character made up at the end). Default: cn 0.5 (every character at least an even "
        "bet), measured with the CN recogniser; regions not named have no such floor")

    @field_validator("rec_models", "min_char_confidence")
    @classmethod
    def _known_regions(cls, by_region: dict[str, object]) -> dict[str, object]:
        unknown = sorted(set(by_region) - set(REGIONS))
        if unknown:
            raise ValueError(f"unknown plate region(s) {unknown}; expected some of {list(REGIONS)}")
        return by_region

    @model_validator(mode="after")
    def _whole_plates_have_a_recogniser(self) -> ReaderConfig:
        lacking = [r for r in self.whole_plate_regions if r not in self.rec_models]
        if lacking:
            raise ValueError(f"whole_plate_regions {lacking} need a plate recogniser in "
                             "rec_models")
        return self


class TrackConfig(StrictModel):
    max_gap_s: float = Field(default=1.0, gt=0, description="a track ends after this long unseen")
    max_track_s: float = Field(default=60.0, gt=0, description="emit a passage after this long anyway")
    max_distance: float = Field(default=0.15, gt=0,
                                description="largest jump between reads, as a share of frame width")
    max_speed: float = Field(default=0.5, gt=0, description="fastest plate movement, frame widths "
                             "per second: after a gap in reads (a busy box drops frames) the same "
                             "plate text may have moved further than max_distance")
    min_reads: int = Field(default=2, ge=1, description="reads needed before a track is a vehicle")


class TerminalConfig(StrictModel):
    id: Annotated[str, Field(min_length=1, description="the terminal's name, unique on this box")]
    lane: str = Field(description="the lane it checks (a camera's lane): its checks link to "
                      "that lane's open passage")
    token_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 (hex) of the "
                              "terminal's bearer token, from `checkpoint terminal-token`: the "
                              "box never stores the token itself")


class ConsoleReader(StrictModel):
    """A control-room console that may fetch this box's scene images for its alerts."""

    id: Annotated[str, Field(min_length=1, description="the console's name, for the log")]
    token_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 (hex) of its "
                              "bearer token (`checkpoint terminal-token` makes one)")


class TerminalApiConfig(StrictModel):
    """The box's HTTP API: the lane's hand-held ID terminals post documents to it, and the
    control room's consoles fetch scene images from it."""

    host: str = Field(default="0.0.0.0", description="address to listen on")
    port: int = Field(default=8443, ge=1, le=65535)
    tls_certfile: Path | None = Field(default=None, description="PEM certificate: with "
                                      "tls_keyfile, the API speaks HTTPS only")
    tls_keyfile: Path | None = None
    max_body_bytes: int = Field(default=8_000_000, ge=1024, description="larger requests are "
                                "refused (413) before they are read")
    max_image_pixels: int = Field(default=40_000_000, ge=10_000, description="photos with more "
                                  "pixels are refused (413) before they are decoded: a "
                                  "small file can declare a huge image")
    passage_window_s: float = Field(default=300.0, gt=0, description="a check links to its "
                                    "lane's latest passage seen at most this long before")
    terminals: list[TerminalConfig] = Field(min_length=1)
    consoles: list[ConsoleReader] = Field(
        default_factory=list, description="consoles that may fetch scene images "
        "(GET /v1/evidence/DAY/FILE); none: scene images never leave the box")

    @model_validator(mode="after")
    def _check(self) -> TerminalApiConfig:
        ids = [t.id for t in self.terminals]
        if len(ids) != len(set(ids)):
            raise ValueError(f"terminal ids must be unique, got {ids}")
        hashes = [t.token_sha256 for t in (*self.terminals, *self.consoles)]
        if len(hashes) != len(set(hashes)):
            raise ValueError("each terminal and console needs its own token")
        if (self.tls_certfile is None) != (self.tls_keyfile is None):
            raise ValueError("tls_certfile and tls_keyfile go together")
        return self


class CheckpointConfig(StrictModel):
    checkpoint_id: Annotated[str, Field(min_length=1, description="the box's id on every event")]
    spool_dir: Path = Field(default=Path(".spool"), description="where events wait for Kafka; "
                            "overridden by KAKOU_SPOOL_DIR")
    evidence_dir: Path = Field(default=Path(".evidence"), description="scene images kept on the "
                               "box; overridden by KAKOU_EVIDENCE_DIR")
    evidence_retention_hours: float = Field(default=72.0, gt=0, description="scene images "
                                            "older than this are deleted")
    heartbeat_seconds: float = Field(default=5.0, gt=0, description="how often the box reports "
                                     "its cameras and spool to the stream")
    cameras: list[CameraConfig] = Field(min_length=1)
    reader: ReaderConfig = ReaderConfig()
    track: TrackConfig = TrackConfig()
    terminal_api: TerminalApiConfig | None = Field(default=None, description="the ID terminals' "
                                                   "API; none: the box takes no ID checks")

    @model_validator(mode="after")
    def _unique_cameras(self) -> CheckpointConfig:
        ids = [c.id for c in self.cameras]
        if len(ids) != len(set(ids)):
            raise ValueError(f"camera ids must be unique, got {ids}")
        return self

    @model_validator(mode="after")
    def _terminals_check_known_lanes(self) -> CheckpointConfig:
        lanes = {c.lane for c in self.cameras}
        for i, terminal in enumerate(self.terminal_api.terminals if self.terminal_api else ()):
            if terminal.lane not in lanes:
                raise ValueError(f"terminal_api.terminals.{i}.lane: {terminal.lane!r} is no "
                                 f"camera's lane (lanes: {sorted(lanes)})")
        return self

    def with_env(self) -> CheckpointConfig:
        """Apply the deployment's environment (docker volumes) over the file's paths."""
        updates = {}
        if os.environ.get("KAKOU_SPOOL_DIR"):
            updates["spool_dir"] = Path(os.environ["KAKOU_SPOOL_DIR"])
        if os.environ.get("KAKOU_EVIDENCE_DIR"):
            updates["evidence_dir"] = Path(os.environ["KAKOU_EVIDENCE_DIR"])
        return self.model_copy(update=updates)


def load_config(path: str | Path) -> CheckpointConfig:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    try:
        return CheckpointConfig.model_validate(data).with_env()
    except ValidationError as exc:
        raise ConfigError("\n".join(f"{path}: {p}" for p in validation_problems(exc))) from None

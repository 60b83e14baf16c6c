"""Reading tight plate crops, for measuring recognisers on crop sets (``checkpoint eval``).

A box never reads a crop without finding it first; the lab does, to measure the recognisers
alone. The crop is read by the same recognisers and grammar a box's reader uses.
"""
from __future__ import annotations

from typing import Protocol

import numpy as np

from checkpoint.config import ReaderConfig
from checkpoint.grammar import is_plausible
from checkpoint.read import (PlateRead, Recognisers, build_recognisers, rapidocr_engine,
                             to_plate_read)
from checkpoint.wire.plates import normalise


class CropReader(Protocol):
    def read_crop(self, crop: np.ndarray, region: str | None) -> PlateRead | None:
        """Read a tight plate crop (no detection); None when it holds no plausible plate."""
        ...


def whole(image: np.ndarray) -> np.ndarray:
    """The corners of the whole image, clockwise from top-left."""
    h, w = image.shape[:2]
    return np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)


class RecogniserCropReader:
    """The recogniser for the crop's region, then the plate grammar, as a box reads a plate."""

    def __init__(self, recognisers: Recognisers) -> None:
        self.recognisers = recognisers

    def read_crop(self, crop: np.ndarray, region: str | None) -> PlateRead | None:
        (reading,) = self.recognisers.for_region(region).recognise([crop])
        return to_plate_read(reading, whole(crop), region)


class RapidOcrCropReader:
    """rapidocr's recogniser alone (the baseline), its text accepted as the grammar allows."""

    def __init__(self, threads: int = 1) -> None:
        self._engine = rapidocr_engine(threads)

    def read_crop(self, crop: np.ndarray, region: str | None) -> PlateRead | None:
        out = self._engine(crop, use_det=False, use_cls=False)
        if not out.txts:
            return None
        plate = normalise("".join(out.txts))
        if not is_plausible(plate, region):
            return None
        return PlateRead(plate, float(np.mean(out.scores)), whole(crop))


def build_crop_reader(cfg: ReaderConfig) -> CropReader:
    """The crop reader for a reader config: its recognisers, or rapidocr's."""
    if cfg.name == "rapidocr":
        return RapidOcrCropReader(threads=cfg.threads)
    return RecogniserCropReader(build_recognisers(cfg))

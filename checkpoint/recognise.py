"""Plate crops → text: CTC recognition with per-character confidences and next-best reads.

The default recogniser is PP-OCR's text recogniser (ONNX, character set in its metadata). Crops
are batched by width; the CTC output is folded onto plate characters and decoded greedily with
numpy, and the runner-up character at the closest calls gives the alternatives the stream's fuzzy
matcher also tries.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from checkpoint.models import ModelError, bundled_model, session

DEFAULT_REC_MODEL = "PP-OCRv6_rec_small.onnx"
REC_HEIGHT = 48
MIN_WIDTH_RATIO = 1.0  # no padding beyond the crop: measured as accurate on plates, and faster


@dataclass(frozen=True)
class Reading:
    text: str
    char_confidences: tuple[float, ...]
    alternatives: tuple[tuple[str, float], ...]  # (text, confidence), best first

    @property
    def confidence(self) -> float:
        return float(np.mean(self.char_confidences)) if self.char_confidences else 0.0


class PlateRecogniser(Protocol):
    def recognise(self, crops: list[np.ndarray]) -> list[Reading]: ...


def _prepare(crop: np.ndarray, width: int) -> np.ndarray:
    h, w = crop.shape[:2]
    resized_w = min(width, max(1, int(np.ceil(REC_HEIGHT * w / max(h, 1)))))
    img = cv2.resize(crop, (resized_w, REC_HEIGHT)).astype(np.float32)
    out = np.zeros((3, REC_HEIGHT, width), np.float32)
    out[:, :, :resized_w] = ((img / 255.0 - 0.5) / 0.5).transpose(2, 0, 1)
    return out


@dataclass(frozen=True)
class PlateVocabulary:
    """The model's classes folded onto plate characters.

    A generic OCR model knows thousands of characters; a plate holds a few dozen. Summing each
    class's probability into the plate character it normalises to ("a" and "Ａ" into "A") and the
    rest into one "not a plate character" class makes the decoder choose only among plate
    characters, and makes the runner-up at each position a plate character too.
    """

    chars: tuple[str, ...]     # output classes: 0 blank, 1 "skip" (separators, non-plate), then chars
    order: np.ndarray          # model class indices, sorted by output class
    starts: np.ndarray         # where each output class's run begins in ``order``

    @classmethod
    def from_charset(cls, charset: list[str]) -> PlateVocabulary:
        from checkpoint.plates import normalise

        plate_chars = sorted({n for n in (normalise(c) for c in charset[1:]) if len(n) == 1})
        index = {c: i + 2 for i, c in enumerate(plate_chars)}
        target = np.array([0] + [index.get(normalise(c), 1) if len(normalise(c)) <= 1 else 1
                                 for c in charset[1:]])
        order = np.argsort(target, kind="stable")
        starts = np.searchsorted(target[order], np.arange(len(plate_chars) + 2))
        return cls(("", "", *plate_chars), order, starts)

    def fold(self, probs: np.ndarray) -> np.ndarray:
        """(T, model classes) → (T, plate classes), probabilities summed per plate character."""
        return np.add.reduceat(probs[:, self.order], self.starts, axis=1)


def ctc_decode(probs: np.ndarray, vocab: PlateVocabulary, max_alternatives: int = 3) -> Reading:
    """Greedy CTC decode of one (T, model classes) matrix: plate text, confidences, next-best."""
    folded = vocab.fold(probs)
    best = folded.argmax(axis=1)
    keep = (best > 1) & np.concatenate([[True], best[1:] != best[:-1]])
    steps = np.flatnonzero(keep)
    if steps.size == 0:
        return Reading("", (), ())
    p_best = folded[steps, best[steps]]
    candidates = folded[steps].copy()
    candidates[:, :2] = 0.0  # the runner-up must be a plate character, not "nothing"
    candidates[np.arange(steps.size), best[steps]] = 0.0
    runner = candidates.argmax(axis=1)
    p_runner = candidates[np.arange(steps.size), runner]
    text = [vocab.chars[i] for i in best[steps]]
    alternatives = []
    for pos in np.argsort(p_runner / p_best)[::-1][:max_alternatives]:  # closest calls first
        if p_runner[pos] <= 0:
            continue
        alt = text.copy()
        alt[pos] = vocab.chars[runner[pos]]
        alternatives.append(("".join(alt), float(p_best.mean() * p_runner[pos] / p_best[pos])))
    return Reading("".join(text), tuple(float(p) for p in p_best), tuple(alternatives))


class CtcRecogniser:
    """PP-OCR CTC recognition on crops resized to height 48, batched by similar width."""

    def __init__(self, model: str | Path | None = None, *, threads: int = 1,
                 batch_size: int = 8) -> None:
        path = model or bundled_model(DEFAULT_REC_MODEL)
        self._session = session(path, threads)
        self._input = self._session.get_inputs()[0].name
        characters = self._session.get_modelmeta().custom_metadata_map.get("character")
        if not characters:
            raise ModelError(f"model {path} has no 'character' list in its metadata")
        self.vocab = PlateVocabulary.from_charset(["<blank>", *characters.splitlines(), " "])
        self.batch_size = batch_size

    def recognise(self, crops: list[np.ndarray]) -> list[Reading]:
        order = sorted(range(len(crops)), key=lambda i: crops[i].shape[1] / max(crops[i].shape[0], 1))
        results: list[Reading | None] = [None] * len(crops)
        for start in range(0, len(order), self.batch_size):
            idx = order[start:start + self.batch_size]
            ratio = max(crops[i].shape[1] / max(crops[i].shape[0], 1) for i in idx)
            width = int(np.ceil(REC_HEIGHT * max(ratio, MIN_WIDTH_RATIO)))
            batch = np.stack([_prepare(crops[i], width) for i in idx])
            probs = self._session.run(None, {self._input: batch})[0]
            for i, p in zip(idx, probs):
                results[i] = ctc_decode(p, self.vocab)
        return [r for r in results if r is not None]

"""The synthetic Latin plates: deterministic, grammatical, and shaped as the detector and the
recogniser's training expect."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("PIL")
synth = pytest.importorskip("models.training.synth_latin")

from checkpoint.grammar import fit_plate  # noqa: E402
from checkpoint.lab import fonts  # noqa: E402

_MISSING = sorted({fonts.PACKAGES[f] for f in synth.PLATE_FONTS + synth.HEADER_FONTS if not f.is_file()})
pytestmark = pytest.mark.skipif(bool(_MISSING), reason=f"fonts not installed: {', '.join(_MISSING)}")


def test_same_seed_same_crops() -> None:
    a_crops, a_texts = synth.synth_batch_latin(7, 6)
    b_crops, b_texts = synth.synth_batch_latin(7, 6)
    assert a_texts == b_texts
    assert all(np.array_equal(a, b) for a, b in zip(a_crops, b_crops))
    assert synth.synth_batch_latin(8, 6)[1] != a_texts


def test_every_text_fits_its_region_unchanged() -> None:
    rng = np.random.default_rng(0)
    styles = [synth.random_latin_plate(rng) for _ in range(400)]
    assert {s.region for s in styles} == {"eu", "us", "br", "ro"}
    for s in styles:
        fit = fit_plate(s.text, s.region)
        assert fit is not None and fit.text == s.text and not fit.corrections and not fit.start, s
        assert set(s.text) <= set(synth.CHARACTERS)


def test_render_shapes_and_types() -> None:
    rng = np.random.default_rng(1)
    for _ in range(8):
        style = synth.random_latin_plate(rng)
        face = synth.render_flat_latin(rng, style)
        assert face.dtype == np.float32 and face.ndim == 3 and face.shape[2] == 3
        assert face.shape[1] > face.shape[0] and 0 <= face.min() and face.max() <= 255
    crop, text = synth.synth_plate_latin(rng)
    assert crop.dtype == np.uint8 and crop.ndim == 3 and crop.shape[2] == 3 and crop.shape[0] >= 5
    assert set(text) <= set(synth.CHARACTERS)

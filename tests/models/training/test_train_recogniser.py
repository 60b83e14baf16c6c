"""The CN recogniser trainer's measuring helpers (needs the train extra: torch)."""
import pytest

pytest.importorskip("torch")

from models.training.train_recogniser import HEIGHT_BANDS, height_band  # noqa: E402


@pytest.mark.parametrize("height, band", [(1, "0-15"), (15, "0-15"), (16, "16-19"),
                                          (23, "20-23"), (24, "24-31"), (47, "32-47"),
                                          (48, "48+"), (400, "48+")])
def test_crop_heights_fall_in_their_band(height, band):
    assert height_band(height) == band


def test_bands_sort_as_their_heights_do():
    bands = [height_band(h) for h in HEIGHT_BANDS]
    assert bands == sorted(bands) and len(set(bands)) == len(HEIGHT_BANDS)

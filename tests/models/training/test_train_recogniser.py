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


@pytest.mark.parametrize("width", [1.0, 1.5])
def test_a_wider_recogniser_reads_the_same_frames_and_classes(width):
    import torch

    from models.training.recogniser import PlateCRNN

    model = PlateCRNN(num_classes=70, width=width).eval()
    with torch.no_grad():
        out = model(torch.zeros(2, 3, 48, 160))
    assert out.shape == (2, 40, 70)  # one frame per 4 pixels of width, whatever the channels


def test_width_scales_every_layer():
    from models.training.recogniser import PlateCRNN

    def count(width: float) -> int:
        return sum(p.numel() for p in PlateCRNN(num_classes=70, width=width).parameters())

    # convolutions grow with the square of the channels, the last 1x1 layer linearly
    assert 2 * count(1.0) < count(1.5) < 2.25 * count(1.0)
    assert count(2.0) > 3.5 * count(1.0)


def test_training_steps_move_the_weights_of_the_model_where_it_is():
    import numpy as np
    import torch

    from models.training.recogniser import PlateCRNN
    from models.training.train_recogniser import NUM_CLASSES, train_steps

    torch.manual_seed(0)
    model = PlateCRNN(NUM_CLASSES)
    before = [p.detach().clone() for p in model.parameters()]
    crops = [np.full((48, 200, 3), 128, np.uint8), np.full((48, 200, 3), 60, np.uint8)]
    seconds = train_steps(model, 2, 1e-3, lambda: (crops, ["京A12345", "鲁B6789D"]), "test")
    assert seconds > 0
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))

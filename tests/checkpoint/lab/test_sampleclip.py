"""The synthetic clip is what the demo and the pipeline tests run on: it must open, match its truth
file, and decode to the same frames for the same seed."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from checkpoint.lab.sampleclip import ClipTruth, plate_of, render_clip

PLATES = ("KA 482 BC", "GD 37 TRN")


def _frames(path: Path) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    assert cap.isOpened()
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    return frames


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ClipTruth]:
    path = tmp_path_factory.mktemp("clip") / "a.mp4"
    return path, render_clip(path, plates=PLATES, seed=3)


def test_clip_opens_with_expected_size_and_length(clip: tuple[Path, ClipTruth]) -> None:
    path, truth = clip
    frames = _frames(path)
    assert len(frames) == truth.frames
    assert frames[0].shape == (truth.height, truth.width, 3) == (540, 960, 3)


def test_truth_describes_the_plates_and_round_trips(clip: tuple[Path, ClipTruth]) -> None:
    path, truth = clip
    assert [v.plate for v in truth.vehicles] == ["KA482BC", "GD37TRN"]
    assert [v.printed for v in truth.vehicles] == list(PLATES)
    assert all(0 < v.enters_s < v.leaves_s < truth.frames / truth.fps for v in truth.vehicles)
    on_disk = Path(f"{path}.truth.json").read_text(encoding="utf-8")
    assert ClipTruth.from_json(on_disk) == truth
    assert ClipTruth.from_json(truth.to_json()) == truth


def test_same_seed_gives_identical_frames(clip: tuple[Path, ClipTruth], tmp_path: Path) -> None:
    path, truth = clip
    again = render_clip(tmp_path / "b.mp4", plates=PLATES, seed=3)
    assert again.vehicles == truth.vehicles
    first, second = _frames(path), _frames(tmp_path / "b.mp4")
    for index in (0, len(first) // 2):
        np.testing.assert_array_equal(first[index], second[index])


def test_the_truth_is_the_plate_as_normalised_and_undrawable_plates_are_refused(tmp_path: Path) -> None:
    assert plate_of("ka-482 bc") == "KA482BC" and plate_of("鲁A·3K782") == "鲁A3K782"
    with pytest.raises(ValueError, match="no plate characters"):
        render_clip(tmp_path / "c.mp4", plates=("--",))
    with pytest.raises(ValueError, match="province"):
        render_clip(tmp_path / "c.mp4", plates=("A鲁·12345",))   # a CJK character elsewhere


def test_a_chinese_plate_is_drawn_blue_with_its_province_character(tmp_path: Path) -> None:
    cn = render_clip(tmp_path / "cn.mp4", plates=("鲁A·3K782",), gap_s=2.0)
    render_clip(tmp_path / "eu.mp4", plates=("KA 482 BC",), gap_s=2.0)  # the same car and seed
    assert [v.plate for v in cn.vehicles] == ["鲁A3K782"]    # the dot is not part of the plate
    vehicle = cn.vehicles[0]
    middle = int((vehicle.enters_s + vehicle.leaves_s) / 2 * cn.fps)

    def blue(path: Path) -> int:
        b, g, r = (_frames(path)[middle][..., i].astype(int) for i in range(3))
        return int(((b > 120) & (b > r + 80) & (b > g + 50)).sum())

    assert blue(tmp_path / "cn.mp4") > blue(tmp_path / "eu.mp4") + 1000   # the plate's blue field

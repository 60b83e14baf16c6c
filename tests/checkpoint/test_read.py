"""The reader: detector, then the recogniser of the plate's region, then the grammar."""
import numpy as np
import pytest

from checkpoint.detect import Detection
from checkpoint.read import OnnxPlateReader, Recognisers
from checkpoint.ctc import Reading


def line(x: float, y: float, w: float, h: float) -> Detection:
    return Detection(np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], np.float32), 0.9)


class Lines:
    def detect(self, image, scale=None):
        return [line(10, 10, 60, 10), line(10, 40, 120, 30)]   # 10 px tall, 30 px tall


class Named:
    """Reads every crop as ``text``; remembers the crops."""

    def __init__(self, text: str, context: tuple[float, float] = (0.0, 0.0)) -> None:
        self.text, self.crops, self.context, self.told = text, [], context, []

    def recognise(self, crops, context=(0.0, 0.0)):
        self.crops = self.crops + list(crops)
        self.told.append(context)
        return [Reading(self.text, tuple([0.99] * len(self.text)), ()) for _ in crops]


def test_plates_of_a_region_go_to_that_regions_recogniser():
    generic, cn = Named("KA482BC"), Named("皖A12345")
    reader = OnnxPlateReader(Lines(), Recognisers(generic, {"cn": cn}), min_height=14)
    frame = np.zeros((100, 200, 3), np.uint8)
    assert [r.text for r in reader.read(frame, "cn")] == ["皖A12345"] and len(cn.crops) == 1
    assert [r.text for r in reader.read(frame, "eu")] == ["KA482BC"]
    assert [r.text for r in reader.read(frame, None)] == ["KA482BC"] and len(generic.crops) == 2


def test_text_lines_too_small_to_read_are_not_recognised():
    rec = Named("KA482BC")
    frame = np.zeros((100, 200, 3), np.uint8)
    reads = OnnxPlateReader(Lines(), Recognisers(rec), min_height=14).read(frame, "eu")
    assert [c.shape[0] for c in rec.crops] == [30] and len(reads) == 1
    OnnxPlateReader(Lines(), Recognisers(rec), min_height=8).read(frame, "eu")
    assert len(rec.crops) == 3


def test_a_read_the_grammar_refuses_is_dropped():
    reader = OnnxPlateReader(Lines(), Recognisers(Named("BLDG")), min_height=14)
    assert reader.read(np.zeros((100, 200, 3), np.uint8), "cn") == []


class Plates:
    """A plate detector that finds one whole plate."""

    def detect(self, image, scale=None):
        return [line(20, 20, 94, 30)]


def test_plates_of_a_whole_plate_region_are_read_from_the_plate_detector():
    generic, cn = Named("KA482BC"), Named("鲁A12345")
    reader = OnnxPlateReader(Lines(), Recognisers(generic, {"cn": cn}), min_height=14,
                             whole=Plates(), whole_regions=frozenset({"cn"}))
    frame = np.zeros((100, 200, 3), np.uint8)
    (read,) = reader.read(frame, "cn")
    assert read.text == "鲁A12345" and [c.shape for c in cn.crops] == [(30, 94, 3)]
    assert [r.text for r in reader.read(frame, "eu")] == ["KA482BC"]   # text lines as before
    assert len(generic.crops) == 1


class Shrinking:
    """A corner refiner that frames every plate 10 px in from each side, and one more plate
    too small to read."""

    def __init__(self) -> None:
        self.seen = 0

    def refine(self, image, found):
        self.seen += len(found)
        inner = [Detection(d.corners + np.float32([[10, 5], [-10, 5], [-10, -5], [10, -5]]),
                           d.score) for d in found]
        return inner + [line(150, 80, 30, 6)]


def test_plates_read_whole_are_read_where_the_refiner_frames_them():
    cn, generic, refiner = Named("鲁A12345"), Named("KA482BC"), Shrinking()
    reader = OnnxPlateReader(Lines(), Recognisers(generic, {"cn": cn}), min_height=14,
                             whole=Plates(), whole_regions=frozenset({"cn"}), refiner=refiner)
    frame = np.zeros((100, 200, 3), np.uint8)
    (read,) = reader.read(frame, "cn")                 # the refiner's tiny plate is not read
    assert [c.shape for c in cn.crops] == [(20, 74, 3)]
    np.testing.assert_allclose(read.corners, line(30, 25, 74, 20).corners)
    np.testing.assert_allclose(reader.found(frame, "cn")[0], read.corners)
    assert refiner.seen == 2
    reader.read(frame, "eu")                           # text lines are never refined
    assert refiner.seen == 2 and [c.shape for c in generic.crops] == [(30, 120, 3)]


def test_a_whole_plate_region_needs_a_plate_detector():
    import pytest

    with pytest.raises(ValueError, match="plate detector"):
        OnnxPlateReader(Lines(), Recognisers(Named("X")), min_height=14,
                        whole_regions=frozenset({"cn"}))


def test_a_recogniser_that_looks_beyond_the_corners_gets_crops_cut_with_that_context():
    cn = Named("鲁A12345", context=(0.05, 0.1))
    reader = OnnxPlateReader(Lines(), Recognisers(Named("X"), {"cn": cn}), min_height=14,
                             whole=Plates(), whole_regions=frozenset({"cn"}))
    (read,) = reader.read(np.zeros((100, 200, 3), np.uint8), "cn")
    assert [c.shape for c in cn.crops] == [(36, 103, 3)] and cn.told == [(0.05, 0.1)]
    assert read.corners.tolist() == Plates().detect(None)[0].corners.tolist()  # as found


def test_widen_grows_a_tilted_plate_along_its_own_axes():
    from checkpoint.read import widen

    plate = np.array([[10, 10], [110, 20], [107, 50], [7, 40]], np.float32)
    grown = widen(plate, (0.1, 0.5))
    across = (plate[1] - plate[0] + plate[2] - plate[3]) / 2
    down = (plate[3] - plate[0] + plate[2] - plate[1]) / 2
    assert grown[0] == pytest.approx(plate[0] - 0.1 * across - 0.5 * down)
    assert grown[2] == pytest.approx(plate[2] + 0.1 * across + 0.5 * down)
    assert np.array_equal(widen(plate, (0.0, 0.0)), plate)


def test_the_corner_refiner_is_built_as_configured():
    from checkpoint.config import ReaderConfig
    from checkpoint.onnx_models import ModelError
    from checkpoint.read import build_refiner

    assert build_refiner(ReaderConfig(corner_model=None)) is None
    assert build_refiner(ReaderConfig(whole_plate_regions=())) is None
    with pytest.raises(ModelError, match="missing-refiner.onnx"):
        build_refiner(ReaderConfig(corner_model="missing-refiner.onnx"))


@pytest.mark.parametrize(("confidences", "sure"), [
    ((0.99, 0.99, 0.99), True),
    ((0.99, 0.99, 0.45), False),   # mean 0.81, but one character a guess
    ((0.9, 0.85, 0.7), True),      # mean 0.82, every character likelier right than wrong
    ((0.8, 0.75, 0.7), False),     # mean 0.75
])
def test_a_read_is_as_sure_as_its_mean_and_its_least_sure_character(confidences, sure):
    from checkpoint.read import PlateRead, sure_enough

    read = PlateRead("A12", float(np.mean(confidences)), np.zeros((4, 2), np.float32),
                     confidences)
    assert sure_enough(read, 0.8, 0.5) is sure
    assert sure_enough(read, 0.0, 0.0)

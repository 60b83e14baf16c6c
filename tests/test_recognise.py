import numpy as np
import pytest

from checkpoint.recognise import PlateVocabulary, ctc_decode

# A tiny model charset: blank, then what a generic OCR model knows, including non-plate characters
CHARSET = ["<blank>", "A", "B", "8", "a", "Ａ", "-", "中", " "]
VOCAB = PlateVocabulary.from_charset(CHARSET)


def probs(*steps: dict[str, float]) -> np.ndarray:
    """One row per time step; unnamed probability mass goes to the blank."""
    out = np.zeros((len(steps), len(CHARSET)), np.float32)
    for t, step in enumerate(steps):
        for char, p in step.items():
            out[t, CHARSET.index(char)] = p
        out[t, 0] = 1.0 - sum(step.values())
    return out


def test_vocabulary_folds_case_and_width_onto_plate_characters():
    assert set(VOCAB.chars[2:]) == {"A", "B", "8"}
    folded = VOCAB.fold(probs({"a": 0.3, "Ａ": 0.3, "A": 0.2}))
    assert folded[0, VOCAB.chars.index("A")] == pytest.approx(0.8)
    assert folded.sum() == pytest.approx(1.0)


def test_greedy_decode_collapses_repeats_and_blanks():
    reading = ctc_decode(probs({"A": 0.9}, {"A": 0.9}, {}, {"A": 0.8}, {"8": 0.7}), VOCAB)
    assert reading.text == "AA8"
    assert reading.char_confidences == pytest.approx((0.9, 0.8, 0.7))
    assert reading.confidence == pytest.approx(0.8)


def test_separators_and_foreign_characters_are_skipped():
    reading = ctc_decode(probs({"A": 0.9}, {"-": 0.9}, {"中": 0.9}, {"B": 0.9}), VOCAB)
    assert reading.text == "AB"
    assert len(reading.char_confidences) == 2


def test_lower_case_read_counts_as_its_plate_letter():
    reading = ctc_decode(probs({"a": 0.6, "A": 0.1}), VOCAB)
    assert reading.text == "A" and reading.char_confidences[0] == pytest.approx(0.7)


def test_alternatives_swap_the_closest_calls_first():
    reading = ctc_decode(probs({"A": 0.95, "B": 0.01}, {"8": 0.5, "B": 0.45}), VOCAB)
    assert reading.text == "A8"
    assert reading.alternatives[0][0] == "AB"  # 0.45 vs 0.5 is the closest call
    texts = [t for t, _ in reading.alternatives]
    assert "BB" not in texts[:1] and all(len(t) == 2 for t in texts)
    confs = [c for _, c in reading.alternatives]
    assert confs == sorted(confs, reverse=True)


def test_nothing_read():
    reading = ctc_decode(probs({}, {}), VOCAB)
    assert reading.text == "" and reading.confidence == 0.0 and reading.alternatives == ()


def test_plates_of_a_region_go_to_that_regions_recogniser():
    from checkpoint.read import OnnxPlateReader
    from checkpoint.recognise import Reading

    class Named:
        def __init__(self, text: str) -> None:
            self.text, self.calls = text, 0

        def recognise(self, crops):
            self.calls += len(crops)
            return [Reading(self.text, tuple([0.99] * len(self.text)), ()) for _ in crops]

    generic, cn = Named("KA482BC"), Named("皖A12345")
    reader = OnnxPlateReader(detector=None, recogniser=generic, by_region={"cn": cn})
    crop = np.zeros((24, 94, 3), np.uint8)
    assert reader.read_crop(crop, "cn").text == "皖A12345" and cn.calls == 1
    assert reader.read_crop(crop, "eu").text == "KA482BC" and generic.calls == 1
    assert reader.read_crop(crop, None).text == "KA482BC" and generic.calls == 2


def test_text_lines_too_small_to_read_are_not_recognised():
    from checkpoint.detect import Detection
    from checkpoint.read import OnnxPlateReader
    from checkpoint.recognise import Reading

    def line(x: float, y: float, w: float, h: float) -> Detection:
        return Detection(np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], np.float32), 0.9)

    class Lines:
        def detect(self, image, scale=None):
            return [line(10, 10, 60, 10), line(10, 40, 120, 30)]   # 10 px tall, 30 px tall

    class Counting:
        crops: list = []

        def recognise(self, crops):
            self.crops = crops
            return [Reading("KA482BC", (0.99,) * 7, ()) for _ in crops]

    rec = Counting()
    reads = OnnxPlateReader(Lines(), rec, min_height=14).read(np.zeros((100, 200, 3), np.uint8), "eu")
    assert [c.shape[0] for c in rec.crops] == [30] and len(reads) == 1
    OnnxPlateReader(Lines(), rec, min_height=8).read(np.zeros((100, 200, 3), np.uint8), "eu")
    assert len(rec.crops) == 2

"""Crops and views as a recogniser reads them (``checkpoint.recognise``)."""
import numpy as np
import pytest

from checkpoint.recognise import VIEWS, reach, reframe, views_of


def test_views_reframe_the_crop_as_their_margins_say():
    crop = np.zeros((20, 100), np.uint8)
    crop[:, 48:52] = 255                          # a 4 px bar in the middle
    assert np.array_equal(reframe(crop, VIEWS[0]), crop)
    row = {name: reframe(crop, m)[10].astype(float)
           for name, m in zip(("found", "tighter", "looser", "right", "left"), VIEWS)}
    centre = {name: (r * np.arange(100)).sum() / r.sum() for name, r in row.items()}
    width = {name: r.sum() / 255 for name, r in row.items()}
    assert centre["tighter"] == pytest.approx(49.5, abs=0.1) == centre["looser"]
    assert width["tighter"] == pytest.approx(4 / 0.94, abs=0.1)   # magnified
    assert width["looser"] == pytest.approx(4 / 1.06, abs=0.1)    # shrunk
    assert centre["right"] == pytest.approx(47.5) and centre["left"] == pytest.approx(51.5)


def test_recogniser_rejects_an_impossible_number_of_views():
    from checkpoint.recognise import CtcRecogniser

    with pytest.raises(ValueError, match="views"):
        CtcRecogniser(views=len(VIEWS) + 1)


# ---------------------------------------------------------------------------- two-row plates

def test_a_two_row_plate_is_read_as_one_line_top_row_first():
    from checkpoint.recognise import one_row

    plate = np.zeros((110, 220, 3), np.uint8)        # 440 x 220 mm at 0.5 px/mm
    plate[8:38, 55:95] = 50      # the province, top row
    plate[8:38, 125:165] = 100   # the letter, top row
    plate[48:103, 14:206] = 200  # the serial, bottom row
    line = one_row(plate)
    assert line.shape[0] == 110 - int(0.36 * 110)            # the bottom row's height
    assert line.shape[1] > 220                                # the top row before it
    top_width = line.shape[1] - 220
    assert set(np.unique(line[:, :top_width // 2])) >= {50} and 200 not in line[:, :top_width // 2]
    assert (line[:, top_width:] == plate[int(0.36 * 110):]).all()


def test_only_a_model_that_reads_two_rows_splits_narrow_crops():
    from checkpoint.recognise import CtcRecogniser

    rec = object.__new__(CtcRecogniser)                       # no model needed for the framing
    rec.views = VIEWS[:1]
    square, narrow = np.zeros((60, 60, 3), np.uint8), np.zeros((60, 120, 3), np.uint8)
    wide = np.zeros((30, 100, 3), np.uint8)
    rec.two_rows_below = None
    assert [[v is narrow for v in layout] for layout in rec._lines(narrow, (0.0, 0.0))] == [[True]]
    rec.two_rows_below = 2.5
    (square_line,), = rec._lines(square, (0.0, 0.0))          # two rows, nothing else
    assert square_line.shape != square.shape
    (two_rows,), (one_row,) = rec._lines(narrow, (0.0, 0.0))  # either: two rows first
    assert two_rows.shape != narrow.shape
    assert one_row.shape == (60, 180, 3)                      # as one row, seen from the front
    assert [[v is wide for v in layout] for layout in rec._lines(wide, (0.0, 0.0))] == [[True]]


def test_only_narrower_crops_are_widened():
    from checkpoint.recognise import widened

    crop = np.arange(30 * 60 * 3, dtype=np.uint8).reshape(30, 60, 3)
    assert widened(crop, 3.0).shape == (30, 90, 3)
    assert widened(crop, 2.0) is crop and widened(crop, 1.5) is crop


@pytest.mark.parametrize(("width", "expected"), [
    (40, (True,)),            # 40 x 30: far narrower than any one-row plate
    (45, (True, False)),      # from 0.55 x 2.5 x 30 = 41.25 px: a one-row plate from the side
    (74, (True, False)),
    (75, (False, True)),      # 2.5 x 30: as its ratio says, one row, but either
    (86, (False, True)),
    (87, (False,)),           # from 1.15 x 2.5 x 30 = 86.25 px: one row
])
def test_crops_of_an_uncertain_ratio_are_read_in_both_layouts(width, expected):
    from checkpoint.recognise import layouts

    assert layouts(np.zeros((30, width, 3), np.uint8), 2.5) == expected
    assert layouts(np.zeros((30, width, 3), np.uint8), None) == (False,)


# ---------------------------------------------------------------------- views with context

def test_the_views_reach_as_far_as_the_loosest_looks():
    assert reach(VIEWS[:1]) == (0.0, 0.0)
    assert reach(VIEWS) == (0.03, 0.06)
    assert reach(((0.05, 0.05, 0.05, 0.05),)) == (0.0, 0.0)   # tighter only: no context


def test_views_of_a_crop_cut_with_context_see_the_plate_and_beyond_it():
    plate = np.zeros((20, 100), np.uint8)
    plate[:, 96:] = 255                          # a character at the plate's right edge
    context = (0.1, 0.25)
    crop = np.zeros((30, 120), np.uint8)         # the plate with 10 px / 5 px of scene around it
    crop[5:25, 10:110] = plate
    crop[5:25, 110:] = 255                       # the character goes on past the found corner
    found, *_, looser = views_of(crop, (VIEWS[0], (-0.1, 0.0, -0.1, 0.0)), context)
    assert found.shape == plate.shape and looser.shape == plate.shape
    assert np.abs(found.astype(int) - plate).mean() < 3      # the plate as found, no context
    whole = looser[10].astype(float) / 255
    assert whole[-12:].mean() > 0.9              # the scene's pixels beyond the corner, not
    assert whole[:5].mean() < 0.1                # a copy of the crop's edge


def test_without_context_the_views_are_those_of_the_crop():
    crop = np.random.default_rng(0).integers(0, 255, (20, 100), np.uint8)
    for got, margins in zip(views_of(crop, VIEWS), VIEWS):
        assert np.array_equal(got, reframe(crop, margins))

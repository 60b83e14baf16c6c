"""Pipeline crops: a found plate is cut for the true plate it frames, only when it holds that
plate whole (but for its border), and a scene's variants carry their plates' corners along."""
import numpy as np

from checkpoint.recognise import VIEWS, reach
from models.training.pipeline_crops import match, scene_variant, sees_whole


def quad(x: float, y: float, w: float, h: float) -> np.ndarray:
    return np.float32([[x, y], [x + w, y], [x + w, y + h], [x, y + h]])


def test_a_found_plate_is_matched_to_the_plate_it_frames_or_to_none():
    plates = [quad(10, 10, 100, 30), quad(200, 10, 100, 30)]
    assert match(quad(12, 11, 96, 28), plates) == 0
    assert match(quad(205, 8, 100, 32), plates) == 1
    assert match(quad(120, 10, 60, 30), plates) is None          # between the two
    assert match(quad(10, 10, 40, 30), plates) is None           # a fifth of a plate: IoU 0.4


def test_a_crop_that_cuts_characters_off_is_not_whole():
    plate, context = quad(100, 100, 200, 50), reach(VIEWS)       # (0.03, 0.06)
    assert sees_whole(quad(100, 100, 200, 50), plate, context)
    assert sees_whole(quad(108, 104, 190, 44), plate, context)   # 4 % in: the border, context
    assert not sees_whole(quad(130, 100, 170, 50), plate, context)   # 15 % of it cut off
    assert not sees_whole(quad(100, 118, 200, 32), plate, context)   # the top third cut off


def test_a_scene_variant_moves_its_plates_corners_with_its_pixels():
    image = np.zeros((200, 300, 3), np.uint8)
    image[80:100, 100:180] = 255                                 # a bright plate
    plate = quad(100, 80, 80, 20)
    for seed in range(5):
        out, ((corners, text),) = scene_variant(np.random.default_rng(seed), image,
                                                [(plate, "鲁A12345")])
        centre = corners.mean(axis=0).round().astype(int)
        assert text == "鲁A12345" and out[centre[1], centre[0]].min() > 200

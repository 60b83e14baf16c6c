"""Chinese plates as the lab draws them: every kind, texts the grammar accepts as they are,
provinces drawn evenly, the standard's proportions, deterministic for a seed."""
from collections import Counter

import numpy as np

from checkpoint.grammar import CN_PLATE_TYPES, cn_plate_type, fit_plate
from checkpoint.lab.cn_plates import CnPlate, draw_cn_plate, plate_for, random_cn_plate
from checkpoint.wire.plates import CN_PROVINCES


def test_random_plates_cover_every_kind_and_province_and_fit_the_grammar():
    rng = np.random.default_rng(0)
    plates = [random_cn_plate(rng) for _ in range(3000)]
    for plate in plates:
        fit = fit_plate(plate.text, "cn")
        assert fit is not None and fit.text == plate.text and not fit.corrections, plate
    assert {cn_plate_type(p.text) for p in plates} == set(CN_PLATE_TYPES)
    provinces = Counter(p.text[0] for p in plates if p.text[0] in CN_PROVINCES
                        and cn_plate_type(p.text) != "hk-macau")     # those are all 粤Z
    assert set(provinces) == set(CN_PROVINCES)
    assert max(provinces.values()) < 2.2 * min(provinces.values())   # drawn evenly
    assert any(p.rows == 2 for p in plates) and any(p.kind == "green" for p in plates)


def test_faces_have_the_standards_proportions_and_repeat_for_a_seed():
    one = draw_cn_plate(np.random.default_rng(1), CnPlate("鲁A12345", "blue"), 0.5)
    assert one.shape == (70, 220, 3)                                  # 440 x 140 mm
    assert draw_cn_plate(np.random.default_rng(1), CnPlate("鲁AD12345", "green"), 0.5).shape \
        == (70, 240, 3)                                               # 480 x 140 mm
    assert draw_cn_plate(np.random.default_rng(1), CnPlate("鲁A12345", "yellow", 2), 0.5).shape \
        == (110, 220, 3)                                              # 440 x 220 mm
    again = draw_cn_plate(np.random.default_rng(1), CnPlate("鲁A12345", "blue"), 0.5)
    np.testing.assert_array_equal(one, again)


def test_a_blue_plate_is_blue_with_white_lettering_and_police_red_shows():
    blue = draw_cn_plate(np.random.default_rng(2), CnPlate("鲁A12345", "blue"), 0.5)
    b, g, r = (blue[..., i] for i in range(3))
    assert ((b > r + 60) & (b > g + 30)).mean() > 0.4                 # the field
    assert ((b > 200) & (g > 200) & (r > 200)).mean() > 0.05          # the lettering
    police = draw_cn_plate(np.random.default_rng(2), plate_for("鲁A1234警"), 0.5)
    b, g, r = (police[..., i] for i in range(3))
    assert ((r > 150) & (b < 90) & (g < 90)).sum() > 40               # a red 警
    assert plate_for("鲁A1234警").kind == "white" and plate_for("粤Z1234港").kind == "black"
    assert plate_for("鲁AD12345").kind == "green" and plate_for("鲁A12345D").kind == "green-yellow"

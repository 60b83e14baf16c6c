import pytest

from checkpoint.grammar import is_plausible
from checkpoint.wire.plates import normalise


@pytest.mark.parametrize("raw, expected", [
    ("KA 482 BC", "KA482BC"),
    ("ka-482-bc", "KA482BC"),
    ("ＫＡ４８２ＢＣ", "KA482BC"),       # full-width, as some terminals type
    ("京A·12345", "京A12345"),
    ("  b mx 4473 ", "BMX4473"),
    ("KA482BC!", "KA482BC"),
    ("", ""),
])
def test_normalise(raw, expected):
    assert normalise(raw) == expected


def test_normalise_is_idempotent():
    for raw in ["KA 482 BC", "京A·12345", "ＫＡ４８２ＢＣ", "b mx-4473"]:
        assert normalise(normalise(raw)) == normalise(raw)


@pytest.mark.parametrize("plate, region, ok", [
    ("京A12345", "cn", True),
    ("粤BD12345", "cn", True),        # new-energy, small vehicle
    ("粤B12345D", "cn", True),        # new-energy, large vehicle
    ("粤B1234", "cn", False),         # too short
    ("A12345", "cn", False),          # no province
    ("KA482BC", "eu", True),
    ("KABCDEF", "eu", False),         # European plates carry digits
    ("ABC1D23", "br", True),          # Mercosur
    ("ABC1234", "br", True),
    ("AB12345", "br", False),
    ("B123ABC", "ro", True),
    ("KA482BC", None, True),
    ("STOP", None, False),            # road text, not a plate
    ("EXIT", None, False),
])
def test_is_plausible(plate, region, ok):
    assert is_plausible(plate, region) is ok

"""Plate text as kakou writes it: the one normaliser, the wildcard form, the confusion table."""
import pytest

from checkpoint.wire.plates import (CN_PROVINCES, CONFUSIONS, MATCHER_CLASSES, normalise,
                                    normalise_wildcard, partners, spell)


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


@pytest.mark.parametrize("pattern, expected", [
    ("KA 482 *", "KA482*"),
    ("ka-48?-bc", "KA48?BC"),
    ("鲁A·12*", "鲁A12*"),
    ("ＫＡ＊", "KA*"),                 # full-width, wildcard too
    ("^KA[0-9]{3}BC$", None),         # a regex
    ("KA|KB", None),                  # alternation is a regex, not separators
    ("KA(48)*", None),
    ("", None),
    ("- .", None),                    # nothing but separators
])
def test_wildcard_patterns_are_normalised_and_regexes_are_not(pattern, expected):
    assert normalise_wildcard(pattern) == expected


def test_each_confusion_class_is_a_digit_then_letters_and_no_character_is_in_two():
    seen = [c for chars, _ in CONFUSIONS for c in chars]
    assert len(seen) == len(set(seen))
    for chars, _ in CONFUSIONS:
        assert chars[0].isdigit() and chars[1:].isalpha() and chars[1:].isupper()
    assert "4A" not in MATCHER_CLASSES and "0ODQ" in MATCHER_CLASSES


@pytest.mark.parametrize("char, expected", [
    ("0", "ODQ"), ("O", "0"), ("D", "0"), ("Q", "0"), ("1", "IL"), ("L", "1"),
    ("4", "A"), ("A", "4"), ("8", "B"), ("B", "8"), ("X", ""), ("9", ""), ("鲁", ""),
])
def test_partners_are_what_a_read_character_may_really_be(char, expected):
    assert partners(char) == expected


def test_us_plates_are_spelt_with_zero_for_the_letter_o():
    assert spell("CO0LO", "us") == "C00L0" and spell("CO0LO", "US") == "C00L0"
    assert spell("CO0LO", "eu") == "CO0LO" and spell("CO0LO", None) == "CO0LO"


def test_every_province_character_survives_normalising():
    assert normalise(CN_PROVINCES) == CN_PROVINCES

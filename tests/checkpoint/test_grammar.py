"""Region grammars and letter/digit confusion correction (``checkpoint.grammar.fit_plate``).

The formats and confusion pairs are restated here rather than imported, so that the tests are
a second, independent statement of what a plate of each region looks like.
"""
from string import ascii_uppercase, digits

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from checkpoint.grammar import PlateFit, fit_plate, is_plausible, position_formats
from checkpoint.wire.plates import CN_PROVINCES, REGIONS

CN_LETTERS = ascii_uppercase.replace("I", "").replace("O", "")
CLASSES = {
    "L": ascii_uppercase, "D": digits, "B": "B",
    "P": CN_PROVINCES, "C": CN_LETTERS, "S": CN_LETTERS + digits, "E": "DF", "X": "学警挂港澳领临",
}
FORMATS = {
    "cn": ("PCSSSSS", "PCESSSSS", "PCDDDDDE", "PCSSSSX"),   # and, read exactly only, the
                                                            # embassy, military and WJ plates
    "br": ("LLLDDDD", "LLLDLDD"),
    "ro": ("LLDDLLL", "BDDLLL", "BDDDLLL"),
}
#: The confusion pairs, both ways round.
PAIRS = [("O", "0"), ("Q", "0"), ("D", "0"), ("I", "1"), ("L", "1"), ("Z", "2"), ("S", "5"),
         ("B", "8"), ("G", "6"), ("T", "7"), ("A", "4")]
CONFUSABLE = {c: {b if a == c else a for a, b in PAIRS if c in (a, b)}
              for pair in PAIRS for c in pair}


def fits(text, region, corrections=()):
    return PlateFit(text, region, corrections)


# --- every format of every region -------------------------------------------------------------

@pytest.mark.parametrize("plate, region", [
    ("京A12345", "cn"), ("沪AB12C3", "cn"),           # ordinary
    ("粤BD12345", "cn"), ("粤BFA1234", "cn"),         # new-energy, small
    ("粤B12345D", "cn"), ("粤B12345F", "cn"),         # new-energy, large
    ("京A1234学", "cn"), ("京A1234警", "cn"), ("京A1234挂", "cn"),
    ("粤Z1234港", "cn"), ("粤Z1234澳", "cn"), ("沪A1234领", "cn"), ("京A1234临", "cn"),
    ("使123456", "cn"), ("VA12345", "cn"), ("WJ京1234X", "cn"), ("WJ京12345", "cn"),
    ("ABC1234", "br"), ("ABC1D23", "br"),
    ("CJ12ABC", "ro"), ("B12ABC", "ro"), ("B123ABC", "ro"),
    ("KA482BC", "eu"), ("1A34", "eu"), ("AB12CD345X", "eu"),
    ("A1", "us"), ("7ABC123", "us"), ("G0TCHA", "us"), ("1234567X", "us"),
])
def test_every_format_fits_as_is(plate, region):
    assert fit_plate(plate, region) == fits(plate, region)
    assert is_plausible(plate, region)


def test_us_plates_are_written_with_0_for_o():
    assert fit_plate("HKOE7C", "us") == fits("HK0E7C", "us")   # a spelling, not a correction
    assert is_plausible("HKOE7C", "us")
    assert fit_plate("GOTCHA", "us") is None      # an O is no digit: words are still not plates
    assert fit_plate("COLORADO", "us") is None
    assert fit_plate("O4", "us") is None          # written 04: no letter left, and all-digit
    assert fit_plate("1O2345", "us") is None      # plates of no known format are given up
    assert fit_plate("RK340AO", "eu").text == "RK340AO"        # other regions keep their O


def test_text_is_normalised_first():
    assert fit_plate("京A·12345", "cn") == fits("京A12345", "cn")
    assert fit_plate("ab-c 1234", "br") == fits("ABC1234", "br")


# --- rejections --------------------------------------------------------------------------------

@pytest.mark.parametrize("text, region", [
    ("", "cn"), ("京A1234", "cn"), ("京A1234567", "cn"),        # wrong lengths
    ("AB12345", "cn"), ("A京12345", "cn"),                       # no province, or not first
    ("京学12345", "cn"), ("京A12345学", "cn"),                    # special char in wrong place
    ("粤BX1234Y", "cn"),                                          # 8 chars, no new-energy mark
    ("京A123学4", "cn"),
    ("ABC123", "br"), ("ABC12345", "br"), ("ABCDEFG", "br"), ("AB12345", "br"),
    ("A12ABC", "ro"), ("AB12AB", "ro"), ("ABC12ABC", "ro"), ("B1234ABC", "ro"),
    ("ABC", "eu"), ("KABCDEF", "eu"), ("AB12CD345XY", "eu"), ("京A12345", "eu"),
    ("A", "us"), ("ABC123456", "us"), ("京A12", "us"),
    ("TEXAS", "us"), ("GOTCHA", "us"),                              # no digit: not a plate here
    ("1234", "eu"), ("12345678", "us"), ("2210", None),             # no letter: nor here
])
def test_rejected(text, region):
    assert not is_plausible(text, region)


@pytest.mark.parametrize("text, region", [
    ("ABCDEFG", "br"),       # letters where Mercosur/old need digits, none confusable (C, E, F)
    ("京A1234", "cn"),
    ("A12ABC", "ro"),        # one letter but not B, and A does not read as B
    ("ABC", "eu"),
    ("京A12345", "us"),
    ("粤B12345O", "cn"),     # 8 chars: O is no new-energy mark, and only 0 reads as D
])
def test_cannot_be_a_plate_of_the_region(text, region):
    assert fit_plate(text, region) is None


def test_regions():
    assert REGIONS == ("cn", "eu", "us", "br", "ro")


def test_unknown_region_is_an_error():
    with pytest.raises(ValueError, match="mars"):
        fit_plate("ABC1234", "mars")


# --- confusion correction ----------------------------------------------------------------------

@pytest.mark.parametrize("letter, digit", [
    ("O", "0"), ("Q", "0"), ("D", "0"), ("I", "1"), ("L", "1"), ("Z", "2"), ("S", "5"),
    ("B", "8"), ("G", "6"), ("T", "7"), ("A", "4"),
])
def test_letter_in_a_digit_slot_reads_as_its_digit(letter, digit):
    assert fit_plate(f"ABC12{letter}4", "br") == fits(f"ABC12{digit}4", "br", (5,))


@pytest.mark.parametrize("digit, letter", [
    ("0", "O"), ("1", "I"), ("2", "Z"), ("5", "S"), ("8", "B"), ("6", "G"), ("7", "T"), ("4", "A"),
])
def test_digit_in_a_letter_slot_reads_as_its_letter(digit, letter):
    assert fit_plate(f"A{digit}C1234", "br") == fits(f"A{letter}C1234", "br", (1,))


def test_digits_without_a_letter_partner_are_not_guessed():
    assert fit_plate("A3C1234", "br") is None
    assert fit_plate("A9C1234", "br") is None


def test_corrections_in_several_slots():
    assert fit_plate("4BC13Z5", "br") == fits("ABC1325", "br", (0, 5))
    assert fit_plate("C112A8C", "ro") == fits("CI12ABC", "ro", (1, 5))


def test_bucharest_b_slot_takes_8():
    assert fit_plate("8123ABC", "ro") == fits("B123ABC", "ro", (0,))
    assert fit_plate("812ABC", "ro") == fits("B12ABC", "ro", (0,))


# CN letters never include I or O: in a serial slot I and O read as 1 and 0; in the authority
# letter slot 0 reads as D and 1 as L (their other confusions); in the new-energy slot 0 is D.

@pytest.mark.parametrize("text, fitted, corrected", [
    ("京AO2345", "京A02345", (2,)),
    ("京A1234I", "京A12341", (6,)),
    ("京0O2I45", "京D02145", (1, 2, 4)),
    ("京112345", "京L12345", (1,)),
    ("京812345", "京B12345", (1,)),
    ("粤B012345", "粤BD12345", (2,)),            # small new-energy: mark before the serial
])
def test_cn_i_and_o(text, fitted, corrected):
    assert fit_plate(text, "cn") == fits(fitted, "cn", corrected)


def test_province_character_is_never_altered():
    assert fit_plate("A京12345", "cn") is None
    assert fit_plate("8A12345", "cn") is None              # 8 is not a province
    assert fit_plate("京A12345", "cn").text[0] == "京"
    assert fit_plate("学A12345", "cn") is None             # nor is a special-use character


def test_embassy_military_and_armed_police_plates_are_read_exactly_or_not_at_all():
    assert fit_plate("使12345B", "cn") is None             # not corrected to 使123458
    assert fit_plate("8A12345", "cn") is None              # not corrected to military BA12345
    assert fit_plate("VAI2345", "cn") is None              # nor VA12345
    assert fit_plate("W J京1234X", "cn") == fits("WJ京1234X", "cn")
    assert fit_plate("WJ京I234X", "cn") is None


def test_plate_types_are_told_by_the_text():
    from checkpoint.grammar import CN_PLATE_TYPES, cn_plate_type

    cases = {"京A12345": "ordinary", "粤BD12345": "new-energy", "粤B12345F": "new-energy",
             "京A1234警": "police", "京A1234学": "learner", "京A1234挂": "trailer",
             "粤Z1234港": "hk-macau", "粤Z1234澳": "hk-macau", "沪A1234领": "consulate",
             "京A1234临": "temporary", "使123456": "embassy", "VA12345": "military",
             "WJ京1234X": "armed-police"}
    assert {cn_plate_type(t) for t in cases} == set(CN_PLATE_TYPES)
    assert all(cn_plate_type(t) == kind for t, kind in cases.items())
    assert cn_plate_type("KA482BC") is None and cn_plate_type("京AO2345") is None   # as read


def test_special_ending_is_not_corrected():
    assert fit_plate("京A12345", "cn") == fits("京A12345", "cn")   # an ordinary plate, not 5 → 学
    assert fit_plate("京A1234警", "cn").text.endswith("警")


# --- choosing between formats ------------------------------------------------------------------

def test_fewest_corrections_wins():
    assert fit_plate("ABC1D23", "br") == fits("ABC1D23", "br")      # Mercosur as is, not D → 0
    assert fit_plate("ABC1023", "br") == fits("ABC1023", "br")      # old as is, not 0 → O
    assert fit_plate("B812ABC", "ro") == fits("B812ABC", "ro")      # Bucharest, not county BB
    assert fit_plate("BB12ABC", "ro") == fits("BB12ABC", "ro")      # county, not Bucharest 8
    assert fit_plate("粤BD1234D", "cn") == fits("粤BD1234D", "cn")  # small, not large with D → 0


def test_tie_goes_to_the_first_listed_format():
    # small new-energy 粤BD12340 and large 粤B01234D are one correction each
    assert fit_plate("粤B012340", "cn") == fits("粤BD12340", "cn", (2,))


# --- no region ---------------------------------------------------------------------------------

@pytest.mark.parametrize("plate, region", [
    ("京A12345", "cn"), ("粤BD12345", "cn"), ("京A1234警", "cn"),
    ("ABC1234", "br"), ("ABC1D23", "br"), ("B123ABC", "ro"), ("CJ12ABC", "ro"),
    ("KA482BC", None), ("1A34", None), ("AB12CD345X", None),
])
def test_without_a_region_the_exact_format_names_the_region(plate, region):
    assert fit_plate(plate, None) == fits(plate, region)


@pytest.mark.parametrize("text, fitted", [
    ("8123ABC", "8123ABC"),        # would be Bucharest B123ABC with a region: kept as read
    ("ABC12Z4", "ABC12Z4"),        # would be Brazilian ABC1224
    ("京AO2345", None),            # CN only after correcting O; CN characters have no generic shape
    ("京A1234", None),
    ("STOP", None),
    ("EXIT12345678", None),
])
def test_without_a_region_nothing_is_corrected(text, fitted):
    fit = fit_plate(text, None)
    assert fit == (fits(fitted, None) if fitted else None)


# --- properties --------------------------------------------------------------------------------

def plates(fmt):
    return st.tuples(*(st.sampled_from(CLASSES[cls]) for cls in fmt)).map("".join)


REGION_FORMATS = [(region, fmt) for region, fmts in FORMATS.items() for fmt in fmts]
FORMATTED = st.sampled_from(REGION_FORMATS).flatmap(
    lambda rf: st.tuples(st.just(rf[0]), plates(rf[1])))
ALNUM = ascii_uppercase + digits
US_ALNUM = ALNUM.replace("O", "")  # a US plate is written with 0 for O (test below)
US = st.tuples(st.text(US_ALNUM, min_size=0, max_size=6), st.sampled_from(digits),
               st.sampled_from(ascii_uppercase.replace("O", "")), st.integers(0, 6)) \
    .map(lambda t: t[0][:t[3]] + t[1] + t[0][t[3]:] + t[2])  # 2-8 characters, a digit, a letter
EU = st.tuples(st.text(ALNUM, min_size=2, max_size=8), st.sampled_from(digits),
               st.sampled_from(ascii_uppercase), st.integers(0, 8)) \
    .map(lambda t: t[2] + t[0][:t[3]] + t[1] + t[0][t[3]:]) \
    .filter(lambda p: len(p) not in (7, 8))  # 4-10 characters, a letter, a digit; 7 and 8 may
#                          be a national format (after a band letter), corrected on purpose (below)
SHAPED = st.tuples(st.just("us"), US) | st.tuples(st.just("eu"), EU)


@given(FORMATTED | SHAPED)
def test_valid_plates_fit_unchanged(region_plate):
    region, plate = region_plate
    assert fit_plate(plate, region) == fits(plate, region)


@given(FORMATTED)
def test_valid_plates_fit_unchanged_without_a_region(region_plate):
    region, plate = region_plate
    assert fit_plate(plate, None) == fits(plate, region)


def one_confusion_away(text):
    return {text[:i] + c + text[i + 1:]
            for i, ch in enumerate(text) for c in CONFUSABLE.get(ch, ())}


@given(st.data())
def test_one_confusion_in_a_wrong_class_slot_is_undone(data):
    region, fmt = data.draw(st.sampled_from(REGION_FORMATS))
    plate = data.draw(plates(fmt))
    misreads = [(i, x) for i, (ch, cls) in enumerate(zip(plate, fmt))
                for x in sorted(CONFUSABLE.get(ch, ())) if x not in CLASSES[cls]]
    assume(misreads)
    i, x = data.draw(st.sampled_from(misreads))
    misread = plate[:i] + x + plate[i + 1:]
    # Only when the original is the one valid plate a single confusion away is there one answer.
    assume(not any(is_plausible(p, region) for p in one_confusion_away(misread) | {misread}
                   if p != plate))
    assert fit_plate(misread, region) == fits(plate, region, (i,))


def noisy(plate):
    """The plate with any of its characters possibly misread as a confusion partner."""
    return st.tuples(*(st.sampled_from([c, *sorted(CONFUSABLE.get(c, ()))]) for c in plate)) \
        .map("".join)


NOISY = (FORMATTED | SHAPED).flatmap(lambda rp: st.tuples(st.just(rp[0]), noisy(rp[1])))


@given(NOISY, st.booleans())
def test_fitting_is_idempotent(region_text, with_region):
    region, text = region_text
    region = region if with_region else None
    fit = fit_plate(text, region)
    assume(fit is not None)
    assert fit_plate(fit.text, region) == fits(fit.text, fit.region)
    assert is_plausible(fit.text, region)


# --- European national formats -----------------------------------------------------------------

@pytest.mark.parametrize("read, plate, corrections, start", [
    ("RK340A0", "RK340AO", (6,), 0),      # Slovakia / France / Italy: LLDDDLL
    ("BA2681M", "BA268IM", (5,), 0),
    ("0Y09FEU", "OY09FEU", (0,), 0),      # United Kingdom: LLDDLLL
    ("1234BCD", "1234BCD", (), 0),        # Spain: DDDDLLL
    ("GRK115AN", "RK115AN", (), 1),       # the blue band's country code read as a letter
    ("HBY649AG", "BY649AG", (), 1),
    ("HBY649A6", "HBY649A6", (), 0),      # after a band letter only an exact format is taken
    ("1B80338", "1B80338", (), 0),        # Czechia: DLDDDDD, not Poland's LLDDDDD corrected
    ("KAAB1234", "KAAB1234", (), 0),      # Germany: no format checked, the shape is enough
    ("B1234X", "B1234X", (), 0),
])
def test_european_formats_correct_confusions_and_drop_a_band_letter(read, plate, corrections,
                                                                    start):
    fit = fit_plate(read, "eu")
    assert (fit.text, fit.corrections, fit.start) == (plate, corrections, start)
    assert is_plausible(read, "eu") is (not corrections and not start)


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


@pytest.mark.parametrize("region", ["cn", "br", "ro"])
def test_position_formats_say_what_each_position_allows(region):
    exact_only = {"YDDDDDD", "MCDDDDD", "WJPSSSSS"}        # embassy, military, armed police
    restated = {**CLASSES, "Y": "使", "M": "VKHBSLJNGCZ", "W": "W", "J": "J"}
    formats = FORMATS[region] + (("YDDDDDD", "MCDDDDD", "WJPSSSSS") if region == "cn" else ())
    # a read may hold what fit_plate corrects: an allowed character or a confusion partner of one
    read_as = {cls: chars + "".join(c for c in CONFUSABLE if CONFUSABLE[c] & set(chars))
               for cls, chars in restated.items()}
    assert {(tuple(frozenset(p) for p in f.positions), f.exact_only)
            for f in position_formats(region)} == \
        {(tuple(frozenset(restated[c] if fmt in exact_only else read_as[c]) for c in fmt),
          fmt in exact_only) for fmt in formats}


def test_regions_checked_by_shape_have_no_position_formats():
    assert position_formats("us") == () == position_formats("eu")

"""Document verification (checkpoint/verify.py) on the specimens of ICAO Doc 9303 and GB 11643,
and properties of the check digits over generated fields."""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checkpoint.verify import (cn_card_validity_years, cn_id_check_char, correct_mrz,
                               icao_check_digit, mrz_date, verdict_of, verify_cn_id, verify_mrz)

# ICAO Doc 9303 specimens (Utopia, Anna Maria Eriksson, expiring 2012-04-15)
TD3 = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
       "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]
TD2 = ["I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
       "D231458907UTO7408122F1204159<<<<<<<6"]
TD1 = ["I<UTOD231458907<<<<<<<<<<<<<<<",
       "7408122F1204159UTO<<<<<<<<<<<6",
       "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"]
# TD1 with a 12-character document number continued in the optional data (Doc 9303 part 5)
TD1_LONG = ["I<UTOD23145890<7349<<<<<<<<<<<",
            "3407127M9507122UTO<<<<<<<<<<<2",
            "STEVENSON<<PETER<JOHN<<<<<<<<<"]
BEFORE_EXPIRY = date(2010, 1, 1)
AFTER_EXPIRY = date(2026, 12, 1)


@pytest.mark.parametrize(("lines", "layout", "number"), [
    (TD3, "icao-td3", "L898902C3"), (TD2, "icao-td2", "D23145890"),
    (TD1, "icao-td1", "D23145890"), (TD1_LONG, "icao-td1", "D23145890734")])
def test_specimens_are_valid_before_expiry(lines, layout, number):
    v = verify_mrz(lines, BEFORE_EXPIRY)
    assert (v.document_type, v.verdict, v.issuing_state, v.number) == (layout, "valid", "UTO",
                                                                        number)
    assert all(v.checks.values()) and v.failed == []


@pytest.mark.parametrize("lines", [TD3, TD2, TD1])
def test_specimens_are_expired_after_expiry(lines):
    v = verify_mrz(lines, AFTER_EXPIRY)
    assert v.verdict == "expired" and v.failed == ["not_expired"]
    assert v.expiry == date(2012, 4, 15)


def _replace(lines: list[str], row: int, col: int, char: str) -> list[str]:
    out = list(lines)
    out[row] = out[row][:col] + char + out[row][col + 1:]
    return out


@pytest.mark.parametrize(("lines", "row", "col", "failed"), [
    (TD3, 1, 9, "document_number_check_digit"),    # the number's digit 6 -> 7
    (TD3, 1, 19, "birth_date_check_digit"),
    (TD3, 1, 27, "expiry_date_check_digit"),
    (TD3, 1, 42, "optional_data_check_digit"),
    (TD3, 1, 43, "composite_check_digit"),
    (TD2, 1, 35, "composite_check_digit"),
    (TD1, 1, 29, "composite_check_digit"),
    (TD1, 0, 14, "document_number_check_digit"),
])
def test_a_wrong_check_digit_is_invalid_and_named(lines, row, col, failed):
    digit = lines[row][col]
    wrong = str((int(digit) + 1) % 10) if digit.isdigit() else "1"
    v = verify_mrz(_replace(lines, row, col, wrong), BEFORE_EXPIRY)
    assert v.verdict == "invalid" and failed in v.failed


def test_a_misread_number_character_fails_its_digit_and_the_composite():
    v = verify_mrz(_replace(TD3, 1, 4, "8"), BEFORE_EXPIRY)    # L898902C3 -> L898802C3
    assert set(v.failed) == {"document_number_check_digit", "composite_check_digit"}


@pytest.mark.parametrize("lines", [
    TD3[:1], [TD3[0], TD3[1][:-1]], ["P<UTO" + "é" * 39, TD3[1]], []])
def test_not_a_layout_is_unreadable(lines):
    assert verify_mrz(lines, BEFORE_EXPIRY).verdict == "unreadable"


def test_spaces_and_case_from_an_ocr_read_are_tolerated():
    assert verify_mrz([" ".join(TD3[0]).lower(), TD3[1]], BEFORE_EXPIRY).verdict == "valid"


def test_an_impossible_date_is_invalid_even_with_its_check_digit():
    birth = "741312"                                            # month 13
    line = TD3[1][:13] + birth + str(icao_check_digit(birth)) + TD3[1][20:]
    line = line[:43] + str(icao_check_digit(line[0:10] + line[13:20] + line[21:43]))
    v = verify_mrz([TD3[0], line], BEFORE_EXPIRY)
    assert v.verdict == "invalid" and v.failed == ["birth_date_real"]


def test_two_digit_years():
    today = date(2026, 12, 1)
    assert mrz_date("301231", birth=False, today=today) == date(2030, 12, 31)  # expiry: 20YY
    assert mrz_date("991231", birth=False, today=today) == date(2099, 12, 31)
    assert mrz_date("301231", birth=True, today=today) == date(1930, 12, 31)   # in the past
    assert mrz_date("261201", birth=True, today=today) == date(2026, 12, 1)    # today is past
    assert mrz_date("261202", birth=True, today=today) == date(1926, 12, 2)
    assert mrz_date("000229", birth=True, today=today) == date(2000, 2, 29)
    assert mrz_date("010229", birth=True, today=today) is None                # no such day
    assert mrz_date("0102<9", birth=True, today=today) is None


def test_check_digit_of_the_specimen_fields():
    assert icao_check_digit("L898902C3") == 6
    assert icao_check_digit("740812") == 2
    assert icao_check_digit("<<<<") == 0


@given(st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<", min_size=1, max_size=20),
       st.data())
def test_check_digit_catches_every_single_digit_substitution(text, data):
    digits = [i for i, c in enumerate(text) if c.isdigit()]
    if not digits:
        return
    i = data.draw(st.sampled_from(digits))
    other = data.draw(st.sampled_from([d for d in "0123456789" if d != text[i]]))
    assert icao_check_digit(text) != icao_check_digit(text[:i] + other + text[i + 1:])


def test_verdict_of():
    assert verdict_of({}) == "valid"
    assert verdict_of({"a": True, "not_expired": False}) == "expired"
    assert verdict_of({"a": False, "not_expired": False}) == "invalid"


# --------------------------------------------------------------------------- PRC resident ID

TODAY = date(2026, 12, 1)


@pytest.mark.parametrize(("number", "warnings"), [
    ("11010519491231002X", ()), ("11010519491231002x", ()),
    # Chaoyang county, Shantou: retired in 2003, so a warning, and still a valid card number
    ("440524188001010014", ("address code 4405xx is not in the current GB/T 2260 table "
                            "(retired since the card was issued, or misread)",))])
def test_gb11643_specimens_are_valid(number, warnings):
    v = verify_cn_id(number, TODAY)
    assert (v.document_type, v.verdict, v.issuing_state, v.warnings) == (
        "cn-resident-id", "valid", "CHN", warnings)
    assert v.number == number.upper()


def test_the_address_table_holds_counties_cities_provinces_and_hk_macau_taiwan():
    from checkpoint.cn_regions import ADDRESS_CODES

    assert {"110105", "370102", "441900", "370100", "370000", "810000", "830000"} <= ADDRESS_CODES
    assert len(ADDRESS_CODES) > 3000 and all(len(c) == 6 and c.isdigit() for c in ADDRESS_CODES)


def test_wrong_check_character_is_invalid():
    v = verify_cn_id("110105194912310021", TODAY)
    assert v.verdict == "invalid" and v.failed == ["check_character"]


@pytest.mark.parametrize("birth", ["19490231", "20270101", "19491331"])
def test_unreal_or_future_birth_date_is_invalid(birth):
    first = "110105" + birth + "002"
    v = verify_cn_id(first + cn_id_check_char(first), TODAY)
    assert v.verdict == "invalid" and v.failed == ["birth_date_real"]


def test_fifteen_digit_numbers_are_not_card_numbers():
    v = verify_cn_id("110105491231002", TODAY)
    assert v.verdict == "invalid" and v.failed == ["eighteen_characters"] and v.warnings


@pytest.mark.parametrize("number", ["", "1101051949123100", "11010519491231002Y",
                                    "1101051949A231002X", "11010519491231002X1"])
def test_not_an_id_number_is_unreadable(number):
    assert verify_cn_id(number, TODAY).verdict == "unreadable"


def test_an_unknown_address_code_is_a_warning_only():
    first = "990105194912310"[:14] + "002"
    v = verify_cn_id(first + cn_id_check_char(first), TODAY)
    assert v.verdict == "valid" and v.warnings == ("address code 99xxxx is not a known province",)


@given(st.text(alphabet="0123456789", min_size=17, max_size=17), st.integers(0, 16), st.data())
def test_cn_check_character_catches_every_single_digit_substitution(first, i, data):
    other = data.draw(st.sampled_from([d for d in "0123456789" if d != first[i]]))
    assert cn_id_check_char(first) != cn_id_check_char(first[:i] + other + first[i + 1:])


@pytest.mark.parametrize(("age", "years"), [(0, 5), (15, 5), (16, 10), (25, 10), (26, 20),
                                            (45, 20), (46, None), (90, None)])
def test_card_validity_by_age_at_issue(age, years):
    assert cn_card_validity_years(age) == years


def test_validity_period_that_fits_the_age_gives_no_warning():
    # born 1949-12-31; issued 2010-01-10 at 60: long-term
    v = verify_cn_id("11010519491231002X", TODAY, valid_from=date(2010, 1, 10))
    assert v.verdict == "valid" and v.warnings == () and v.expiry is None


def test_validity_period_that_does_not_fit_is_a_warning_and_expiry_is_checked():
    v = verify_cn_id("11010519491231002X", TODAY, valid_from=date(2010, 1, 10),
                     valid_until=date(2020, 1, 10))
    assert v.verdict == "expired" and v.failed == ["not_expired"]
    assert v.warnings == ("validity period 10 years does not match the holder's age at issue "
                          "(long-term)",)


def test_a_card_still_valid():
    first = "11010520100101003"                               # born 2010-01-01
    number = first + cn_id_check_char(first)
    v = verify_cn_id(number, TODAY, valid_from=date(2024, 3, 1), valid_until=date(2029, 3, 1))
    assert v.verdict == "valid" and v.warnings == () and v.expiry == date(2029, 3, 1)


# ------------------------------------------------------------------------- correcting a read

@pytest.mark.parametrize("lines", [TD3, TD2, TD1, TD1_LONG])
def test_a_right_read_is_left_alone(lines):
    assert correct_mrz(lines) == lines


def test_look_alikes_are_swapped_for_what_each_field_holds():
    read = ["P<UT0ERIKSS0N<<ANNA<MAR1A<<<<<<<<<<<<<<<<<<<",     # digits in letter fields
            "L898902C36UT074O8I22F12O4I59ZE184226B<<<<<IO"]     # letters in digit fields
    assert correct_mrz(read) == TD3
    assert verify_mrz(correct_mrz(read), BEFORE_EXPIRY).verdict == "valid"


def test_a_document_number_is_not_guessed_from_its_check_digit():
    # LB98902C3: three look-alike swaps (B→8, 8→B, 2→Z) each pass the number's check digit
    # and the composite; none is chosen, and verification rejects the read
    read = _replace(TD3, 1, 1, "B")
    assert correct_mrz(read) == read
    assert verify_mrz(read, BEFORE_EXPIRY).verdict == "invalid"


def test_lines_of_no_layout_come_back_cleaned_only():
    assert correct_mrz([" p<uto 123 "]) == ["P<UTO123"]

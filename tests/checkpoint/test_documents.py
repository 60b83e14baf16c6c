"""Picking a document's text out of a photo's read lines (checkpoint/documents.py): the MRZ's
lines however the detector split them and the recogniser miscounted fillers, the document
number put right only by the recogniser's own alternative, and a PRC number."""
from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from checkpoint.documents import (TextLine, find_cn_number, find_mrz, fit_length, join_rows,
                                  mrz_char)
from checkpoint.lab.documents import make_mrz
from checkpoint.verify import icao_check_digit, verify_mrz
from checkpoint.wire.edge import DocumentType

TD3 = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
       "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]
TD1 = ["I<UTOD231458907<<<<<<<<<<<<<<<",
       "7408122F1204159UTO<<<<<<<<<<<6",
       "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"]
TODAY = date(2010, 1, 1)


def lines(*texts: str) -> list[TextLine]:
    return [TextLine(t, 100.0, 50.0 + 40 * i, 30.0) for i, t in enumerate(texts)]


def test_mrz_alphabet():
    assert [mrz_char(c) for c in "a<Ｚ9 «-"] == ["A", "<", "Z", "9", "", "", ""]


@pytest.mark.parametrize(("line", "fitted"), [
    ("AB<<<<CD<<", "AB<<<<CD<<"),
    ("AB<<<<<<CD<", "AB<<<<<CD<"),       # one filler too many: the longest run loses it
    ("AB<<<CD<", "AB<<<CD<<<"),          # too short, ends in fillers: they were cut off
    ("AB<<<CD12", "AB<<<<CD12"),         # too short, ends in data: the longest run grows
    ("ABCDEFGH", "ABCDEFGH<<"),          # no fillers: padded at the end
    ("ABCDEFGHIJKL", "ABCDEFGHIJKL"),    # too long and no fillers to lose: as it is
])
def test_fit_length(line, fitted):
    assert fit_length(line, 10) == fitted


@given(st.integers(-5, 5))
def test_fit_length_gives_the_length_whenever_the_fillers_allow(gap):
    line = "P<UTOERIKSSON<<ANNA<MARIA" + "<" * (19 + gap)
    assert len(fit_length(line, 44)) == 44 and fit_length(line, 44).startswith(line[:25])


def test_a_specimen_read_whole_is_found():
    assert find_mrz(lines("SOME HEADER TEXT", *TD3)) == (DocumentType.ICAO_TD3, TD3)
    assert find_mrz(lines(*TD1)) == (DocumentType.ICAO_TD1, TD1)


def test_miscounted_fillers_and_a_cut_off_name_line_are_fitted():
    read = [TD3[0][:27], TD3[1].replace("<<<<<", "<<<<<<<")]
    assert find_mrz(lines(*read)) == (DocumentType.ICAO_TD3, TD3)


def test_a_line_split_in_two_pieces_is_joined():
    left = TextLine(TD3[1][:20], 60.0, 90.0, 30.0)
    right = TextLine(TD3[1][20:], 300.0, 92.0, 30.0)
    top = TextLine(TD3[0], 180.0, 50.0, 30.0)
    assert join_rows([right, top, left])[1].text == TD3[1]
    assert find_mrz([right, top, left]) == (DocumentType.ICAO_TD3, TD3)


def test_look_alikes_in_letter_and_digit_fields_are_put_right():
    read = TD3[1][:13] + "74O8I22" + TD3[1][20:]        # O and I in the birth date
    assert find_mrz(lines(TD3[0], read))[1][1] == TD3[1]


def test_a_number_failing_its_check_digit_is_never_put_right_by_a_guess():
    """A forged number (one digit altered) stays invalid: no look-alike swap in the number
    field is tried, though one in ten would pass the check digit by chance."""
    rng = np.random.default_rng(3)
    forged = list(make_mrz(rng, DocumentType.ICAO_TD3, TODAY, forged=True))
    assert verify_mrz(forged, TODAY).verdict == "invalid"
    kind, read = find_mrz(lines(*forged))
    assert read == forged and verify_mrz(read, TODAY).verdict == "invalid"
    number = "O" + forged[1][1:9]            # a number opening with the letter O, read as 0
    body = number + str(icao_check_digit(number)) + forged[1][10:43]
    genuine = [forged[0], body + str(icao_check_digit(body[0:10] + body[13:20] + body[21:43]))]
    misread = ["0" + genuine[1][1:] if i else line for i, line in enumerate(genuine)]
    assert find_mrz(lines(*misread))[1][1] == misread[1]     # fails its check: retake


def test_no_mrz_among_ordinary_lines():
    assert find_mrz(lines("REPUBLIC OF UTOPIA", "PASSPORT", "ERIKSSON ANNA")) is None


def test_a_prc_number_is_found_with_look_alikes_read_as_digits():
    assert find_cn_number(lines("公民身份号码", "11010519491231002X")) == "11010519491231002X"
    assert find_cn_number(lines("44O524188OO1O1OO14")) == "440524188001010014"
    assert find_cn_number(lines("NOT A NUMBER 12345")) is None

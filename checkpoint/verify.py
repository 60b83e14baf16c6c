"""Verify an ID document's data: ICAO 9303 machine-readable zones and PRC resident ID numbers.

Pure functions over text already read (from a photo, a chip or typed in): no I/O, no clock (the
check date is an argument). A verification names every check it made, pass or fail, so an
officer is told why, and its verdict follows from them: ``unreadable`` when the text is not a
document's layout at all, ``invalid`` when a check fails, ``expired`` when only the expiry has
passed, ``valid`` otherwise. Hand-written rather than a library: the rules are short, fixed by
the standards (ICAO Doc 9303 part 3-6, GB 11643-1999) and must be exhaustively tested here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from checkpoint.cn_regions import ADDRESS_CODES
from checkpoint.wire.edge import DocumentType, Verdict
from checkpoint.wire.plates import partners

MRZ_CHARS = re.compile(r"^[A-Z0-9<]+$")
#: Line count and length of each ICAO 9303 layout.
LAYOUTS: dict[DocumentType, tuple[int, int]] = {
    DocumentType.ICAO_TD1: (3, 30), DocumentType.ICAO_TD2: (2, 36),
    DocumentType.ICAO_TD3: (2, 44)}
#: GB 11643 weights of the first 17 digits (2^(17-i) mod 11).
CN_ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
#: The provinces' two-digit address codes (GB/T 2260), Taiwan, Hong Kong and Macau included.
CN_PROVINCE_CODES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 "
    "71 81 82".split())

#: What each check means, as an officer is told it.
CHECK_REASONS = {
    "layout": "the text has a document's layout and characters",
    "document_number_check_digit": "document number matches its check digit",
    "birth_date_check_digit": "birth date matches its check digit",
    "expiry_date_check_digit": "expiry date matches its check digit",
    "optional_data_check_digit": "optional data matches its check digit",
    "composite_check_digit": "the zone as a whole matches its composite check digit",
    "birth_date_real": "birth date is a real date, not in the future",
    "expiry_date_real": "expiry date is a real date",
    "not_expired": "the document has not expired",
    "eighteen_characters": "the number has 18 characters (15-digit numbers are no card's)",
    "check_character": "the number matches its check character (GB 11643)",
}


@dataclass(frozen=True)
class Verification:
    """What a document's data shows; ``number`` stays on the box (it is pseudonymised before
    anything leaves it)."""

    document_type: DocumentType | None
    verdict: Verdict
    checks: dict[str, bool] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    issuing_state: str | None = None
    number: str | None = None
    expiry: date | None = None

    @property
    def failed(self) -> list[str]:
        return [name for name, ok in self.checks.items() if not ok]


def verdict_of(checks: dict[str, bool]) -> Verdict:
    """Invalid if any check but the expiry fails; expired if only the expiry does."""
    failed = {name for name, ok in checks.items() if not ok}
    if failed - {"not_expired"}:
        return Verdict.INVALID
    return Verdict.EXPIRED if failed else Verdict.VALID


# ------------------------------------------------------------------------------- ICAO 9303

def icao_char_value(char: str) -> int:
    """Digits are themselves, A-Z 10-35, the filler ``<`` 0."""
    if char.isdigit():
        return int(char)
    if char == "<":
        return 0
    return ord(char) - ord("A") + 10


def icao_check_digit(text: str) -> int:
    """The 7-3-1 weighted sum of the characters' values, modulo 10."""
    return sum(icao_char_value(c) * (7, 3, 1)[i % 3] for i, c in enumerate(text)) % 10


def check_digit_ok(text: str, digit: str) -> bool:
    """A field against its check digit; an all-filler field may carry ``<`` for 0."""
    if digit == "<":
        return set(text) <= {"<"}
    return digit.isdigit() and icao_check_digit(text) == int(digit)


def mrz_date(yymmdd: str, *, birth: bool, today: date) -> date | None:
    """A YYMMDD field as a date: an expiry is 20YY; a birth date takes the century that puts it
    in the past. None when it is no real date."""
    if not yymmdd.isdigit():
        return None
    yy, mm, dd = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])
    try:
        value = date(2000 + yy, mm, dd)
        if birth and value > today:
            value = date(1900 + yy, mm, dd)
    except ValueError:
        return None
    return value


def _document_number(number: str, digit: str, optional: str) -> tuple[str, str, str]:
    """(number, the text its check digit covers, that digit): a number longer than 9 characters
    continues in the optional data, its check digit after it (the number field's own digit
    position then holds ``<``)."""
    if digit != "<" or not optional or optional[0] == "<":
        return number.rstrip("<"), number, digit
    rest = optional.split("<", 1)[0]
    return number + rest[:-1], number + rest[:-1], rest[-1]


def clean_lines(lines: list[str]) -> list[str]:
    """MRZ lines as read or typed: spaces gone, upper case."""
    return [line.strip().replace(" ", "").upper() for line in lines]


def layout_of(lines: list[str]) -> DocumentType | None:
    """Which ICAO layout the lines have, by count and length; None for none."""
    for name, (count, length) in LAYOUTS.items():
        if len(lines) == count and all(len(line) == length for line in lines):
            return name
    return None


def verify_mrz(lines: list[str], today: date) -> Verification:
    """Verify a TD1, TD2 or TD3 machine-readable zone (lines as read, spaces removed)."""
    lines = clean_lines(lines)
    layout = layout_of(lines)
    if layout is None or not all(MRZ_CHARS.match(line) for line in lines):
        return Verification(None, Verdict.UNREADABLE, {"layout": False})
    if layout == DocumentType.ICAO_TD1:
        l1, l2, _ = lines
        state = l1[2:5]
        number, covered, digit = _document_number(l1[5:14], l1[14], l1[15:30])
        birth, birth_cd, expiry, expiry_cd = l2[0:6], l2[6], l2[8:14], l2[14]
        composite_text, composite = l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29], l2[29]
        optional_checks: dict[str, bool] = {}
    else:
        l1, l2 = lines
        state = l1[2:5]
        td2 = layout == DocumentType.ICAO_TD2
        end = 35 if td2 else 42
        optional = l2[28:end]
        number, covered, digit = _document_number(l2[0:9], l2[9], optional if td2 else "")
        birth, birth_cd, expiry, expiry_cd = l2[13:19], l2[19], l2[21:27], l2[27]
        composite_text = l2[0:10] + l2[13:20] + l2[21:end + (0 if td2 else 1)]
        composite = l2[35] if td2 else l2[43]
        optional_checks = ({} if td2 else
                           {"optional_data_check_digit": check_digit_ok(optional, l2[42])})
    birth_date = mrz_date(birth, birth=True, today=today)
    expiry_date = mrz_date(expiry, birth=False, today=today)
    checks = {
        "document_number_check_digit": check_digit_ok(covered, digit),
        "birth_date_check_digit": check_digit_ok(birth, birth_cd),
        "expiry_date_check_digit": check_digit_ok(expiry, expiry_cd),
        **optional_checks,
        "composite_check_digit": check_digit_ok(composite_text, composite),
        "birth_date_real": birth_date is not None and birth_date <= today,
        "expiry_date_real": expiry_date is not None,
        "not_expired": expiry_date is not None and expiry_date >= today,
    }
    # the state as ICAO writes it, fillers kept (Germany is D<<)
    return Verification(layout, verdict_of(checks), checks, (),
                        None if state == "<<<" else state, number or None, expiry_date)


# ---------------------------------------------------------------------- PRC resident ID

def cn_id_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of 17 digits (10 is ``X``)."""
    value = (12 - sum(int(d) * w for d, w in zip(first17, CN_ID_WEIGHTS)) % 11) % 11
    return "X" if value == 10 else str(value)


def years_between(start: date, end: date) -> int:
    """Whole years from ``start`` to ``end`` (an age)."""
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


def cn_card_validity_years(age_at_issue: int) -> int | None:
    """How long a resident card issued at this age is valid (Resident Identity Card Law, art.
    5): 5 years under 16, 10 to 25, 20 to 45, long-term (None) from 46."""
    if age_at_issue < 16:
        return 5
    if age_at_issue <= 25:
        return 10
    return 20 if age_at_issue <= 45 else None


def _validity_warnings(born: date, valid_from: date, valid_until: date | None) -> tuple[str, ...]:
    expected = cn_card_validity_years(years_between(born, valid_from))
    given = None if valid_until is None else years_between(valid_from, valid_until)
    if given == expected:
        return ()
    want = "long-term" if expected is None else f"{expected} years"
    got = "long-term" if given is None else f"{given} years"
    return (f"validity period {got} does not match the holder's age at issue ({want})",)


def _address_warnings(code: str) -> tuple[str, ...]:
    if code[:2] not in CN_PROVINCE_CODES:
        return (f"address code {code[:2]}xxxx is not a known province",)
    if code not in ADDRESS_CODES:
        return (f"address code {code[:4]}xx is not in the current GB/T 2260 table (retired "
                "since the card was issued, or misread)",)
    return ()


def verify_cn_id(number: str, today: date, *, valid_from: date | None = None,
                 valid_until: date | None = None) -> Verification:
    """Verify a PRC resident identity card number (GB 11643: 18 characters) and, when given,
    the card's validity period (``valid_until`` None with ``valid_from``: long-term). A 15-digit
    number is an old format no card carries any more: it is rejected as a card number. An
    address code outside the known provinces or the current GB/T 2260 table, or a validity
    period that does not fit the holder's age at issue, is a warning, not a rejection (codes
    are retired while cards keep them; cards are reissued)."""
    number = number.strip().upper()
    if len(number) == 15 and number.isdigit():
        return Verification(DocumentType.CN_RESIDENT_ID, Verdict.INVALID,
                            {"eighteen_characters": False},
                            ("a 15-digit number is not a resident card number",))
    if len(number) != 18 or not number[:17].isdigit() or not (number[17].isdigit()
                                                              or number[17] == "X"):
        return Verification(None, Verdict.UNREADABLE, {"layout": False})
    try:
        born: date | None = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        born = None
    checks = {
        "check_character": cn_id_check_char(number[:17]) == number[17],
        "birth_date_real": born is not None and born <= today,
    }
    if valid_until is not None:
        checks["not_expired"] = valid_until >= today
    warnings = _address_warnings(number[:6])
    if valid_from is not None and born is not None:
        warnings += _validity_warnings(born, valid_from, valid_until)
    return Verification(DocumentType.CN_RESIDENT_ID, verdict_of(checks), checks, warnings, "CHN",
                        number, valid_until)


# ------------------------------------------------------------------ correcting an OCR read

#: Each layout's fields: (line, start, end, kind). ``alpha`` holds letters and fillers,
#: ``digits`` digits (dates), ``check`` one check digit, ``any`` letters or digits.
FIELDS: dict[DocumentType, tuple[tuple[int, int, int, str], ...]] = {
    DocumentType.ICAO_TD3: (
        (0, 0, 44, "alpha"), (1, 0, 9, "any"), (1, 9, 10, "check"), (1, 10, 13, "alpha"),
        (1, 13, 19, "digits"), (1, 19, 20, "check"), (1, 20, 21, "alpha"), (1, 21, 27, "digits"),
        (1, 27, 28, "check"), (1, 28, 42, "any"), (1, 42, 44, "check")),
    DocumentType.ICAO_TD2: (
        (0, 0, 36, "alpha"), (1, 0, 9, "any"), (1, 9, 10, "check"), (1, 10, 13, "alpha"),
        (1, 13, 19, "digits"), (1, 19, 20, "check"), (1, 20, 21, "alpha"), (1, 21, 27, "digits"),
        (1, 27, 28, "check"), (1, 28, 35, "any"), (1, 35, 36, "check")),
    DocumentType.ICAO_TD1: (
        (0, 0, 5, "alpha"), (0, 5, 14, "any"), (0, 14, 15, "check"), (0, 15, 30, "any"),
        (1, 0, 6, "digits"), (1, 6, 7, "check"), (1, 7, 8, "alpha"), (1, 8, 14, "digits"),
        (1, 14, 15, "check"), (1, 15, 18, "alpha"), (1, 18, 29, "any"), (1, 29, 30, "check"),
        (2, 0, 30, "alpha")),
}


def _as_kind(char: str, kind: str) -> str:
    """A look-alike swapped for what the field can hold (``partners``: the plates' table of
    look-alikes, which OCR-B shares)."""
    if kind in ("digits", "check") and char.isalpha():
        return next((p for p in partners(char) if p.isdigit()), char)
    if kind == "alpha" and char.isdigit():
        return partners(char)[:1] or char
    return char


def correct_mrz(lines: list[str]) -> list[str]:
    """An OCR read of a machine-readable zone with each character made to fit its field:
    letters in digit fields and digits in letter fields swapped for their look-alikes. Lines
    that are no layout come back only cleaned (verification says so).

    Letter-or-digit fields (the document number) are not guessed from their check digit: the
    composite weighs the number's characters as its own digit does, so it adds nothing, and one
    check digit passes a wrong look-alike swap one time in ten; a wrong number that passes would
    tag the wrong person. Choosing among such swaps needs the recogniser's own alternatives."""
    lines = clean_lines(lines)
    layout = layout_of(lines)
    if layout is None:
        return lines
    chars = [list(line) for line in lines]
    for row, start, end, kind in FIELDS[layout]:
        for i in range(start, end):
            chars[row][i] = _as_kind(chars[row][i], kind)
    return ["".join(line) for line in chars]

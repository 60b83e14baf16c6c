"""Reads → plates: the region grammars that decide what a plate can be and undo OCR's
letter/digit confusions (``checkpoint.wire.plates.CONFUSIONS``) position by position.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from string import ascii_uppercase, digits

from checkpoint.wire.plates import CN_PROVINCES, REGIONS, normalise, partners, spell

#: CN plates never use I or O (too like 1 and 0), in the issuing-authority letter too. So in a CN
#: serial slot a read I or O is taken as 1 or 0, and in a CN letter slot 0 as D and 1 as L.
_CN_LETTERS = ascii_uppercase.replace("I", "").replace("O", "")
#: The first letter of a military plate: the command or service it belongs to.
CN_MILITARY = "VKHBSLJNGCZ"

#: What each character of a format string allows at its position.
_CLASSES: dict[str, str] = {
    "L": ascii_uppercase,         # letter
    "D": digits,                  # digit
    "B": "B",                     # the letter B itself (Bucharest)
    "P": CN_PROVINCES,            # CN province character
    "C": _CN_LETTERS,             # CN letter
    "S": _CN_LETTERS + digits,    # CN serial character: letter or digit
    "E": "DF",                    # CN new-energy mark: D electric, F hybrid
    "X": "学警挂港澳领临",          # CN special-use ending
    "Y": "使",                    # CN embassy plate opening
    "M": CN_MILITARY,             # CN military plate opening
    "W": "W",                     # the W and J of a CN armed-police (WJ) plate
    "J": "J",
}

#: Position-wise plate formats per region; the first listed wins a tie.
_FORMATS: dict[str, tuple[str, ...]] = {
    "cn": ("PCSSSSS",    # ordinary blue / yellow
           "PCESSSSS",   # new-energy, small vehicle
           "PCDDDDDE",   # new-energy, large vehicle
           "PCSSSSX",    # learner, police, trailer, Hong Kong / Macau, consulate, temporary
           "YDDDDDD",    # embassy
           "MCDDDDD",    # military
           "WJPSSSSS"),  # armed police
    "br": ("LLLDDDD",    # old grey plates
           "LLLDLDD"),   # Mercosur
    "ro": ("LLDDLLL",    # county
           "BDDLLL",     # Bucharest
           "BDDDLLL"),
}

#: Formats a read must fit as read, never by correction: plates too rare at a checkpoint to
#: conjure from a misread (8A12345 is no military plate BA12345).
_EXACT_ONLY = frozenset({"YDDDDDD", "MCDDDDD", "WJPSSSSS"})

#: Regions whose national formats are too many or too free (vanity plates) to check position by
#: position: only the overall shape is checked, and nothing is corrected.
_SHAPES: dict[str, re.Pattern[str]] = {
    # A letter and a digit: an all-digit "plate" of no known format is far more often a house
    # number, a price or a date than a plate.
    "eu": re.compile(r"(?=.*\d)(?=.*[A-Z])[A-Z0-9]{4,10}"),
    # US vanity plates without a digit are given up too: state names, slogans and dealer frames
    # on the same car read as plates otherwise.
    "us": re.compile(r"(?=.*\d)(?=.*[A-Z])[A-Z0-9]{2,8}"),
}
_GENERIC = _SHAPES["eu"]   # what a plate of no stated region must look like
#: Common European national formats. A European read that fits one, or one OCR confusion per
#: position away, is corrected to it (RK340A0 → RK340AO); any other European plate (Germany,
#: the Netherlands …: formats too many to check) needs only the shape above, uncorrected.
_EU_FORMATS: tuple[str, ...] = (
    "LLDDDLL",   # France (SIV), Italy, Slovakia
    "LLDDLLL",   # United Kingdom
    "DDDDLLL",   # Spain
    "LLDDDDD",   # Poland (its most common of many)
    "DLDDDDD",   # Czechia
)


#: The kinds of CN plate a plate's text tells apart (its colour and rows it does not say).
CN_PLATE_TYPES: tuple[str, ...] = ("ordinary", "new-energy", "police", "learner", "trailer",
                                   "hk-macau", "consulate", "temporary", "embassy", "military",
                                   "armed-police")
_CN_ENDINGS = {"警": "police", "学": "learner", "挂": "trailer", "港": "hk-macau",
               "澳": "hk-macau", "领": "consulate", "临": "temporary"}


def cn_plate_type(plate: str) -> str | None:
    """The kind of a CN plate, one of ``CN_PLATE_TYPES``, from its normalised text; None for a
    text that is no CN plate."""
    fit = _fit_formats(plate, _FORMATS["cn"], "cn")
    if fit is None or fit.corrections:
        return None
    if plate[0] == "使":
        return "embassy"
    if plate.startswith("WJ"):
        return "armed-police"
    if plate[0] in CN_MILITARY:
        return "military"
    if plate[-1] in _CN_ENDINGS:
        return _CN_ENDINGS[plate[-1]]
    return "new-energy" if len(plate) == 8 else "ordinary"


@dataclass(frozen=True)
class PlateFit:
    """A text read as a plate of some region's grammar."""

    text: str                       # the corrected plate
    region: str | None              # the grammar's region; None for the region-less generic shape
    corrections: tuple[int, ...]    # positions changed by confusion correction (0-based)
    start: int = 0                  # characters of the read before the plate (a band's letter)


def _fit_char(char: str, allowed: str) -> str:
    """The character itself if its position allows it, else its likeliest allowed confusion
    ("" when there is none)."""
    if char in allowed:
        return char
    return next((c for c in partners(char) if c in allowed), "")


def _fit_format(plate: str, fmt: str, region: str) -> PlateFit | None:
    """The plate corrected position by position to ``fmt``; None where some position cannot be."""
    if len(plate) != len(fmt):
        return None
    fitted = [_fit_char(char, _CLASSES[cls]) for char, cls in zip(plate, fmt)]
    if "" in fitted or (fmt in _EXACT_ONLY and "".join(fitted) != plate):
        return None
    changed = tuple(i for i, (was, now) in enumerate(zip(plate, fitted)) if was != now)
    return PlateFit("".join(fitted), region, changed)


def _fit_formats(plate: str, formats: tuple[str, ...], region: str) -> PlateFit | None:
    """Fewest corrections over ``formats``; ``min`` keeps the first listed on a tie."""
    fits = filter(None, (_fit_format(plate, fmt, region) for fmt in formats))
    return min(fits, key=lambda f: len(f.corrections), default=None)


def _fit_eu(plate: str) -> PlateFit | None:
    """A national format, else one exactly after a leading extra letter (the blue band's country
    code read as part of the plate: GRK115AN is RK115AN), else the European shape, uncorrected."""
    if fit := _fit_formats(plate, _EU_FORMATS, "eu"):
        return fit
    rest = _fit_formats(plate[1:], _EU_FORMATS, "eu") if plate[:1].isalpha() else None
    if rest is not None and not rest.corrections:
        return PlateFit(rest.text, "eu", (), start=1)
    return PlateFit(plate, "eu", ()) if _SHAPES["eu"].fullmatch(plate) else None


def _fit_region(plate: str, region: str) -> PlateFit | None:
    if region == "eu":
        return _fit_eu(plate)
    if region in _SHAPES:
        spelt = spell(plate, region)
        # as read, an O is no digit (COLORADO is no plate); as written, it is no letter either
        # (O4 is written 04, a plate without a letter): both must have the region's shape
        if not (_SHAPES[region].fullmatch(plate) and _SHAPES[region].fullmatch(spelt)):
            return None
        return PlateFit(spelt, region, ())
    return _fit_formats(plate, _FORMATS[region], region)


def fit_plate(text: str, region: str | None) -> PlateFit | None:
    """Normalise ``text`` and fit it to ``region``'s grammar, undoing letter/digit confusions.

    Without a region nothing is corrected: a region-less read must not be bent into some
    country's format. It is then a plate of the first region (cn, br, ro) whose format it fits
    exactly, else a region-less plate if it has the generic shape (4-10 letters and digits, at
    least one digit), else None.
    """
    plate = normalise(text)
    if region is None:
        fits = (_fit_region(plate, r) for r in _FORMATS)
        exact = next((f for f in fits if f and not f.corrections), None)
        return exact or (PlateFit(plate, None, ()) if _GENERIC.fullmatch(plate) else None)
    if region not in REGIONS:
        raise ValueError(f"unknown plate region {region!r}; expected one of {', '.join(REGIONS)}")
    return _fit_region(plate, region)


@dataclass(frozen=True)
class PositionFormat:
    """A plate format as the characters a read may hold at each of its positions."""

    positions: tuple[str, ...]
    exact_only: bool    # a read must fit it as read: never corrected or decoded towards it


def _read_as(allowed: str) -> str:
    """The characters the grammar reads as one of ``allowed``: those, and each letter or digit
    whose confusion partner is one (``_fit_char``)."""
    return allowed + "".join(c for c in ascii_uppercase + digits
                             if c not in allowed and _fit_char(c, allowed))


def position_formats(region: str) -> tuple[PositionFormat, ...]:
    """The position-wise plate formats of ``region``, as a read may hold them (with the
    confusions ``fit_plate`` undoes, except in the exact-only formats): what a recogniser may
    decode a read towards. None for a region checked by its shape only."""
    return tuple(PositionFormat(tuple(_CLASSES[cls] if fmt in _EXACT_ONLY else
                                      _read_as(_CLASSES[cls]) for cls in fmt), fmt in _EXACT_ONLY)
                 for fmt in _FORMATS.get(region, ()))


def is_plausible(plate: str, region: str | None = None) -> bool:
    """Could this text be a plate (of ``region``, when given) as read, without any correction?"""
    fit = fit_plate(plate, region)
    return fit is not None and not fit.corrections and not fit.start

"""Plate text as kakou writes it everywhere: the alphabet, the regions, one normalisation, and
the one table of characters OCR takes for one another.

A passage's ``plate`` is normalised here on the box; the watchlist import and the matcher
normalise with the same function, which is what makes an exact match mean something:
"ka-482 bc", "KA 482 BC" and "ＫＡ４８２ＢＣ" are the same plate everywhere in kakou.
"""
from __future__ import annotations

import re
import unicodedata

#: Chinese province (and special-use) characters that open or close a CN plate: 警 police,
#: 学 learner, 挂 trailer, 港 澳 Hong Kong and Macau, 使 embassy, 领 consulate, 临 temporary.
CN_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
CN_SPECIAL = "警学挂港澳使领临"

#: The plate regions a camera, a watchlist entry or a labelled image may name.
REGIONS: tuple[str, ...] = ("cn", "eu", "us", "br", "ro")

_PLATE_CHARS = f"A-Z0-9{CN_PROVINCES}{CN_SPECIAL}"
_SEPARATORS = re.compile(r"[\s\-·•.:_/|]+")
_ALLOWED = re.compile(rf"[{_PLATE_CHARS}]")
#: What a wildcard pattern may hold: plate characters, the separators plates are written with,
#: and the wildcards; anything else makes it a regex.
_WILDCARD_TEXT = re.compile(rf"[{_PLATE_CHARS}*?\s\-·.]+")

#: Characters OCR takes for one another on plates, each class a digit and then the letters it
#: is read for, likeliest first. The plate grammar uses every class: a position that must hold
#: a letter or a digit says which was meant (0 in a letter slot is O, or D where a region issues
#: no O). The watchlist matcher folds the classes marked True into one character, wherever
#: they stand; it leaves 4/A out, since A and 4 look alike in few plate fonts and every folded
#: class widens every fuzzy match.
CONFUSIONS: tuple[tuple[str, bool], ...] = (
    ("0ODQ", True), ("1IL", True), ("2Z", True), ("5S", True), ("6G", True), ("7T", True),
    ("8B", True), ("4A", False),
)
#: The classes the matcher folds alike (see ``CONFUSIONS``).
MATCHER_CLASSES: tuple[str, ...] = tuple(chars for chars, folded in CONFUSIONS if folded)

#: US plates print the letter O like the digit 0, and many states issue no O: no read can tell
#: them apart, so a US plate is written with 0. It is a spelling, not a correction; the matcher
#: folds O and 0 together.
_US_SPELLING = str.maketrans("O", "0")


def partners(char: str) -> str:
    """What a read ``char`` may really be, likeliest first: a digit's letters, a letter's digit
    ("" for a character OCR confuses with nothing)."""
    for chars, _ in CONFUSIONS:
        if char == chars[0]:
            return chars[1:]
        if char in chars:
            return chars[0]
    return ""


def normalise(text: str) -> str:
    """Upper case, full-width folded to ASCII, separators and stray symbols removed."""
    folded = unicodedata.normalize("NFKC", text).upper()
    return "".join(_ALLOWED.findall(_SEPARATORS.sub("", folded)))


def normalise_wildcard(pattern: str) -> str | None:
    """A watchlist pattern of ``*`` (any run) and ``?`` (one character) with its plate text
    normalised, or None when the pattern is not such a wildcard (it is then a regex)."""
    folded = unicodedata.normalize("NFKC", pattern).upper()
    if not _WILDCARD_TEXT.fullmatch(folded):
        return None
    text = "".join(part if part in ("*", "?") else normalise(part)
                   for part in re.split(r"([*?])", folded))
    return text or None


def spell(plate: str, region: str | None) -> str:
    """A normalised plate as kakou writes plates of ``region`` (US: 0 for O), so a watchlist
    entry and a read of the same plate are the same text."""
    return plate.translate(_US_SPELLING) if (region or "").lower() == "us" else plate

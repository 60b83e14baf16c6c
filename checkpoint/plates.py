"""Plate text: one normalisation for the edge, the watchlist import and the matcher.

Normalising in one place is what makes an exact match mean something: "ka-482 bc", "KA 482 BC"
and "ＫＡ４８２ＢＣ" are the same plate everywhere in kakou.
"""
from __future__ import annotations

import re
import unicodedata

#: Chinese province (and special-use) characters that open or close a CN plate.
CN_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
CN_SPECIAL = "警学挂港澳使领"

_SEPARATORS = re.compile(r"[\s\-·•.:_/|]+")
_ALLOWED = re.compile(rf"[A-Z0-9{CN_PROVINCES}{CN_SPECIAL}]")

#: Whole-plate shapes per region. Deliberately permissive here; the per-position letter/digit
#: rules live with the region grammars (edge issue 3) and only ever narrow these.
_GRAMMARS: dict[str, re.Pattern[str]] = {
    "cn": re.compile(rf"^[{CN_PROVINCES}][A-Z][A-Z0-9]{{5,6}}[{CN_SPECIAL}]?$"),
    "eu": re.compile(r"^(?=.*\d)[A-Z0-9]{4,10}$"),
    "us": re.compile(r"^[A-Z0-9]{2,8}$"),
    "br": re.compile(r"^[A-Z]{3}\d[A-Z0-9]\d{2}$"),
    "ro": re.compile(r"^[A-Z]{1,2}\d{2,3}[A-Z]{3}$"),
}
_ANY = re.compile(rf"^(?=.*\d)[A-Z0-9{CN_PROVINCES}{CN_SPECIAL}]{{4,10}}$")

REGIONS: tuple[str, ...] = tuple(_GRAMMARS)


def normalise(text: str) -> str:
    """Upper case, full-width folded to ASCII, separators and stray symbols removed."""
    folded = unicodedata.normalize("NFKC", text).upper()
    return "".join(_ALLOWED.findall(_SEPARATORS.sub("", folded)))


def is_plausible(plate: str, region: str | None = None) -> bool:
    """Could this normalised text be a plate (of ``region``, when given)?"""
    grammar = _GRAMMARS.get(region or "", _ANY)
    return bool(grammar.match(plate))


"""The fonts kakou draws plates with (the sample clip, the training renderers), and the Debian
package of each: one table. Standard library only, so ``make`` can ask before any virtual
environment exists: ``python3 checkpoint/lab/fonts.py --missing`` prints the packages to install.
"""
from __future__ import annotations

import sys
from pathlib import Path

DEJAVU_DIR = Path("/usr/share/fonts/truetype/dejavu")
SANS_BOLD = DEJAVU_DIR / "DejaVuSans-Bold.ttf"
SANS_CONDENSED = DEJAVU_DIR / "DejaVuSansCondensed.ttf"
SANS_CONDENSED_BOLD = DEJAVU_DIR / "DejaVuSansCondensed-Bold.ttf"
SANS_CONDENSED_OBLIQUE = DEJAVU_DIR / "DejaVuSansCondensed-Oblique.ttf"
SANS_MONO_BOLD = DEJAVU_DIR / "DejaVuSansMono-Bold.ttf"
SERIF_BOLD = DEJAVU_DIR / "DejaVuSerif-Bold.ttf"
SERIF_CONDENSED_BOLD_ITALIC = DEJAVU_DIR / "DejaVuSerifCondensed-BoldItalic.ttf"
CJK = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
ROBOTO_CONDENSED_BOLD = Path("/usr/share/fonts/truetype/roboto/unhinted/RobotoCondensed-Bold.ttf")
LIBERATION_SANS_BOLD = Path("/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf")
NOTO_CJK_BOLD = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")
OCR_B = Path("/usr/share/fonts/opentype/ocr-b/OCRB.otf")   #: the MRZ's font (ISO 1073-2)
NOTO_CJK_SC = 2   #: the face of Simplified Chinese in the Noto CJK collections

#: Every font file kakou draws with, and the Debian package that installs it.
PACKAGES: dict[Path, str] = {
    SANS_BOLD: "fonts-dejavu-core",
    SANS_MONO_BOLD: "fonts-dejavu-core",
    SERIF_BOLD: "fonts-dejavu-core",
    SANS_CONDENSED: "fonts-dejavu-extra",
    SANS_CONDENSED_BOLD: "fonts-dejavu-extra",
    SANS_CONDENSED_OBLIQUE: "fonts-dejavu-extra",
    SERIF_CONDENSED_BOLD_ITALIC: "fonts-dejavu-extra",
    CJK: "fonts-wqy-microhei",
    ROBOTO_CONDENSED_BOLD: "fonts-roboto-unhinted",
    LIBERATION_SANS_BOLD: "fonts-liberation2",
    NOTO_CJK_BOLD: "fonts-noto-cjk",
    OCR_B: "fonts-ocr-b",
}


def require(path: Path) -> Path:
    """``path`` if the font is installed; FileNotFoundError naming its package if not."""
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: install the Debian package {PACKAGES[path]}")
    return path


def missing_packages() -> list[str]:
    return sorted({package for path, package in PACKAGES.items() if not path.is_file()})


if __name__ == "__main__":
    if sys.argv[1:] != ["--missing"]:
        sys.exit("usage: fonts.py --missing   (the Debian packages of fonts not installed)")
    print(" ".join(missing_packages()))

"""The fonts a scene draws with: the bundled Noto families, and which of them can draw which characters.

A brand kit chooses a family from :data:`~gpu_runner.protocol.FONTS`. No single font covers every script, so
each family comes with a fallback chain: the chosen family (Latin, Cyrillic, Greek), then Noto Sans Arabic,
Noto Sans Hebrew and Noto Sans CJK. Which face draws a character is decided from each face's own character
map (read with fontTools), never guessed from Unicode ranges, so a box (``.notdef``) is drawn only for a
character that no bundled font has.

Noto Sans, Noto Serif, Noto Sans Arabic and Noto Sans Hebrew ship in ``fonts/`` (SIL Open Font License 1.1,
``fonts/OFL.txt``); Noto Sans CJK comes from the ``noto-cjk-sans-otc`` distribution, a dependency of this one.
"""

from __future__ import annotations

import importlib.resources
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fontTools.ttLib import TTFont
from PIL import ImageFont, features

from ..protocol import DEFAULT_FONT, FONTS

FONT_DIR = Path(__file__).resolve().parent / "fonts"
# Pillow built with libraqm shapes Arabic and orders right-to-left text; without it, text is drawn glyph by
# glyph in logical order (see text.py for what is done about that).
HAS_RAQM = features.check("raqm")
LAYOUT_ENGINE = ImageFont.Layout.RAQM if HAS_RAQM else ImageFont.Layout.BASIC


@dataclass(frozen=True)
class Face:
    """One font file (one face of a collection, for ``.ttc``) under the name a note shows an editor."""

    name: str
    path: str
    index: int = 0

    def covers(self, character: str) -> bool:
        return ord(character) in _coverage(self.path, self.index)

    def font(self, size: int) -> ImageFont.FreeTypeFont:
        """This face at ``size`` pixels (cached: loading a face costs more than drawing with it).

        Each thread gets its own font objects: a FreeType face is not safe to draw with from two threads at
        once, and a web host draws previews in several.
        """
        return _truetype(self.path, self.index, max(1, int(size)), threading.get_ident())


def _bundled(file_name: str, name: str) -> Face:
    return Face(name, str(FONT_DIR / file_name))


def _cjk_face() -> Face:
    # The collection's first face is the Japanese cut; every face of it covers the CJK Unified Ideographs,
    # kana and Hangul, with regional glyph shapes that a product name or caption can live with.
    resource = importlib.resources.files("noto_cjk_sans_otc") / "NotoSansCJK-Regular.ttc"
    return Face("Noto Sans CJK", str(resource), 0)


# family key -> (regular, bold) faces
_FAMILIES = {
    "noto-sans": (
        _bundled("NotoSans-Regular.ttf", FONTS["noto-sans"]),
        _bundled("NotoSans-Bold.ttf", FONTS["noto-sans"]),
    ),
    "noto-serif": (
        _bundled("NotoSerif-Regular.ttf", FONTS["noto-serif"]),
        _bundled("NotoSerif-Bold.ttf", FONTS["noto-serif"]),
    ),
}
_FALLBACKS = (
    (
        _bundled("NotoSansArabic-Regular.ttf", "Noto Sans Arabic"),
        _bundled("NotoSansArabic-Bold.ttf", "Noto Sans Arabic"),
    ),
    (
        _bundled("NotoSansHebrew-Regular.ttf", "Noto Sans Hebrew"),
        _bundled("NotoSansHebrew-Bold.ttf", "Noto Sans Hebrew"),
    ),
)


def font_chain(family: str, *, bold: bool = False) -> tuple[Face, ...]:
    """The faces that draw text in ``family``, most preferred first; an unknown family gets the default."""
    faces = _FAMILIES.get(family, _FAMILIES[DEFAULT_FONT])
    weight = 1 if bold else 0
    # Noto Sans CJK is bundled in one weight only.
    return (faces[weight], *(fallback[weight] for fallback in _FALLBACKS), _cjk_face())


@lru_cache(maxsize=16)
def _coverage(path: str, index: int) -> frozenset[int]:
    """The code points a face maps to a glyph.

    Read from the Windows Unicode subtable itself (full repertoire first, then the BMP one): fontTools'
    ``getBestCmap`` also resolves variation sequences, which costs half a second on the CJK collection.
    """
    font = TTFont(path, fontNumber=index, lazy=True)
    try:
        table = font["cmap"]
        for platform, encoding in ((3, 10), (0, 4), (3, 1), (0, 3)):
            subtable = table.getcmap(platform, encoding)
            if subtable is not None:
                return frozenset(subtable.cmap)
        return frozenset()
    finally:
        font.close()


@lru_cache(maxsize=256)
def _truetype(path: str, index: int, size: int, thread: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size, index=index, layout_engine=LAYOUT_ENGINE)

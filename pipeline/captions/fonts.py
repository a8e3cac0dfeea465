"""Fonts found by path inside registry packages; no system fonts are assumed.

Latin display text uses Lato (package ``font-lato``); Chinese, Japanese and
Korean use Noto Sans CJK (package ``noto-cjk-sans-otc``, a TrueType collection
whose face index 2 is Simplified Chinese).
"""

from __future__ import annotations

import contextlib
import unicodedata
from functools import cache
from pathlib import Path

from pipeline.core.errors import ConfigError
from pipeline.core.scripts import Script

CJK_FAMILY = "Noto Sans CJK SC"
CJK_SC_INDEX = 2
"""Face index of Simplified Chinese inside NotoSansCJK-Regular.ttc."""


@cache
def lato_dir() -> Path:
    import font_lato

    return Path(font_lato.__file__).parent / "files"


@cache
def cjk_font_path() -> Path:
    import noto_cjk_sans_otc

    return Path(noto_cjk_sans_otc.__file__).parent / "NotoSansCJK-Regular.ttc"


def latin_font_path(weight: str = "Black") -> Path:
    """A Lato face by weight name (Black, Bold, Regular, Light...)."""
    path = lato_dir() / f"Lato-{weight}.ttf"
    if not path.exists():
        raise ConfigError(f"font weight {weight!r} is not shipped with Lato",
                          hint="Use Black, Bold, Regular, Light or Thin")
    return path


def font_for(script: Script, weight: str = "Black") -> tuple[Path, int]:
    """(font file, face index) for drawing text of ``script`` with Pillow (Korean too is
    drawn by Noto Sans CJK)."""
    if script != "latin":
        return cjk_font_path(), CJK_SC_INDEX
    return latin_font_path(weight), 0


@cache
def _latin_cmap() -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(str(latin_font_path()), lazy=True) as font:
        return frozenset(font.getBestCmap())


@cache
def _cjk_cmap() -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(str(cjk_font_path()), fontNumber=CJK_SC_INDEX, lazy=True) as font:
        return frozenset(font.getBestCmap())


def _ignorable(ch: str) -> bool:
    """Whitespace and format characters (ZWJ, variation selectors) draw nothing."""
    return ch.isspace() or unicodedata.category(ch) in ("Cf", "Mn")


def in_latin_font(ch: str) -> bool:
    """True when Lato draws ``ch``."""
    return _ignorable(ch) or ord(ch) in _latin_cmap()


def has_glyph(ch: str) -> bool:
    """True when a bundled font (Lato, or Noto Sans CJK for the rest) draws ``ch``."""
    return in_latin_font(ch) or ord(ch) in _cjk_cmap()


def needs_cjk_font(text: str) -> bool:
    """True when Lato lacks a character of ``text``: Han, kana, hangul, Cyrillic..."""
    return not all(map(in_latin_font, text))


def drop_missing_glyphs(text: str) -> tuple[str, str]:
    """``text`` without the characters no bundled font draws (emoji...), and those dropped.

    A joiner or variation selector left behind by a dropped emoji goes too.
    """
    kept, dropped = [], []
    for ch in text:
        if has_glyph(ch) and not (unicodedata.category(ch) == "Cf" and ch != "\u00ad"):
            kept.append(ch)
        elif not _ignorable(ch):
            dropped.append(ch)
    return " ".join("".join(kept).split()), "".join(dropped)


def is_wide(ch: str) -> bool:
    """Full-width in East Asian typography (Han, kana, hangul, CJK punctuation)."""
    return unicodedata.east_asian_width(ch) in ("W", "F")


def text_width(text: str) -> float:
    """Width in ems of a CJK line: wide characters 1, narrow ones (Latin, digits) 0.55."""
    return sum(1.0 if is_wide(ch) else 0.55 for ch in text)


def libass_fonts_dir(home: Path) -> Path:
    """One folder linking every bundled font, for libass's single ``fontsdir``."""
    folder = home / "fonts"
    folder.mkdir(parents=True, exist_ok=True)
    for source in [*lato_dir().glob("*.ttf"), cjk_font_path()]:
        link = folder / source.name
        if not link.exists():
            with contextlib.suppress(FileExistsError):
                link.symlink_to(source)
    return folder

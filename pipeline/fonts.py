"""Fonts found by path inside registry packages; no system fonts are assumed.

Latin display text uses Lato (package ``font-lato``); Chinese, Japanese and
Korean use Noto Sans CJK (package ``noto-cjk-sans-otc``, a TrueType collection
whose face index 2 is Simplified Chinese).
"""

from __future__ import annotations

import contextlib
from functools import cache
from pathlib import Path
from typing import Literal

from pipeline.errors import ConfigError

Script = Literal["latin", "cjk"]

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
    """(font file, face index) for drawing text of ``script`` with Pillow."""
    if script == "cjk":
        return cjk_font_path(), CJK_SC_INDEX
    return latin_font_path(weight), 0


def is_cjk_char(ch: str) -> bool:
    """True for Han, kana, hangul and CJK punctuation."""
    code = ord(ch)
    return (0x3000 <= code <= 0x9FFF or 0xAC00 <= code <= 0xD7AF
            or 0xF900 <= code <= 0xFAFF or 0xFF00 <= code <= 0xFFEF)


def script_of(text: str) -> Script:
    """'cjk' when any character of ``text`` needs the CJK font."""
    return "cjk" if any(is_cjk_char(ch) for ch in text) else "latin"


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

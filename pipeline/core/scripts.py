"""The script a text is written in, decided in one place for every caption engine.

Three scripts matter to captions, and they differ in two ways:

=========  ==========================  ====================  =================
script     characters                  spaces between words  lines measured in
=========  ==========================  ====================  =================
``cjk``    Han, kana, CJK punctuation  none                  ems (full width)
``korean`` hangul                      yes, like Latin       ems (full width)
``latin``  everything else             yes                   characters
=========  ==========================  ====================  =================

Korean is the case that split the engines (issue 22): hangul is full width, so the
ASS/SRT writer, which dropped spaces next to any full-width character, wrote
안녕하세요여러분 while the MoviePy engine, which only knew Han, kept the space. Both
now ask ``join_words`` and ``word_gap`` here. Which font draws a character (Lato or
Noto Sans CJK, also for Cyrillic) is a question of glyph coverage, in pipeline/captions/fonts.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

Script = Literal["latin", "cjk", "korean"]
"""How a text is written: see the module docstring."""

_UNSPACED = (
    (0x2E80, 0x2FDF),  # CJK radicals, Kangxi radicals
    (0x3000, 0x303F),  # CJK symbols and punctuation (、。「」)
    (0x3040, 0x30FF),  # hiragana, katakana
    (0x31F0, 0x31FF),  # katakana phonetic extensions
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFF00, 0xFF60),  # full-width forms (comma, !, ? in Chinese text)
    (0xFF61, 0xFF9F),  # half-width kana
    (0x20000, 0x3134F),  # CJK extensions B-G
)
_HANGUL = ((0x1100, 0x11FF), (0x3130, 0x318F), (0xA960, 0xA97F), (0xAC00, 0xD7AF),
           (0xD7B0, 0xD7FF))


def _within(ch: str, ranges: Sequence[tuple[int, int]]) -> bool:
    code = ord(ch)
    return any(lo <= code <= hi for lo, hi in ranges)


def is_unspaced(ch: str) -> bool:
    """True for a character written without spaces around it: Han, kana, CJK punctuation."""
    return _within(ch, _UNSPACED)


def is_hangul(ch: str) -> bool:
    """True for Korean hangul (syllables and jamo)."""
    return _within(ch, _HANGUL)


def is_east_asian(ch: str) -> bool:
    """True for a Chinese, Japanese or Korean character (the CJK font draws it)."""
    return is_unspaced(ch) or is_hangul(ch)


def script_of(text: str) -> Script:
    """``cjk`` when any character is Han, kana or CJK punctuation; else ``korean`` when
    any is hangul; else ``latin``."""
    if any(map(is_unspaced, text)):
        return "cjk"
    return "korean" if any(map(is_hangul, text)) else "latin"


def is_full_width(text: str) -> bool:
    """True when ``text`` is Chinese, Japanese or Korean: lines measured in ems."""
    return script_of(text) != "latin"


def word_gap(before: str, after: str) -> str:
    """What goes between two words: nothing where either side is Han, kana or CJK
    punctuation (Chinese, Japanese), one space otherwise (Latin, Korean)."""
    if not before or not after or is_unspaced(before[-1]) or is_unspaced(after[0]):
        return ""
    return " "


def join_words(words: Sequence[str]) -> str:
    """Words joined as they are written (``word_gap`` between each two)."""
    out = ""
    for word in words:
        out += word_gap(out, word) + word
    return out

"""How alike a script's token and a recognised token are, 0-1, by spelling and sound.

The script aligner (pipeline/speech/script_align.py) compares tokens of three kinds:

- a Han character: the same character is 1.0; otherwise its Mandarin syllable is
  compared (pypinyin, tones dropped), because Whisper's errors on Mandarin are mostly
  homophones and near-homophones (it heard 美元 "dollars" as 枚園, 冰凉 as 兩線) and it
  often writes traditional characters for simplified ones (兩 for 两). Without pypinyin
  (the ``multilingual`` extra) only equal characters match. Kana: equal or not.
- a hangul syllable: compared by its jamo (initial consonant, vowel, final consonant),
  so 줍 and 춥 (one consonant apart) are alike.
- anything else (a Latin word, a number): the better of spelling and Soundex-like sound
  similarity (words of four letters or more), as catalog names are matched
  (pipeline/speech/names.py).
"""

from __future__ import annotations

import unicodedata
from functools import cache

from pipeline.core.scripts import is_hangul, is_unspaced
from pipeline.speech.names import edit_distance, sound_key

HOMOPHONE = 0.9
"""Two different Han characters with the same toneless syllable."""
PINYIN_WEIGHT = 0.7
"""Han characters with different syllables: this share of their spelling likeness."""
MIN_SOUNDED = 4
"""Letters both words need before their sound keys are compared."""
SOUND_WEIGHT = 0.9
"""Sounding alike counts a little less than being spelled alike."""
JAMO_WEIGHTS = (0.35, 0.4, 0.25)
"""Weights of a hangul syllable's initial consonant, vowel and final consonant."""
_HANGUL_BASE = 0xAC00
_HANGUL_LAST = 0xD7A3


@cache
def likeness(a: str, b: str) -> float:
    """How alike two normalised tokens are: 1.0 equal, 0.0 nothing in common."""
    if a == b:
        return 1.0
    if len(a) == 1 and len(b) == 1:
        if _syllable(a) and _syllable(b):
            return _jamo_likeness(a, b)
        if is_unspaced(a) or is_unspaced(b):
            return _han_likeness(a, b)
    return max(_ratio(a, b), _sound_likeness(a, b))


def _sound_likeness(a: str, b: str) -> float:
    """Likeness of two words' sound keys; words under ``MIN_SOUNDED`` letters have too
    few consonants for a sound key to tell them apart ("a" and "i" sound alike)."""
    if min(len(a), len(b)) < MIN_SOUNDED or not (a.isalpha() and b.isalpha()):
        return 0.0
    return SOUND_WEIGHT * _ratio(sound_key(a), sound_key(b))


def _syllable(ch: str) -> bool:
    return _HANGUL_BASE <= ord(ch) <= _HANGUL_LAST


def _jamo_likeness(a: str, b: str) -> float:
    """Weighted share of jamo in common: 줍 and 춥 share the vowel and the final ㅂ."""
    parts_a, parts_b = _jamo(a), _jamo(b)
    return sum(w for w, x, y in zip(JAMO_WEIGHTS, parts_a, parts_b, strict=True) if x == y)


def _jamo(ch: str) -> tuple[int, int, int]:
    """(initial, vowel, final) indices of a precomposed hangul syllable."""
    index = ord(ch) - _HANGUL_BASE
    return index // (21 * 28), (index // 28) % 21, index % 28


def _han_likeness(a: str, b: str) -> float:
    sa, sb = _pinyin(a), _pinyin(b)
    if not sa or not sb:
        return 0.0
    if sa == sb:
        return HOMOPHONE
    return PINYIN_WEIGHT * _ratio(sa, sb)


@cache
def _pinyin(ch: str) -> str:
    """The toneless Mandarin syllable of a Han character; '' for kana, or without pypinyin."""
    if is_hangul(ch) or not ("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"):
        return ""
    try:
        from pypinyin import Style, lazy_pinyin
    except ImportError:
        return ""
    syllables = lazy_pinyin(ch, style=Style.NORMAL)
    return syllables[0] if syllables and syllables[0] != ch else ""


def _ratio(a: str, b: str) -> float:
    """1 - edit distance / longer length."""
    if not a or not b:
        return 0.0
    return 1.0 - edit_distance(a, b) / max(len(a), len(b))


def normalised(text: str) -> str:
    """A token's comparable form: NFKC (full-width Latin as ASCII), case-folded,
    letters and digits only."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())

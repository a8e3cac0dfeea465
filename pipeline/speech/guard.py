"""Hallucination guard: drop the segments Whisper invents over silence or music.

Whisper, asked to transcribe noise, still writes text: stock phrases with a low
average log-probability and a high no-speech probability, a word or phrase
looped until the window ends (high gzip compression ratio), the same line again
and again, or the prompt's product names echoed back. Each rule below looks at
the fields faster-whisper's ``Segment`` carries (``text``, ``avg_logprob``,
``no_speech_prob``, ``compression_ratio``), so it is testable with plain objects.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, TypeVar

from pipeline.core.scripts import is_east_asian

GUARD_VERSION = 2
"""Bumped when a rule changes, so cached transcripts are made again."""
SILENCE_NO_SPEECH = 0.6
SILENCE_LOGPROB = -0.7
"""No-speech probability above, and average log-probability below: invented over silence."""
MIN_AVG_LOGPROB = -1.5
"""Below this the decoder was guessing, whatever the no-speech probability."""
MAX_COMPRESSION_RATIO = 2.4
"""Whisper's own limit: above it the text is a loop."""
MAX_LOOP = 3
"""A word or phrase said this many times in a row is a loop (n-grams up to 4)."""

S = TypeVar("S")


def guard_segments(segments: Sequence[S], vocabulary: Sequence[str] = ()) -> list[S]:
    """The segments worth keeping, in order."""
    kept: list[S] = []
    for seg in segments:
        if not keep_segment(seg, vocabulary):
            continue
        if kept and _norm(_text(seg)) in {_norm(_text(k)) for k in kept[-2:]}:
            continue  # the same line again: a decoding loop across windows
        kept.append(seg)
    return kept


def keep_segment(segment: Any, vocabulary: Sequence[str] = ()) -> bool:
    """False for a segment that looks invented rather than heard."""
    text = _text(segment)
    if not _norm(text):
        return False
    if segment.no_speech_prob > SILENCE_NO_SPEECH and segment.avg_logprob < SILENCE_LOGPROB:
        return False
    if segment.avg_logprob < MIN_AVG_LOGPROB:
        return False
    if segment.compression_ratio > MAX_COMPRESSION_RATIO or is_loop(text):
        return False
    return not (segment.no_speech_prob > 0.5 and echoes_prompt(text, vocabulary))


def is_loop(text: str) -> bool:
    """True when a unit (word, or character in CJK) or a phrase of up to 4 units repeats
    more than ``MAX_LOOP`` times in a row: "4-4-4-4-4", "thank you thank you thank you
    thank you"."""
    units = _units(text)
    for n in range(1, 5):
        run = 1
        for i in range(n, len(units) - n + 1, n):
            run = run + 1 if units[i:i + n] == units[i - n:i] else 1
            if run > MAX_LOOP:
                return True
    return _char_loop(text)


def _char_loop(text: str) -> bool:
    """Loops with no spaces between units, e.g. '可可可可' or '4-4-4-4-4-4-4-4'.

    A unit without a letter (digits, dots) must loop twice as long: '1000000'
    and 'Wait....' are real text; a run of digits never is a loop.
    """
    squeezed = re.sub(r"\s+", "", text)
    for match in re.finditer(r"(.{1,4}?)\1{" + str(MAX_LOOP) + ",}", squeezed):
        unit, length = match.group(1), len(match.group(0))
        if any(ch.isalpha() for ch in unit):
            return True
        if not unit.isdigit() and length >= 2 * (MAX_LOOP + 1) * len(unit):
            return True
    return False


def echoes_prompt(text: str, vocabulary: Sequence[str]) -> bool:
    """True when every word of the segment is one of the prompt's product words."""
    vocab = {_norm(t) for term in vocabulary for t in term.split()}
    words = [_norm(w) for w in text.split()]
    return bool(vocab) and bool(words) and all(w in vocab for w in words if w)


def _units(text: str) -> list[str]:
    units: list[str] = []
    for token in text.split():
        units.extend(list(token) if any(map(is_east_asian, token)) else [_norm(token)])
    return [u for u in units if u]


def _text(segment: Any) -> str:
    return str(segment.text).strip()


def _norm(text: str) -> str:
    return re.sub(r"[\W_]+", "", text, flags=re.UNICODE).casefold()

"""Choose the best window of the target duration from the footage.

Windows start and end in pauses between words (never mid-word), prefer the
stretch that names the product and a strong first two seconds (speech onset),
and take all the speech when it fits.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.errors import FootageError
from pipeline.models import Window, Word
from pipeline.transcribe import mentions

MIN_CLIP_MS = 3000
MIN_GAP_MS = 200
LEAD_IN_MS = 400
"""Silence kept before the first word so the clip does not start mid-breath."""
TAIL_MS = 500


@dataclass(frozen=True)
class Choice:
    """A chosen window and why."""

    window: Window
    score: float
    reasons: tuple[str, ...]


def choose_window(duration_ms: int, words: Sequence[Word], target_ms: int,
                  product_terms: Sequence[str]) -> Choice:
    """The best window of at most ``target_ms`` inside [0, duration_ms]."""
    if duration_ms < MIN_CLIP_MS:
        raise FootageError(f"footage is {duration_ms / 1000:.1f} s long, under the 3 s minimum",
                           hint="Use footage of at least 3 seconds")
    if duration_ms <= target_ms:
        return Choice(Window(start_ms=0, end_ms=duration_ms), 0.0,
                      (f"footage ({duration_ms} ms) is not longer than the target: "
                       "the whole footage is used",))
    if not words:
        return Choice(Window(start_ms=0, end_ms=target_ms), 0.0,
                      ("no speech: the first window of the target duration",))
    speech = (words[0].start_ms, words[-1].end_ms)
    if speech[1] - speech[0] + LEAD_IN_MS <= target_ms:
        return _all_speech(duration_ms, speech, target_ms)
    return _best_of(duration_ms, words, target_ms, product_terms)


def _all_speech(duration_ms: int, speech: tuple[int, int], target_ms: int) -> Choice:
    start = max(0, speech[0] - LEAD_IN_MS)
    end = min(duration_ms, start + target_ms)
    start = max(0, end - target_ms)
    return Choice(Window(start_ms=start, end_ms=end), 1.0,
                  (f"all speech ({speech[0]}-{speech[1]} ms) fits in {target_ms} ms: "
                   f"window starts {speech[0] - start} ms before the first word",))


def boundaries(words: Sequence[Word], duration_ms: int) -> tuple[list[int], list[int]]:
    """Allowed window starts and ends: inside pauses, never inside a word."""
    starts, ends = [0, max(0, words[0].start_ms - LEAD_IN_MS)], [duration_ms]
    for prev, nxt in itertools.pairwise(words):
        gap = nxt.start_ms - prev.end_ms
        if gap >= MIN_GAP_MS:
            starts.append(nxt.start_ms - min(LEAD_IN_MS, gap // 2))
            ends.append(prev.end_ms + min(TAIL_MS, gap // 2))
    ends.append(min(duration_ms, words[-1].end_ms + TAIL_MS))
    return sorted(set(starts)), sorted(set(ends))


def _best_of(duration_ms: int, words: Sequence[Word], target_ms: int,
             product_terms: Sequence[str]) -> Choice:
    starts, ends = boundaries(words, duration_ms)
    best: Choice | None = None
    for start in starts:
        fitting = [e for e in ends if MIN_CLIP_MS <= e - start <= target_ms]
        if not fitting:
            continue
        choice = _score(Window(start_ms=start, end_ms=max(fitting)), words, product_terms)
        if best is None or choice.score > best.score:
            best = choice
    if best is None:
        return Choice(Window(start_ms=0, end_ms=target_ms), 0.0,
                      ("no pause-aligned window fits: the first window is used",))
    return best


def _score(window: Window, words: Sequence[Word], product_terms: Sequence[str]) -> Choice:
    inside = [w for w in words if w.start_ms >= window.start_ms and w.end_ms <= window.end_ms]
    speech_ms = sum(w.end_ms - w.start_ms for w in inside)
    named = mentions(inside, product_terms)
    onset = bool(inside) and inside[0].start_ms - window.start_ms <= 2000
    score = speech_ms / 1000 + (5.0 if named else 0.0) + (1.0 if onset else 0.0)
    score += window.duration_ms / 10000
    reasons = [f"window {window.start_ms}-{window.end_ms} ms holds {len(inside)} words "
               f"({speech_ms} ms of speech)"]
    if named:
        reasons.append(f"names the product at {named[0].start_ms} ms ({named[0].text!r})")
    if onset:
        reasons.append("speech starts within the first 2 s")
    return Choice(window, round(score, 3), tuple(reasons))

"""Choose the best window of the target duration from the footage.

Candidate windows start and end in pauses between words or at scene cuts that
fall between words (never mid-word). Each is scored on what is said (seconds
of speech, the product named, sentence ends at the edges, speech in the first
two seconds) and on what is seen (motion onset in the first two seconds, black,
frozen or blurry stretches, cuts at the edges rather than just inside them).
When all the speech fits it is all in; the window then slides to the best
looking position. The score parts are kept for the plan.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from pipeline.core.errors import FootageError
from pipeline.core.models import Window, Word
from pipeline.footage.analysis import FROZEN_MOTION, Analysis
from pipeline.speech.transcribe import mentions

MIN_CLIP_MS = 3000
MIN_GAP_MS = 200
LEAD_IN_MS = 400
"""Silence kept before the first word so the clip does not start mid-breath."""
TAIL_MS = 500
OPENING_MS = 2000
"""The first seconds that decide whether a viewer stays."""
GRID_MS = 250
CUT_SNAP_MS = 150
"""A window edge this close to a cut counts as on the cut."""
SPAN_MARGIN_MS = 1000
"""How far the analysed span reaches past the windows that can be chosen."""
FLASH_MS = 500
"""A cut this close inside an edge leaves a flash of the other shot."""
WEIGHTS = {"product": 5.0, "onset": 1.0, "sentence": 0.5, "bad": -10.0, "cut_edge": 0.5,
           "flash": -1.0, "length": 0.1}


@dataclass(frozen=True)
class Choice:
    """A chosen window, its score, the parts of the score and why."""

    window: Window
    score: float
    reasons: tuple[str, ...]
    parts: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class _Talk:
    """Words indexed for fast window queries."""

    words: Sequence[Word]
    starts: list[int]
    ends: list[int]
    speech_before: list[int]
    named: list[int]

    @classmethod
    def of(cls, words: Sequence[Word], terms: Sequence[str]) -> _Talk:
        sums = [0, *itertools.accumulate(w.end_ms - w.start_ms for w in words)]
        return cls(words, [w.start_ms for w in words], [w.end_ms for w in words], sums,
                   [w.start_ms for w in mentions(words, terms)])

    def inside(self, window: Window) -> tuple[int, int]:
        """Index range of the words wholly inside the window."""
        return (bisect.bisect_left(self.starts, window.start_ms),
                bisect.bisect_right(self.ends, window.end_ms))


def choose_window(duration_ms: int, words: Sequence[Word], target_ms: int,
                  product_terms: Sequence[str], visuals: Analysis | None = None,
                  rank: int = 0) -> Choice:
    """The best window of at most ``target_ms`` inside [0, duration_ms]; with ``rank`` k,
    the (k+1)-th best whose opening differs from every better one's (``distinct_openings``),
    for an A/B variant that opens differently. Raises FootageError when there is none."""
    if duration_ms < MIN_CLIP_MS:
        raise FootageError(f"footage is {duration_ms / 1000:.1f} s long, under the 3 s minimum",
                           hint="Use footage of at least 3 seconds")
    talk = _Talk.of(words, product_terms)
    if duration_ms <= target_ms:
        choice = score_window(Window(start_ms=0, end_ms=duration_ms), talk, visuals)
        ranked = [_explain(choice, f"footage ({duration_ms} ms) is not longer than the "
                                   "target: the whole footage is used")]
    elif _speech_fits(words, target_ms):
        ranked = _all_speech(duration_ms, talk, target_ms, visuals)
        if rank:  # other openings cut some speech: pause-aligned windows, as without the fit
            others = ranked[1:] + _best_of(duration_ms, talk, target_ms, visuals)
            ranked = [ranked[0], *sorted(others, key=lambda c: -c.score)]
    else:
        ranked = _best_of(duration_ms, talk, target_ms, visuals)
    if rank == 0:
        return ranked[0]
    openings = distinct_openings(ranked, rank + 1)
    if len(openings) <= rank:
        raise FootageError(
            f"no opening number {rank + 1}: this footage has {len(openings)} window(s) of "
            f"{target_ms / 1000:g} s whose first {OPENING_MS // 1000} s differ",
            hint="Vary other axes (--vary template,music,captions) or use longer footage")
    chosen = openings[rank]
    return _explain(chosen, f"opening variant: window number {rank + 1} by score whose first "
                            f"{OPENING_MS // 1000} s differ from the better windows'")


def distinct_openings(ranked: Sequence[Choice], count: int) -> list[Choice]:
    """Up to ``count`` of the ``ranked`` windows (best first), each starting at least
    ``OPENING_MS`` away from every one before it: their openings, which decide whether a
    viewer stays, do not overlap."""
    picked: list[Choice] = []
    for choice in ranked:
        start = choice.window.start_ms
        if all(abs(start - p.window.start_ms) >= OPENING_MS for p in picked):
            picked.append(choice)
            if len(picked) == count:
                break
    return picked


def analysis_span(duration_ms: int, words: Sequence[Word], target_ms: int) -> Window | None:
    """The part of the footage every window ``choose_window`` may pick lies in, when that
    is less than all of it, so the visual analysis need not decode the rest.

    That is when all speech fits the target: the window then only slides around the
    speech. Otherwise (no speech, or more than fits) any stretch may win: None. The
    span reaches ``SPAN_MARGIN_MS`` past the windows' edges so a cut right at an edge
    is still seen (a cut is a change from the frame before). The footage's typical
    sharpness and motion, which flag blurry stretches and motion onsets, are then those
    of the span: the only stretch they are compared within.
    """
    if duration_ms <= target_ms or not _speech_fits(words, target_ms):
        return None
    earliest, latest = _all_speech_starts(duration_ms, words[0].start_ms, words[-1].end_ms,
                                          target_ms)
    span = Window(start_ms=max(0, earliest - SPAN_MARGIN_MS),
                  end_ms=min(duration_ms, latest + target_ms + SPAN_MARGIN_MS))
    return span if span.duration_ms < duration_ms else None


def _speech_fits(words: Sequence[Word], target_ms: int) -> bool:
    return bool(words) and words[-1].end_ms - words[0].start_ms + LEAD_IN_MS <= target_ms


def _all_speech_starts(duration_ms: int, first: int, last: int, target_ms: int
                       ) -> tuple[int, int]:
    """Earliest and latest start of a window holding all speech from ``first`` to ``last``."""
    latest = max(0, first - LEAD_IN_MS)
    return max(0, min(latest, min(duration_ms, last + TAIL_MS) - target_ms)), latest


def _explain(choice: Choice, why: str) -> Choice:
    return Choice(choice.window, choice.score, (why, *choice.reasons), choice.parts)


def _all_speech(duration_ms: int, talk: _Talk, target_ms: int,
                visuals: Analysis | None) -> list[Choice]:
    """Every window holding all the speech, best first (ties: the earlier)."""
    first, last = talk.starts[0], talk.ends[-1]
    earliest, latest = _all_speech_starts(duration_ms, first, last, target_ms)
    starts = set(range(earliest, latest + 1, GRID_MS)) | {latest}
    starts |= {c for c in (visuals.cuts if visuals else ()) if earliest <= c <= latest}
    options = [score_window(_fit(s, target_ms, duration_ms), talk, visuals) for s in starts]
    options.sort(key=lambda c: (-c.score, c.window.start_ms))
    why = f"all speech ({first}-{last} ms) fits in {target_ms} ms"
    return [_explain(c, why) for c in options]


def _fit(start: int, target_ms: int, duration_ms: int) -> Window:
    end = min(duration_ms, start + target_ms)
    return Window(start_ms=max(0, end - target_ms), end_ms=end)


def boundaries(words: Sequence[Word], duration_ms: int,
               cuts: Sequence[int] = ()) -> tuple[list[int], list[int]]:
    """Allowed window starts and ends: pauses and cuts, never inside a word."""
    starts, ends = {0}, {duration_ms}
    if words:
        starts.add(max(0, words[0].start_ms - LEAD_IN_MS))
        ends.add(min(duration_ms, words[-1].end_ms + TAIL_MS))
    for prev, nxt in itertools.pairwise(words):
        gap = nxt.start_ms - prev.end_ms
        if gap >= MIN_GAP_MS:
            starts.add(nxt.start_ms - min(LEAD_IN_MS, gap // 2))
            ends.add(prev.end_ms + min(TAIL_MS, gap // 2))
    if not words:
        grid = set(range(0, duration_ms, 1000))
        starts |= grid
        ends |= grid
    between = [c for c in cuts if 0 < c < duration_ms and not _in_word(words, c)]
    return sorted(starts | set(between)), sorted(ends | set(between))


def _in_word(words: Sequence[Word], t: int) -> bool:
    i = bisect.bisect_right([w.start_ms for w in words], t) - 1
    return i >= 0 and words[i].start_ms < t < words[i].end_ms


def _best_of(duration_ms: int, talk: _Talk, target_ms: int,
             visuals: Analysis | None) -> list[Choice]:
    """Pause-aligned windows, best first (ties: the first found, earliest start)."""
    starts, ends = boundaries(talk.words, duration_ms, visuals.cuts if visuals else ())
    options: list[Choice] = []
    for start in starts:
        lo = bisect.bisect_left(ends, start + MIN_CLIP_MS)
        hi = bisect.bisect_right(ends, start + target_ms)
        if lo >= hi:
            continue
        longest = ends[hi - 1] - start
        for end in ends[lo:hi]:
            if end - start < 0.8 * longest:
                continue  # much shorter than the longest fitting end: never the best
            options.append(score_window(Window(start_ms=start, end_ms=end), talk, visuals))
    if not options:
        choice = score_window(Window(start_ms=0, end_ms=target_ms), talk, visuals)
        return [_explain(choice, "no pause-aligned window fits: the first window is used")]
    options.sort(key=lambda c: -c.score)  # stable: ties keep the order they were found in
    return options


def score_window(window: Window, talk: _Talk, visuals: Analysis | None) -> Choice:
    """Score one window; the parts and the reasons say why."""
    parts, reasons = _speech_parts(window, talk)
    if visuals is not None:
        v_parts, v_reasons = _visual_parts(window, visuals, parts.get("onset", 0.0) > 0)
        parts.update(v_parts)
        reasons += v_reasons
    parts["length"] = round(window.duration_ms / 1000 * WEIGHTS["length"], 3)
    return Choice(window, round(sum(parts.values()), 3), tuple(reasons), parts)


def _speech_parts(window: Window, talk: _Talk) -> tuple[dict[str, float], list[str]]:
    i, j = talk.inside(window)
    inside = talk.words[i:j] if i < j else []
    speech_ms = talk.speech_before[j] - talk.speech_before[i] if i < j else 0
    parts = {"speech": round(speech_ms / 1000, 3)}
    reasons = [f"window {window.start_ms}-{window.end_ms} ms holds {len(inside)} words "
               f"({speech_ms} ms of speech)"]
    k = bisect.bisect_left(talk.named, window.start_ms)
    if k < len(talk.named) and talk.named[k] < window.end_ms:
        parts["product"] = WEIGHTS["product"]
        reasons.append(f"names the product at {talk.named[k]} ms")
    if inside and inside[0].start_ms - window.start_ms <= OPENING_MS:
        parts["onset"] = WEIGHTS["onset"]
        reasons.append("speech starts within the first 2 s")
    edges = _sentence_edges(talk, i, j)
    if edges:
        parts["sentence"] = WEIGHTS["sentence"] * edges
        reasons.append(f"{edges} edge(s) on a sentence end")
    return parts, reasons


def _sentence_edges(talk: _Talk, i: int, j: int) -> int:
    """How many of the window's edges fall at a sentence end (not in mid-sentence)."""
    if i >= j:
        return 0
    starts_clean = i == 0 or talk.words[i - 1].text.endswith((".", "!", "?"))
    ends_clean = talk.words[j - 1].text.endswith((".", "!", "?")) or j == len(talk.words)
    return int(starts_clean) + int(ends_clean)


def _visual_parts(window: Window, visuals: Analysis, spoken_onset: bool
                  ) -> tuple[dict[str, float], list[str]]:
    samples = visuals.scores_in(window)
    if not samples:
        return {}, []
    parts: dict[str, float] = {}
    reasons: list[str] = []
    bad = sum(s.bad for s in samples) / len(samples)
    if bad:
        parts["bad"] = round(WEIGHTS["bad"] * bad, 3)
        kinds = sorted({k for s in samples for k in ("black", "frozen", "blurry")
                        if getattr(s, k)})
        reasons.append(f"{bad:.0%} of the window is {'/'.join(kinds)}")
    opening = [s for s in samples if s.t_ms < window.start_ms + OPENING_MS]
    moving = [s.motion for s in opening[1:]]
    if not spoken_onset and moving and min(moving) > FROZEN_MOTION \
            and sum(moving) / len(moving) >= visuals.median_motion:
        parts["onset"] = WEIGHTS["onset"]
        reasons.append("motion in the first 2 s")
    on_cut = sum(any(abs(edge - c) <= CUT_SNAP_MS for c in visuals.cuts)
                 for edge in (window.start_ms, window.end_ms))
    if on_cut:
        parts["cut_edge"] = WEIGHTS["cut_edge"] * on_cut
        reasons.append(f"{on_cut} edge(s) on a scene cut")
    flashes = [c for c in visuals.cuts_in(window) if c - window.start_ms < FLASH_MS
               or window.end_ms - c < FLASH_MS]
    if flashes:
        parts["flash"] = WEIGHTS["flash"] * len(flashes)
        reasons.append(f"a cut within {FLASH_MS} ms of an edge at {flashes[0]} ms")
    return parts, reasons

"""When each caption cue is on screen, given the scene cuts (issue 22).

Street footage cuts every second or two, and a cue that ends at every cut flashes
fragments: a cue beginning 1 ms before a cut stayed up for 1 ms, and a lone word
cut off by the shot stayed 261 ms. The rules here, in order of strength:

1. every spoken word is on screen, in exactly one cue, at least while it is said;
2. no cue is on screen under ``MIN_CUE_MS`` unless the clip ends sooner;
3. cues prefer to change at a cut: a cue beginning within ``CUT_SNAP_MS`` of a cut
   begins on it, and a cue's linger stops at the next cut; but a group of words the
   cut would leave as a fragment is merged with its neighbour, so the cue runs
   across the cut.

Grouping words (sentences, pauses, shots, line fitting) is pipeline/captions.py's;
this module only merges fragments and sets the times.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pipeline.core.models import CaptionCue, Word

MIN_CUE_MS = 500
"""The shortest a cue may be on screen (unless the clip ends first): under half a
second a caption is a flash nobody reads."""
LINGER_MS = 400
"""A cue stays up this long after its last word unless the next cue, a cut or the end
comes first."""
CUT_SNAP_MS = 250
"""A cue beginning this close to a cut begins on it, so the caption changes with the shot."""
PAUSE_MS = 600
"""A silence this long between two groups is a real break, not one a cut made."""

Group = list[Word]


def merge_fragments(groups: list[Group], cuts: Sequence[int], duration_ms: int | None,
                    fits: Callable[[Group], bool], orphan: Callable[[Group], bool]
                    ) -> list[Group]:
    """Groups with every fragment merged into a neighbour where the two fit one cue.

    A fragment is a group that would be on screen under ``MIN_CUE_MS`` before the next
    one starts, or a lone short word split from its neighbour by a cut alone (no
    sentence end, no pause). Merging across a real sentence end is the last choice.
    """
    groups = [g for g in groups if g]
    changed = True
    while changed:
        changed = False
        starts = _snapped_starts(groups, cuts)
        for i in range(len(groups)):
            neighbour = _merge_with(groups, starts, i, cuts, duration_ms, fits, orphan)
            if neighbour is None:
                continue
            a, b = sorted((i, neighbour))
            groups[a:b + 1] = [groups[a] + groups[b]]
            changed = True
            break
    return groups


def _merge_with(groups: list[Group], starts: list[int], i: int, cuts: Sequence[int],
                duration_ms: int | None, fits: Callable[[Group], bool],
                orphan: Callable[[Group], bool]) -> int | None:
    """The neighbour group ``i`` should merge with, or None when it stands alone."""
    group = groups[i]
    short = _on_screen(starts, i, duration_ms) < MIN_CUE_MS
    cut_orphan = orphan(group) and any(
        _cut_only(groups[min(i, j)], groups[max(i, j)], cuts)
        for j in (i - 1, i + 1) if 0 <= j < len(groups))
    if not (short or cut_orphan):
        return None
    options = [j for j in (i - 1, i + 1) if 0 <= j < len(groups)
               and fits(groups[min(i, j)] + groups[max(i, j)])]
    if not short:
        options = [j for j in options if _cut_only(groups[min(i, j)], groups[max(i, j)], cuts)]
    if not options:
        return None
    return min(options, key=lambda j: (not _cut_only(groups[min(i, j)], groups[max(i, j)],
                                                     cuts), _gap(groups, i, j)))


def _on_screen(starts: list[int], i: int, duration_ms: int | None) -> int:
    """How long cue ``i`` can stay up before the next begins; the last cue is never
    short (the clip's end is no fragment)."""
    if i + 1 < len(starts):
        return starts[i + 1] - starts[i]
    return MIN_CUE_MS if duration_ms is None else max(MIN_CUE_MS, duration_ms - starts[i])


def _cut_only(before: Group, after: Group, cuts: Sequence[int]) -> bool:
    """True when only a cut separates the two groups: no sentence end, no pause."""
    last, first = before[-1], after[0]
    if last.text.rstrip().endswith((".", "!", "?", "\u3002", "\uff01", "\uff1f")):
        return False
    return first.start_ms - last.end_ms < PAUSE_MS and any(
        last.start_ms < c < first.end_ms for c in cuts)


def _gap(groups: list[Group], i: int, j: int) -> int:
    a, b = groups[min(i, j)], groups[max(i, j)]
    return b[0].start_ms - a[-1].end_ms


def _snapped_starts(groups: Sequence[Group], cuts: Sequence[int]) -> list[int]:
    """Each group's first word, or a cut within ``CUT_SNAP_MS`` of it that the previous
    group's words are done by and its first word is not."""
    starts = []
    for i, group in enumerate(groups):
        first = group[0]
        floor = groups[i - 1][-1].end_ms if i else 0
        near = [c for c in cuts if abs(c - first.start_ms) <= CUT_SNAP_MS
                and floor <= c < first.end_ms]
        starts.append(min(near, key=lambda c: abs(c - first.start_ms)) if near
                      else first.start_ms)
    return starts


def cue_starts(groups: Sequence[Group], cuts: Sequence[int]) -> list[int]:
    """When each group's cue begins: ``_snapped_starts``, held back where needed so the
    cue before stays up ``MIN_CUE_MS`` (a fragment that fitted no neighbour: its next
    cue appears a little after its first word is said rather than leave a flash)."""
    starts: list[int] = []
    for start in _snapped_starts(groups, cuts):
        starts.append(max(start, starts[-1] + MIN_CUE_MS) if starts else start)
    return starts


def timed(cues: Sequence[CaptionCue], groups: Sequence[Group], cuts: Sequence[int],
          duration_ms: int | None) -> tuple[CaptionCue, ...]:
    """The cues with their screen times: from their start (see ``cue_starts``) until
    their last word is said plus ``LINGER_MS`` (at least ``MIN_CUE_MS``), stopping at a
    cut after the last word when that still leaves ``MIN_CUE_MS``, and never past the
    next cue's start or the clip's end."""
    starts = cue_starts(groups, cuts)
    out = []
    for i, cue in enumerate(cues):
        start, said = starts[i], groups[i][-1].end_ms
        end = max(said + LINGER_MS, start + MIN_CUE_MS)
        end = min([end, *(c for c in cuts if c >= max(said, start + MIN_CUE_MS))])
        if i + 1 < len(starts):
            end = min(end, starts[i + 1])
        if duration_ms is not None:
            end = min(end, duration_ms)
            start = min(start, max(duration_ms - 1, 0))
        out.append(cue.model_copy(update={"start_ms": start, "end_ms": max(end, start)}))
    return tuple(out)

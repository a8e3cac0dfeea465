"""Cue timing at shot cuts (issue 22): every word shown once, no cue under 0.5 s,
cues change at cuts where that leaves no fragment."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.brand.templates import load_template
from pipeline.captions.cues import build_cues, end_cues_before, to_srt, to_vtt
from pipeline.captions.timing import MIN_CUE_MS
from pipeline.core.models import CaptionCue, Word

STYLE = load_template("bold").caption
STREET_CUTS = (4280, 6280, 8480, 8800, 10000, 14280)
"""The cuts of the street footage in issue 22 (clip timeline)."""
STREET = [  # "And so my fellow Americans, ask not ..." timed like that clip: "fellow" 1 ms
    # before a cut, "your" 261 ms before the next
    ("And", 2600, 2800), ("so", 2800, 3100), ("my", 3300, 3600), ("fellow", 4279, 4560),
    ("Americans,", 4560, 5200), ("ask", 5600, 5900), ("not", 6000, 6250),
    ("what", 6300, 6500), ("your", 6540, 6801), ("country", 6900, 7300), ("can", 7400, 7600),
    ("do", 7600, 7800), ("for", 7800, 8000), ("you,", 8000, 8400), ("ask", 9200, 9500),
    ("what", 9600, 9800), ("you", 9800, 9950), ("can", 9950, 10200), ("do", 10200, 10400),
    ("for", 10400, 10600), ("your", 10600, 10900), ("country.", 10900, 11600)]


def _words(raw: list[tuple[str, int, int]]) -> list[Word]:
    return [Word(text=t, start_ms=a, end_ms=b) for t, a, b in raw]


def _assert_holds(words: list[Word], cues: tuple[CaptionCue, ...], duration: int) -> None:
    shown = [w for c in cues for line in c.lines for w in line]
    assert [w.text for w in shown] == [w.text for w in words]  # each word in one cue
    for cue in cues:
        said = [w for line in cue.lines for w in line]
        assert cue.end_ms >= min(said[-1].end_ms, duration)  # up while its words are said
        if cue.end_ms < duration:
            assert cue.end_ms - cue.start_ms >= MIN_CUE_MS, to_srt(cues, STYLE)
    assert all(a.end_ms <= b.start_ms for a, b in itertools.pairwise(cues))


def test_street_footage_cues_hold_at_cuts() -> None:
    words = _words(STREET)
    cues = end_cues_before(build_cues(words, STYLE, cuts_ms=STREET_CUTS, duration_ms=15000))
    _assert_holds(words, cues, 15000)
    # the cue that began 1 ms before the cut at 4280 begins on it
    fellow = next(c for c in cues if "fellow" in c.text)
    assert fellow.start_ms == 4280
    # cues still change at cuts
    assert {c.start_ms for c in cues} & set(STREET_CUTS)


def test_a_lone_word_cut_off_by_a_shot_joins_its_neighbour() -> None:
    words = _words([("Grab", 0, 300), ("yours", 300, 700), ("now", 700, 950),
                    ("before", 1200, 1600), ("they", 1600, 1800), ("sell", 1800, 2100),
                    ("out.", 2100, 2600)])
    cues = build_cues(words, STYLE, cuts_ms=(1000,), duration_ms=5000)
    assert all(len([w for line in c.lines for w in line]) > 1 for c in cues)
    _assert_holds(words, cues, 5000)


def test_a_cue_near_a_cut_begins_on_it_and_lingers_only_to_the_next() -> None:
    words = _words([("Look", 1000, 1300), ("at", 1300, 1450), ("this.", 1450, 1900),
                    ("It", 2900, 3100), ("glows.", 3100, 3600)])
    cues = build_cues(words, STYLE, cuts_ms=(2100, 2950), duration_ms=6000)
    assert [c.start_ms for c in cues] == [1000, 2950]
    assert cues[0].end_ms == 2100  # linger stops at the cut


def test_burned_srt_and_vtt_cues_agree() -> None:
    cues = build_cues(_words(STREET), STYLE, cuts_ms=STREET_CUTS, duration_ms=15000)
    srt, vtt = to_srt(cues, STYLE), to_vtt(cues, STYLE)
    assert srt.replace(",", ".").split("\n\n")[0].split("\n", 1)[1] in vtt


words_and_cuts = st.tuples(
    st.lists(st.tuples(st.sampled_from(["a", "the", "bottle", "keeps", "water", "cold.",
                                        "really", "Americans,", "you"]),
                       st.integers(0, 700), st.integers(20, 700)), min_size=1, max_size=30),
    st.lists(st.integers(0, 16000), max_size=12))


@settings(max_examples=200, deadline=None)
@given(words_and_cuts)
def test_every_word_is_shown_once_and_no_cue_flashes(case: tuple[list[tuple[str, int, int]],
                                                                list[int]]) -> None:
    raw, cut_list = case
    t, words = 0, []
    for text, gap, length in raw:
        words.append(Word(text=text, start_ms=t + gap, end_ms=t + gap + length))
        t += gap + length
    duration = t + 300
    cuts = sorted(set(cut_list))
    cues = end_cues_before(build_cues(words, STYLE, cuts_ms=cuts, duration_ms=duration))
    _assert_holds(words, cues, duration)

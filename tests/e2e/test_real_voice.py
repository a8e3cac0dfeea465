"""Real recorded voices over cut-heavy footage (issue 22): the captions hold up.

JFK's inaugural address (tests/data/voice_jfk.opus) and a LibriVox reader of Sense and
Sensibility (tests/data/voice_austen.opus), both public domain, under footage that
cuts every 1.0-1.9 s (tests/support/street.py, real photographs from scikit-image).
The real stages of `clipcart make` run up to the plan (probe, Whisper tiny.en, visual
analysis, window, framing, plan): the captions are decided there, and the burned ASS,
the SRT and the VTT are all written from the plan's cues, so no render is needed to
judge them. Slow (Whisper and an ffmpeg encode of the footage): marked.
"""

from __future__ import annotations

import re

import pytest

from bench.captions import normalise, word_error_rate
from pipeline import produce as stages
from pipeline.captions.cues import clip_words, to_srt
from pipeline.captions.timing import MIN_CUE_MS
from pipeline.core.models import ClipPlan, Transcript
from pipeline.media.samples import CATALOG_CSV, DEMO_SKU
from pipeline.plan import Settings, choose_footage
from tests.support.paths import DATA
from tests.support.street import cut_times_ms, photo_folder, street_footage

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(photo_folder() is None, reason="scikit-image not installed")]

SAID = {
    "voice_jfk.opus": "And so my fellow Americans, ask not what your country can do for you, "
                      "ask what you can do for your country.",
    "voice_austen.opus": "And Mister John Dashwood had then leisure to consider how much "
                         "there might be prudently in his power to do for them. He was not "
                         "an ill disposed young man.",
}
"""What each recording says (tests/data/README.md)."""
TITLES = {"mr": "mister", "mrs": "missus", "dr": "doctor"}
"""Abbreviations Whisper writes for spoken titles: the same word, not an error."""
Planned = tuple[ClipPlan, Transcript, list[int], str]


@pytest.fixture(scope="module", params=sorted(SAID))
def planned(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
            ) -> Planned:
    """The plan `clipcart make` would render for the footage with this voice, its
    transcript, the cuts the analysis found (clip timeline) and what the voice says."""
    folder = tmp_path_factory.mktemp("street")
    footage = street_footage(folder / "street.mp4", DATA / request.param, size="960x540")
    settings = Settings()
    inputs = stages.load_inputs(stages.MakeRequest(
        footage=footage, catalog=CATALOG_CSV, sku=DEMO_SKU, out_dir=folder / "clips",
        settings=settings))
    transcript = stages.transcribe_stage(inputs, settings)
    visuals = stages.analyse_stage(inputs.info, transcript, settings)
    _, choice = choose_footage((inputs.info,), (transcript,), inputs.product, settings,
                               (visuals,))
    framing = stages.frame_stage(inputs.info, choice.window, visuals, inputs.template, settings)
    cuts = visuals.cuts_in(choice.window)
    plan, _ = stages.plan_stage(inputs, transcript, choice.window, choice.reasons, framing,
                                choice.parts, tuple(cuts))
    return plan, transcript, [c - choice.window.start_ms for c in cuts], SAID[request.param]


def test_the_footage_is_cut_heavy_as_the_pipeline_sees_it(
        planned: Planned) -> None:
    plan, _, cuts, _ = planned
    made = [c - plan.window.start_ms for c in cut_times_ms()
            if plan.window.start_ms < c < plan.window.end_ms]
    assert len(cuts) >= len(made) - 1 >= 8  # a cut every 1-2 s, found (one may hide)
    assert all(min(abs(c - m) for m in made) <= 100 for c in cuts)


def test_the_captions_say_what_was_said(planned: Planned) -> None:
    plan, _, _, said = planned
    shown = " ".join(w.text for cue in plan.captions for line in cue.lines for w in line)
    assert word_error_rate(_words(said), _words(shown)) <= 0.10, shown


def test_every_spoken_word_is_shown_in_exactly_one_cue(
        planned: Planned) -> None:
    plan, transcript, _, _ = planned
    spoken = clip_words(transcript, plan.window)
    shown = [w for cue in plan.captions for line in cue.lines for w in line]
    assert [w.text for w in shown] == _hyphens_joined([w.text for w in spoken])
    for cue in plan.captions:
        said = [w for line in cue.lines for w in line]
        # on screen while its words are said (a start may snap to a cut within 250 ms)
        assert cue.start_ms <= said[0].start_ms + 250
        assert cue.end_ms >= min(said[-1].end_ms, plan.duration_ms)


def test_no_cue_is_a_flash(planned: Planned) -> None:
    plan, _, cuts, _ = planned
    srt = to_srt(plan.captions, plan.caption_style)
    spans = [(_ms(a), _ms(b)) for a, b in
             re.findall(r"(\d\d:\d\d:\d\d,\d\d\d) --> (\d\d:\d\d:\d\d,\d\d\d)", srt)]
    assert len(spans) == len(plan.captions) >= 3
    short = [(a, b) for a, b in spans if b - a < MIN_CUE_MS and b < plan.duration_ms]
    assert not short, srt
    # and they still change with the shots where they can
    assert {a for a, _ in spans} & set(cuts), (srt, cuts)


def _ms(stamp: str) -> int:
    h, m, rest = stamp.split(":")
    s, ms = rest.split(",")
    return ((int(h) * 60 + int(m)) * 60 + int(s)) * 1000 + int(ms)


def _words(text: str) -> list[str]:
    return [TITLES.get(w, w) for w in normalise(text)]


def _hyphens_joined(texts: list[str]) -> list[str]:
    """Whisper's halves of a hyphenated word ("ill", "-disposed") as the one caption word."""
    out: list[str] = []
    for text in texts:
        if out and text[:1] == "-" and text[1:2].isalnum() and out[-1][-1:].isalnum():
            out[-1] += text
        else:
            out.append(text)
    return out

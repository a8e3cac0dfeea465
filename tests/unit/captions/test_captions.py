"""Cue segmentation, ASS markup and SRT/VTT agreement."""

from __future__ import annotations

import itertools
import json

from hypothesis import given
from hypothesis import strategies as st

from pipeline.brand.templates import load_template
from pipeline.captions.cues import (
    ass_colour,
    ass_time,
    build_cues,
    caption_words,
    clip_words,
    cue_events,
    cue_text,
    end_cues_before,
    strip_unsupported,
    to_srt,
    to_vtt,
)
from pipeline.core.models import CaptionStyle, Transcript, Window, Word
from tests.support.plans import KEYWORDS, STYLE, WORDS


def test_cues_break_at_sentence_end_and_keep_two_lines() -> None:
    cues = build_cues(WORDS, STYLE, keywords=KEYWORDS)
    assert [c.text for c in cues] == ["This is the Trailhead\nInsulated Bottle.",
                                      "It keeps water\nice cold all day,",
                                      "and the lid\nnever leaks."]
    assert all(len(c.lines) <= 2 for c in cues)
    assert all(len(" ".join(w.text for w in line)) <= STYLE.max_chars_latin + 2
               for c in cues for line in c.lines)


def test_product_words_are_keywords() -> None:
    cue = build_cues(WORDS, STYLE, keywords=KEYWORDS)[0]
    flagged = [w.text for line in cue.lines for w in line if w.keyword]
    assert flagged == ["Trailhead", "Insulated", "Bottle."]


def test_a_cue_never_spans_a_cut() -> None:
    cues = build_cues(WORDS[:6], STYLE, cuts_ms=(1000,))
    assert [c.text for c in cues] == ["This is the", "Trailhead\nInsulated Bottle."]
    assert cues[0].end_ms <= 1000


def test_cjk_is_split_by_characters_not_spaces() -> None:
    words = [Word(text=ch, start_ms=i * 200, end_ms=i * 200 + 180)
             for i, ch in enumerate("这款保温瓶可以让水一整天保持冰凉真的很好用")]
    cues = build_cues(words, CaptionStyle())
    for cue in cues:
        assert cue.is_cjk and " " not in cue.text
        assert all(len("".join(w.text for w in line)) <= 11 for line in cue.lines)


def test_words_shift_to_clip_timeline_and_clip_to_window() -> None:
    transcript = Transcript(text="", language="en", words=WORDS)
    words = clip_words(transcript, Window(start_ms=1000, end_ms=3150))
    assert words[0].text == "Trailhead" and words[0].start_ms == 0
    assert words[-1].text == "It" and words[-1].end_ms == 2150


def test_one_event_per_word_with_that_word_highlighted() -> None:
    cue = build_cues(WORDS, STYLE)[1]
    events = cue_events(cue, STYLE)
    assert len(events) == 7
    assert all(e.count(ass_colour(STYLE.highlight)) == 1 for e in events)
    assert events[0].split(",")[1] == ass_time(cue.start_ms)


def test_srt_and_vtt_carry_the_burned_text() -> None:
    cues = build_cues(WORDS, STYLE)
    srt, vtt = to_srt(cues, STYLE), to_vtt(cues, STYLE)
    assert "00:00:00,400 --> 00:00:03,100\nTHIS IS THE TRAILHEAD\nINSULATED BOTTLE." in srt
    assert vtt.startswith("WEBVTT\n\n00:00:00.400 --> 00:00:03.100\nTHIS IS THE")
    assert srt.count("-->") == vtt.count("-->") == len(cues)


def test_emoji_are_dropped() -> None:
    assert strip_unsupported("love it 😍🔥") == "love it"
    assert strip_unsupported("👍🏽") == ""


def test_dropped_emoji_are_reported_once() -> None:
    warnings: list[str] = []
    words = caption_words([Word(text="so", start_ms=0, end_ms=100),
                           Word(text="good🔥", start_ms=100, end_ms=300),
                           Word(text="🔥", start_ms=300, end_ms=400),
                           Word(text="Привет", start_ms=400, end_ms=600)], warnings)
    assert [w.text for w in words] == ["so", "good", "Привет"]
    assert len(warnings) == 1 and "🔥" in warnings[0] and "2 character" in warnings[0]


def _zh(tokens: list[str], step: int = 250) -> list[Word]:
    return [Word(text=t, start_ms=i * step, end_ms=i * step + step - 20)
            for i, t in enumerate(tokens)]


def test_cjk_multi_character_tokens_keep_lines_short() -> None:
    tokens = ["这款", "保温瓶", "可以", "让水", "一整天", "保持", "冰凉", "盖子", "从不", "漏水"]
    cues = build_cues(_zh(tokens), CaptionStyle(), keywords=["保温瓶"])
    flat = [w.text for c in cues for line in c.lines for w in line]
    assert flat == tokens
    for cue in cues:
        assert " " not in cue_text(cue, STYLE)
        assert all(len("".join(w.text for w in line)) <= 12 for line in cue.lines)


def test_cjk_keyword_split_across_tokens_is_coloured() -> None:
    cue = build_cues(_zh(["这是", "保温", "瓶。"]), CaptionStyle(), keywords=["保温瓶"])[0]
    assert [w.keyword for line in cue.lines for w in line] == [False, True, True]
    assert cue_events(cue, CaptionStyle())[0].split(",")[3] == "CaptionCJK"


def test_mixed_latin_in_chinese_gets_no_spaces_around_han() -> None:
    cue = build_cues(_zh(["买", "Trailhead", "Pro", "保温瓶"]), CaptionStyle())[0]
    assert cue_text(cue, CaptionStyle()) == "买Trailhead Pro保温瓶"


def test_no_lone_short_word_on_a_line() -> None:
    words = [Word(text=t, start_ms=i * 200, end_ms=i * 200 + 180) for i, t in
             enumerate(["Grab", "yours", "from", "the", "link", "below", "right", "now"])]
    for cue in build_cues(words, STYLE):
        for line in cue.lines:
            assert not (len(line) == 1 and len(line[0].text) <= 4), cue.text


def test_cues_are_clipped_to_the_clip_and_cuts() -> None:
    cues = build_cues(WORDS, STYLE, cuts_ms=(2900,), duration_ms=6500)
    assert cues[-1].end_ms == 6500
    assert all(not (c.start_ms < 2900 < c.end_ms) for c in cues)
    assert max(c.end_ms for c in cues) <= 6500


words_strategy = st.lists(
    st.tuples(st.text(min_size=1, max_size=12).filter(str.strip), st.integers(0, 900),
              st.integers(10, 900)), max_size=40)


@given(words_strategy)
def test_segmentation_never_loses_or_reorders_words(raw: list[tuple[str, int, int]]) -> None:
    t, words = 0, []
    for text, gap, length in raw:
        words.append(Word(text=text.strip(), start_ms=t + gap, end_ms=t + gap + length))
        t += gap + length
    cues = end_cues_before(build_cues(words, STYLE))
    flat = [w.text for c in cues for line in c.lines for w in line]
    assert flat == [w.text for w in words]
    assert all(c.end_ms > c.start_ms or c.end_ms == c.start_ms for c in cues)
    assert all(a.end_ms <= b.start_ms for a, b in itertools.pairwise(cues))


def test_cjk_ass_matches_golden() -> None:
    from tests.regen_goldens import GOLDENS, goldens

    expected = json.loads((GOLDENS / "captions_cjk.ass.json").read_text())
    assert goldens()["captions_cjk.ass.json"] == expected, "python -m tests.regen_goldens"


def test_plan_cues_break_at_a_cut_given_in_the_footage_timeline() -> None:
    """The plan shifts footage-timeline cuts into the clip; cuts outside the window
    are ignored. Window starts at 500 ms; the cut at 2100 ms (footage) is 1600 ms in."""
    from pipeline.brand.templates import load_template
    from pipeline.media.samples import CATALOG_CSV, DEMO_SKU
    from pipeline.plan import cues_for
    from pipeline.products.catalog import find_product, load_catalog

    product = find_product(load_catalog(CATALOG_CSV), DEMO_SKU, CATALOG_CSV)
    transcript = Transcript(text="", language="en", words=WORDS)
    window = Window(start_ms=500, end_ms=6500)
    template = load_template("bold")
    uncut = cues_for(transcript, window, template, product)
    cut = cues_for(transcript, window, template, product, cuts_ms=(100, 2100, 9000))
    assert any(c.start_ms < 1600 < c.end_ms for c in uncut)  # the cut changes something
    assert not any(c.start_ms < 1600 < c.end_ms for c in cut)
    assert [w for c in cut for w in c.text.split()] == [w for c in uncut for w in c.text.split()]



UNPUNCTUATED = [  # tiny.en on the demo footage when the prompt had no punctuation
    ("This", 940, 1600), ("is", 1600, 1920), ("the", 1920, 2240), ("Trailhead", 2240, 2840),
    ("Insulated", 2840, 3300), ("Bottle", 3300, 3800),
    ("it", 3800, 4420), ("keeps", 4420, 4960), ("water", 4960, 5320), ("ice", 5320, 5780),
    ("cold", 5780, 6200), ("all", 6200, 6540), ("day", 6540, 7020), ("and", 7020, 7400),
    ("the", 7400, 7520), ("lid", 7520, 7800), ("never", 7800, 8220), ("leaks", 8220, 8780),
    ("right", 8780, 9480), ("now", 9480, 9860), ("it", 9860, 10080), ("is", 10080, 10260),
    ("only", 10260, 10620), ("24", 10620, 11320), ("dollars", 11320, 12360),
    ("grab", 12360, 12760), ("yours", 12760, 13220), ("from", 13220, 13560),
    ("the", 13560, 13740), ("link", 13740, 13980), ("below", 13980, 14500)]


def test_unpunctuated_speech_breaks_before_clauses_not_after_function_words() -> None:
    words = [Word(text=t, start_ms=a, end_ms=b) for t, a, b in UNPUNCTUATED]
    cues = build_cues(words, load_template("bold").caption, keywords=KEYWORDS)
    ends = [line[-1].text for cue in cues for line in cue.lines]
    assert not {"the", "and", "24"} & set(ends), [c.text for c in cues]
    assert any(cue.lines[0][0].text == "and" for cue in cues), [c.text for c in cues]


def test_a_hyphenated_word_is_one_caption_word() -> None:
    """Whisper's " ill" + "-disposed" is drawn as one word; "-5" after "man." stays apart."""
    heard = [("not", 0, 300), ("an", 300, 400), ("ill", 400, 600), ("-disposed", 600, 1100),
             ("man.", 1100, 1400), ("-5", 1500, 1600)]
    words = caption_words([Word(text=t, start_ms=a, end_ms=b) for t, a, b in heard])
    assert [w.text for w in words] == ["not", "an", "ill-disposed", "man.", "-5"]
    assert (words[2].start_ms, words[2].end_ms) == (400, 1100)

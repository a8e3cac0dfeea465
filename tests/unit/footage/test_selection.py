"""Window selection: pause-aligned, product-seeking, all speech when it fits."""

from __future__ import annotations

import pytest

from pipeline.core.errors import FootageError
from pipeline.core.models import Word
from pipeline.footage.analysis import Analysis, FrameScore
from pipeline.footage.selection import boundaries, choose_window
from tests.support.plans import WORDS


def _sentence(start: int, text: str, word_ms: int = 300) -> list[Word]:
    return [Word(text=w, start_ms=start + i * word_ms, end_ms=start + (i + 1) * word_ms - 40)
            for i, w in enumerate(text.split())]


def test_short_footage_gives_a_clip_of_its_own_length() -> None:
    assert choose_window(8000, WORDS, 15000, []).window.duration_ms == 8000


def test_under_three_seconds_is_bad_input() -> None:
    with pytest.raises(FootageError, match="under the 3 s minimum") as exc:
        choose_window(2500, WORDS, 15000, [])
    assert exc.value.exit_code == 2


def test_all_speech_is_in_when_it_fits() -> None:
    shifted = [w.model_copy(update={"start_ms": w.start_ms + 20000, "end_ms": w.end_ms + 20000})
               for w in WORDS]
    window = choose_window(60000, shifted, 15000, []).window
    assert window.start_ms <= shifted[0].start_ms and window.end_ms >= shifted[-1].end_ms
    assert window.duration_ms == 15000


def test_long_talk_prefers_the_product_and_never_cuts_a_word() -> None:
    words, length_ms = _long_talk()
    choice = choose_window(length_ms, words, 8000, ["Trailhead Insulated Bottle", "Trailhead"])
    w = choice.window
    assert any(x.text == "Trailhead" and w.start_ms <= x.start_ms < w.end_ms for x in words)
    for word in words:
        assert not (word.start_ms < w.start_ms < word.end_ms)
        assert not (word.start_ms < w.end_ms < word.end_ms)
    assert any("names the product" in r for r in choice.reasons)


def _visuals(duration_ms: int, black_until: int, cuts: tuple[int, ...] = ()) -> Analysis:
    scores = tuple(FrameScore(t, 100.0, 0.01, 10.0 if t < black_until else 120.0,
                              black=t < black_until) for t in range(0, duration_ms, 250))
    return Analysis(duration_ms, "dense", scores, cuts)


def test_all_speech_window_slides_off_a_black_opening() -> None:
    # speech 400-6300 ms of 30 s footage whose first 3 s are black
    shifted = [w.model_copy(update={"start_ms": w.start_ms + 3000, "end_ms": w.end_ms + 3000})
               for w in WORDS]
    choice = choose_window(30000, shifted, 10000, [], _visuals(30000, 3000))
    window = choice.window
    assert window.start_ms >= 3000 and window.end_ms >= shifted[-1].end_ms
    assert "bad" not in choice.parts and window.duration_ms == 10000


def test_cuts_are_boundaries_only_between_words() -> None:
    words = _sentence(0, "one two three four five six seven eight nine ten")
    inside_word = words[3].start_ms + 100
    starts, ends = boundaries(words, 20000, cuts=(inside_word, 15000))
    assert 15000 in starts and 15000 in ends
    assert inside_word not in starts and inside_word not in ends


def test_analysis_span_covers_every_window_that_can_hold_all_speech() -> None:
    from pipeline.footage.selection import analysis_span

    words = [Word(text="hello", start_ms=20_000, end_ms=21_000),
             Word(text="there.", start_ms=28_000, end_ms=29_000)]
    span = analysis_span(60_000, words, 15_000)
    assert span is not None and span.start_ms <= 29_500 - 15_000 and span.end_ms >= 19_600 + 15_000
    choice = choose_window(60_000, words, 15_000, [])
    assert span.start_ms <= choice.window.start_ms and choice.window.end_ms <= span.end_ms
    assert analysis_span(60_000, [], 15_000) is None  # no speech: any stretch may win
    long_talk = [Word(text="w", start_ms=t, end_ms=t + 500) for t in range(0, 40_000, 1000)]
    assert analysis_span(60_000, long_talk, 15_000) is None
    assert analysis_span(12_000, words[:1], 15_000) is None  # shorter than the target


def _long_talk() -> tuple[list[Word], int]:
    words: list[Word] = []
    t = 0
    for text in ["so today I want to talk about my morning routine and things",
                 "I do every single day before work starts at nine",
                 "then there is this new Trailhead bottle that I really love",
                 "it keeps my water cold and it fits my bag perfectly well",
                 "anyway that is it for the morning and see you later friends"]:
        sentence = _sentence(t, text)
        words += sentence
        t = sentence[-1].end_ms + 700
    return words, t + 2000


def test_an_opening_variant_is_the_next_best_window_that_opens_elsewhere() -> None:
    words, duration = _long_talk()
    terms = ["Trailhead Insulated Bottle", "Trailhead"]
    best = choose_window(duration, words, 8000, terms)
    second = choose_window(duration, words, 8000, terms, rank=1)
    third = choose_window(duration, words, 8000, terms, rank=2)
    starts = [c.window.start_ms for c in (best, second, third)]
    assert all(abs(a - b) >= 2000 for i, a in enumerate(starts) for b in starts[i + 1:])
    assert best.score >= second.score >= third.score
    assert any("opening variant: window number 2" in r for r in second.reasons)
    for word in words:  # still never mid-word
        assert not (word.start_ms < second.window.start_ms < word.end_ms)


def test_footage_with_one_opening_has_no_opening_variant() -> None:
    with pytest.raises(FootageError, match="no opening number 2") as exc:
        choose_window(8000, WORDS, 15000, [], rank=1)
    assert exc.value.exit_code == 2 and "--vary" in (exc.value.hint or "")


def test_when_all_speech_fits_another_opening_cuts_into_it_at_a_pause() -> None:
    words = _sentence(1000, "hello there. this Trailhead bottle keeps water cold all day.")
    words += _sentence(5000, "get yours today, the link is below and it ships free this week.")
    best = choose_window(24000, words, 15000, ["Trailhead"])
    other = choose_window(24000, words, 15000, ["Trailhead"], rank=1)
    assert best.window.start_ms <= words[0].start_ms
    assert abs(other.window.start_ms - best.window.start_ms) >= 2000
    for word in words:
        assert not (word.start_ms < other.window.start_ms < word.end_ms)

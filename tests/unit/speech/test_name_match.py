"""Catalog names respelled after transcription (issue 22): confident matches only."""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence

from pipeline.core.models import Product, Transcript, Window, Word
from pipeline.core.scripts import join_words
from pipeline.produce import name_fix_reasons, with_catalog_names
from pipeline.speech.names import (
    catalog_names,
    correct_names,
    edit_distance,
    phonetic,
    sound_key,
)

NAMES = ["Aurora Desk Lamp", "Liberty Enamel Pin", "Trailhead Insulated Bottle", "Trailhead"]


def _words(text: str, start: int = 0) -> list[Word]:
    return [Word(text=t, start_ms=start + i * 300, end_ms=start + i * 300 + 250)
            for i, t in enumerate(text.split())]


def _fixed(text: str) -> str:
    words, _ = correct_names(_words(text), NAMES)
    return join_words([w.text for w in words])


def test_the_issues_mishearings_are_respelled() -> None:
    assert _fixed("Check out the Aurora Desk. Clamp. It glows.") == \
        "Check out the Aurora Desk Lamp. It glows."
    assert _fixed("This is the Liberty Hamilton, only five dollars.") == \
        "This is the Liberty Enamel Pin, only five dollars."
    assert _fixed("the Trail head insulated bottle") == "the Trailhead Insulated Bottle"


def test_names_heard_split_merged_or_a_word_at_a_time_are_respelled() -> None:
    names = ["Ottoline Ceramic Teapot", "Nordvik Wool Beanie", "Halcyon Bath Salts",
             "Liberty Enamel Pin", "enamel pin"]

    def fixed(text: str) -> str:
        words, _ = correct_names(_words(text), names)
        return join_words([w.text for w in words])

    assert fixed("Look at the artling ceramic deep art, isn't it lovely?") == \
        "Look at the Ottoline Ceramic Teapot, isn't it lovely?"  # each word misheard
    assert fixed("Look at the auto -lean ceramic teapot, isn't it lovely?") == \
        "Look at the Ottoline Ceramic Teapot, isn't it lovely?"  # the next word kept
    assert fixed("Pair it with the Nord Vic Walgene for winter.") == \
        "Pair it with the Nordvik Wool Beanie for winter."  # split, merged
    assert fixed("Also, the healthy and bath salt smell nice.") == \
        "Also, the Halcyon Bath Salts smell nice."
    # the title holding the keyword wins over the keyword alone
    assert fixed("next to deliver the enamel bin.") == "next to Liberty Enamel Pin."


def test_word_by_word_needs_every_word_alike() -> None:
    names = ["Aurora Desk Lamp", "Liberty Enamel Pin", "Marisol Linen Tote"]
    for text in ["I need a new desk lamp for my office.", "The Liberty Bell rang.",
                 "Marisol is the name of my sister.", "Liberty and justice for all.",
                 "the aurora borealis was bright"]:
        _, fixes = correct_names(_words(text), names)
        assert not fixes, (text, fixes)


def test_words_heard_right_do_not_vouch_for_the_rest() -> None:
    # a keyword heard right, and words before it only loosely like the title's first word
    for text, names in [("Pour hello bath salts in.", ["Halcyon Bath Salts", "bath salts"]),
                        ("I kept a trail runner here", ["Kestrel Trail Runner",
                                                         "trail runner"]),
                        ("Order more ceramic teapot sets", ["Ottoline Ceramic Teapot",
                                                            "ceramic teapot"])]:
        _, fixes = correct_names(_words(text), names)
        assert not fixes, (text, fixes)


def test_phonetic_key() -> None:
    assert phonetic("Ottoline") == "atalan" and phonetic("artling") == "artlan"
    assert phonetic("teapot") == "tapat" and phonetic("Philippa") == phonetic("Filipa")
    assert phonetic("cellar") == phonetic("seller")
    assert phonetic("teaches") == "taXas" and phonetic("box") == "paks"  # sh/ch/j sounds: X
    assert phonetic("night") == phonetic("nite") and phonetic("dogharness") == "takarnas"


def test_near_misses_are_left_alone() -> None:
    for text in ["I need a desk lamp for work.", "The Liberty Bell rang.",
                 "Aurora borealis is pretty.", "We saw the Liberty Mel.",
                 "Liberty and justice for all.", "the trailhead is muddy",
                 "the Aurora Desk Lamp is here"]:
        assert _fixed(text) == text


def test_the_respelled_span_keeps_the_times_of_the_words_it_replaces() -> None:
    heard = _words("the Liberty Hamilton, now", start=80000)
    words, (fix,) = correct_names(heard, NAMES)
    assert [w.text for w in words] == ["the", "Liberty", "Enamel", "Pin,", "now"]
    assert words[1].start_ms == heard[1].start_ms and words[3].end_ms == heard[2].end_ms
    assert all(a.end_ms <= b.start_ms for a, b in itertools.pairwise(words))
    assert (fix.heard, fix.spelled, fix.start_ms) == ("Liberty Hamilton,", "Liberty Enamel Pin",
                                                      80300)


def test_plan_reasons_name_each_correction_in_the_window() -> None:
    transcript = Transcript(text="", language="en", words=tuple(_words(
        "the Liberty Hamilton, now", start=80100)))
    fixed = with_catalog_names(transcript, NAMES)
    assert "Liberty Enamel Pin" in fixed.text
    assert name_fix_reasons(fixed, Window(start_ms=75000, end_ms=90000)) == (
        "'Liberty Hamilton,' -> 'Liberty Enamel Pin' at 80.4 s (catalog name, match 0.79)",)
    assert name_fix_reasons(fixed, Window(start_ms=0, end_ms=15000)) == ()


def test_catalog_names_are_titles_brands_and_multiword_keywords_in_latin() -> None:
    product = Product(sku="A", title="Aurora Desk Lamp", price=1, url="https://x.y",
                      brand="Lumen", keywords=("lamp", "desk lamp"))
    other = Product(sku="B", title="步道保温瓶", price=1, url="https://x.y")
    assert catalog_names([product, other]) == ["Aurora Desk Lamp", "Lumen", "desk lamp"]


def test_sound_key() -> None:
    assert sound_key("clamp") == "c451" and sound_key("lamp") == "l51"
    assert sound_key("Hamilton") == sound_key("hamilton")


def test_bench_scores_precision_over_fixes_and_recall_over_misheard_names() -> None:
    from bench.name_fix import score

    rows: list[dict[str, object]] = [
        {"names": ["Aurora Desk Lamp"], "heard": "the Aurora Desk. Clamp.",
         "fixed": "the Aurora Desk Lamp.", "fixes": ["Aurora Desk Lamp"]},
        {"names": ["Liberty Enamel Pin"], "heard": "the Liberty Mel", "fixed": "the Liberty Mel",
         "fixes": []},
        {"names": [], "heard": "the Liberty Bell", "fixed": "the Liberty Enamel Pin",
         "fixes": ["Liberty Enamel Pin"]},
        {"names": ["Aurora Desk Lamp"], "heard": "the Aurora Desk Lamp",
         "fixed": "the Aurora Desk Lamp", "fixes": []}]
    figures = score(rows)
    assert (figures["name_fix_precision"], figures["name_fix_recall"]) == (0.5, 0.5)
    assert score([])["name_fix_precision"] is None


def _table_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def test_bit_parallel_edit_distance_agrees_with_the_table() -> None:
    rng = random.Random(25)
    pairs = [("", ""), ("", "abc"), ("kitten", "sitting"), ("nordvicwulgini", "nordvikwoolbeanie")]
    pairs += [("".join(rng.choice("abcd") for _ in range(rng.randint(0, 70))),
               "".join(rng.choice("abcd") for _ in range(rng.randint(0, 70))))
              for _ in range(300)]
    for a, b in pairs:
        assert edit_distance(a, b) == _table_distance(a, b), (a, b)


def test_a_title_is_recased_even_when_its_keyword_was_heard_right() -> None:
    names = ["Bellhaven Beach Towel", "beach towel", "Trailhead Insulated Bottle", "Trailhead"]
    words, _ = correct_names(_words("pack the bellhaven beach towel and the trailhead "
                                    "insulated bottle"), names)
    assert join_words([w.text for w in words]) == \
        "pack the Bellhaven Beach Towel and the Trailhead Insulated Bottle"


def test_a_correction_never_leaves_the_names_word_repeated_beside_it() -> None:
    words, _ = correct_names(_words("starts with the Ambrose chest set."),
                             ["Ambrose Chess Set", "chess set"])
    assert join_words([w.text for w in words]) == "starts with the Ambrose Chess Set."


def test_with_the_audio_asked_only_what_it_bears_out_is_corrected() -> None:
    asked: list[str] = []

    def confirm(words: Sequence[Word], start: int, length: int,
                respelled: Sequence[Word]) -> float | None:
        asked.append(" ".join(w.text for w in respelled))
        return -3.0 if respelled[0].text == "Liberty" else None

    text = "the Aurora Desk. Clamp. and the Liberty Hamilton, both"
    words, fixes = correct_names(_words(text), NAMES, confirm=confirm)
    assert join_words([w.text for w in words]) == \
        "the Aurora Desk. Clamp. and the Liberty Enamel Pin, both"
    assert [(f.spelled, f.evidence) for f in fixes] == [("Liberty Enamel Pin", -3.0)]
    assert "Aurora Desk Lamp." in asked  # asked, turned down, left as heard

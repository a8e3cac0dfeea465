"""Pitch finding on timed words (no media): one window per pitched product, on the pitch,
none for chit-chat or a product named in passing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipeline.core.models import Product, Word
from pipeline.footage.analysis import FrameScore
from pipeline.footage.pitches import clock, correct_live_names, find_mentions, find_pitches

PRODUCTS = [
    Product(sku="LAMP", title="Aurora Desk Lamp", price=Decimal(39), url="https://e.com/l"),
    Product(sku="SCARF", title="Saffron Silk Scarf", price=Decimal(49), url="https://e.com/s"),
    Product(sku="SALTS", title="Halcyon Bath Salts", price=Decimal(19), url="https://e.com/b"),
]
CHAT = "so happy to see you all here tonight tell me where you are watching from"
LAMP = ("next up is the Aurora Desk Lamp. it dims all the way down. today it is only $39 "
        "tap the link and add it to your cart.")
SCARF = "okay this one is gorgeous the Saffron Silk Scarf. pure silk. it is $49 tonight, grab it."
ASIDE = "by the way my mum still talks about the Halcyon Bath Salts from her birthday."


def spoken(*lines: str, start_ms: int = 1000, gap_ms: int = 700) -> list[Word]:
    """Words of each line at 350 ms a word, ``gap_ms`` between lines."""
    words, at = [], start_ms
    for line in lines:
        for text in line.split():
            words.append(Word(text=text, start_ms=at, end_ms=at + 300))
            at += 350
        at += gap_ms
    return words


def test_one_window_per_pitched_product_on_the_pitch_and_none_for_chat() -> None:
    words = spoken(CHAT, CHAT, LAMP, ASIDE, CHAT, CHAT, SCARF, CHAT, CHAT)
    found = find_pitches(words, PRODUCTS, words[-1].end_ms + 2000, 15000)
    assert [p.sku for p in found.pitches] == ["LAMP", "SCARF"]
    lamp, scarf = found.pitches
    named = next(w.start_ms for w in words if w.text == "Aurora")
    cart = next(w.end_ms for w in words if w.text == "cart.")
    assert lamp.window.start_ms <= named and cart <= lamp.window.end_ms
    assert 9000 <= lamp.window.duration_ms <= 15000
    aside = next(w.start_ms for w in words if w.text == "Halcyon")
    assert not lamp.window.start_ms <= aside < lamp.window.end_ms
    assert any("price" in r for r in scarf.reasons) and any("call" in r for r in scarf.reasons)


def test_talk_without_a_product_gives_nothing() -> None:
    words = spoken(CHAT, ASIDE, CHAT)
    found = find_pitches(words, PRODUCTS, words[-1].end_ms + 1000, 15000)
    assert found.pitches == ()
    assert [m.sku for m in found.mentions] == ["SALTS"]


def test_per_product_gives_separate_non_overlapping_windows() -> None:
    words = spoken(LAMP, *[CHAT] * 12, LAMP, CHAT)
    found = find_pitches(words, PRODUCTS, words[-1].end_ms + 1000, 15000, per_product=2)
    assert [p.sku for p in found.pitches] == ["LAMP", "LAMP"]
    a, b = found.pitches
    assert a.window.end_ms <= b.window.start_ms
    one = find_pitches(words, PRODUCTS, words[-1].end_ms + 1000, 15000, per_product=1)
    assert len(one.pitches) == 1


def test_black_picture_moves_the_window_to_the_pitch_told_on_camera() -> None:
    words = spoken(LAMP, *[CHAT] * 12, LAMP, CHAT)
    end = words[-1].end_ms + 1000
    second = next(w.start_ms for w in words[30:] if w.text == "Aurora")
    samples = [FrameScore(t, 100.0, 0.01, 10.0 if t < second - 2000 else 90.0,
                          black=t < second - 2000) for t in range(0, end, 1000)]
    found = find_pitches(words, PRODUCTS, end, 15000, samples=samples)
    assert len(found.pitches) == 1 and found.pitches[0].window.start_ms >= second - 2000


def test_misheard_names_are_respelled_only_around_name_like_words() -> None:
    words = spoken("the saffron silks, carf, is", CHAT)
    fixed, fixes = correct_live_names(words, ["Saffron Silk Scarf", "Aurora Desk Lamp"])
    assert [f.spelled for f in fixes] == ["Saffron Silk Scarf"]
    assert [m.sku for m in find_mentions(fixed, PRODUCTS)] == ["SCARF"]


def test_a_distinctive_title_word_counts_less_than_the_name() -> None:
    mentions = find_mentions(spoken("the aurora is lovely, this lamp"), PRODUCTS)
    assert [(m.sku, m.weight) for m in mentions] == [("LAMP", 0.6), ("LAMP", 0.3)]


def test_clock() -> None:
    assert clock(75_000) == "1:15" and clock(3_725_000) == "1:02:05"


HAT = Product(sku="HAT", title="Nordvik Wool Beanie", price=Decimal(25), url="https://e.com/h")


def beanie_pitch(heard: str) -> list[Word]:
    """Chat, the lamp's pitch, chat, then the beanie's pitch with its name as ``heard``
    (greedy tiny.en splits a name it does not know and writes "-word" fragments)."""
    return spoken(CHAT, LAMP, CHAT, f"winter is coming so here is the {heard} soft merino -wo "
                  "-o -leat. only $25, grab one from the link.", CHAT)


@pytest.mark.parametrize("heard", ["Nord Vic -Wulgini,", "nor vic will bini.",
                                   "Norvick wool benny,", "Nordvig Woolbeanie,"])
def test_a_name_whisper_split_and_misheard_is_still_found(heard: str) -> None:
    words = beanie_pitch(heard)
    found = find_pitches(words, [*PRODUCTS, HAT], words[-1].end_ms + 1000, 15000)
    assert [p.sku for p in found.pitches] == ["LAMP", "HAT"]
    assert [f.spelled for f in found.fixes] == ["Nordvik Wool Beanie"]
    named = next(w.start_ms for w in words if w.text.startswith(heard.split()[0]))
    hat = found.pitches[1].window
    assert hat.start_ms <= named < hat.end_ms


@pytest.mark.parametrize("heard", ["a nordic wool blanket", "a wool beanie",
                                   "my Nordic walking poles"])
def test_a_near_miss_of_a_name_makes_no_clip(heard: str) -> None:
    words = beanie_pitch(heard)
    found = find_pitches(words, [*PRODUCTS, HAT], words[-1].end_ms + 1000, 15000)
    assert [p.sku for p in found.pitches] == ["LAMP"]
    assert found.fixes == ()

"""One helper decides how a text is written, for every caption engine (issue 22)."""

from __future__ import annotations

import re

from pipeline.captions.cues import build_cues
from pipeline.captions.files import cue_events, cue_text
from pipeline.core.models import CaptionStyle, Word
from pipeline.core.scripts import join_words, script_of, word_gap


def test_scripts() -> None:
    assert script_of("保温瓶") == "cjk"
    assert script_of("ステンレスボトル") == "cjk"
    assert script_of("안녕하세요") == "korean"
    assert script_of("Trailhead bottle") == "latin"
    assert script_of("用iPhone拍") == "cjk"


def test_korean_keeps_its_word_spaces_chinese_and_japanese_have_none() -> None:
    assert join_words(["안녕하세요", "여러분"]) == "안녕하세요 여러분"
    assert join_words(["这款", "保温瓶"]) == "这款保温瓶"
    assert join_words(["用", "iPhone", "拍"]) == "用iPhone拍"
    assert join_words(["New", "York", "的"]) == "New York的"
    assert word_gap("여러분", "안녕") == " "
    assert word_gap("瓶。", "Hi") == ""


def test_engines_write_korean_the_same_way() -> None:
    words = [Word(text=t, start_ms=i * 600, end_ms=i * 600 + 500)
             for i, t in enumerate(["안녕하세요", "여러분"])]
    (cue,) = build_cues(words, CaptionStyle())
    assert cue.text == cue_text(cue, CaptionStyle()) == "안녕하세요 여러분"  # MoviePy, SRT
    burned = [re.sub(r"\{[^}]*\}", "", event).rsplit(",", 1)[-1]
              for event in cue_events(cue, CaptionStyle())]
    assert burned == ["안녕하세요 여러분"] * 2  # ASS, each word highlighted in turn
    assert cue.is_cjk  # drawn with the CJK font

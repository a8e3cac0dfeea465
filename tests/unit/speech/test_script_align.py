"""Caption scripts: reading them (text, SRT, every bad file) and aligning them to timed
words. The timed words here are written by hand; tests/unit/speech/test_script_speech.py
aligns real Whisper output of real (TTS) speech."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest

from pipeline.core.errors import ScriptError
from pipeline.core.models import Transcript, Word
from pipeline.core.scripts import join_words
from pipeline.speech.likeness import likeness
from pipeline.speech.script_align import MIN_ALIGNED, apply_script, pair_tokens, script_tokens
from pipeline.speech.script_file import MAX_SCRIPT_BYTES, read_script, script_beside


def heard(*spoken: tuple[str, int, int], language: str = "en") -> Transcript:
    words = tuple(Word(text=t, start_ms=a, end_ms=b) for t, a, b in spoken)
    return Transcript(text=join_words([w.text for w in words]), language=language, words=words)


def texts(transcript: Transcript) -> list[str]:
    return [w.text for w in transcript.words]


# --- cutting a script into words --------------------------------------------------------

def test_latin_words_keep_their_spelling_case_and_punctuation() -> None:
    words, tokens = script_tokens("Hey — it's the TRAILHEAD bottle,\nonly $24!")
    assert words == ["Hey —", "it's", "the", "TRAILHEAD", "bottle,", "only", "$24!"]
    assert tokens.keys == ("hey", "its", "the", "trailhead", "bottle", "only", "24")


def test_chinese_is_one_word_per_character_with_punctuation_on_the_one_before() -> None:
    words, tokens = script_tokens("「这是」USB-C线。")
    assert words == ["「这", "是」", "USB-C", "线。"]
    assert tokens.keys == ("这", "是", "usbc", "线")
    assert join_words(words) == "「这是」USB-C线。"


def test_korean_words_keep_their_spaces_and_are_matched_by_syllable() -> None:
    words, tokens = script_tokens("안녕하세요 여러분.")
    assert words == ["안녕하세요", "여러분."]
    assert tokens.keys == tuple("안녕하세요여러분")
    assert tokens.owner == (0, 0, 0, 0, 0, 1, 1, 1)
    assert join_words(words) == "안녕하세요 여러분."


def test_likeness_hears_homophones_traditional_characters_and_near_jamo() -> None:
    assert likeness("元", "園") >= 0.9  # yuan: a homophone Whisper wrote
    assert likeness("两", "兩") >= 0.9  # the same character, traditional
    assert likeness("줍", "춥") >= 0.6  # one consonant apart
    assert likeness("never", "ever") >= 0.7
    assert likeness("水", "天") < 0.5 and likeness("lid", "dollars") < 0.5


# --- aligning -----------------------------------------------------------------------------

def test_the_script_replaces_the_words_and_keeps_the_speech_times() -> None:
    speech = heard(("this", 0, 300), ("is", 300, 500), ("the", 500, 600),
                   ("trail", 600, 900), ("head", 900, 1200), ("bottle.", 1200, 1800),
                   ("lid", 2500, 2800), ("ever", 2800, 3100), ("leaks", 3100, 3600))
    out = apply_script(speech, "This is the Trailhead bottle. The lid never leaks!")
    assert texts(out) == ["This", "is", "the", "Trailhead", "bottle.", "The", "lid", "never",
                          "leaks!"]
    assert out.text == "This is the Trailhead bottle. The lid never leaks!"
    times = [(w.start_ms, w.end_ms) for w in out.words]
    assert times[0] == (0, 300) and times[4] == (1200, 1800) and times[-1] == (3100, 3600)
    assert times[3][0] == 600 and times[3][1] <= 1200  # "Trailhead" over "trail head"
    assert 1800 <= times[5][0] < times[5][1] <= 2500  # "The" was missed: between its neighbours
    assert all(a[1] <= b[0] for a, b in pairwise(times))
    assert out.warnings == ()


def test_missed_words_share_the_time_of_a_word_heard_differently() -> None:
    speech = heard(("grab", 0, 200), ("yours", 200, 400), ("today", 400, 700),
                   ("for", 700, 900), ("just", 900, 1200), ("$24.", 1200, 2000))
    out = apply_script(speech, "Grab yours today for just twenty four dollars.")
    assert texts(out)[5:] == ["twenty", "four", "dollars."]
    starts = [w.start_ms for w in out.words]
    assert starts == sorted(starts) and out.words[5].start_ms == 1200
    assert out.words[-1].end_ms == 2000


def test_a_script_missing_at_the_edges_is_timed_before_and_after_the_speech() -> None:
    speech = heard(("keeps", 1000, 1400), ("water", 1400, 1800), ("cold", 1800, 2200))
    out = apply_script(speech, "It keeps water ice cold.")
    assert texts(out) == ["It", "keeps", "water", "ice", "cold."]
    assert 0 <= out.words[0].start_ms < out.words[0].end_ms <= 1000
    assert out.words[2].end_ms <= out.words[3].start_ms < out.words[3].end_ms


def test_a_script_that_is_not_what_was_said_falls_back_with_a_warning() -> None:
    speech = heard(("this", 0, 300), ("is", 300, 500), ("the", 500, 600), ("bottle", 600, 900),
                   ("it", 1000, 1100), ("keeps", 1100, 1400), ("water", 1400, 1700),
                   ("cold", 1700, 2000))
    out = apply_script(speech, "Completely different words about a camping lantern today.",
                       "script other.txt")
    assert out.words == speech.words
    assert len(out.warnings) == 1
    assert out.warnings[0].startswith("script other.txt: only ")
    assert f"under {MIN_ALIGNED:.0%}" in out.warnings[0]


def test_a_script_far_longer_than_the_speech_falls_back_without_aligning() -> None:
    speech = heard(("this", 0, 300), ("is", 300, 500), ("the", 500, 600), ("bottle", 600, 900))
    out = apply_script(speech, "This is the bottle. " * 2, "script long.txt")
    assert out.words == speech.words
    assert out.warnings[0].startswith("script long.txt: the speech has under 60% as many words")


def test_no_speech_means_no_captions_and_a_warning() -> None:
    out = apply_script(Transcript(text="", language="en"), "Hello there.")
    assert out.words == () and "no speech" in out.warnings[0]


def test_pairs_follow_the_order_and_skip_extra_words_on_either_side() -> None:
    assert pair_tokens(["a", "b", "c"], ["a", "x", "b", "c"]) == [0, 2, 3]
    assert pair_tokens(["a", "b", "c", "d"], ["a", "d"]) == [0, -1, -1, 1]


def test_chinese_script_is_aligned_by_character_across_whisper_s_tokens() -> None:
    speech = heard(("这是", 0, 400), ("步道保温瓶", 400, 1400), ("他能", 1600, 2000),
                   ("让水", 2000, 2400), language="zh")
    out = apply_script(speech, "这是步道保温瓶。它能让水")
    assert "".join(texts(out)) == "这是步道保温瓶。它能让水"
    assert out.words[0].start_ms == 0 and out.words[-1].end_ms == 2400


# --- reading script files --------------------------------------------------------------------

def test_plain_text_and_srt_scripts(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("\ufeffHello there.\n", "utf-8")
    assert read_script(tmp_path / "a.txt") == "Hello there."
    (tmp_path / "b.srt").write_text(
        "1\r\n00:00:00,500 --> 00:00:02,000\r\n<i>Hello</i> there.\r\n\r\n"
        "2\r\n00:00:02,100 --> 00:00:04,000\r\n{\\an8}General Kenobi!\r\n", "utf-8")
    assert read_script(tmp_path / "b.srt") == "Hello there.\nGeneral Kenobi!"


@pytest.mark.parametrize(("name", "content", "needle"), [
    ("gone.txt", None, "file not found"),
    ("empty.txt", b"  \n", "file is empty"),
    ("marks.txt", b"... -- !!", "has no words"),
    ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00", "not UTF-8"),
    ("nul.txt", b"hello\x00world", "control characters"),
    ("latin1.txt", "café".encode("latin-1"), "not UTF-8"),
    ("huge.txt", b"word " * (MAX_SCRIPT_BYTES // 5 + 1), "larger than 1 MB"),
    ("bad.srt", b"1\nHello there\n", "not valid SRT"),
])
def test_bad_script_files_raise_one_line_naming_the_file(
        tmp_path: Path, name: str, content: bytes | None, needle: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ScriptError) as caught:
        read_script(path)
    line = caught.value.one_line()
    assert str(path) in line and needle in line and "\n" not in line
    assert caught.value.exit_code == 2


def test_a_folder_is_not_a_script(tmp_path: Path) -> None:
    with pytest.raises(ScriptError, match="not a file"):
        read_script(tmp_path)


def test_the_script_beside_footage_is_its_txt_or_srt(tmp_path: Path) -> None:
    footage = tmp_path / "take1.mp4"
    assert script_beside(footage) is None
    (tmp_path / "take1.srt").write_text("1\n00:00:00,000 --> 00:00:01,000\nHi\n")
    assert script_beside(footage) == tmp_path / "take1.srt"
    (tmp_path / "take1.txt").write_text("Hi")
    assert script_beside(footage) == tmp_path / "take1.txt"


def test_a_long_script_compares_only_near_the_path_of_equal_words_and_pairs_the_same(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.speech import script_align

    sentence = "it keeps water ice cold all day and the lid never leaks grab yours today"
    said = f"{sentence} for just twenty dollars this is the trailhead bottle".split(" ") * 18
    script = list(said)
    misheard = [("ever" if w == "never" else "ram" if w == "grab" else w) for w in said]
    del misheard[40:43]
    assert len(script) * len(misheard) > script_align.FULL_CELLS
    banded = pair_tokens(script, misheard)
    monkeypatch.setattr(script_align, "FULL_CELLS", 10**9)
    assert banded == pair_tokens(script, misheard)
    assert banded.count(-1) == 3

"""Caption scripts aligned to real Whisper output of real (TTS) speech (slow: models run).

The speech: assets/samples/speech.wav (English), tests/data/speech_zh.opus (Mandarin)
and tests/data/speech_ko.opus (Korean); how each was made is in tests/data/README.md.
Robotic TTS is hard for Whisper base (it hears 车序步道保温瓶 for 这是步道保温瓶, 여보 for
여러분), which is the point: the captions must still be the script, word for word.
"""

from __future__ import annotations

from itertools import pairwise

import pytest

from pipeline.captions.cues import build_cues
from pipeline.core.models import CaptionStyle, Transcript, Window
from pipeline.core.scripts import join_words
from pipeline.media.probe import probe
from pipeline.speech.script_align import apply_script
from pipeline.speech.transcribe import TranscribeOptions, transcribe
from tests.support.paths import DATA, SAMPLES

pytestmark = pytest.mark.slow

ENGLISH = ("This is the Trailhead Insulated Bottle. It keeps water ice cold all day, "
           "and the lid never leaks.\nRight now it's only twenty-four dollars. "
           "Grab yours from the link below.")
MANDARIN = "这是步道保温瓶。它能让水一整天保持冰凉。现在只要二十四美元。"
KOREAN = ("안녕하세요 여러분. 이것은 트레일헤드 보온병입니다. 물을 하루 종일 차갑게 유지해 "
          "줍니다. 지금 단돈 이십사 달러입니다.")


def heard(path: str, language: str, *vocabulary: str) -> Transcript:
    options = TranscribeOptions(language=language, vocabulary=vocabulary, threads=2)
    return transcribe(probe(SAMPLES / path if language == "en" else DATA / path), options)


def caption_text(transcript: Transcript) -> str:
    """Every word the cues of the whole transcript show, joined as written."""
    end = transcript.words[-1].end_ms + 1000
    cues = build_cues(transcript.words, CaptionStyle(), duration_ms=Window(
        start_ms=0, end_ms=end).duration_ms)
    return join_words([w.text for cue in cues for line in cue.lines for w in line])


def assert_timed_in_order(transcript: Transcript, speech: Transcript) -> None:
    times = [(w.start_ms, w.end_ms) for w in transcript.words]
    assert all(a <= b for a, b in times)
    assert all(a[1] <= b[0] for a, b in pairwise(times))
    assert times[0][0] >= speech.words[0].start_ms - 1000
    assert times[-1][1] <= speech.words[-1].end_ms + 1000


@pytest.mark.parametrize(("path", "language", "script", "vocabulary"), [
    ("speech.wav", "en", ENGLISH, ("Trailhead Insulated Bottle", "Trailhead")),
    ("speech_zh.opus", "zh", MANDARIN, ("步道保温瓶", "保温瓶")),
    ("speech_ko.opus", "ko", KOREAN, ("트레일헤드 보온병",)),
])
def test_captions_are_the_script_word_for_word(path: str, language: str, script: str,
                                               vocabulary: tuple[str, ...]) -> None:
    speech = heard(path, language, *vocabulary)
    aligned = apply_script(speech, script, "script")
    assert aligned.warnings == (), (speech.text, aligned.warnings)
    written = " ".join(script.split())
    assert aligned.text == written
    assert caption_text(aligned) == written
    assert_timed_in_order(aligned, speech)
    if language == "ko":  # Korean keeps its spaces, in the words and on screen
        assert [w.text for w in aligned.words][:2] == ["안녕하세요", "여러분."]


def test_english_script_words_take_the_times_whisper_heard() -> None:
    speech = heard("speech.wav", "en", "Trailhead Insulated Bottle")
    aligned = apply_script(speech, ENGLISH)
    said = {w.text.strip(".,").lower(): (w.start_ms, w.end_ms) for w in speech.words}
    for word in aligned.words:
        bare = word.text.strip(".,").lower()
        if bare in ("water", "cold", "leaks", "link"):
            assert (word.start_ms, word.end_ms) == said[bare]


def test_a_script_for_other_speech_falls_back_to_what_was_heard() -> None:
    speech = heard("speech.wav", "en", "Trailhead Insulated Bottle")
    other = ("Welcome back to the channel. Today we are unboxing a folding camp chair "
             "with a cup holder and a carry bag.")
    aligned = apply_script(speech, other, "script chair.txt")
    assert aligned.words == speech.words
    assert len(aligned.warnings) == 1 and "script chair.txt: only" in aligned.warnings[0]

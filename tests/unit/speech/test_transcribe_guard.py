"""Transcription without running Whisper: the hallucination guard on fake segments,
model choice by language, the vocabulary prompt, word extraction, and the
multilingual model's reassembly checks."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from pipeline.core.errors import ConfigError, TranscriptionError
from pipeline.core.models import MediaInfo
from pipeline.speech.guard import guard_segments, is_loop, keep_segment
from pipeline.speech.multilingual import ModelPart, _join_parts
from pipeline.speech.transcribe import (
    TranscribeOptions,
    choose_model,
    segment_words,
    transcribe,
    vocabulary_prompt,
)


def seg(text: str, logprob: float = -0.3, no_speech: float = 0.05, ratio: float = 1.3,
        words: tuple[tuple[str, float, float], ...] = ()) -> SimpleNamespace:
    """A stand-in for faster-whisper's Segment with the fields the guard reads."""
    return SimpleNamespace(text=text, avg_logprob=logprob, no_speech_prob=no_speech,
                           compression_ratio=ratio,
                           words=[SimpleNamespace(word=w, start=a, end=b, probability=0.9)
                                  for w, a, b in words])


def test_guard_keeps_confident_speech() -> None:
    assert keep_segment(seg(" It keeps water ice cold all day."))
    assert keep_segment(seg(" 这是步道保温瓶", logprob=-0.9))


@pytest.mark.parametrize("segment", [
    seg(" Thank you for watching!", logprob=-0.9, no_speech=0.8),   # invented over silence
    seg(" Trailhead", logprob=-1.0, no_speech=0.87),                 # seen: tiny.en at a tail
    seg(" ES4.4.4.5 height", logprob=-2.3, no_speech=0.3),           # guessing
    seg(" 4-4-4-4-4-4-4-4-4-4-4-4", logprob=-0.1, ratio=17.0),        # loop, high ratio
    seg(" 我可可可可可可", logprob=-0.1, ratio=1.9),                     # loop, low ratio
    seg(" so good so good so good so good", ratio=2.0),               # phrase loop
    seg("  ", logprob=-0.1),
])
def test_guard_drops_inventions(segment: SimpleNamespace) -> None:
    assert not keep_segment(segment, ("Trailhead Insulated Bottle", "Trailhead"))


def test_prompt_echo_is_dropped_only_over_silence() -> None:
    vocab = ("Trailhead Insulated Bottle",)
    assert not keep_segment(seg(" Trailhead.", no_speech=0.7, logprob=-0.5), vocab)
    assert keep_segment(seg(" Trailhead.", no_speech=0.1), vocab)


def test_repeated_lines_across_segments_are_dropped() -> None:
    segments = [seg(" 何以神天,"), seg(" 何以神天,"), seg(" 何以神天,"), seg(" 是美人")]
    assert [s.text for s in guard_segments(segments)] == [" 何以神天,", " 是美人"]


def test_real_repetition_is_not_a_loop() -> None:
    assert not is_loop("it is very very cold")
    assert not is_loop("only $1000000 today")
    assert not is_loop("谢谢\uff0c谢谢")
    assert is_loop("buy buy buy buy")


def test_model_follows_language() -> None:
    assert choose_model("auto", "en") == "tiny.en"
    assert choose_model("auto", None) == "tiny.en"
    assert choose_model("auto", "zh") == "base"
    assert choose_model("/models/large", "zh") == "/models/large"
    with pytest.raises(ConfigError, match="English-only"):
        choose_model("tiny.en", "zh")


def test_vocabulary_prompt_names_each_word_once() -> None:
    terms = ["Trailhead Insulated Bottle", "Trailhead", "insulated", "leak proof"]
    assert vocabulary_prompt(terms) == "Trailhead Insulated Bottle, leak proof."
    assert vocabulary_prompt(["步道保温瓶", "保温瓶"]) == "步道保温瓶\u3002"
    assert vocabulary_prompt(["步道保温瓶", "Trailhead", "杯"]) == "步道保温瓶、Trailhead、杯。"
    assert vocabulary_prompt(["Trailhead Bottle 🌲 (Forest / 24 oz)", "🌲"]) == (
        "Trailhead Bottle Forest 24 oz.")  # Whisper copies emoji from a prompt
    assert vocabulary_prompt(["Ice Ice Bottle"]) == "Ice Bottle."
    assert vocabulary_prompt([]) is None


def test_words_keep_multi_character_cjk_tokens_and_attach_punctuation() -> None:
    s = seg("现在只要二十四美元。", words=(("现在", 0.0, 0.4), ("只要", 0.4, 0.7),
                                         ("二十四", 0.7, 1.2), ("美元", 1.2, 1.5),
                                         ("。", 1.5, 1.5)))
    words = list(segment_words([s]))
    assert [w.text for w in words] == ["现在", "只要", "二十四", "美元。"]
    assert words[-1].end_ms == 1500


def test_footage_without_audio_says_why() -> None:
    info = MediaInfo(path="/x.mp4", size_bytes=1, duration_ms=5000, has_video=True,
                     has_audio=False)
    transcript = transcribe(info, TranscribeOptions())
    assert transcript.words == () and transcript.note == "footage has no audio"


def _part(path: Path, data: bytes, digest_of: bytes | None = None) -> ModelPart:
    path.write_bytes(data)
    raw = hashlib.sha256(digest_of if digest_of is not None else data).digest()
    return ModelPart(path=path, sha256=base64.urlsafe_b64encode(raw).rstrip(b"=").decode(),
                     size=len(data))


def test_parts_join_in_order_and_are_checked(tmp_path: Path) -> None:
    parts = [_part(tmp_path / "a", b"abc"), _part(tmp_path / "b", b"def")]
    whole = _join_parts(parts, tmp_path / "model.bin")
    assert (tmp_path / "model.bin").read_bytes() == b"abcdef"
    assert whole == hashlib.sha256(b"abcdef").hexdigest()
    damaged = [_part(tmp_path / "a", b"abc"), _part(tmp_path / "b", b"dXf", digest_of=b"def")]
    with pytest.raises(TranscriptionError, match="damaged"):
        _join_parts(damaged, tmp_path / "model2.bin")


def test_the_window_over_the_tail_after_the_last_word_is_never_decoded() -> None:
    from pipeline.speech.transcribe import SPEECH_TAIL_S, until_speech_ends

    def lazily() -> Iterator[SimpleNamespace]:
        yield SimpleNamespace(end=4.0)
        yield SimpleNamespace(end=9.7)  # the speech ends at 10.0: the tail is 0.3 s
        raise AssertionError("the window over the tail was decoded")

    assert [s.end for s in until_speech_ends(lazily(), 10.0)] == [4.0, 9.7]
    # speech further from the end than the pad is still listened to
    far = [SimpleNamespace(end=9.0), SimpleNamespace(end=10.0)]
    assert SPEECH_TAIL_S < 10.0 - 9.0
    assert len(list(until_speech_ends(iter(far), 10.0))) == 2


@pytest.mark.slow
def test_speech_that_fits_one_window_is_encoded_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bundled 13.5 s speech: one Whisper encode (two before), same words."""
    from faster_whisper.audio import decode_audio

    from pipeline.media.samples import SPEECH_WAV
    from pipeline.speech.transcribe import TranscribeOptions, load_model, transcribe_samples

    model = load_model("tiny.en", 2)
    calls: list[object] = []
    encode = model.encode
    monkeypatch.setattr(model, "encode", lambda features: calls.append(1) or encode(features))
    samples = decode_audio(str(SPEECH_WAV), sampling_rate=16000)
    transcript = transcribe_samples(samples, TranscribeOptions(
        model="tiny.en", language="en", vocabulary=("Trailhead Insulated Bottle",), threads=2))
    assert len(calls) == 1
    assert transcript.text.startswith("This is the Trailhead Insulated Bottle.")
    assert transcript.text.endswith("Grab yours from the link below."), transcript.text


def test_preload_leaves_the_model_loaded_for_the_first_transcription() -> None:
    from pipeline.speech.transcribe import ENGLISH_MODEL, _load_model, load_model, preload

    thread = preload()  # auto, language unknown: tiny.en is tried first
    assert thread is not None
    thread.join(60)
    misses = _load_model.cache_info().misses
    load_model(ENGLISH_MODEL, 0)
    assert _load_model.cache_info().misses == misses  # served by the preloaded model
    assert preload("tiny.en", "es") is None  # a bad combination is left for make to report

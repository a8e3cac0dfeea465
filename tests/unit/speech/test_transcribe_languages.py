"""Real Whisper runs on committed or generated speech (slow: models load and decode).

tests/data/speech_zh.opus is Mandarin TTS made with espeak-ng (command in
tests/data/README.md), so these tests need no apt package.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.captions.cues import build_cues, to_ass
from pipeline.core.models import CaptionStyle
from pipeline.core.scripts import is_east_asian
from pipeline.media.probe import probe
from pipeline.media.samples import CATALOG_CSV, make_scene
from pipeline.speech.transcribe import TranscribeOptions, transcribe
from tests.support.paths import DATA, SAMPLES

pytestmark = pytest.mark.slow
ZH_SPEECH = DATA / "speech_zh.opus"


def test_chinese_speech_gives_han_captions_in_the_cjk_style() -> None:
    options = TranscribeOptions(language="zh", vocabulary=("步道保温瓶", "保温瓶"), threads=2)
    transcript = transcribe(probe(ZH_SPEECH), options)
    han = [ch for ch in transcript.text if is_east_asian(ch)]
    assert transcript.language == "zh" and len(han) >= 10, transcript.text
    cues = build_cues(transcript.words, CaptionStyle(), keywords=["保温瓶"])
    events = [line for line in to_ass(cues, CaptionStyle()).splitlines()
              if line.startswith("Dialogue:")]
    assert events and all(e.split(",")[3] == "CaptionCJK" for e in events)
    assert all(" " not in e.split(",,", 2)[-1] for e in events)


def test_footage_without_audio_still_makes_a_clip(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from flows.cli import main

    footage = make_scene(tmp_path / "silent.mp4", seconds=6.0, size="480x270", plain=True,
                         speech=None)
    code = main(["make", str(footage), "--catalog", str(CATALOG_CSV), "--sku",
                 "TRAIL-BOTTLE-24", "--duration", "5", "--out", str(tmp_path / "out"), "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    manifest = json.loads(out.strip().splitlines()[-1])
    assert Path(manifest["outputs"]["video"]).is_file()
    assert manifest["transcript"]["words"] == []
    assert "no captions: footage has no audio" in manifest["warnings"]
    assert Path(manifest["outputs"]["srt"]).read_text() == ""


def test_auto_language_hears_mandarin_through_the_doubtful_english_pass() -> None:
    from pipeline.speech.transcribe import decode_audio, transcribe_samples

    options = TranscribeOptions(vocabulary=("步道保温瓶", "保温瓶"), threads=2)
    transcript = transcribe_samples(decode_audio(probe(ZH_SPEECH)), options)
    han = [ch for ch in transcript.text if is_east_asian(ch)]
    assert transcript.language == "zh" and len(han) >= 10, transcript.text


def test_confident_english_needs_no_language_detection(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.speech import transcribe as module

    def no_detection(*_: object) -> str:
        raise AssertionError("tiny.en was sure: the multilingual model should not run")

    monkeypatch.setattr(module, "detect_language", no_detection)
    speech = SAMPLES / "speech.wav"
    options = TranscribeOptions(vocabulary=("Trailhead Insulated Bottle",), threads=2)
    transcript = module.transcribe_samples(module.decode_audio(probe(speech)), options)
    assert transcript.language == "en" and "Trailhead Insulated Bottle" in transcript.text


def test_auto_language_hears_german_not_tiny_en_s_english_guess() -> None:
    from pipeline.speech.transcribe import decode_audio, transcribe_samples

    german = DATA / "speech_de.opus"
    options = TranscribeOptions(vocabulary=("Trailhead",), threads=2)
    transcript = transcribe_samples(decode_audio(probe(german)), options)
    assert transcript.language == "de", transcript.text
    assert "Trailhead" in transcript.text and " the " not in f" {transcript.text} "

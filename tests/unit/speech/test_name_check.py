"""The audio's say on catalog-name corrections (pipeline/speech/name_check.py): real
Whisper scoring real (TTS) speech, assets/samples/speech.wav ("This is the Trailhead
Insulated Bottle. It keeps water ice cold all day..."). Slow: the model runs."""

from __future__ import annotations

import pytest

from pipeline.core.models import Transcript, Word
from pipeline.media.probe import probe
from pipeline.produce import name_check, with_catalog_names
from pipeline.speech.name_check import MIN_EVIDENCE
from pipeline.speech.names import correct_names
from pipeline.speech.transcribe import TranscribeOptions, transcribe
from tests.support.paths import SAMPLES

pytestmark = pytest.mark.slow

VOCABULARY = ("Trailhead Insulated Bottle", "Trailhead")
OPTIONS = TranscribeOptions(language="en", vocabulary=VOCABULARY, threads=2)


@pytest.fixture(scope="module")
def heard() -> Transcript:
    transcript = transcribe(probe(SAMPLES / "speech.wav"), OPTIONS)
    bare = [w.text.strip(".,").casefold() for w in transcript.words]
    assert bare[:6] == ["this", "is", "the", "trailhead", "insulated", "bottle"]
    return transcript


def _misheard(transcript: Transcript, at: int, texts: list[str]) -> list[Word]:
    """The transcript with the words from ``at`` on written as ``texts`` (times kept)."""
    words = list(transcript.words)
    for i, text in enumerate(texts):
        words[at + i] = words[at + i].model_copy(update={"text": text})
    return words


def test_a_name_the_audio_says_is_confirmed(heard: Transcript) -> None:
    words = _misheard(heard, 3, ["Trail-had", "insulate", "bottle."])
    check = name_check(probe(SAMPLES / "speech.wav"), OPTIONS, heard)
    assert check is not None
    fixed, fixes = correct_names(words, ["Trailhead Insulated Bottle"], confirm=check)
    assert [f.spelled for f in fixes] == ["Trailhead Insulated Bottle"]
    assert fixes[0].evidence is not None and fixes[0].evidence >= MIN_EVIDENCE
    assert [w.text for w in fixed[3:6]] == ["Trailhead", "Insulated", "Bottle."]


def test_a_name_that_only_looks_like_the_words_is_turned_down(heard: Transcript) -> None:
    """"...and the lid never leaks": a catalog name spelled much like those words but
    sounding otherwise. Letters alone make the correction; the audio turns it down."""
    at = next(i for i, w in enumerate(heard.words) if w.text.casefold() == "lid")
    name = "Lindeveer Lakes"
    text_only = correct_names(heard.words, [name])[1]
    assert len(text_only) == 1 and text_only[0].start_ms == heard.words[at].start_ms
    check = name_check(probe(SAMPLES / "speech.wav"), OPTIONS, heard)
    assert check is not None
    assert correct_names(heard.words, [name], confirm=check)[1] == ()


def test_reasons_and_transcript_carry_the_evidence(heard: Transcript) -> None:
    misheard = _misheard(heard, 3, ["Trail-had", "insulate"])
    transcript = heard.model_copy(update={"words": tuple(misheard)})
    check = name_check(probe(SAMPLES / "speech.wav"), OPTIONS, transcript)
    out = with_catalog_names(transcript, list(VOCABULARY), check)
    assert out.text.startswith("This is the Trailhead Insulated Bottle.")
    assert out.fixes[0].evidence is not None

"""The window holds the sentence naming the product, from real speech and a real
Whisper run: 27 s of talk where only the middle sentence names the product.

The speech track is made from committed WAVs: ``tests/data/filler_{a,b}.wav``
(espeak-ng talk that never names the product; ``tests/data/make_speech.sh``)
around "This is the Trailhead Insulated Bottle" cut from the bundled
``assets/samples/speech.wav``. Slow: it transcribes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.footage.analysis import analyse
from pipeline.footage.selection import choose_window
from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.media.probe import probe
from pipeline.media.samples import SPEECH_WAV
from pipeline.speech.transcribe import TranscribeOptions, transcribe
from tests.support.paths import DATA

pytestmark = pytest.mark.slow
DATA = DATA
TERMS = ["Trailhead Insulated Bottle", "Trailhead", "insulated", "bottle", "leak proof"]


@pytest.fixture(scope="module")
def talk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """filler A (11.4 s) | 0.4 s pause | product sentence (0.5-3.9 s of speech.wav) |
    0.4 s pause | filler B (10.7 s), over a 320x180 testsrc2 picture."""
    out = tmp_path_factory.mktemp("talk") / "talk.mp4"
    graph = ("[0:a]aresample=16000,aformat=channel_layouts=mono,apad=pad_dur=0.4[a];"
             "[1:a]atrim=0.5:3.9,asetpts=PTS-STARTPTS,aresample=16000,"
             "aformat=channel_layouts=mono,apad=pad_dur=0.4[b];"
             "[2:a]aresample=16000,aformat=channel_layouts=mono[c];"
             "[a][b][c]concat=n=3:v=0:a=1[aout]")
    run_ffmpeg(["-y", "-v", "error", "-i", str(DATA / "filler_a.wav"), "-i", str(SPEECH_WAV),
                "-i", str(DATA / "filler_b.wav"), "-f", "lavfi", "-i",
                "testsrc2=s=320x180:r=15", "-filter_complex", graph, "-map", "3:v",
                "-map", "[aout]", "-shortest", "-c:v", "libx264", "-preset", "veryfast",
                "-c:a", "aac", str(out)])
    return out


def test_window_holds_the_product_sentence(talk: Path) -> None:
    info = probe(talk)
    transcript = transcribe(info, TranscribeOptions(vocabulary=tuple(TERMS)))
    words = transcript.words
    named = [w for w in words if w.text.strip(".,").casefold() in {"trailhead", "bottle"}]
    assert named and 11000 < named[0].start_ms < 16000, transcript.text
    choice = choose_window(info.duration_ms, words, 15000, TERMS, analyse(info))
    window = choice.window
    assert window.duration_ms <= 15000
    assert all(window.start_ms <= w.start_ms and w.end_ms <= window.end_ms for w in named)
    for word in words:  # never mid-word
        assert not word.start_ms < window.start_ms < word.end_ms
        assert not word.start_ms < window.end_ms < word.end_ms
    assert any("names the product" in r for r in choice.reasons)
    speech_first = [w for w in words if w.start_ms < window.start_ms + 2000]
    assert speech_first and speech_first[-1].start_ms >= window.start_ms  # speech in 2 s

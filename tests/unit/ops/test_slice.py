"""The slice report and its helpers (no media)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from pipeline.core.models import Transcript, Window, Word
from pipeline.footage.pitches import PitchSearch
from pipeline.ops.slice import no_pitch_message, speech_amount, window_transcript, write_report
from pipeline.speech.stream import SAMPLE_RATE, quiet_cut


def test_no_pitch_message_is_one_line_with_speech_and_names() -> None:
    search = PitchSearch((), (), (), (), 42 * 60_000 + 10_000)
    assert no_pitch_message(Path("/x/live.mp4"), search) == (
        "no product pitch found in live.mp4 (42 min of speech, 0 catalog names)")
    assert speech_amount(30_500) == "30 s"


def test_window_transcript_keeps_only_the_window() -> None:
    words = tuple(Word(text=f"w{i}", start_ms=i * 1000, end_ms=i * 1000 + 500)
                  for i in range(100))
    part = window_transcript(Transcript(text="", language="en", words=words),
                             Window(start_ms=10_000, end_ms=25_000))
    assert [w.text for w in part.words] == [f"w{i}" for i in range(10, 25)]


def test_report_replaces_a_recording_and_keeps_others(tmp_path: Path) -> None:
    row = {"sku": "S", "title": "<b>T</b>", "where": "0:01-0:16", "score": 9.5,
           "clip_id": "abc", "why": ["names 'T'"]}
    write_report(tmp_path, [{"recording": "a", "pitches": [row]}, {"recording": "b"}])
    page = (tmp_path / "slice.html").read_text()
    assert "&lt;b&gt;T&lt;/b&gt;" in page and "0:01-0:16" in page and "<script" not in page
    write_report(tmp_path, [{"recording": "a", "pitches": [], "manifests": [{}]}])
    data = json.loads((tmp_path / "slice.json").read_text())
    assert data == {"recordings": [{"recording": "b"}, {"recording": "a", "pitches": []}]}


def test_chunks_are_cut_at_the_quietest_stretch() -> None:
    audio = np.full(SAMPLE_RATE * 20, 8000, dtype=np.int16)
    audio[SAMPLE_RATE * 15: SAMPLE_RATE * 15 + 3200] = 0
    cut = quiet_cut(audio, SAMPLE_RATE * 10)
    assert SAMPLE_RATE * 15 <= cut <= SAMPLE_RATE * 15 + 3200
    assert quiet_cut(audio[:100], 0) == 100


def test_make_on_a_sliced_recording_reuses_its_transcript(tmp_path: Path) -> None:
    from pipeline.core.digest import file_digest
    from pipeline.core.models import MediaInfo
    from pipeline.produce import sliced_transcript
    from pipeline.speech.stream import recording_transcript_path

    footage = tmp_path / "live.mkv"
    footage.write_bytes(b"not really a video, only its bytes are hashed")
    info = MediaInfo.model_validate({"path": str(footage), "size_bytes": 46,
                                     "duration_ms": 3_600_000, "has_video": True,
                                     "has_audio": True})
    assert sliced_transcript(info) is None
    heard = Transcript(text="hello", language="en",
                       words=(Word(text="hello", start_ms=0, end_ms=400),))
    recording_transcript_path(file_digest(footage)).write_text(heard.model_dump_json())
    assert sliced_transcript(info) == heard
    short = info.model_copy(update={"duration_ms": 60_000})
    assert sliced_transcript(short) is None

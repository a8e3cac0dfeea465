"""The slice report and its helpers (no media), and cut-off MP4 recordings (tiny
generated files, no Whisper)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pipeline.core.errors import FootageError
from pipeline.core.models import Transcript, Window, Word
from pipeline.footage.pitches import PitchSearch
from pipeline.footage.survey import survey
from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.media.mp4 import cut_off_reason
from pipeline.ops.slice import (
    _cut_off_warning,
    _read_length,
    no_pitch_message,
    probe_recording,
    speech_amount,
    window_transcript,
    write_report,
)
from pipeline.speech.stream import SAMPLE_RATE, StreamResult, _Reader, quiet_cut


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


@pytest.fixture(scope="module")
def cut_mp4s(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A 10 s 320x240 15 fps recording with a tone, cut to 60 % of its bytes as a
    recorder killed mid-write leaves it: as a plain MP4 (index written last, so cut
    away) and as a fragmented MP4. Made by::

        ffmpeg -f lavfi -i testsrc2=s=320x240:r=15:d=10 -f lavfi -i sine=d=10
               -c:v libx264 -preset ultrafast -g 15 -c:a aac [-movflags +frag_keyframe+empty_moov]
    """
    folder = tmp_path_factory.mktemp("cut")
    cuts = []
    for name, flags in (("plain.mp4", []), ("fragmented.mp4", ["-movflags",
                                                              "+frag_keyframe+empty_moov"])):
        whole = folder / f"whole-{name}"
        run_ffmpeg(["-y", "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=320x240:r=15:d=10",
                    "-f", "lavfi", "-i", "sine=d=10", "-c:v", "libx264", "-preset",
                    "ultrafast", "-g", "15", "-c:a", "aac", *flags, str(whole)])
        data = whole.read_bytes()
        (folder / name).write_bytes(data[: len(data) * 6 // 10])
        cuts.append(folder / name)
    return cuts[0], cuts[1]


def test_a_cut_off_plain_mp4_is_one_clear_line_and_exit_2(
        cut_mp4s: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = cut_mp4s[0]
    assert cut_off_reason(plain).startswith("it has no index")
    with pytest.raises(FootageError) as caught:
        probe_recording(plain)
    line = caught.value.one_line()
    assert str(plain) in line and "cut off mid-write" in line and "fragmented MP4" in line
    catalog = tmp_path / "catalog.csv"
    catalog.write_text("sku,title,price,url\nA,Aurora Desk Lamp,39,https://e.com/a\n")
    from flows.cli import main

    assert main(["slice", str(plain), "--catalog", str(catalog)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no moov atom" in err[0]


def test_a_cut_off_fragmented_mp4_reads_as_far_as_it_goes_with_a_warning(
        cut_mp4s: tuple[Path, Path]) -> None:
    fragmented = cut_mp4s[1]
    info = probe_recording(fragmented)
    seen = survey(info)
    heard = _Reader(info.path)
    samples = sum(len(chunk) for _, chunk in heard.chunks())
    assert 4000 < seen.read_ms < 8000 and 4000 < samples * 1000 // SAMPLE_RATE < 8000
    speech = StreamResult(Transcript(text="", language="en"), heard.read_samples * 1000
                          // SAMPLE_RATE, heard.error)
    read_ms = _read_length(info, speech, seen)
    warning = _cut_off_warning(fragmented, info, read_ms, speech, seen)
    assert len(warning) == 1 and "fragmented.mp4 is cut off: sliced as far as it reads" \
        in warning[0] and "ends inside its last 'mdat' box" in warning[0]

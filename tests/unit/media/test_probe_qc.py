"""Probe errors are bad input; QC measures real files and names what fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.core.errors import FootageError
from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.media.probe import probe
from pipeline.qc import check, moov_before_mdat


@pytest.mark.parametrize("content", [None, b"", b"just some text, not a video\n" * 20])
def test_unreadable_footage_is_bad_input(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "clip.mp4"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(FootageError) as exc:
        probe(path)
    assert exc.value.exit_code == 2 and str(path) in exc.value.one_line()


def test_probe_reads_stream_facts(short_scene: Path) -> None:
    info = probe(short_scene)
    assert (info.width, info.height, info.fps, info.video_codec) == (960, 540, "30/1", "h264")
    assert info.has_audio and info.sample_rate == 48000 and 7900 <= info.duration_ms <= 8100


def test_check_flags_every_broken_rule(short_scene: Path) -> None:
    report = check(short_scene)
    assert not report.passed
    text = " | ".join(report.problems)
    assert "size is (960, 540), expected (1080, 1920)" in text
    assert "LUFS" in text and "faststart" in text


def test_faststart_detection(short_scene: Path, tmp_path: Path) -> None:
    fast = tmp_path / "fast.mp4"
    run_ffmpeg(["-y", "-v", "error", "-i", str(short_scene), "-c", "copy",
                "-movflags", "+faststart", str(fast)])
    assert moov_before_mdat(fast) and not moov_before_mdat(short_scene)

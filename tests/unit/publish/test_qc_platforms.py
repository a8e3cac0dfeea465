"""Platform rules on measured facts, the closed-GOP check on real bitstreams, and
`clipcart check` with per-platform verdicts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flows.cli import main
from pipeline.core.models import MediaInfo
from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.media.mp4 import VideoFacts, nal_types, video_facts
from pipeline.qc import FileFacts, delivery_problems, platform_verdict

GOOD = MediaInfo(path="/c.mp4", size_bytes=9_000_000, duration_ms=15000, has_video=True,
                 has_audio=True, width=1080, height=1920, fps="30/1", video_codec="h264",
                 pix_fmt="yuv420p", audio_codec="aac", sample_rate=48000, channels=2)
GOOD_VIDEO = VideoFacts(profile="High", cfr=True, is_mp4=True, audio_profile="LC",
                        keyframes=8, max_gop_s=2.0)


def facts(video: VideoFacts = GOOD_VIDEO, faststart: bool = True, **info: object) -> FileFacts:
    return FileFacts(info=GOOD.model_copy(update=info), video=video, lufs=-14.0,
                     true_peak=-1.5, faststart=faststart)


def problems(platform: str, f: FileFacts) -> tuple[str, ...]:
    return platform_verdict(platform, f).problems


def test_delivery_spec_file_passes_every_platform() -> None:
    f = facts()
    assert delivery_problems(f, 15000) == []
    assert all(platform_verdict(p, f).passed for p in ("tiktok", "instagram", "youtube"))


@pytest.mark.parametrize(("platform", "change", "expected"), [
    ("tiktok", {"fps": "20/1"}, "outside 23-60 fps"),
    ("tiktok", {"fps": "120/1"}, "outside 23-60 fps"),
    ("tiktok", {"width": 320, "height": 568}, "outside 360-4096 px"),
    ("tiktok", {"width": 2160, "height": 4320}, "outside 360-4096 px"),
    ("tiktok", {"size_bytes": 5 * 1024**3}, "over 4 GB"),
    ("tiktok", {"duration_ms": 700_000}, "outside 1 s-10 min"),
    ("instagram", {"duration_ms": 2500}, "outside 3 s-15 min"),
    ("instagram", {"size_bytes": 301_000_000}, "over 300 MB"),
    ("instagram", {"video_codec": "hevc"}, "expected H.264"),
    ("instagram", {"pix_fmt": "yuv422p"}, "expected 4:2:0"),
    ("instagram", {"sample_rate": 96000}, "AAC ≤ 48 kHz"),
    ("instagram", {"fps": "24000/1001"}, ""),
    ("youtube", {"width": 1920, "height": 1080}, "not vertical"),
    ("youtube", {"duration_ms": 181_000}, "over 3 min"),
    ("youtube", {"width": 1080, "height": 1080}, ""),
])
def test_platform_rules(platform: str, change: dict[str, object], expected: str) -> None:
    found = " | ".join(problems(platform, facts(**change)))
    assert (expected in found and found) if expected else found == ""


def test_reels_needs_moov_first_and_closed_gop() -> None:
    open_gop = VideoFacts(**{**GOOD_VIDEO.__dict__, "open_gop_reason": "2 keyframe(s) are not "
                                                                       "IDR pictures"})
    found = problems("instagram", facts(video=open_gop, faststart=False))
    assert "moov atom is not first" in found and any("GOP is open" in p for p in found)


def test_nal_types_of_length_prefixed_units() -> None:
    sei = bytes([0, 0, 0, 3, 0x06, 1, 2])
    idr = bytes([0, 0, 0, 2, 0x65, 9])
    assert nal_types(sei + idr, "h264") == [6, 5]
    assert nal_types(bytes([0, 0, 0, 3, 0x26, 1, 7]), "hevc") == [19]


def _encode(out: Path, x264_params: str) -> Path:
    run_ffmpeg(["-y", "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=320x240:r=30:d=3",
                "-c:v", "libx264", "-preset", "ultrafast", "-bf", "3",
                "-x264-params", x264_params, "-pix_fmt", "yuv420p", str(out)])
    return out


def test_closed_gop_check_on_real_bitstreams(tmp_path: Path) -> None:
    closed = video_facts(_encode(tmp_path / "closed.mp4", "keyint=30:scenecut=0:b-adapt=0"))
    opened = video_facts(_encode(tmp_path / "open.mp4",
                                 "keyint=30:scenecut=0:b-adapt=0:open-gop=1"))
    assert closed.open_gop_reason == "" and closed.keyframes == 3 and closed.max_gop_s == 1.0
    assert "not IDR" in opened.open_gop_reason


def test_check_cli_json_has_platform_verdicts(capsys: pytest.CaptureFixture[str],
                                              short_scene: Path) -> None:
    code = main(["check", str(short_scene), "--json"])
    data = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 1 and data["passed"] is False
    assert set(data["platforms"]) == {"tiktok", "instagram", "youtube"}
    youtube = data["platforms"]["youtube"]
    assert youtube["passed"] is False and "960x540 is not vertical" in youtube["problems"][0]
    assert data["platforms"]["tiktok"]["passed"] is True

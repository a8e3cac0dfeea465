"""Check a rendered file against the delivery spec and each platform's rules."""

from __future__ import annotations

import itertools
from fractions import Fraction
from pathlib import Path

import av

from pipeline.media.ffmpeg import parse_loudnorm_json, run_ffmpeg
from pipeline.media.probe import probe
from pipeline.models import MediaInfo, QCReport

TARGET_LUFS = -14.0
LUFS_TOLERANCE = 1.0
MAX_TRUE_PEAK = -1.0
MAX_DURATION_MS = 15000


def measure_loudness(path: Path) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) of the file's audio, by ffmpeg's loudnorm scan."""
    stderr = run_ffmpeg(["-v", "info", "-i", str(path), "-vn", "-af",
                         "loudnorm=print_format=json", "-f", "null", "-"])
    stats = parse_loudnorm_json(stderr)
    return stats.get("input_i", -70.0), stats.get("input_tp", -70.0)


def moov_before_mdat(path: Path) -> bool:
    """True when the MP4 index comes first (faststart), read from the top-level atoms."""
    with path.open("rb") as fh:
        offset, size = 0, path.stat().st_size
        while offset < size:
            fh.seek(offset)
            header = fh.read(16)
            if len(header) < 8:
                return False
            length, kind = int.from_bytes(header[:4], "big"), header[4:8]
            if length == 1:
                length = int.from_bytes(header[8:16], "big")
            if kind in (b"moov", b"mdat"):
                return kind == b"moov"
            if length < 8:
                return False
            offset += length
    return False


def video_details(path: Path) -> dict[str, object]:
    """Profile, frame-rate constancy and GOP facts the probe model does not hold."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        profile = stream.codec_context.profile or ""
        times, keys = [], []
        for packet in container.demux(stream):
            if packet.pts is None:
                continue
            times.append(float(packet.pts * (stream.time_base or 0)))
            keys.append(packet.is_keyframe)
    times.sort()
    deltas = [b - a for a, b in itertools.pairwise(times)]
    cfr = bool(deltas) and max(deltas) - min(deltas) < 0.002
    return {"profile": str(profile), "cfr": cfr, "keyframes": sum(keys)}


def check(path: Path, *, max_duration_ms: int = MAX_DURATION_MS) -> QCReport:
    """Probe and measure ``path``; ``passed`` only when every rule holds."""
    info = probe(path)
    details = video_details(path) if info.has_video else {}
    lufs, peak = measure_loudness(path) if info.has_audio else (-70.0, -70.0)
    problems = list(_problems(info, details, lufs, peak, max_duration_ms))
    if not moov_before_mdat(path):
        problems.append("moov atom is not before mdat (needs +faststart)")
    fps = Fraction(info.fps) if info.has_video else Fraction(0)
    return QCReport(width=info.display_size[0] if info.has_video else 0,
                    height=info.display_size[1] if info.has_video else 0,
                    fps=round(float(fps), 3), duration_ms=info.duration_ms,
                    video_codec=info.video_codec, audio_codec=info.audio_codec,
                    sample_rate=info.sample_rate, loudness_lufs=round(lufs, 2),
                    true_peak_dbtp=round(peak, 2), passed=not problems,
                    problems=tuple(problems))


def _problems(info: MediaInfo, details: dict[str, object], lufs: float, peak: float,
              max_duration_ms: int) -> list[str]:
    out: list[str] = []
    expect = {"video codec": (info.video_codec, "h264"), "pixel format": (info.pix_fmt, "yuv420p"),
              "size": (info.display_size, (1080, 1920)), "frame rate": (info.fps, "30/1"),
              "audio codec": (info.audio_codec, "aac"), "sample rate": (info.sample_rate, 48000),
              "channels": (info.channels, 2), "H.264 profile": (details.get("profile"), "High")}
    for name, (got, want) in expect.items():
        if got != want:
            out.append(f"{name} is {got}, expected {want}")
    if not details.get("cfr"):
        out.append("frame rate is not constant")
    if info.duration_ms > max_duration_ms + 20:
        out.append(f"duration {info.duration_ms} ms exceeds {max_duration_ms} ms")
    if abs(lufs - TARGET_LUFS) > LUFS_TOLERANCE:
        out.append(f"integrated loudness {lufs:.1f} LUFS, "
                   f"expected {TARGET_LUFS} ± {LUFS_TOLERANCE}")
    if peak > MAX_TRUE_PEAK:
        out.append(f"true peak {peak:.1f} dBTP exceeds {MAX_TRUE_PEAK} dBTP")
    return out

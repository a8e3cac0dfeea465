"""Benchmark inputs, generated once and cached under CLIPCART_HOME/bench."""

from __future__ import annotations

from pathlib import Path

from pipeline.core.home import home_subdir
from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.media.samples import make_scene


def bench_dir() -> Path:
    """CLIPCART_HOME/bench, created on use."""
    return home_subdir("bench")


def speech_footage(quick: bool = False) -> Path:
    """60 s 1920x1080 30 fps scene with speech (quick: 8 s 960x540)."""
    if quick:
        out = bench_dir() / "speech_8s_540p.mp4"
        kwargs: dict[str, object] = {"seconds": 8.0, "size": "960x540", "speech_at_s": 0.5,
                                     "plain": True}
    else:
        out = bench_dir() / "speech_60s_1080p.mp4"
        kwargs = {"seconds": 60.0, "size": "1920x1080", "speech_at_s": 2.5}
    return out if out.exists() else make_scene(out, **kwargs)


def uhd60_args(out: Path, seconds: float, size: str) -> list[str]:
    """ffmpeg arguments for a cheap high-resolution 60 fps input: testsrc2 + a tone,
    x264 ultrafast (fast to make, still a real H.264 stream to decode)."""
    return ["-y", "-v", "error", "-f", "lavfi", "-i", f"testsrc2=s={size}:r=60:d={seconds}",
            "-f", "lavfi", "-i", f"sine=f=440:sample_rate=48000:d={seconds}",
            "-c:v", "libx264", "-preset", "ultrafast", "-crf", "28", "-pix_fmt", "yuv420p",
            "-g", "120", "-c:a", "aac", "-b:a", "96k", "-shortest", str(out)]


def uhd60_footage(quick: bool = False) -> Path:
    """2-minute 3840x2160 60 fps input (quick: 6 s 1920x1080 60 fps), made once."""
    seconds, size = (6.0, "1920x1080") if quick else (120.0, "3840x2160")
    out = bench_dir() / f"testsrc2_{int(seconds)}s_{size}_60.mp4"
    if not out.exists():
        part = out.with_name(f".{out.name}.part.mp4")
        run_ffmpeg(uhd60_args(part, seconds, size))
        part.replace(out)
    return out

"""Choose the x264 preset by measurement: SSIM against the reference per CPU second.

Usage: ``python -m bench.presets CLIP.mp4 [SECONDS] [--equal-size]``. The
reference is the first SECONDS of a rendered clip, decoded once to lossless FFV1
(so every preset starts from the same frames); each preset encodes it with the
render's CRF and rate cap, and ffmpeg's ssim filter compares the result with the
reference. With ``--equal-size`` every preset instead encodes at the average
bitrate the render's own preset reached at its CRF (same cap), so quality is
compared at equal bytes. Cost is the encoder's CPU seconds (user + system),
steadier than wall time on a shared machine.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

from bench.measure import timed
from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.media.probe import probe
from pipeline.render.graph import BUFSIZE, CRF, ENCODER_PRESET, MAXRATE

PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium")


def encode_args(ref: Path, preset: str, out: Path, kbps: int | None = None) -> list[str]:
    """The render's x264 settings with ``preset``, video only; at the render's CRF, or
    at an average of ``kbps`` (one pass, same cap) to compare presets at equal size."""
    rate = ["-crf", str(CRF)] if kbps is None else ["-b:v", f"{kbps}k"]
    return ["-y", "-v", "error", "-i", str(ref), "-an", "-c:v", "libx264", "-preset", preset,
            *rate, "-maxrate", MAXRATE, "-bufsize", BUFSIZE, "-profile:v", "high",
            "-pix_fmt", "yuv420p", "-g", "60", "-flags", "+cgop", str(out)]


def crf_kbps(ref: Path, out: Path) -> int:
    """Average video bitrate (kb/s) the render's preset reaches at its CRF on ``ref``
    (over the reference's own length: the clip may be shorter than asked for)."""
    run_ffmpeg(encode_args(ref, ENCODER_PRESET, out))
    return round(out.stat().st_size * 8 / probe(ref).duration_ms)


def ssim_db(ref: Path, test: Path) -> float:
    """Mean SSIM of ``test`` against ``ref`` in dB (ffmpeg's ssim filter)."""
    stderr = run_ffmpeg(["-v", "info", "-i", str(test), "-i", str(ref), "-lavfi",
                         "[0:v][1:v]ssim", "-f", "null", "-"])
    match = re.search(r"SSIM .* All:[\d.]+ \(([\d.]+|inf)\)", stderr)
    return float(match.group(1)) if match else 0.0


def measure(clip: Path, seconds: float = 5.0, equal_size: bool = False
            ) -> list[dict[str, float | str]]:
    """One row per preset: cpu_s, size_kb, ssim_db, ssim_db_per_cpu_s (at the render's
    CRF, or at ``equal_size``: the bitrate the render's preset reaches at that CRF)."""
    rows: list[dict[str, float | str]] = []
    with tempfile.TemporaryDirectory(prefix="clipcart-presets-") as tmp:
        ref = Path(tmp) / "ref.mkv"
        run_ffmpeg(["-y", "-v", "error", "-t", f"{seconds}", "-i", str(clip), "-an",
                    "-c:v", "ffv1", str(ref)])
        kbps = crf_kbps(ref, Path(tmp) / "crf.mp4") if equal_size else None
        for preset in PRESETS:
            out = Path(tmp) / f"{preset}.mp4"
            args = encode_args(ref, preset, out, kbps)
            _, sample = timed(lambda: run_ffmpeg(args))  # noqa: B023  (called at once)
            quality = ssim_db(ref, out)
            rows.append({"preset": preset, "cpu_s": round(sample.cpu_s, 2),
                         "wall_s": round(sample.wall_s, 2),
                         "size_kb": round(out.stat().st_size / 1024),
                         "ssim_db": round(quality, 2),
                         "ssim_db_per_cpu_s": round(quality / max(sample.cpu_s, 1e-3), 2)})
    return rows


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--equal-size"]
    found = measure(Path(args[0]), float(args[1]) if len(args) > 1 else 5.0,
                    equal_size="--equal-size" in sys.argv)
    print("| preset | CPU s | wall s | size KB | SSIM dB | SSIM dB per CPU s |")
    print("|---|---|---|---|---|---|")
    for row in found:
        print(f"| {row['preset']} | {row['cpu_s']} | {row['wall_s']} | {row['size_kb']} "
              f"| {row['ssim_db']} | {row['ssim_db_per_cpu_s']} |")

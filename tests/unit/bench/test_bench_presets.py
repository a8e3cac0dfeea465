"""`python -m bench.presets`: the preset comparison behind the README's choice."""

from __future__ import annotations

from pathlib import Path

from bench.presets import PRESETS, encode_args, measure
from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.render.graph import CRF, MAXRATE


def test_encode_args_use_the_render_crf_or_an_average_bitrate() -> None:
    at_crf = encode_args(Path("ref.mkv"), "fast", Path("o.mp4"))
    at_rate = encode_args(Path("ref.mkv"), "fast", Path("o.mp4"), kbps=900)
    assert at_crf[at_crf.index("-crf") + 1] == str(CRF) and "-b:v" not in at_crf
    assert at_rate[at_rate.index("-b:v") + 1] == "900k" and "-crf" not in at_rate
    for args in (at_crf, at_rate):
        assert args[args.index("-preset") + 1] == "fast"
        assert args[args.index("-maxrate") + 1] == MAXRATE


def test_equal_size_rows_land_near_one_size(tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    run_ffmpeg(["-y", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=180x320:rate=30",
                "-t", "1", "-c:v", "libx264", "-pix_fmt", "yuv420p", str(clip)])
    at_crf = {r["preset"]: r for r in measure(clip, 1.0)}
    equal = {r["preset"]: r for r in measure(clip, 1.0, equal_size=True)}
    assert set(at_crf) == set(equal) == set(PRESETS)
    sizes = [float(r["size_kb"]) for r in equal.values()]
    crf_sizes = [float(r["size_kb"]) for r in at_crf.values()]
    assert max(sizes) / max(min(sizes), 1.0) < max(crf_sizes) / max(min(crf_sizes), 1.0)
    assert all(0 < float(r["ssim_db"]) < 100 for r in [*at_crf.values(), *equal.values()])

"""`clipcart bench --quick --json`: a short smoke run of the real benchmark.

Checks the contract (the last stdout line is one JSON object with every figure,
all positive), not the targets: those need the full run on an idle machine.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flows.cli import main

pytestmark = pytest.mark.slow

FIGURES = ("floor_s", "render_s", "moviepy_s", "ratio_render_vs_floor", "speedup_vs_moviepy",
           "transcribe_rtf", "make_s", "peak_rss_mb", "peak_rss_4k60_mb", "analysis_s",
           "analysis_share_of_render", "floor_cpu_s", "render_cpu_s")


@pytest.mark.bench
def test_quick_bench_prints_one_json_object_last(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["bench", "--quick", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["quick"] is True
    for key in FIGURES:
        assert result[key] > 0, key
    assert "ratio_render_vs_floor" in err and "target <= 1.15" in err


def test_batch_campaign_variants_share_the_picture_not_the_speech(tmp_path: Path) -> None:
    """The full batch bench cuts its clips from one scene with the speech moved: each
    variant keeps the picture bit for bit and hashes (so makes a clip) of its own."""
    import av

    from pipeline.core.digest import file_digest
    from pipeline.media.samples import make_scene, with_speech_at

    scene = make_scene(tmp_path / "scene.mp4", seconds=4, size="320x240", plain=True)
    variants = [with_speech_at(scene, tmp_path / f"v{i}.mp4", at_s=0.5 + i, seconds=4)
                for i in range(2)]
    assert len({file_digest(p) for p in (scene, *variants)}) == 3

    def packets(path: Path, kind: str) -> list[bytes]:
        with av.open(str(path)) as box:
            return [bytes(p) for p in box.demux(getattr(box.streams, kind)[0]) if p.size]

    assert packets(variants[0], "video") == packets(scene, "video")
    assert packets(variants[0], "audio") != packets(variants[1], "audio")
    assert not list(tmp_path.glob(".*part*"))


@pytest.mark.bench
def test_batch_bench_runs_and_reports_both_ratios() -> None:
    """`python -m bench.batch 1 1 --small` in a fresh process: its JSON carries the wall
    and CPU overheads of clips actually made (the figures, not the targets)."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "bench.batch", "1", "1", "--small"],
                          capture_output=True, text=True, check=False, timeout=900)
    assert proc.returncode == 0, proc.stderr[-800:]
    result = json.loads(proc.stdout)
    assert result["made"] == 1 and result["footage"] == "8 s 960x540"
    assert result["render_floor_sum_s"] > 0 and result["render_floor_cpu_s"] > 0
    assert result["batch_cpu_s"] > result["render_floor_cpu_s"] * 0.5
    assert isinstance(result["overhead_pct"], float)
    assert isinstance(result["overhead_cpu_pct"], float)

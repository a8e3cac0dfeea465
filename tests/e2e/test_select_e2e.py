"""End to end through `clipcart make`: 8 s footage gives an 8 s clip, and of two
footage files the one worth watching is used. Slow: a real render and Whisper."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.media.samples import CATALOG_CSV

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def dull(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """6 s 640x360 with silent audio: 3 s black, then one still frame of smptebars."""
    out = tmp_path_factory.mktemp("dull") / "dull.mp4"
    run_ffmpeg(["-y", "-v", "error", "-filter_complex",
                "color=c=black:s=640x360:r=30:d=3[a];smptebars=s=640x360:r=30:d=3[b];"
                "[a][b]concat=n=2:v=1:a=0,format=yuv420p[v];"
                "anullsrc=r=48000:cl=stereo,atrim=duration=6[s]",
                "-map", "[v]", "-map", "[s]", "-c:v", "libx264", "-preset", "veryfast",
                "-c:a", "aac", str(out)])
    return out


def test_short_footage_gives_a_clip_of_its_length_and_the_best_file_wins(
        dull: Path, short_scene: Path, tmp_path: Path, prefect_api_env: dict[str, str]) -> None:
    env = {**os.environ, **prefect_api_env, "CLIPCART_HOME": str(tmp_path / "home")}
    proc = subprocess.run(
        [sys.executable, "-m", "flows.cli", "make", str(dull), str(short_scene), "--catalog",
         str(CATALOG_CSV), "--sku", "TRAIL-BOTTLE-24", "--out", str(tmp_path / "clips"),
         "--json"], capture_output=True, text=True, env=env, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr
    made = json.loads(proc.stdout)
    assert made["source"] == str(short_scene.resolve())
    assert made["window"] == {"start_ms": 0, "end_ms": 8000}
    assert abs(made["duration_ms"] - 8000) <= 50 and made["qc"]["passed"]
    plan = json.loads(Path(made["outputs"]["plan"]).read_text())
    assert plan["reasons"][0].startswith("chose short_scene.mp4 of 2 footage files")
    assert plan["scores"]["speech"] > 3
    assert {"analysis", "select", "reframe"} <= set(made["timings"])

"""End to end through `clipcart make`: loudness of real renders, and a template without music.

Slow (two real renders and a Whisper run on short footage): marked, run once per
`make test`. Footage: 8 s 480x270, the bundled speech from 2.0 s (a 2 s pause
first, then speech to the end), and the same scene without an audio stream. The
speech + music render is tests/test_e2e.py's; its mix is measured in test_audio_stems.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pipeline.brand.templates import TEMPLATES_DIR
from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.media.samples import CATALOG_CSV, make_scene
from tests.support.stems import frame_db, read_mono

pytestmark = pytest.mark.slow


def make(footage: Path, template: str, out: Path, api: dict[str, str]) -> dict[str, object]:
    env = {**os.environ, **api, "CLIPCART_HOME": str(out / "home")}
    proc = subprocess.run(
        [sys.executable, "-m", "flows.cli", "make", str(footage), "--catalog", str(CATALOG_CSV),
         "--sku", "TRAIL-BOTTLE-24", "--template", template, "--out", str(out / "clips"),
         "--json"], capture_output=True, text=True, env=env, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr
    manifest: dict[str, object] = json.loads(proc.stdout)
    return manifest


@pytest.fixture(scope="module")
def footage(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("footage")
    return {"speech": make_scene(folder / "speech.mp4", seconds=8.0, size="480x270",
                                 speech_at_s=2.0, plain=True),
            "silent": make_scene(folder / "silent.mp4", seconds=8.0, size="480x270",
                                 speech=None, plain=True)}


@pytest.fixture(scope="module")
def clips(footage: dict[str, Path], tmp_path_factory: pytest.TempPathFactory,
          prefect_api_env: dict[str, str]) -> dict[str, dict[str, object]]:
    out = tmp_path_factory.mktemp("clips")
    quiet = out / "bold-no-music.yaml"
    quiet.write_text((TEMPLATES_DIR / "bold.yaml").read_text().replace(
        "name: bold", "name: bold-no-music").replace("  enabled: true", "  enabled: false"))
    return {"speech": make(footage["speech"], str(quiet), out / "b", prefect_api_env),
            "music": make(footage["silent"], "bold", out / "c", prefect_api_env)}


@pytest.mark.parametrize("case", ["speech", "music"])
def test_render_is_minus_14_lufs_and_under_minus_1_dbtp(
        clips: dict[str, dict[str, object]], case: str) -> None:
    qc = clips[case]["qc"]
    assert isinstance(qc, dict)
    assert abs(qc["loudness_lufs"] + 14.0) <= 0.5, qc
    assert qc["true_peak_dbtp"] <= -1.0, qc
    assert qc["sample_rate"] == 48000 and qc["passed"], qc


def pause_levels(manifest: dict[str, object], tmp_path: Path) -> np.ndarray:
    """10 ms levels of the clip's audio at least 300 ms away from every spoken word."""
    video = Path(manifest["outputs"]["video"])  # type: ignore[index]
    wav = tmp_path / "clip.wav"
    run_ffmpeg(["-y", "-v", "error", "-i", str(video), "-vn", "-c:a", "pcm_f32le", str(wav)])
    levels = frame_db(read_mono(wav))
    away = np.ones(levels.size, dtype=bool)
    away[:30] = away[-40:] = False  # the master's fades
    for word in manifest["transcript"]["words"]:  # type: ignore[index]
        away[max(0, word["start_ms"] // 10 - 30): word["end_ms"] // 10 + 30] = False
    assert away.sum() >= 50, "the clip should keep some of the 2 s pause"
    return levels[away]


def test_template_without_music_has_silent_pauses(clips: dict[str, dict[str, object]],
                                                   tmp_path: Path) -> None:
    """Pauses hold only the footage's room tone (the sample has none); with music they
    would sit near the bed's level, about -20 dBFS at -14 LUFS."""
    assert np.percentile(pause_levels(clips["speech"], tmp_path), 90) < -55.0


def test_footage_without_audio_gets_the_bed_throughout(
        clips: dict[str, dict[str, object]], tmp_path: Path) -> None:
    assert np.percentile(pause_levels(clips["music"], tmp_path), 5) > -40.0

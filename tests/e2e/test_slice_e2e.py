"""End to end through `clipcart slice`: a generated 100 s live recording (TTS host, three
pitches, chit-chat, one product named in passing) gives one clip per pitched product,
each window on its pitch; a chat-only recording gives none; a cut-off one is sliced as
far as it reads. Slow: Whisper and real renders. Needs flite or espeak-ng."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.live import Spoken, make_live_recording, write_catalog
from flows.cli import main
from pipeline.media.ffmpeg import run_ffmpeg

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not (shutil.which("flite") or shutil.which("espeak-ng")),
                                 reason="needs flite or espeak-ng to speak the host")]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Spoken], Path]:
    """100 s 640x360 15 fps, pitches of LAMP-1, SCARF-1, SHOE-1; SALTS-1 named in passing
    (bench/live.py: flite speech, lavfi picture, a keyframe every 2 s)."""
    folder = tmp_path_factory.mktemp("live")
    truth = make_live_recording(folder / "live.mp4", 100, pitches=3)
    return folder / "live.mp4", truth, write_catalog(folder / "catalog.csv")


def _slice(args: list[str], home: Path, api: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **api, "CLIPCART_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "flows.cli", "slice", *args, "--json"],
                          capture_output=True, text=True, env=env, timeout=1200, check=False)


def test_one_clip_per_pitched_product_on_its_pitch_and_a_resume(
        live: tuple[Path, list[Spoken], Path], tmp_path: Path,
        prefect_api_env: dict[str, str]) -> None:
    recording, truth, catalog = live
    out = tmp_path / "out"
    proc = _slice([str(recording), "--catalog", str(catalog), "--out", str(out)],
                  tmp_path / "home", prefect_api_env)
    assert proc.returncode == 0, proc.stderr
    manifests = json.loads(proc.stdout)
    assert sorted(m["sku"] for m in manifests) == ["LAMP-1", "SCARF-1", "SHOE-1"]
    for m in manifests:
        pitch = next(s for s in truth if s.sku == m["sku"])
        w = m["window"]
        assert w["start_ms"] <= pitch.start_ms + 1500 and pitch.end_ms - 1500 <= w["end_ms"]
        assert m["qc"]["passed"] and (out / m["clip_id"] / "clip.mp4").exists()
    report = json.loads((out / "slice.json").read_text())["recordings"][0]
    assert [p["clip_id"] for p in report["pitches"]] == [m["clip_id"] for m in manifests]
    shutil.rmtree(out / manifests[0]["clip_id"])  # as if interrupted before this clip
    again = _slice([str(recording), "--catalog", str(catalog), "--out", str(out)],
                   tmp_path / "home", prefect_api_env)
    assert again.returncode == 0, again.stderr
    statuses = [p["status"] for p in
                json.loads((out / "slice.json").read_text())["recordings"][0]["pitches"]]
    assert sorted(statuses) == ["existing", "existing", "made"]
    assert [m["clip_id"] for m in json.loads(again.stdout)] == [m["clip_id"] for m in manifests]


def test_chat_only_makes_nothing_and_says_so(live: tuple[Path, list[Spoken], Path],
                                             tmp_path: Path,
                                             prefect_api_env: dict[str, str]) -> None:
    chat = tmp_path / "chat.mp4"
    make_live_recording(chat, 40, pitches=0)
    proc = _slice([str(chat), "--catalog", str(live[2]), "--out", str(tmp_path / "out")],
                  tmp_path / "home", prefect_api_env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == []
    line = next(x for x in proc.stderr.splitlines() if "no product pitch" in x)
    assert "no product pitch found in chat.mp4 (" in line and "0 catalog names)" in line


def test_a_cut_off_recording_is_sliced_as_far_as_it_reads(
        live: tuple[Path, list[Spoken], Path], tmp_path: Path) -> None:
    from pipeline.ops.slice import analyse_recording, transcribe_options
    from pipeline.products.catalog import load_catalog

    mkv = tmp_path / "live.mkv"
    run_ffmpeg(["-y", "-v", "error", "-i", str(live[0]), "-c", "copy", str(mkv)])
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(mkv.read_bytes()[: mkv.stat().st_size * 6 // 10])
    products = list(load_catalog(live[2]).values())
    found = analyse_recording(cut, products, target_ms=15000, per_product=1,
                              options=transcribe_options(products))
    assert found.warnings and "cut off" in found.warnings[0]
    assert 40_000 < found.read_ms < 80_000
    skus = [p.sku for p in found.search.pitches]
    assert "LAMP-1" in skus and "SHOE-1" not in skus


def test_bad_options_are_one_line_and_exit_2(live: tuple[Path, list[Spoken], Path],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    recording, _, catalog = live
    assert main(["slice", str(recording), "--catalog", str(catalog), "--duration", "3"]) == 2
    assert main(["slice", "missing.mp4", "--catalog", str(catalog)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2 and "5-60 seconds" in lines[0] and "file not found" in lines[1]


def test_a_recording_dropped_into_the_live_folder_is_sliced_once(
        live: tuple[Path, list[Spoken], Path], tmp_path: Path) -> None:
    from flows.inbox import watch_inbox

    inbox = tmp_path / "inbox"
    (inbox / "_live").mkdir(parents=True)
    shutil.copy(live[2], inbox / "catalog.csv")
    make_live_recording(inbox / "_live" / "chat.mp4", 40, pitches=0)
    (inbox / "_live" / "chat.truth.json").unlink()
    def watch_once() -> list[Any]:
        return watch_inbox(inbox, out_dir=tmp_path / "out", once=True, settle_s=0)

    first = watch_once()
    assert [(o.sku, o.status, o.detail) for o in first] == [
        ("_live", "made", "no product pitch found")]
    assert json.loads((tmp_path / "out" / "slice.json").read_text())["recordings"]
    assert [o.status for o in watch_once()] == ["seen"]

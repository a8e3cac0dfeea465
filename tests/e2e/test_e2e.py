"""End to end: the real `clipcart` command makes a clip that meets the delivery spec.

Slow (a real render and a real Whisper run): marked, and run once per `make test`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import av
import httpx
import pytest

from pipeline.media.samples import CATALOG_CSV
from pipeline.publish import publish_clip
from pipeline.qc import check
from sandbox.server import start_sandbox

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def made(speech_scene: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    out = tmp_path_factory.mktemp("e2e")
    env = {**os.environ, "CLIPCART_HOME": str(out / "home")}
    proc = subprocess.run(
        [sys.executable, "-m", "flows.cli", "make", str(speech_scene), "--catalog",
         str(CATALOG_CSV), "--sku", "TRAIL-BOTTLE-24", "--out", str(out / "clips"), "--json"],
        capture_output=True, text=True, env=env, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr
    manifest: dict[str, object] = json.loads(proc.stdout)
    return manifest


def test_manifest_contract(made: dict[str, object]) -> None:
    keys = {"clip_id", "sku", "source", "window", "duration_ms", "outputs", "links",
            "caption_text", "transcript", "qc", "timings", "warnings"}
    assert keys <= set(made)
    outputs = made["outputs"]
    assert isinstance(outputs, dict)
    for name in ("video", "srt", "vtt", "thumbnail", "plan"):
        assert Path(outputs[name]).is_file(), name
    assert set(made["timings"]) >= {"probe", "transcribe", "select", "reframe", "render",  # type: ignore[arg-type]
                                    "qc", "total"}
    assert {"tiktok", "instagram", "youtube"} <= set(made["links"])  # type: ignore[arg-type]
    assert "utm_content=" + str(made["clip_id"]) in str(made["caption_text"])


def test_clip_meets_delivery_spec(made: dict[str, object]) -> None:
    video = Path(made["outputs"]["video"])  # type: ignore[index]
    report = check(video)
    assert report.passed, report.problems
    assert report.duration_ms <= 15000
    with av.open(str(video)) as container:
        assert container.streams.video[0].codec_context.profile == "High"
        assert container.streams.audio[0].codec_context.channels == 2


def test_captions_come_from_the_speech(made: dict[str, object]) -> None:
    transcript = made["transcript"]
    assert isinstance(transcript, dict)
    text = str(transcript["text"]).lower()
    assert "bottle" in text and "link below" in text
    srt = Path(made["outputs"]["srt"]).read_text()  # type: ignore[index]
    assert srt.count("-->") >= 4


def test_sandbox_publish_once(made: dict[str, object], tmp_path: Path) -> None:
    video = Path(made["outputs"]["video"])  # type: ignore[index]
    ledger = f"sqlite:///{tmp_path}/ledger.db"
    with start_sandbox() as sandbox:
        for _ in range(2):
            record = publish_clip(video, clip_id=str(made["clip_id"]),
                                  caption=str(made["caption_text"]), platform="tiktok",
                                  sandbox_url=sandbox.base_url, ledger_url=ledger)
        posts = httpx.get(f"{sandbox.base_url}/_sandbox/posts").json()
    assert record.state == "published" and len(posts) == 1
    assert posts[0]["bytes"] == video.stat().st_size

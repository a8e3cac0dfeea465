"""The HTML report in a real browser: headless Chromium draws its SVG charts.

Skipped when chromium is not installed (.ci/run installs it). The report is built
from stored-shape snapshots and clicks (two variants of one product over three days).
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pipeline.ops.report import build_report
from pipeline.ops.report_html import PALETTE, write_report_html
from pipeline.ops.shortlinks import Click
from pipeline.publish.metric_store import MetricSnapshot

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed "
                                "(apt-get install chromium; .ci/run does)")
START = datetime(2026, 5, 1, 9, tzinfo=UTC)


def sample_report() -> object:
    """Two variants on TikTok over three days; variant a gets far more clicks."""
    shots, clicks = [], []
    for day in range(4):
        at = START + timedelta(days=day)
        for clip, variant, views in (("clipa", "a", 3000), ("clipb", "b", 2500)):
            shots.append(MetricSnapshot(clip_id=clip, platform="tiktok", account="default",
                                        post_id=f"p-{clip}", taken_at=at,
                                        views=views * (day + 1), likes=90 * (day + 1),
                                        comments=9, shares=4, sku="SERUM-1",
                                        template="bold", variant=variant))
    for n in range(180):
        clicks.append(Click(code="aaaaaaaaaa", clip_id="clipa", platform="tiktok", source="bio",
                            clicked_at=START + timedelta(minutes=23 * n)))
    for n in range(40):
        clicks.append(Click(code="bbbbbbbbbb", clip_id="clipb", platform="tiktok", source="",
                            clicked_at=START + timedelta(minutes=97 * n)))
    return build_report(shots, clicks, [])


def chromium(page: Path, profile: Path, *args: str) -> str:
    assert CHROMIUM is not None
    proc = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", f"--user-data-dir={profile}", "--window-size=1100,1500",
         *args, page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def test_report_renders_its_charts(tmp_path: Path) -> None:
    report = sample_report()
    page = write_report_html(report, tmp_path / "report.html")  # type: ignore[arg-type]
    dom = chromium(page, tmp_path / "profile-dom", "--dump-dom")
    assert dom.count("<svg") == 3 and dom.count("<polyline") == 4
    assert "leads" in dom and "<script" not in dom
    shot = tmp_path / "report.png"
    chromium(page, tmp_path / "profile-shot", f"--screenshot={shot}")
    pixels = np.asarray(Image.open(shot).convert("RGB")).reshape(-1, 3).astype(int)
    for colour in PALETTE[:2]:  # both variants' lines and bars were drawn
        rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
        assert (np.abs(pixels - rgb).sum(axis=1) < 30).sum() > 500, colour
    shutil.copy(shot, Path("/tmp") / "clipcart-report-shot.png")

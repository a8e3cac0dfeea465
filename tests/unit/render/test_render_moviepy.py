"""Parity: the MoviePy engine renders the same ClipPlan as the ffmpeg engine.

Slow: two real renders of a 3 s plan over the 8 s 960x540 fixture (moving crop,
sliding card, word captions, music). Sampled frames are compared with ffmpeg's
ssim filter; both files must also pass QC.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.qc import check
from pipeline.render import render
from pipeline.render.moviepy_engine import card_state, crop_at, render_moviepy
from tests.support.plans import plan
from tests.support.render_support import footage_plan, frame_at


def ssim(a: Path, b: Path) -> float:
    stderr = run_ffmpeg(["-v", "info", "-i", str(a), "-i", str(b), "-lavfi", "ssim",
                         "-f", "null", "-"])
    match = re.search(r"All:([\d.]+)", stderr)
    assert match, stderr
    return float(match.group(1))


def test_crop_path_matches_the_graph_expression() -> None:
    points = plan().crop.points  # holds 300 to 4 s, then moves to 500 at 6 s
    assert crop_at(points, 1.0) == (300, 0)
    assert crop_at(points, 5.0) == (400, 0)
    assert crop_at(points, 9.0) == (500, 0)


def test_card_slides_in_and_fades_out() -> None:
    card = plan().card
    assert card is not None and card.animation == "slide"
    assert card_state(card, 1.0)[1] == 0.0
    x_mid, _ = card_state(card, card.start_ms / 1000 + 0.1)
    assert -card.width < x_mid < card.x
    assert card_state(card, 4.0) == (card.x, 1.0)
    assert 0 < card_state(card, card.end_ms / 1000 - 0.1)[1] < 1


@pytest.mark.slow
def test_moviepy_engine_matches_ffmpeg_engine(short_scene: Path, tmp_path: Path) -> None:
    p = footage_plan(short_scene, seconds=3.0)
    ours = render(p, tmp_path / "ffmpeg.mp4")
    theirs = render_moviepy(p, tmp_path / "moviepy.mp4")
    for clip in (ours, theirs):
        report = check(clip)
        assert report.passed, (clip.name, report.problems)
    for at in (0.2, 0.5, 1.4, 2.6):
        a = frame_at(ours, at, tmp_path / f"a{at}.png")
        b = frame_at(theirs, at, tmp_path / f"b{at}.png")
        assert ssim(a, b) >= 0.9, at

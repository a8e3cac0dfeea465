"""Visual analysis: black, frozen and blurry stretches, frame-accurate cuts, long footage
sampled, rotated footage upright; selection steers clear of the bad stretches."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline.footage import analysis
from pipeline.footage.analysis import analyse
from pipeline.footage.reframe import plan_crop
from pipeline.footage.selection import choose_window
from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.media.probe import probe

CUTS_MS = (5000, 11000, 16000)


@pytest.fixture(scope="module")
def stretches(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """21 s 320x180 30 fps, no audio, four shots joined by hard cuts::

        0-5 s black | 5-11 s testsrc2 (moving, sharp) | 11-16 s testsrc blurred by
        boxblur=8 (moving, blurry) | 16-21 s smptebars (a still picture: frozen)
    """
    out = tmp_path_factory.mktemp("analysis") / "stretches.mp4"
    size = "s=320x180:r=30"
    graph = (f"color=c=black:{size}:d=5[a];testsrc2={size}:d=6[b];"
             f"testsrc={size}:d=5,boxblur=8[c];smptebars={size}:d=5[d];"
             "[a][b][c][d]concat=n=4:v=1:a=0,format=yuv420p[v]")
    run_ffmpeg(["-y", "-v", "error", "-filter_complex", graph, "-map", "[v]",
                "-c:v", "libx264", "-preset", "veryfast", "-g", "30", str(out)])
    return out


@pytest.fixture(scope="module")
def sideways(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A phone clip stored sideways: a 360x640 portrait picture with a white square at
    the top, turned clockwise into 640x360 frames (``transpose=clock``), then marked
    ``-display_rotation 90`` (turn back 90° counter-clockwise to show) on a stream copy."""
    folder = tmp_path_factory.mktemp("rotation")
    coded, out = folder / "coded.mp4", folder / "sideways.mp4"
    run_ffmpeg(["-y", "-v", "error", "-f", "lavfi", "-i",
                "color=c=0x203040:s=360x640:r=30:d=2,"
                "drawbox=x=130:y=20:w=100:h=100:c=white:t=fill,transpose=clock",
                "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", str(coded)])
    run_ffmpeg(["-y", "-v", "error", "-display_rotation", "90", "-i", str(coded),
                "-c", "copy", str(out)])
    return out


def _at(scores: tuple[analysis.FrameScore, ...], lo: int, hi: int) -> list[analysis.FrameScore]:
    return [s for s in scores if lo <= s.t_ms < hi]


def test_black_frozen_and_blurry_stretches_are_flagged(stretches: Path) -> None:
    result = analyse(probe(stretches))
    assert result.mode == "dense" and len(result.frames) == len(result.scores)
    assert all(s.black for s in _at(result.scores, 0, 4900))
    assert not any(s.bad for s in _at(result.scores, 5100, 10900))
    assert all(s.blurry and not s.frozen for s in _at(result.scores, 11100, 15900))
    assert all(s.frozen and not s.blurry for s in _at(result.scores, 16300, 20700))


def test_cuts_are_found_to_the_frame(stretches: Path) -> None:
    cuts = analyse(probe(stretches)).cuts
    assert len(cuts) == len(CUTS_MS)
    for found, true in zip(cuts, CUTS_MS, strict=True):
        assert abs(found - true) <= 34, (found, true)  # one frame at 30 fps


def test_selection_takes_the_watchable_stretch_between_cuts(stretches: Path) -> None:
    visuals = analyse(probe(stretches))
    choice = choose_window(visuals.duration_ms, [], 5000, [], visuals)
    window = choice.window
    assert window.start_ms >= 4990 and window.end_ms <= 11010, window
    assert "bad" not in choice.parts
    assert any("scene cut" in r for r in choice.reasons)
    blind = choose_window(visuals.duration_ms, [], 5000, [], None).window
    assert blind.start_ms == 0  # without the visuals the black opening would be chosen


def test_long_footage_is_sampled_not_decoded(stretches: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(analysis, "DENSE_MAX_MS", 10000)
    monkeypatch.setattr(analysis, "SPARSE_MIN_STEP_MS", 1000)
    info = probe(stretches)
    result = analyse(info)
    assert result.mode == "sparse" and result.frames == ()
    assert 15 <= len(result.scores) <= 22  # one keyframe per second, not 30 frames
    assert all(s.black for s in _at(result.scores, 0, 4900))
    assert any(s.frozen for s in _at(result.scores, 17000, 21000))
    choice = choose_window(result.duration_ms, [], 5000, [], result)
    assert choice.window.start_ms >= 4000 and choice.window.end_ms <= 12000
    path, reasons = plan_crop(info, choice.window, result)  # decodes the window itself
    assert "analysed frames" in reasons[0] and path.points


def test_rotated_footage_is_upright_in_analysis(sideways: Path) -> None:
    info = probe(sideways)
    assert (info.width, info.height, info.rotation) == (640, 360, 270)
    assert info.display_size == (360, 640)
    gray = analyse(info).frames[0][1]
    assert gray.shape == (569, 320)
    rows = gray.mean(axis=1)
    top = int(np.argmax(rows > rows.min() + 40))
    assert top < 0.1 * gray.shape[0]  # the white square is at the top, not at a side
    assert float(gray[:, :20].mean()) == pytest.approx(float(gray[:, -20:].mean()), abs=3)

"""Any input renders to the delivery spec: VFR, 10-bit HDR (HLG, PQ), mono and 5.1
audio, odd sizes, non-square pixels, rotation metadata.

Each input is 3.5 s of lavfi testsrc2/colour made with ffmpeg (sizes around
640x360), rendered through a full-feature plan (moving crop, card, captions) and
checked by QC. Slow: one real render per case.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from pipeline.footage.analysis import upright
from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.media.probe import probe
from pipeline.qc import check
from pipeline.render import render
from tests.support.render_support import footage_plan, frame_at

pytestmark = pytest.mark.slow
TONE = ["-f", "lavfi", "-i", "sine=f=440:sample_rate=48000:d=3.5"]


def _make(out: Path, video: str, *extra: str, audio: list[str] = TONE) -> Path:
    run_ffmpeg(["-y", "-v", "error", "-f", "lavfi", "-i", video, *audio, "-shortest",
                *extra, str(out)])
    return out


def _render_and_check(src: Path, tmp_path: Path) -> Path:
    out = render(footage_plan(src, seconds=3.0, music=False), tmp_path / "clip.mp4")
    report = check(out)
    assert report.passed, report.problems
    return out


def _hdr(out: Path, trc: str) -> Path:
    # tags set on the frames (setparams): output -color_trc alone is not written by libx265
    tags = f"setparams=color_primaries=bt2020:color_trc={trc}:colorspace=bt2020nc"
    return _make(out, "testsrc2=s=640x360:r=30:d=3.5", "-vf", f"format=yuv420p10le,{tags}",
                 "-c:v", "libx265", "-x265-params", "log-level=error", "-tag:v", "hvc1")


@pytest.mark.parametrize("trc", ["arib-std-b67", "smpte2084"])
def test_hdr_hevc_is_tonemapped_to_sdr(tmp_path: Path, trc: str) -> None:
    src = _hdr(tmp_path / "hdr.mp4", trc)
    info = probe(src)
    assert info.is_hdr and info.bit_depth == 10 and info.video_codec == "hevc"
    out = _render_and_check(src, tmp_path)
    with av.open(str(out)) as container:
        frame = next(container.decode(video=0))
        assert frame.color_trc == 1  # BT.709
        luma = frame.to_ndarray(format="gray").astype(float)
    assert 40 < luma.mean() < 220 and luma.std() > 5  # neither black, blown out nor flat


def _brightest_time(video: Path) -> float:
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        best = max(((float(f.time), float(f.to_ndarray(format="gray").mean()))
                    for f in container.decode(stream)), key=lambda x: x[1])
    return best[0]


def _loudest_time(video: Path) -> float:
    with av.open(str(video)) as container:
        chunks = [(float(f.time), np.abs(f.to_ndarray()).max()) for f in container.decode(audio=0)]
    start = max(chunks, key=lambda c: c[1])[0]
    return start


def test_vfr_becomes_cfr_with_audio_in_sync(tmp_path: Path) -> None:
    """A white flash and a loud beep at 1.5 s; one frame in four dropped (VFR)."""
    flash = ("color=c=0x303030:s=640x360:r=30:d=3.5,"
             "drawbox=c=white:t=fill:enable='between(t,1.5,1.566)',"
             "select='not(eq(mod(n,4),1))'")
    beep = ["-f", "lavfi", "-i", "aevalsrc='if(between(t,1.5,1.55),0.5,0.1)*"
            "sin(2*PI*1000*t)':s=48000:d=3.5"]
    src = _make(tmp_path / "vfr.mp4", flash, "-fps_mode", "vfr", "-c:v", "libx264",
                "-preset", "ultrafast", audio=beep)
    assert probe(src).fps != "30/1"
    out = _render_and_check(src, tmp_path)
    assert abs(_brightest_time(out) - 1.5) < 0.05
    assert abs(_loudest_time(out) - _brightest_time(out)) < 0.05


@pytest.mark.parametrize("layout", ["mono", "5.1"])
def test_mono_and_surround_become_stereo(tmp_path: Path, layout: str) -> None:
    channels = "1" if layout == "mono" else "6"
    src = _make(tmp_path / "a.mp4", "testsrc2=s=640x360:r=30:d=3.5", "-ac", channels,
                "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac")
    assert probe(src).channels == int(channels)
    _render_and_check(src, tmp_path)


def test_odd_dimensions(tmp_path: Path) -> None:
    src = _make(tmp_path / "odd.mp4", "testsrc2=s=640x360:r=30:d=3.5,scale=641:361,setsar=1",
                "-c:v", "libx264",
                "-preset", "ultrafast", "-pix_fmt", "yuv444p")
    assert (probe(src).width, probe(src).height) == (641, 361)
    _render_and_check(src, tmp_path)


def test_non_square_pixels(tmp_path: Path) -> None:
    src = _make(tmp_path / "sar.mp4", "testsrc2=s=480x360:r=30:d=3.5,setsar=4/3",
                "-c:v", "libx264", "-preset", "ultrafast")
    assert probe(src).display_size == (640, 360)
    _render_and_check(src, tmp_path)


def _centre_yuv(out: Path) -> list[float]:
    with av.open(str(out)) as container:
        frame = next(container.decode(video=0))
        assert (frame.colorspace, frame.color_range) == (1, 1)  # BT.709, limited
        planes = frame.to_ndarray(format="yuv420p")
    h, w = frame.height, frame.width
    y, u, v = planes[:h], planes[h:h + h // 4].reshape(h // 2, w // 2), \
        planes[h + h // 4:].reshape(h // 2, w // 2)
    return [float(np.median(p[p.shape[0] // 3:2 * p.shape[0] // 3])) for p in (y, u, v)]


@pytest.mark.parametrize(("matrix", "full"), [
    ("smpte170m", False),  # SD BT.601, as DV and older cameras
    ("bt709", True),  # full range (yuvj420p), as some Android phones record
])
def test_footage_matrix_and_range_become_bt709_limited(
        tmp_path: Path, matrix: str, full: bool) -> None:
    """Pure red in the source's matrix/range comes out as BT.709 limited red
    (Y 63, U 102, V 240), not the source's numbers passed through."""
    rng, pix = ("pc", "yuvj420p") if full else ("tv", "yuv420p")
    convert = f"scale=out_color_matrix={'bt601' if matrix == 'smpte170m' else matrix}" \
              f":out_range={rng},format={pix}"
    src = _make(tmp_path / "red.mp4", "color=c=red:s=720x480:r=30:d=3.5", "-vf", convert,
                "-c:v", "libx264", "-preset", "ultrafast", "-colorspace", matrix,
                "-color_range", rng)
    info = probe(src)
    assert (info.color_matrix, info.color_range) == (matrix, rng)
    y, u, v = _centre_yuv(_render_and_check(src, tmp_path))
    assert abs(y - 63) <= 3 and abs(u - 102) <= 3 and abs(v - 240) <= 3, (y, u, v)


def test_rotated_phone_footage_comes_out_upright(tmp_path: Path) -> None:
    """Upright 360x640 (red band on top) stored rotated as 640x360 with a 90° display
    matrix, as phones do; the render must show the red band at the top."""
    source = ("color=c=blue:s=360x640:r=30:d=3.5,"
              "drawbox=x=0:y=0:w=360:h=100:c=red:t=fill,transpose=1")
    coded = _make(tmp_path / "coded.mp4", source, "-c:v", "libx264", "-preset", "ultrafast")
    src = tmp_path / "rotated.mp4"
    run_ffmpeg(["-y", "-v", "error", "-display_rotation", "90", "-i", str(coded),
                "-c", "copy", str(src)])
    info = probe(src)
    assert info.rotation in (90, 270) and info.display_size == (360, 640)
    # reframe sees the coded frame turned by the probed rotation: the same upright
    # picture ffmpeg's autorotation gives the render, so crop coordinates agree
    with av.open(str(src)) as container:
        coded_gray = next(container.decode(video=0)).to_ndarray(format="gray")
    seen = upright(coded_gray, info.rotation)
    assert seen.shape == (640, 360) and seen[:80].mean() > seen[-80:].mean() + 20
    out = _render_and_check(src, tmp_path)
    with av.open(str(frame_at(out, 2.0, tmp_path / "f.png"))) as container:
        rgb = next(container.decode(video=0)).to_ndarray(format="rgb24").astype(int)
    top, bottom = rgb[60:200].mean(axis=(0, 1)), rgb[1700:1900].mean(axis=(0, 1))
    assert top[0] > 150 and top[2] < 100, top
    assert bottom[2] > 150 and bottom[0] < 100, bottom

"""Footage a real user may pass to `clipcart make`: each ends in a clip or one clear line.

Rejections run the real CLI in-process (the flow stops at its first stage, so they
are fast); footage that must become a clip is rendered for real, kept small
(4 s at 320x240 or so) and marked slow.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from pipeline.core.models import Window
from pipeline.footage.reframe import plan_crop
from pipeline.media.probe import check_footage, probe
from pipeline.media.samples import make_scene
from tests.catalogue.support import Untouched, cli, footage, make_args, no_output, rejected


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4 s 320x240 scene with the bundled speech from 0.3 s (`make_scene`, plain colour)."""
    return make_scene(tmp_path_factory.mktemp("footage") / "scene.mp4", seconds=4.0,
                      size="320x240", speech_at_s=0.3, plain=True)


def _reject(capsys: pytest.CaptureFixture[str], tmp_path: Path, path: Path,
            *needles: str) -> str:
    guard = Untouched(tmp_path)
    line = rejected(cli(capsys, *make_args(path, tmp_path / "out")), *needles)
    guard.check()
    no_output(tmp_path / "out")
    return line


def test_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    _reject(capsys, tmp_path, tmp_path / "gone.mp4", "gone.mp4", "file not found", "Check")


def test_empty_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.touch()
    _reject(capsys, tmp_path, empty, "empty.mp4", "file is empty", "Copy the footage again")


def test_truncated_copy(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                        scene: Path) -> None:
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(scene.read_bytes()[:20_000])  # the moov box never arrived
    _reject(capsys, tmp_path, cut, "cut.mp4", "not a readable video", "Export it again")


def test_random_bytes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    junk = tmp_path / "junk.mov"
    junk.write_bytes(os.urandom(50_000))
    _reject(capsys, tmp_path, junk, "junk.mov", "not a readable video")


def test_text_renamed_mp4(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    notes = tmp_path / "notes.mp4"
    notes.write_text("shot list:\n1. unboxing\n", "utf-8")
    _reject(capsys, tmp_path, notes, "notes.mp4", "not a readable video")


def test_image_renamed_mp4(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    photo = footage(tmp_path / "photo.png", "-frames:v", "1", audio=False,
                    vcodec=("-c:v", "png"), vf="format=rgb24")
    renamed = photo.rename(tmp_path / "photo.mp4")
    _reject(capsys, tmp_path, renamed, "photo.mp4", "still image", "Pass a video file")


def test_audio_only(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    voice = tmp_path / "voice.m4a"
    from pipeline.media.ffmpeg import run_ffmpeg

    run_ffmpeg(["-y", "-v", "error", "-f", "lavfi", "-i", "sine=d=4", "-c:a", "aac", str(voice)])
    _reject(capsys, tmp_path, voice, "voice.m4a", "audio only", "video file")


def test_single_frame(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    one = footage(tmp_path / "one.mp4", "-frames:v", "1", audio=False)
    _reject(capsys, tmp_path, one, "one.mp4", "under the 3 s minimum", "at least 3 seconds")


def test_under_three_seconds(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    short = footage(tmp_path / "short.mp4", seconds=2.0)
    _reject(capsys, tmp_path, short, "short.mp4", "2.00 s long", "at least 3 seconds")


def test_folder_instead_of_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    folder = tmp_path / "clips.mp4"
    folder.mkdir()
    _reject(capsys, tmp_path, folder, "clips.mp4", "is a folder", "Pass a video file")


def test_unreadable_file(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                         scene: Path) -> None:
    locked = tmp_path / "locked.mp4"
    locked.write_bytes(scene.read_bytes())
    locked.chmod(0)
    try:
        if os.access(locked, os.R_OK):
            pytest.skip("running as root: chmod 0 does not stop root from reading the file")
        _reject(capsys, tmp_path, locked, "locked.mp4", "permission denied", "chmod")
    finally:
        locked.chmod(0o644)


def test_two_hours_long_is_analysed_by_seeking(tmp_path: Path) -> None:
    """A long file (10 min, standing in for 2 h: same code path) is probed from its
    header and framed by seeking into the window, not by decoding the whole file."""
    long_file = footage(tmp_path / "long.mp4", "-g", "10", seconds=600, size="64x64", fps="1")
    began = time.perf_counter()
    info = probe(long_file)
    check_footage(info)
    crop, _ = plan_crop(info, Window(start_ms=540_000, end_ms=555_000))
    elapsed = time.perf_counter() - began
    assert info.duration_ms == 600_000 and crop.width <= 64
    assert elapsed < 5.0, f"probe + framing took {elapsed:.1f} s on a 10 min file"


def test_leading_dash_name_gets_a_fix(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                      scene: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`clipcart make -take1.mp4` parses as options; the error says how to pass it."""
    dashed = tmp_path / "-take1.mp4"
    dashed.write_bytes(scene.read_bytes())
    monkeypatch.chdir(tmp_path)
    guard = Untouched(tmp_path)
    result = cli(capsys, "make", "-take1.mp4", "--catalog", "c.csv", "--sku", "X")
    rejected(result, "-take1.mp4", "./-take1.mp4")
    guard.check()


@pytest.mark.parametrize(("display_rotation", "expected"), [(-90, 90), (180, 180), (90, 270)])
def test_rotation_is_read_from_the_display_matrix(tmp_path: Path, scene: Path,
                                                  display_rotation: int, expected: int) -> None:
    from pipeline.media.ffmpeg import run_ffmpeg

    turned = tmp_path / "turned.mp4"
    run_ffmpeg(["-y", "-v", "error", "-display_rotation", str(display_rotation), "-i", str(scene),
                "-c", "copy", str(turned)])
    info = probe(turned)
    assert info.rotation == expected
    shown = (240, 320) if expected in (90, 270) else (320, 240)
    assert info.display_size == shown


def test_non_square_pixels(tmp_path: Path) -> None:
    anamorphic = footage(tmp_path / "dv.mp4", size="720x480", vf="setsar=32/27,format=yuv420p")
    info = probe(anamorphic)
    assert info.sar == "32/27" and info.display_size == (852, 480)
    crop, _ = plan_crop(info, Window(start_ms=0, end_ms=4000))
    assert 0 < crop.width <= 720 and crop.height <= 480


def test_odd_dimensions(tmp_path: Path) -> None:
    odd = footage(tmp_path / "odd.mp4", vf="scale=321:241,format=yuv444p")
    info = probe(odd)
    assert (info.width, info.height) == (321, 241)
    crop, _ = plan_crop(info, Window(start_ms=0, end_ms=4000))
    assert crop.width % 2 == 0 and crop.height % 2 == 0
    assert all(0 <= p.x <= 321 - crop.width for p in crop.points)


def test_hevc_10bit_60fps_is_probed(tmp_path: Path) -> None:
    hevc = footage(tmp_path / "hevc.mp4", "-x265-params", "log-level=error", seconds=3.2,
                   size="1280x720", fps="60", vcodec=("-c:v", "libx265"),
                   vf="format=yuv420p10le", pattern="color")
    info = probe(hevc)
    assert (info.video_codec, info.bit_depth, info.fps) == ("hevc", 10, "60/1")
    check_footage(info)


def _made(capsys: pytest.CaptureFixture[str], tmp_path: Path, source: Path,
          *guarded: Path) -> dict[str, object]:
    guard = Untouched(*(guarded or (source,)))
    result = cli(capsys, *make_args(source, tmp_path / "out"))
    manifest = result.manifest()
    guard.check()
    qc = manifest["qc"]
    assert isinstance(qc, dict) and (qc["width"], qc["height"]) == (1080, 1920)
    assert qc["passed"], manifest["warnings"]
    return manifest


@pytest.mark.slow
def test_video_without_sound_makes_a_clip(capsys: pytest.CaptureFixture[str],
                                          tmp_path: Path) -> None:
    silent = footage(tmp_path / "silent.mp4", audio=False)
    manifest = _made(capsys, tmp_path, silent)
    assert any("no captions" in str(w) for w in manifest["warnings"])  # type: ignore[attr-defined]


@pytest.mark.slow
def test_phone_portrait_rotated_90(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                   scene: Path) -> None:
    from pipeline.media.ffmpeg import run_ffmpeg

    portrait = tmp_path / "portrait.mp4"
    run_ffmpeg(["-y", "-v", "error", "-display_rotation", "-90", "-i", str(scene), "-c", "copy",
                str(portrait)])
    _made(capsys, tmp_path, portrait)


@pytest.mark.slow
def test_variable_frame_rate(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # 30 fps for 2 s, then every third frame: frame intervals of 33 and 100 ms
    vfr = footage(tmp_path / "vfr.mp4", "-fps_mode", "vfr",
                  vf="select='lt(t\\,2)+not(mod(n\\,3))',format=yuv420p")
    manifest = _made(capsys, tmp_path, vfr)
    assert manifest["qc"]["fps"] in ("30/1", "30", 30)  # type: ignore[index]


@pytest.mark.slow
def test_interlaced_anamorphic_dv(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    dv = footage(tmp_path / "dv.mp4", "-flags", "+ildct+ilme", size="720x480",
                 vf="tinterlace=interleave_top,setsar=10/11,format=yuv420p")
    _made(capsys, tmp_path, dv)


@pytest.mark.slow
def test_awkward_name_through_a_symlink(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                        scene: Path) -> None:
    real = tmp_path / "shoot day" / "it's \"final\" ü.mp4"
    real.parent.mkdir()
    real.write_bytes(scene.read_bytes())
    link = tmp_path / "-clip ✨.mp4"
    link.symlink_to(real)
    _made(capsys, tmp_path, link, real.parent)
    assert link.is_symlink() and link.resolve() == real


@pytest.mark.slow
def test_hevc_10bit_4k60_makes_a_clip(capsys: pytest.CaptureFixture[str],
                                      tmp_path: Path) -> None:
    """Real 4K frames (flat colour, so generating them is cheap); the costly part is
    decoding 4K HEVC, which is what this case is about. The encoder settings only make
    generating the file cheaper (64-pixel blocks, no filters or lookahead: 14 CPU-s
    rather than 21); it is still 10-bit 4K60 HEVC."""
    hevc = footage(tmp_path / "4k.mp4", "-x265-params",
                   "log-level=error:ctu=64:min-cu-size=32:early-skip=1:rd=1:rdoq-level=0:"
                   "rc-lookahead=2:bframes=0:sao=0:deblock=0", seconds=3.1,
                   size="3840x2160", fps="60", vcodec=("-c:v", "libx265"),
                   vf="format=yuv420p10le", pattern="color")
    manifest = _made(capsys, tmp_path, hevc)
    assert manifest["qc"]["fps"] in ("30/1", "30", 30)  # type: ignore[index]


def test_check_exits_1_when_footage_misses_the_spec(capsys: pytest.CaptureFixture[str],
                                                    scene: Path) -> None:
    """`clipcart check` on raw 320x240 footage reports the problems and exits 1 (not 0)."""
    guard = Untouched(scene)
    result = cli(capsys, "check", scene)
    assert result.code == 1 and "✗" in result.out
    guard.check()

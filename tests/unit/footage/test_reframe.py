"""Crop path: follows an off-centre subject, smooth, bounded, portrait untouched."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from pipeline.core.models import ClipPlan, CropPath, MediaInfo, Window
from pipeline.footage.reframe import (
    MAX_PAN_PER_S,
    Sample,
    crop_size,
    faces,
    is_portrait,
    pick_face,
    plan_crop,
    simplify,
    smooth,
)
from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.media.probe import probe
from pipeline.media.samples import PRODUCT_PNG
from pipeline.render import render


def _info(w: int, h: int, rotation: int = 0, sar: str = "1/1") -> MediaInfo:
    return MediaInfo(path="/x.mp4", size_bytes=1, duration_ms=10000, has_video=True,
                     has_audio=False, width=w, height=h, rotation=rotation, sar=sar)


def test_crop_size_is_nine_by_sixteen_and_even() -> None:
    assert crop_size(_info(1920, 1080)) == (606, 1080)
    assert crop_size(_info(1080, 1920, rotation=0)) == (1080, 1920)
    assert crop_size(_info(1920, 1080, rotation=90)) == (1080, 1920)
    assert crop_size(_info(1440, 1080, sar="4/3")) == (606, 1080)


def test_smooth_holds_inside_dead_zone_and_bounds_pan_speed() -> None:
    jitter = [Sample(i * 250, 0.5 + (0.01 if i % 2 else -0.01), 0.5, "face") for i in range(8)]
    xs = {x for _, x in smooth(jitter, 1920, 606)}
    assert len(xs) == 1
    jump = [Sample(0, 0.2, 0.5, "face"), *(Sample(i * 250, 0.8, 0.5, "face") for i in range(1, 9))]
    path = smooth(jump, 1920, 606)
    for (t0, x0), (t1, x1) in itertools.pairwise(path):
        assert abs(x1 - x0) <= MAX_PAN_PER_S * 1920 * (t1 - t0) / 1000 + 1


def test_simplify_drops_collinear_points() -> None:
    assert simplify([(0, 0), (1, 10), (2, 20), (3, 20)]) == [(0, 0), (2, 20), (3, 20)]


def test_off_centre_subject_stays_inside_the_crop(speech_scene: Path) -> None:
    info = probe(speech_scene)
    path, reasons = plan_crop(info, Window(start_ms=0, end_ms=12000))
    width = info.display_size[0]
    centre_crop = ((width - path.width) // 2, (width + path.width) // 2)
    # the product drifts around 27 % of the width ± 1/12, often outside a centre crop
    lost_by_centre_crop = 0
    for t in range(0, 12000, 250):
        subject = width * 0.27 + (width / 12) * math.sin(t / 1000 * 0.6)
        x = _x_at(path.points, t)
        assert x <= subject <= x + path.width, (t, x, subject)
        lost_by_centre_crop += not centre_crop[0] <= subject <= centre_crop[1]
    assert lost_by_centre_crop >= 10
    assert "motion" in reasons[0]


def _x_at(points: tuple, t: int) -> float:  # type: ignore[type-arg]
    prev = points[0]
    for p in points:
        if p.t_ms >= t:
            if p.t_ms == prev.t_ms:
                return float(p.x)
            return prev.x + (p.x - prev.x) * (t - prev.t_ms) / (p.t_ms - prev.t_ms)
        prev = p
    return float(points[-1].x)


def _drawn_face(size: int = 120) -> np.ndarray:
    """A shaded, schematic face (skin oval, dark eye sockets and brows, lit nose bridge,
    mouth): no photograph ships offline, and the Haar frontal cascade finds this one."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    oval = ((xx - size / 2) / (size * 0.36)) ** 2 + ((yy - size * 0.52) / (size * 0.46)) ** 2
    img = np.where(oval < 1, np.clip(200 - 60 * oval, 0, 255), 90).astype(np.float32)
    blobs = [(s * 0.17, 0.40, 0.09, 0.045, 40) for s in (-1, 1)]
    blobs += [(s * 0.17, 0.33, 0.11, 0.02, 50) for s in (-1, 1)]
    blobs += [(0, 0.55, 0.05, 0.10, 215), (0, 0.63, 0.07, 0.025, 120), (0, 0.75, 0.14, 0.03, 70)]
    for dx, cy, rx, ry, value in blobs:
        d = ((xx - size / 2 - dx * size) / (rx * size)) ** 2 + ((yy - cy * size) / (ry * size)) ** 2
        weight = np.exp(-2 * d)
        img = img * (1 - weight) + value * weight
    return np.clip(img, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def face_scene(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4 s 640x360: the drawn face drifting slowly around x=20 %, and a white box
    bouncing fast around x=80 % (motion that would pull a motion-only crop away)."""
    folder = tmp_path_factory.mktemp("face")
    face_png = folder / "face.png"
    cv2.imwrite(str(face_png), _drawn_face())
    out = folder / "face.mp4"
    graph = ("color=c=0x5a5a5a:s=640x360:r=30:d=4[bg];[1:v]format=yuv420p[f];"
             "color=c=white:s=50x50:r=30:d=4[box];"
             "[bg][f]overlay=x='128-60+15*sin(t)':y=110:shortest=1[a];"
             "[a][box]overlay=x='512-25+60*sin(t*6)':y='155+80*sin(t*5)',format=yuv420p[v]")
    run_ffmpeg(["-y", "-v", "error", "-loop", "1", "-framerate", "30", "-t", "4",
                "-i", str(face_png), "-filter_complex", graph.replace("[1:v]", "[0:v]"),
                "-map", "[v]", "-c:v", "libx264", "-preset", "veryfast", "-t", "4", str(out)])
    return out


def test_haar_finds_the_drawn_face_and_not_the_product() -> None:
    canvas = np.full((180, 320), 90, np.uint8)
    canvas[40:100, 30:90] = cv2.resize(_drawn_face(), (60, 60))
    found = faces(canvas)
    assert len(found) == 1
    x, y, w, h = found[0]
    assert abs((x + w / 2) * 320 - 60) < 10 and abs((y + h / 2) * 180 - 70) < 10
    product = cv2.imread(str(PRODUCT_PNG), cv2.IMREAD_GRAYSCALE)
    assert faces(cv2.resize(product, (180, 180))) == []


def test_face_wins_over_motion(face_scene: Path) -> None:
    info = probe(face_scene)
    path, reasons = plan_crop(info, Window(start_ms=0, end_ms=4000))
    assert "face in" in reasons[0]
    for t in range(0, 4000, 100):
        face_x = 128 + 15 * math.sin(t / 1000)
        x = _x_at(path.points, t)
        assert x + 20 <= face_x <= x + path.width - 20, (t, x, face_x)


def test_several_faces_keep_the_followed_one_unless_it_shrinks() -> None:
    big, small = (0.1, 0.1, 0.3, 0.5), (0.7, 0.2, 0.25, 0.35)
    assert pick_face([big, small], None) == big
    assert pick_face([big, small], (0.68, 0.2, 0.25, 0.35)) == small  # followed, 58 % of big
    assert pick_face([big, (0.7, 0.2, 0.1, 0.15)], small) == big  # shrank below half: switch


@pytest.fixture(scope="module")
def two_shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4 s 640x360, a hard cut at 2 s: a white square bobbing near x=15 % on blue,
    then near x=85 % on red."""
    out = tmp_path_factory.mktemp("cut") / "two_shots.mp4"
    shot = ("color=c={bg}:s=640x360:r=30:d=2[b{n}];color=c=white:s=60x60:r=30:d=2[s{n}];"
            "[b{n}][s{n}]overlay=x='{x}-30+20*sin(t*4)':y='150+20*sin(t*3)'[v{n}];")
    graph = (shot.format(bg="0x203060", n=1, x=96) + shot.format(bg="0x602020", n=2, x=544)
             + "[v1][v2]concat=n=2:v=1:a=0,format=yuv420p[v]")
    run_ffmpeg(["-y", "-v", "error", "-filter_complex", graph, "-map", "[v]",
                "-c:v", "libx264", "-preset", "veryfast", str(out)])
    return out


def test_crop_jumps_only_at_the_cut(two_shots: Path) -> None:
    info = probe(two_shots)
    path, reasons = plan_crop(info, Window(start_ms=0, end_ms=4000))
    assert "jumps at cuts" in reasons[0]
    jumps = [(a, b) for a, b in itertools.pairwise(path.points)
             if abs(b.x - a.x) > MAX_PAN_PER_S * 640 * (b.t_ms - a.t_ms) / 1000 + 1]
    assert len(jumps) == 1
    before, after = jumps[0]
    assert after.t_ms - before.t_ms == 1 and abs(after.t_ms - 2000) <= 34
    for t in range(0, 4000, 100):
        subject = 96 if t < 2000 else 544
        x = _x_at(path.points, t)
        assert x <= subject <= x + path.width, (t, x)


@pytest.mark.slow
def test_rendered_jump_keeps_the_subject_on_both_sides_of_the_cut(
        two_shots: Path, tmp_path: Path) -> None:
    """The 1 ms keyframe pair really switches the crop between two frames in ffmpeg."""
    info = probe(two_shots)
    path, _ = plan_crop(info, Window(start_ms=0, end_ms=4000))
    clip = _render(info, path, Window(start_ms=0, end_ms=4000), tmp_path)
    for at in (1.9, 2.1):
        frame = _frame(clip, at, tmp_path)
        assert frame.max() > 200, at  # the white square is in the picture
        assert frame[:, :, 0].mean() > 20 or frame[:, :, 2].mean() > 20


def _render(info: MediaInfo, crop: CropPath, window: Window, folder: Path) -> Path:
    plan = ClipPlan(clip_id="t", sku="t", source=info, window=window, crop=crop,
                    speech=False)
    return render(plan, folder / "clip.mp4")


def _frame(clip: Path, at: float, folder: Path) -> np.ndarray:
    png = folder / f"frame_{at}.png"
    run_ffmpeg(["-y", "-v", "error", "-ss", f"{at:.3f}", "-i", str(clip), "-frames:v", "1",
                str(png)])
    image = cv2.imread(str(png))
    assert image is not None and image.shape[:2] == (1920, 1080)
    return image


@pytest.mark.slow
def test_sideways_phone_clip_renders_upright(tmp_path: Path) -> None:
    coded, sideways = tmp_path / "coded.mp4", tmp_path / "sideways.mp4"
    run_ffmpeg(["-y", "-v", "error", "-f", "lavfi", "-i",
                "color=c=0x203040:s=360x640:r=30:d=2,"
                "drawbox=x=130:y=20:w=100:h=100:c=white:t=fill,transpose=clock",
                "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", str(coded)])
    run_ffmpeg(["-y", "-v", "error", "-display_rotation", "90", "-i", str(coded),
                "-c", "copy", str(sideways)])
    info = probe(sideways)
    assert info.rotation == 270 and info.display_size == (360, 640)
    path, reasons = plan_crop(info, Window(start_ms=0, end_ms=2000))
    assert "portrait" in reasons[0] and (path.width, path.height) == (360, 640)
    gray = cv2.cvtColor(_frame(_render(info, path, Window(start_ms=0, end_ms=2000), tmp_path),
                               1.0, tmp_path), cv2.COLOR_BGR2GRAY)
    bright = np.argwhere(gray > 200)
    top, left, right = bright[:, 0].min(), bright[:, 1].min(), bright[:, 1].max()
    # the square (x 130-230, y 20-120 of 360x640) lands at the top centre, scaled by 3
    assert 40 <= top <= 80 and 370 <= left <= 410 and 670 <= right <= 710, (top, left, right)


def test_portrait_is_scaled_and_square_follows_the_subject() -> None:
    tall = plan_crop(_info(1080, 1920), Window(start_ms=0, end_ms=5000))
    assert tall[0].width == 1080 and len(tall[0].points) == 1 and "portrait" in tall[1][0]
    phone = _info(1170, 2532)  # taller than 9:16: trimmed top and bottom, centred
    path, _ = plan_crop(phone, Window(start_ms=0, end_ms=5000))
    assert (path.width, path.points[0].x) == (1170, 0) and path.points[0].y > 0
    assert not is_portrait(_info(1080, 1080)) and not is_portrait(_info(1080, 1440))
    assert crop_size(_info(1080, 1440)) == (810, 1440)

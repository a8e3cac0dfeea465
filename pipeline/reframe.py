"""Frame the subject in 9:16: a smoothed crop path over the chosen window.

Analysis decodes the window once and keeps a 320 px grey frame a few times a
second. The subject is the largest face (OpenCV Haar cascade shipped in
``cv2.data``), else the centre of motion, else the previous position. The crop
centre then follows it with a dead zone and a bounded pan speed.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from typing import Any

import av
import cv2
import numpy as np

from pipeline.models import CropKey, CropPath, MediaInfo, Window

ANALYSIS_WIDTH = 320
ANALYSIS_FPS = 4
DEAD_ZONE = 0.06
"""Fraction of the frame width the subject may drift before the crop moves."""
MAX_PAN_PER_S = 0.20
"""Fraction of the frame width the crop may travel per second."""
PORTRAIT_MAX_ASPECT = Fraction(10, 16)


@dataclass(frozen=True)
class Sample:
    """The subject's centre (0..1 of the display frame) at a clip time."""

    t_ms: int
    cx: float
    cy: float
    source: str


@cache
def _face_cascade() -> Any:
    return cv2.CascadeClassifier(cv2.data.haarcascades  # type: ignore[attr-defined]
                                  + "haarcascade_frontalface_default.xml")


def crop_size(info: MediaInfo, out_w: int = 1080, out_h: int = 1920) -> tuple[int, int]:
    """The largest box of the output aspect that fits the display frame (even sides)."""
    w, h = info.display_size
    aspect = Fraction(out_w, out_h)
    if Fraction(w, h) > aspect:
        cw = int(h * aspect)
        return cw - cw % 2, h
    ch = int(w / aspect)
    return w, min(h, ch - ch % 2)


def _coded_size(info: MediaInfo) -> tuple[int, int]:
    w, h = info.display_size
    aw, ah = ANALYSIS_WIDTH, max(2, round(ANALYSIS_WIDTH * h / w))
    return (ah, aw) if info.rotation in (90, 270) else (aw, ah)


def _upright(gray: np.ndarray, rotation: int) -> np.ndarray:
    turns = {90: -1, 180: 2, 270: 1}.get(rotation, 0)
    return np.ascontiguousarray(np.rot90(gray, turns)) if turns else gray


def analysis_frames(info: MediaInfo, window: Window) -> list[tuple[int, np.ndarray]]:
    """Upright grey 320 px frames at ANALYSIS_FPS over the window, clip timeline."""
    step = 1000 // ANALYSIS_FPS
    cw, ch = _coded_size(info)
    frames: list[tuple[int, np.ndarray]] = []
    with av.open(info.path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        container.seek(window.start_ms * 1000, any_frame=False)
        next_t = window.start_ms
        for frame in container.decode(stream):
            if frame.time is None:
                continue
            t = round(frame.time * 1000)
            if t < next_t:
                continue
            if t >= window.end_ms:
                break
            gray = frame.reformat(width=cw, height=ch, format="gray").to_ndarray()
            frames.append((t - window.start_ms, _upright(gray, info.rotation)))
            next_t = t + step
    return frames


def find_subject(frames: list[tuple[int, np.ndarray]]) -> list[Sample]:
    """Subject centre per frame: largest face, else centre of motion, else last known."""
    samples: list[Sample] = []
    prev: np.ndarray | None = None
    last = (0.5, 0.5)
    for t, gray in frames:
        face = _largest_face(gray)
        motion = None if face else _motion_centre(prev, gray)
        source = "face" if face else "motion" if motion else "hold"
        last = face or motion or last
        samples.append(Sample(t, last[0], last[1], source))
        prev = gray
    return _backfill(samples)


def _backfill(samples: list[Sample]) -> list[Sample]:
    """Samples before the first detection take its position instead of the centre."""
    first = next((s for s in samples if s.source != "hold"), None)
    if first is None:
        return samples
    return [Sample(s.t_ms, first.cx, first.cy, s.source) if s.t_ms < first.t_ms else s
            for s in samples]


def _largest_face(gray: np.ndarray) -> tuple[float, float] | None:
    faces = _face_cascade().detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5,
                                             minSize=(16, 16))
    if len(faces) == 0:
        return None
    x, y, w, h = max(faces, key=lambda f: int(f[2]) * int(f[3]))
    height, width = gray.shape
    return (x + w / 2) / width, (y + h / 2) / height


def _motion_centre(prev: np.ndarray | None, gray: np.ndarray) -> tuple[float, float] | None:
    if prev is None or prev.shape != gray.shape:
        return None
    diff = cv2.GaussianBlur(cv2.absdiff(prev, gray), (5, 5), 0)
    mask = (diff > 18).astype(np.float32)
    mass = float(mask.sum())
    if mass < 0.002 * mask.size:
        return None
    ys, xs = np.nonzero(mask)
    height, width = gray.shape
    return float(xs.mean()) / width, float(ys.mean()) / height


def smooth(samples: list[Sample], frame_w: int, crop_w: int) -> list[tuple[int, int]]:
    """Crop left edge per sample: dead zone, bounded pan speed, clamped to the frame."""
    if not samples:
        return [(0, (frame_w - crop_w) // 2)]
    max_x = frame_w - crop_w
    x = _clamp(samples[0].cx * frame_w - crop_w / 2, max_x)
    out, prev_t = [(samples[0].t_ms, round(x))], samples[0].t_ms
    for s in samples[1:]:
        target = _clamp(s.cx * frame_w - crop_w / 2, max_x)
        if abs(target - x) > DEAD_ZONE * frame_w:
            limit = MAX_PAN_PER_S * frame_w * (s.t_ms - prev_t) / 1000
            x += max(-limit, min(limit, target - x))
        out.append((s.t_ms, round(x)))
        prev_t = s.t_ms
    return out


def _clamp(x: float, max_x: int) -> float:
    return max(0.0, min(float(max_x), x))


def simplify(points: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Drop keyframes that lie on the line between their neighbours (±1 px)."""
    if len(points) <= 2:
        return points
    kept = [points[0]]
    for mid, nxt in itertools.pairwise(points):
        (t0, x0), (t1, x1), (t2, x2) = kept[-1], mid, nxt
        expected = x0 + (x2 - x0) * (t1 - t0) / max(1, t2 - t0)
        if abs(expected - x1) > 1:
            kept.append(mid)
    kept.append(points[-1])
    return kept


def plan_crop(info: MediaInfo, window: Window) -> tuple[CropPath, tuple[str, ...]]:
    """The crop path for the window, and why it looks the way it does."""
    w, h = info.display_size
    cw, ch = crop_size(info)
    if Fraction(w, h) <= PORTRAIT_MAX_ASPECT:
        key = CropKey(t_ms=0, x=(w - cw) // 2, y=(h - ch) // 2)
        path = CropPath(width=cw, height=ch, points=(key,))
        return path, ("portrait footage: scaled, not panned",)
    samples = find_subject(analysis_frames(info, window))
    y = (h - ch) // 2
    points = simplify(smooth(samples, w, cw))
    keys = tuple(CropKey(t_ms=t, x=x - x % 2, y=y) for t, x in points)
    kinds = {s.source for s in samples}
    reason = (f"crop {cw}x{ch} follows the subject ({', '.join(sorted(kinds)) or 'centre'}) "
              f"over {len(samples)} analysed frames; {len(keys)} keyframes")
    return CropPath(width=cw, height=ch, points=keys), (reason,)

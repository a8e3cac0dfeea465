"""Frame the subject in 9:16: a smoothed crop path over the chosen window.

The frames come from the footage's analysis (:mod:`pipeline.footage.analysis`: 320 px
upright grey frames at 4 fps), so reframing decodes nothing itself unless the
analysis was sparse (long footage). The subject is a face first (OpenCV Haar
frontal, then profile cascades facing either way, shipped in ``cv2.data``);
with several faces the one already followed is kept while it stays at least
half the size of the largest, else the largest. Without a face it is the
centre of motion, else the last known position. The crop centre follows it
with a dead zone and a bounded pan speed; it jumps only at a scene cut (two
keyframes 1 ms apart, which the render's piecewise-linear expression turns
into a switch between two frames).

What is cropped: footage wider than ``PORTRAIT_MAX_ASPECT`` (landscape, square
and 3:4 alike) follows the subject. Portrait footage up to 10:16 is scaled to
1080x1920 without a pan: a centred trim of at most a tenth of the width (or of
the height for phones taller than 9:16) makes it exactly 9:16.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from typing import Any

import cv2
import numpy as np

from pipeline.core.models import CropKey, CropPath, MediaInfo, Window
from pipeline.footage.analysis import Analysis, Frame, analyse_window

DEAD_ZONE = 0.06
"""Fraction of the frame width the subject may drift before the crop moves."""
MAX_PAN_PER_S = 0.20
"""Fraction of the frame width the crop may travel per second."""
PORTRAIT_MAX_ASPECT = Fraction(10, 16)
KEEP_FACE_RATIO = 0.5
"""The followed face stays the subject while at least this fraction of the largest."""
FACE_SCALE_STEP = 1.2
MIN_FACE = 24
"""Smallest face looked for, in analysis pixels (about an eighth of the frame height)."""
FACE_EVERY = 2
"""Look for faces on every 2nd analysis frame (2 per second); motion on every frame."""
PROFILE_EVERY = 4
"""Without a face to follow, try the profile cascades once a second only (they cost most)."""
Box = tuple[float, float, float, float]
"""x, y, w, h as fractions of the frame."""


@dataclass(frozen=True)
class Sample:
    """The subject's centre (0..1 of the display frame) at a clip time."""

    t_ms: int
    cx: float
    cy: float
    source: str
    box: Box | None = None
    """The followed face (fractions of the frame), when a face is the subject."""
    spread: float = 0.0
    """Width (fraction of the frame) spanned by all faces at least half the largest's size;
    0 with fewer than two."""


@cache
def _cascade(name: str) -> Any:
    return cv2.CascadeClassifier(cv2.data.haarcascades + name)  # type: ignore[attr-defined]


def crop_size(info: MediaInfo, out_w: int = 1080, out_h: int = 1920) -> tuple[int, int]:
    """The largest box of the output aspect that fits the display frame (even sides)."""
    w, h = info.display_size
    aspect = Fraction(out_w, out_h)
    if Fraction(w, h) > aspect:
        cw = int(h * aspect)
        return cw - cw % 2, h
    ch = int(w / aspect)
    return w, min(h, ch - ch % 2)


def faces(gray: np.ndarray, profiles: bool = True) -> list[Box]:
    """Faces in a grey frame: frontal, else (when asked) profile looking either way."""
    height, width = gray.shape
    cascades = [("haarcascade_frontalface_default.xml", False)]
    if profiles:
        cascades += [("haarcascade_profileface.xml", False), ("haarcascade_profileface.xml", True)]
    for name, flip in cascades:
        image = cv2.flip(gray, 1) if flip else gray
        found = _cascade(name).detectMultiScale(image, scaleFactor=FACE_SCALE_STEP,
                                                minNeighbors=5, minSize=(MIN_FACE, MIN_FACE))
        if len(found):
            return [((width - x - w if flip else x) / width, y / height, w / width, h / height)
                    for x, y, w, h in (tuple(int(v) for v in f) for f in found)]
    return []


def pick_face(found: list[Box], followed: Box | None) -> Box | None:
    """The largest face, unless the one already followed is still there and big enough."""
    if not found:
        return None
    largest = max(found, key=lambda b: b[2] * b[3])
    if followed is not None:
        near = min(found, key=lambda b: _distance(b, followed))
        if _distance(near, followed) < max(followed[2], followed[3]) \
                and near[2] * near[3] >= KEEP_FACE_RATIO * largest[2] * largest[3]:
            return near
    return largest


def face_spread(found: list[Box]) -> float:
    """Width spanned by the faces at least KEEP_FACE_RATIO of the largest (0 for one)."""
    if len(found) < 2:
        return 0.0
    largest = max(b[2] * b[3] for b in found)
    big = [b for b in found if b[2] * b[3] >= KEEP_FACE_RATIO * largest]
    if len(big) < 2:
        return 0.0
    return max(b[0] + b[2] for b in big) - min(b[0] for b in big)


def _distance(a: Box, b: Box) -> float:
    return float(np.hypot(a[0] + a[2] / 2 - b[0] - b[2] / 2, a[1] + a[3] / 2 - b[1] - b[3] / 2))


def find_subject(frames: list[Frame], cuts: Sequence[int] = ()) -> list[Sample]:
    """Subject centre per frame (clip timeline): face, else centre of motion, else held."""
    samples: list[Sample] = []
    prev: np.ndarray | None = None
    followed: Box | None = None
    spread = 0.0
    last = (0.5, 0.5)
    for i, (t, gray) in enumerate(frames):
        fresh = any(s.t_ms < c <= t for c in cuts for s in samples[-1:])
        if fresh:
            prev, followed = None, None  # a new shot: no motion or face across the cut
        if fresh or i % FACE_EVERY == 0:
            profiles = followed is not None or i % PROFILE_EVERY == 0
            found = faces(gray, profiles)
            followed, spread = pick_face(found, followed), face_spread(found)
        centre = (followed[0] + followed[2] / 2, followed[1] + followed[3] / 2) \
            if followed else None
        motion = None if centre else _motion_centre(prev, gray)
        source = "face" if centre else "motion" if motion else "hold"
        last = centre or motion or last
        samples.append(Sample(t, last[0], last[1], source, followed,
                              spread if followed else 0.0))
        prev = gray
    return _backfill(samples, cuts)


def _backfill(samples: list[Sample], cuts: Sequence[int]) -> list[Sample]:
    """In each shot, samples before its first detection take that detection's position."""
    out: list[Sample] = []
    for shot in _shots(samples, cuts):
        first = next((s for s in shot if s.source != "hold"), None)
        out += [Sample(s.t_ms, first.cx, first.cy, s.source, s.box, s.spread)
                if first is not None and s.t_ms < first.t_ms else s for s in shot]
    return out


def _shots(samples: list[Sample], cuts: Sequence[int]) -> list[list[Sample]]:
    shots: list[list[Sample]] = [[]]
    for s in samples:
        if shots[-1] and any(shots[-1][-1].t_ms < c <= s.t_ms for c in cuts):
            shots.append([])
        shots[-1].append(s)
    return [shot for shot in shots if shot]


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


def smooth(samples: list[Sample], frame_w: int, crop_w: int,
           cuts: Sequence[int] = ()) -> list[tuple[int, int]]:
    """Crop left edge per sample: dead zone, bounded pan speed, a jump only at a cut."""
    if not samples:
        return [(0, (frame_w - crop_w) // 2)]
    max_x = frame_w - crop_w
    x = _clamp(samples[0].cx * frame_w - crop_w / 2, max_x)
    out, prev_t = [(samples[0].t_ms, round(x))], samples[0].t_ms
    for s in samples[1:]:
        target = _clamp(s.cx * frame_w - crop_w / 2, max_x)
        cut = next((c for c in cuts if prev_t < c <= s.t_ms), None)
        if cut is not None:
            if cut - 1 > out[-1][0]:
                out.append((cut - 1, round(x)))
            out.append((cut, round(target)))
            x = target
        elif abs(target - x) > DEAD_ZONE * frame_w:
            limit = MAX_PAN_PER_S * frame_w * (s.t_ms - prev_t) / 1000
            x += max(-limit, min(limit, target - x))
        if out[-1][0] < s.t_ms:
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


def is_portrait(info: MediaInfo) -> bool:
    """Portrait footage is scaled to 9:16, never panned."""
    w, h = info.display_size
    return Fraction(w, h) <= PORTRAIT_MAX_ASPECT


def subject_samples(info: MediaInfo, window: Window, visuals: Analysis | None = None
                    ) -> tuple[list[Sample], list[int]]:
    """The subject per analysis frame of the window and the cuts, both in the clip timeline."""
    frames = visuals.frames_in(window) if visuals is not None else None
    if frames is None or visuals is None:
        visuals = analyse_window(info, window)
        frames = visuals.frames_in(window) or []
    cuts = [c - window.start_ms for c in visuals.cuts_in(window)]
    return find_subject(frames, cuts), cuts


def plan_crop(info: MediaInfo, window: Window, visuals: Analysis | None = None
              ) -> tuple[CropPath, tuple[str, ...]]:
    """The crop path for the window, and why it looks the way it does."""
    if is_portrait(info):
        return crop_path(info, [], [])
    samples, cuts = subject_samples(info, window, visuals)
    return crop_path(info, samples, cuts)


def crop_path(info: MediaInfo, samples: list[Sample], cuts: list[int]
              ) -> tuple[CropPath, tuple[str, ...]]:
    """The crop path following ``samples`` (clip timeline), and why it looks that way."""
    w, h = info.display_size
    cw, ch = crop_size(info)
    if is_portrait(info):
        key = CropKey(t_ms=0, x=(w - cw) // 2, y=(h - ch) // 2)
        return CropPath(width=cw, height=ch, points=(key,)), (
            f"portrait footage ({w}x{h}): scaled to 9:16, not panned",)
    points = simplify(smooth(samples, w, cw, cuts))
    points[0] = (0, points[0][1])  # the path starts with the clip, not at the first sample
    keys = tuple(CropKey(t_ms=t, x=x - x % 2, y=(h - ch) // 2) for t, x in points)
    counts = {k: sum(s.source == k for s in samples) for k in ("face", "motion", "hold")}
    found = ", ".join(f"{k} in {n}" for k, n in counts.items() if n) or "nothing"
    reason = (f"crop {cw}x{ch} of {w}x{h} follows the subject ({found} of {len(samples)} "
              f"analysed frames); {len(keys)} keyframes"
              + (f"; jumps at cuts {cuts} ms" if cuts else ""))
    return CropPath(width=cw, height=ch, points=keys), (reason,)

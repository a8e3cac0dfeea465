"""How the footage fills the 1080x1920 frame: crop (a 9:16 box follows the subject) or
fit (the whole frame at the clip's width, centred over a blurred, darkened fill).

``frame_footage`` decides, for ``auto``, from what reframing found in the window:

* fit when no subject can be followed steadily: something moves in much of the
  window but the crop keeps it in view in under half of the frames (a busy, cut-heavy
  scene with no single subject);
* fit when the subject would be cut off: two faces (each at least half the size of
  the largest) further apart than the crop is wide, in a good share of the frames;
  or a wide establishing shot: no face at all and a crop showing under 30 % of the
  width;
* fit when the crop would upscale too far (over ``MAX_CROP_UPSCALE``) and fit much less;
* crop otherwise. The reasons say which.

It also gives the subject's box per analysis frame in output pixels (what overlay
placement keeps clear) and the upscale factor behind the soft-footage warning.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from pipeline.core.models import CropKey, CropPath, Layout, MediaInfo, Window
from pipeline.footage.analysis import Analysis
from pipeline.footage.reframe import (
    Sample,
    crop_path,
    is_portrait,
    subject_samples,
)
from pipeline.publish.platforms import FRAME_H, FRAME_W

SOFT_UPSCALE = 2.5
"""Above this upscale the clip looks soft: the manifest and summary warn."""
MAX_CROP_UPSCALE = 3.0
"""auto fits instead of cropping past this upscale, when fitting upscales a third less."""
STEADY_SHARE = 0.5
"""auto crops only when the subject is inside the crop in at least this share of frames."""
ACTIVE_SHARE = 0.3
"""...judged only when something (a face or motion) is found in at least this share."""
APART_SHARE = 0.3
"""Share of face frames with two faces wider apart than the crop that makes auto fit."""
WIDE_SHOT_CROP = 0.3
"""Without any face, a crop showing under this fraction of the width is too narrow."""
Rect = tuple[int, int, int, int]
"""x, y, w, h in output pixels."""


@dataclass(frozen=True)
class SubjectBox:
    """Where the subject is in the output frame at a clip time."""

    t_ms: int
    box: Rect | None
    """The face (the detector's box), or a box around the centre of motion; None: nothing."""
    face: bool


@dataclass(frozen=True)
class Framing:
    """How the footage fills the frame, why, and where the subject is in the output."""

    layout: Layout
    crop: CropPath
    reasons: tuple[str, ...]
    subjects: tuple[SubjectBox, ...] = ()
    picture: Rect = (0, 0, FRAME_W, FRAME_H)
    """Where the footage's own picture lies in the output (fit: the centred band)."""
    upscale: float = 1.0
    """Output pixels per footage pixel, linear."""
    auto: bool = False
    """The layout was decided here (auto), so planning may still switch crop to fit."""
    samples: tuple[Sample, ...] = ()
    """The subject per analysis frame, footage coordinates (fractions)."""


def fit_picture(info: MediaInfo, out_w: int = FRAME_W, out_h: int = FRAME_H) -> Rect:
    """The fit layout's picture: the frame scaled to the clip's width, centred (even sides)."""
    w, h = info.display_size
    ph = min(out_h, round(out_w * h / w / 2) * 2)
    return 0, (out_h - ph) // 2 // 2 * 2, out_w, ph


def upscale_of(info: MediaInfo, layout: Layout, crop: CropPath) -> float:
    """How many times the footage is enlarged (linear) in ``layout``."""
    if layout == "fit":
        return FRAME_W / info.display_size[0]
    # a 9:16 crop's sides are rounded to even pixels: the larger side is the exact one
    return min(FRAME_W / crop.width, FRAME_H / crop.height)


def soft_warning(info: MediaInfo, upscale: float) -> list[str]:
    """The manifest's warning when the picture is upscaled past SOFT_UPSCALE."""
    if upscale <= SOFT_UPSCALE:
        return []
    w, h = info.display_size
    return [f"footage is {w}x{h}: upscaled {upscale:.1f}x, the clip will look soft"]


def frame_footage(info: MediaInfo, window: Window, visuals: Analysis | None = None,
                  choice: str = "auto") -> Framing:
    """The framing of ``window``: ``choice`` is auto, crop or fit."""
    samples, cuts = subject_samples(info, window, visuals)
    crop, reasons = crop_path(info, samples, cuts)
    layout, why = decide(info, crop, samples, choice)
    if layout == "fit":
        return as_fit(info, samples, why, auto=choice not in ("crop", "fit"))
    boxes = tuple(output_boxes(info, layout, crop, samples))
    return Framing(layout, crop, (why, *reasons), boxes, (0, 0, FRAME_W, FRAME_H),
                   round(upscale_of(info, layout, crop), 2), choice not in ("crop", "fit"),
                   tuple(samples))


def as_fit(info: MediaInfo, samples: Sequence[Sample], why: str, auto: bool = False
           ) -> Framing:
    """The fit framing of the same window (the subject found is reused)."""
    w, h = info.display_size
    crop = CropPath(width=w, height=h, points=(CropKey(t_ms=0, x=0, y=0),))
    boxes = tuple(output_boxes(info, "fit", crop, samples))
    return Framing("fit", crop, (why,), boxes, fit_picture(info),
                   round(upscale_of(info, "fit", crop), 2), auto, tuple(samples))


def decide(info: MediaInfo, crop: CropPath, samples: Sequence[Sample], choice: str
           ) -> tuple[Layout, str]:
    """crop or fit, and the reason."""
    if choice in ("crop", "fit"):
        return ("fit" if choice == "fit" else "crop"), f"layout {choice}: asked for"
    if is_portrait(info):
        return "crop", "layout crop (auto): portrait footage fills the frame"
    w, _ = info.display_size
    crop_up, fit_up = upscale_of(info, "crop", crop), upscale_of(info, "fit", crop)
    if crop_up > MAX_CROP_UPSCALE and fit_up * 1.5 <= crop_up:
        return "fit", (f"layout fit (auto): the crop would upscale {crop_up:.1f}x, "
                       f"fitting {fit_up:.1f}x")
    faces = [s for s in samples if s.source == "face"]
    apart = [s for s in faces if s.spread * w > crop.width]
    if faces and len(apart) >= APART_SHARE * len(faces):
        return "fit", (f"layout fit (auto): two faces further apart than the crop is wide in "
                       f"{len(apart)} of {len(faces)} frames with faces")
    if not faces and crop.width < WIDE_SHOT_CROP * w:
        return "fit", (f"layout fit (auto): wide shot with no face; a crop would show "
                       f"{crop.width} of {w} px")
    active = [s for s in samples if s.source != "hold"]
    if samples and len(active) >= ACTIVE_SHARE * len(samples):
        inside = sum(_in_crop(s, crop, w) for s in active)
        if inside < STEADY_SHARE * len(active):
            return "fit", (f"layout fit (auto): no subject followed steadily (inside the "
                           f"crop in {inside} of {len(active)} frames with a subject)")
    return "crop", "layout crop (auto): the subject can be followed"


def _in_crop(s: Sample, crop: CropPath, frame_w: int) -> bool:
    left = _crop_x(crop, s.t_ms)
    margin = 0.1 * crop.width
    return left + margin <= s.cx * frame_w <= left + crop.width - margin


def _crop_x(crop: CropPath, t_ms: int) -> float:
    """Left edge of the crop at a clip time (linear between keys, held outside)."""
    keys = crop.points
    if t_ms <= keys[0].t_ms:
        return keys[0].x
    for a, b in itertools.pairwise(keys):
        if t_ms < b.t_ms:
            return a.x + (b.x - a.x) * (t_ms - a.t_ms) / max(1, b.t_ms - a.t_ms)
    return keys[-1].x


MOTION_BOX = (0.36, 0.22)
"""Size (fractions of the output) of the box kept clear around a centre of motion."""


def output_boxes(info: MediaInfo, layout: Layout, crop: CropPath,
                 samples: Sequence[Sample]) -> list[SubjectBox]:
    """Each sample's subject box in output pixels (None when nothing was found)."""
    w, h = info.display_size
    if layout == "fit":
        _, top, pw, ph = fit_picture(info)
        sx, sy, ox, oy = Fraction(pw, w), Fraction(ph, h), 0.0, float(top)
    else:
        sx, sy = Fraction(FRAME_W, crop.width), Fraction(FRAME_H, crop.height)
    out = []
    for s in samples:
        if layout != "fit":
            ox, oy = -_crop_x(crop, s.t_ms) * sx, -float(crop.points[0].y * sy)
        if s.box is not None:
            bx, by, bw, bh = s.box
            rect = (round(bx * w * sx + ox), round(by * h * sy + oy),
                    round(bw * w * sx), round(bh * h * sy))
            out.append(SubjectBox(s.t_ms, rect, True))
        elif s.source == "motion":
            mw, mh = MOTION_BOX[0] * FRAME_W, MOTION_BOX[1] * FRAME_H
            cx, cy = s.cx * w * sx + ox, s.cy * h * sy + oy
            out.append(SubjectBox(s.t_ms, (round(cx - mw / 2), round(cy - mh / 2),
                                           round(mw), round(mh)), False))
        else:
            out.append(SubjectBox(s.t_ms, None, False))
    return out

"""The floor's ffmpeg arguments and plans moved onto other footage."""

from __future__ import annotations

from pipeline.core.models import ClipPlan, CropKey, CropPath, MediaInfo, Window
from pipeline.render.graph import encode_args, output_scale
from pipeline.render.inputs import seconds


def floor_args(plan: ClipPlan, out: str) -> list[str]:
    """The floor: bare trim + (static) crop + scale + encode of the same window, with
    the render's encoder settings (x264 and AAC), no card, captions or audio chain."""
    key = plan.crop.points[0]
    vf = f"crop={plan.crop.width}:{plan.crop.height}:{key.x}:{key.y},{output_scale(plan)}"
    maps = ["-map", "0:v", *(["-map", "0:a"] if plan.source.has_audio else [])]
    return ["-y", "-v", "error", "-ss", seconds(plan.window.start_ms),
            "-t", seconds(plan.duration_ms), "-i", plan.source.path, "-vf", vf, *maps,
            *encode_args(plan), "-f", "mp4", out]


def as_fit(plan: ClipPlan) -> ClipPlan:
    """``plan`` in the fit layout: the whole frame at the clip's width over its blurred
    fill; overlays where they were (the render's cost does not depend on where)."""
    width, height = plan.source.display_size
    return plan.model_copy(update={
        "layout": "fit",
        "crop": CropPath(width=width, height=height, points=(CropKey(t_ms=0, x=0, y=0),))})


def retarget(plan: ClipPlan, info: MediaInfo, start_ms: int) -> ClipPlan:
    """``plan`` on other footage: same duration from ``start_ms``, crop path scaled to
    the new display height and kept inside the frame."""
    src_w, src_h = info.display_size
    factor = src_h / plan.crop.height
    width = min(src_w, round(plan.crop.width * factor) // 2 * 2)
    points = tuple(CropKey(t_ms=k.t_ms, x=min(round(k.x * factor), src_w - width), y=0)
                   for k in plan.crop.points)
    return plan.model_copy(update={
        "source": info,
        "window": Window(start_ms=start_ms, end_ms=start_ms + plan.duration_ms),
        "crop": CropPath(width=width, height=src_h, points=points)})

"""Rendering a ClipPlan: the ffmpeg engine (one process, one filter graph) and the MoviePy
reference engine, both ``(plan, out) -> out``. The graph builders are in ``graph`` and
``audio``; this package only re-exports the entry points.
"""

from pipeline.render.ffmpeg_engine import render, with_audio_gain

__all__ = ["render", "with_audio_gain"]

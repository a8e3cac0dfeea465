"""Side files a render needs besides the plan."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RenderFiles:
    """Side files the graph refers to, written by the renderer before ffmpeg runs."""

    card_png: str = ""
    ass: str = ""

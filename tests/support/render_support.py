"""Real plans for small generated footage, for render tests (no Whisper, no selection).

``footage_plan(path)`` probes the file and builds a ClipPlan with every feature
on: a crop path that moves, the product card (slide), word captions from the
golden transcript, and a real music bed from assets/music.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.captions.cues import build_cues
from pipeline.captions.fonts import libass_fonts_dir
from pipeline.core.home import clipcart_home
from pipeline.core.models import CardSpec, ClipPlan, CropKey, CropPath, MusicBed, Window
from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.media.probe import probe
from pipeline.media.samples import PRODUCT_PNG
from tests.support.paths import MUSIC
from tests.support.plans import KEYWORDS, STYLE, WORDS

MUSIC = MUSIC / "upbeat_pop_120.opus"


def footage_plan(path: Path, *, seconds: float = 3.0, music: bool = True,
                 card: bool = True) -> ClipPlan:
    """A full-feature plan over the first ``seconds`` of ``path``."""
    info = probe(path)
    src_w, src_h = info.display_size
    crop_h = src_h - src_h % 2
    crop_w = min(src_w, round(crop_h * 9 / 16) // 2 * 2)
    travel = max(0, src_w - crop_w)
    ms = round(seconds * 1000)
    words = tuple(w for w in WORDS if w.end_ms <= ms)
    return ClipPlan(
        clip_id="test", sku="SKU-1", source=info, window=Window(start_ms=0, end_ms=ms),
        crop=CropPath(width=crop_w, height=crop_h, points=(
            CropKey(t_ms=0, x=travel // 4, y=0), CropKey(t_ms=ms // 2, x=travel // 4, y=0),
            CropKey(t_ms=ms, x=travel * 3 // 4, y=0))),
        captions=build_cues(words, STYLE, keywords=KEYWORDS), caption_style=STYLE,
        fonts_dir=str(libass_fonts_dir(clipcart_home())),
        card=CardSpec(title="Trailhead Insulated Bottle", price_text="$24.00",
                      image=str(PRODUCT_PNG), start_ms=300, end_ms=ms - 300,
                      animation="slide") if card else None,
        music=MusicBed(path=str(MUSIC), offset_ms=0, gain_db=-16.0) if music else None,
    )


def frame_at(video: Path, seconds: float, out: Path, size: str = "") -> Path:
    """One frame of ``video`` as PNG (scaled to ``size`` WxH when given)."""
    scale = ["-vf", f"scale={size.replace('x', ':')}:flags=bicubic"] if size else []
    run_ffmpeg(["-y", "-v", "error", "-ss", f"{seconds:.3f}", "-i", str(video),
                "-frames:v", "1", *scale, str(out)])
    return out

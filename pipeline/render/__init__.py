"""render(plan): the clip as a pure function of its ClipPlan.

Writes the side files the graph needs (ASS captions, card PNG) into a private
temporary folder, measures the audio mix once (first loudness pass), then runs
the one ffmpeg render with the gain that lands on the target, into a temporary
file renamed into place only when complete.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from pipeline.captions import to_ass
from pipeline.media.ffmpeg import parse_loudnorm_json, run_ffmpeg
from pipeline.models import ClipPlan
from pipeline.render.files import RenderFiles
from pipeline.render.graph import measure_args, render_args
from pipeline.render.loudness import limiter_corrected_gain_db

SILENCE_LUFS = -70.0


def write_side_files(plan: ClipPlan, folder: Path) -> RenderFiles:
    """ASS captions and the card PNG, as the graph refers to them."""
    ass = ""
    if plan.captions:
        ass_path = folder / "captions.ass"
        ass_path.write_text(to_ass(plan.captions, plan.caption_style, plan.width, plan.height),
                            encoding="utf-8")
        ass = str(ass_path)
    card_png = ""
    if plan.card is not None:
        from pipeline.overlays import draw_card

        card_png = str(draw_card(plan.card, folder / "card.png"))
    return RenderFiles(card_png=card_png, ass=ass)


def loudness_gain_db(plan: ClipPlan, files: RenderFiles) -> float:
    """Integrated loudness of the mix → the gain that reaches the target after the limiter."""
    stats = parse_loudnorm_json(run_ffmpeg(measure_args(plan, files)))
    measured = stats.get("input_i", SILENCE_LUFS)
    if measured <= SILENCE_LUFS:
        return 0.0
    return limiter_corrected_gain_db(plan, files, plan.target_lufs - measured,
                                     stats.get("input_tp", 0.0))


def render(plan: ClipPlan, out: Path) -> Path:
    """Render ``plan`` to ``out`` (MP4); nothing is left at ``out`` on failure."""
    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_name(f".{out.name}.{os.getpid()}.part")
    with tempfile.TemporaryDirectory(prefix="clipcart-render-") as tmp:
        files = write_side_files(plan, Path(tmp))
        gain = loudness_gain_db(plan, files)
        try:
            run_ffmpeg(render_args(plan, files, gain, str(part)))
            part.replace(out)
        finally:
            part.unlink(missing_ok=True)
    return out

"""The ffmpeg engine: render(plan) as one ffmpeg run; the clip is a pure function of its ClipPlan.

Loudness is two-pass: the first pass (an audio-only ffmpeg run) measures the
mix and decides the gain that lands it on the target. That is a decision, so
planning makes it (``with_audio_gain``) and the plan carries ``audio_gain_db``;
re-rendering a plan then reproduces its audio exactly, and the render itself is
one ffmpeg run. A plan without a gain (written by hand, or older) is measured
here, while the side files are drawn.

``render`` writes the side files the graph needs (ASS captions, card PNG) into a
private temporary folder, then runs the one ffmpeg render with that gain into a
temporary file renamed into place only when complete.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pipeline.captions.cues import to_ass
from pipeline.core.models import ClipPlan
from pipeline.media import meter
from pipeline.media.ffmpeg import file_arg, run_ffmpeg
from pipeline.render.files import RenderFiles
from pipeline.render.graph import measure_args, render_args
from pipeline.render.loudness import limiter_corrected_gain_db, metered

SILENCE_LUFS = meter.SILENCE_LUFS


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
        from pipeline.products.card import draw_card

        card_png = str(draw_card(plan.card, folder / "card.png"))
    return RenderFiles(card_png=card_png, ass=ass)


def loudness_gain_db(plan: ClipPlan, files: RenderFiles) -> float:
    """Integrated loudness of the mix → the gain that reaches the target after the limiter."""
    measured, peak = metered(measure_args(plan))
    if measured <= SILENCE_LUFS:
        return 0.0
    return limiter_corrected_gain_db(plan, files, plan.target_lufs - measured, peak)


def audio_key(plan: ClipPlan) -> str:
    """Digest of what the loudness gain depends on: source, window, music, speech, targets."""
    facts = plan.model_dump(mode="json", include={"source", "window", "music", "speech",
                                                  "target_lufs", "true_peak_db"})
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()[:16]


def with_audio_gain(plan: ClipPlan) -> ClipPlan:
    """``plan`` with its mastering gain decided (the first loudness pass)."""
    gain = round(loudness_gain_db(plan, RenderFiles()), 2)
    return plan.model_copy(update={"audio_gain_db": gain, "audio_gain_for": audio_key(plan)})


def decided_gain(plan: ClipPlan) -> float | None:
    """The plan's gain when it was measured on this plan's audio, else None (measure)."""
    if plan.audio_gain_db is None or plan.audio_gain_for != audio_key(plan):
        return None
    return plan.audio_gain_db


def render(plan: ClipPlan, out: Path, *, timeout_s: float | None = None) -> Path:
    """Render ``plan`` to ``out`` (MP4); nothing is left at ``out`` on failure.

    ``timeout_s`` bounds the main ffmpeg run: past it ffmpeg is killed (SIGKILL)
    and FFmpegError is raised, like any other failure.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_name(f".{out.name}.{os.getpid()}.part")
    with tempfile.TemporaryDirectory(prefix="clipcart-render-") as tmp, \
            ThreadPoolExecutor(max_workers=1) as pool:
        # the loudness pass needs no side files: it runs while the card is drawn
        decided = decided_gain(plan)
        measured = None if decided is not None else pool.submit(loudness_gain_db, plan,
                                                                 RenderFiles())
        files = write_side_files(plan, Path(tmp))
        gain = measured.result() if measured is not None else decided or 0.0
        try:
            run_ffmpeg(render_args(plan, files, gain, file_arg(part)), timeout_s=timeout_s)
            part.replace(out)
        finally:
            part.unlink(missing_ok=True)
    return out

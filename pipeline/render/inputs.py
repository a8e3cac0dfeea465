"""The render's ffmpeg inputs: one registry that says, once, which inputs there are, in
which order, and so which index each stream label uses.

Inputs, in order: the footage (seeked to the window), then the product card PNG if the
plan has a card and it was drawn, then the music bed if the plan has music. Graph
builders ask the registry for ``music_audio`` or ``card_video`` instead of counting.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.core.models import ClipPlan
from pipeline.media.ffmpeg import file_arg
from pipeline.render.files import RenderFiles


def seconds(ms: int) -> str:
    """Milliseconds as an ffmpeg time in seconds, exact to the millisecond."""
    return f"{ms / 1000:.3f}"


@dataclass(frozen=True)
class GraphInputs:
    """The ``-i`` arguments of a render and the index of each input in them."""

    args: tuple[str, ...]
    """Every ``-i`` (with its seek and duration options), in input order."""
    card: int | None
    """Index of the card still; None without a card."""
    music: int | None
    """Index of the music bed; None without music."""

    footage_video = "0:v"
    """The footage's picture (always input 0)."""
    footage_audio = "0:a"
    """The footage's sound (always input 0)."""

    @property
    def card_video(self) -> str:
        """Stream label of the card still."""
        assert self.card is not None, "the plan has no drawn card"
        return f"{self.card}:v"

    @property
    def music_audio(self) -> str:
        """Stream label of the music bed."""
        assert self.music is not None, "the plan has no music"
        return f"{self.music}:a"


def graph_inputs(plan: ClipPlan, files: RenderFiles) -> GraphInputs:
    """The registry for ``plan`` with the side files ``files`` (card PNG, captions)."""
    args = ["-ss", seconds(plan.window.start_ms), "-t", seconds(plan.duration_ms),
            "-i", file_arg(plan.source.path)]
    count, card, music = 1, None, None
    if plan.card is not None and files.card_png:
        # one frame, decoded once; the card chain repeats it only while it is on screen
        args += ["-i", file_arg(files.card_png)]
        card, count = count, count + 1
    if plan.music is not None:
        # a plain input, not -stream_loop: on a second pass the Ogg/Opus demuxer replays
        # the codec's 312-sample pre-skip, a 6.5 ms hole at every loop point (measured);
        # looping and the downbeat offset happen in the music chain
        args += ["-i", file_arg(plan.music.path)]
        music = count
    return GraphInputs(args=tuple(args), card=card, music=music)

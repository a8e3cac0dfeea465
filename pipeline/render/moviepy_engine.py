"""The second engine: the same ClipPlan composited by MoviePy, as peers build clips.

It is the reference the parity test and the benchmark compare the ffmpeg engine
against, and the place for effects defined in Python. It is written the way a
MoviePy user writes an edit, with MoviePy's own clips and compositor:

- Video: a ``VideoFileClip`` of the footage window, cropped along the plan's
  crop path (the same piecewise-linear path, even-aligned like ffmpeg's crop)
  and ``Resize``d to 1080x1920 (Pillow, per frame).
- The product card: an ``ImageClip`` of the same PNG ``draw_card`` makes, with
  the same start, end, slide path (a position function) and fades
  (``CrossFadeIn``/``CrossFadeOut`` on its mask).
- Captions: not libass. One ``ImageClip`` per cue and highlighted word, drawn
  with Pillow in the same font, size, colours, outline and shadow, bottom-centred
  in the same margins, timed to the word. Glyph placement differs slightly from
  libass.
- ``CompositeVideoClip`` blends the layers frame by frame in numpy.
- Audio: the same filter graph as the ffmpeg engine (speech, ducked music bed,
  the plan's loudness gain) rendered by ``run_ffmpeg`` to a WAV that MoviePy
  muxes; re-implementing the sidechain compressor in Python would prove nothing.
- HDR footage is not tone-mapped here (MoviePy has no tone mapper).

Encoding goes through MoviePy's ffmpeg writer with the delivery-spec settings.
Before this engine used MoviePy's compositor it blended the layers by hand in one
numpy frame function; that measured about 4x the ffmpeg engine's time on 2 cores,
this one about 6x (README, Performance): the compositor is what peers pay for.
"""

from __future__ import annotations

import itertools
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from pipeline.captions.fonts import font_for
from pipeline.core.models import CaptionCue, CaptionStyle, CaptionWord, CardSpec, ClipPlan, CropKey
from pipeline.core.scripts import join_words, script_of, word_gap
from pipeline.media.ffmpeg import file_arg, run_ffmpeg
from pipeline.render.audio import audio_graph
from pipeline.render.ffmpeg_engine import decided_gain, loudness_gain_db, write_side_files
from pipeline.render.files import RenderFiles
from pipeline.render.graph import BUFSIZE, CRF, ENCODER_PRESET, MAXRATE, SLIDE_S, input_args

Frame = NDArray[np.uint8]
CAPTION_LEFT, CAPTION_RIGHT = 120, 888
"""The caption box's horizontal margins on 1080x1920 (as in the ASS style)."""
FADE_S = 0.25
BICUBIC = Image.Resampling.BICUBIC


def crop_at(points: tuple[CropKey, ...], t: float) -> tuple[int, int]:
    """Top-left of the crop box at clip time ``t`` (s): linear between keys, held outside."""
    ms = t * 1000
    if ms <= points[0].t_ms:
        return points[0].x, points[0].y
    for a, b in itertools.pairwise(points):
        if ms < b.t_ms:
            f = (ms - a.t_ms) / (b.t_ms - a.t_ms)
            return int(a.x + (b.x - a.x) * f), int(a.y + (b.y - a.y) * f)
    return points[-1].x, points[-1].y


def card_state(card: CardSpec, t: float) -> tuple[int, float]:
    """(left edge x, opacity 0..1) of the card at clip time ``t``, as the ffmpeg graph."""
    start, end = card.start_ms / 1000, card.end_ms / 1000
    if not start <= t < end:
        return card.x, 0.0
    x = card.x
    if card.animation == "slide" and t < start + SLIDE_S:
        eased = 1 - (1 - (t - start) / SLIDE_S) ** 3
        x = int(-card.width + (card.x + card.width) * eased)
    alpha = min(1.0, (end - t) / FADE_S)
    if card.animation == "pop":
        alpha = min(alpha, (t - start) / FADE_S)
    return x, max(0.0, alpha)


class CaptionPainter:
    """Draws a cue with one word highlighted as an RGBA strip, with Pillow (cached)."""

    def __init__(self, style: CaptionStyle, width: int, height: int) -> None:
        self.style, self.width, self.height = style, width, height
        self._strips: dict[tuple[CaptionCue, int], tuple[Frame, int]] = {}

    def font(self, text: str) -> ImageFont.FreeTypeFont:
        path, index = font_for(script_of(text))
        return ImageFont.truetype(str(path), self.style.size, index=index)

    def strip(self, cue: CaptionCue, active: int) -> tuple[Frame, int]:
        """(RGBA image of the cue with word ``active`` highlighted, its top y on the frame)."""
        key = (cue, active)
        if key not in self._strips:
            self._strips[key] = self._draw(cue, active)
        return self._strips[key]

    def _draw(self, cue: CaptionCue, active: int) -> tuple[Frame, int]:
        font = self.font(cue.text)
        pad = int(self.style.outline + self.style.shadow) + 2
        line_h = round(self.style.size * 1.2)
        image = Image.new("RGBA", (self.width, line_h * len(cue.lines) + 2 * pad), (0, 0, 0, 0))
        draw = ImageDraw.Draw(image)
        index = 0
        for row, line in enumerate(cue.lines):
            texts = [w.text.upper() if self.style.uppercase else w.text for w in line]
            x = (CAPTION_LEFT + CAPTION_RIGHT - draw.textlength(join_words(texts), font=font)) / 2
            previous = ""
            for word, text in zip(line, texts, strict=True):
                x += draw.textlength(word_gap(previous, text), font=font)
                self._word(draw, (x, pad + row * line_h), text, font,
                           self._colour(word, index == active))
                x += draw.textlength(text, font=font)
                previous, index = text, index + 1
        margin = self.style.margin_v if cue.margin_v is None else cue.margin_v
        top = self.height - margin - image.height + pad
        return np.asarray(image, dtype=np.uint8).copy(), top

    def _colour(self, word: CaptionWord, active: bool) -> str:
        if active:
            return self.style.highlight
        return self.style.keyword if word.keyword else self.style.primary

    def _word(self, draw: ImageDraw.ImageDraw, at: tuple[float, float], text: str,
              font: ImageFont.FreeTypeFont, colour: str) -> None:
        s = self.style
        shadow = (at[0] + s.shadow, at[1] + s.shadow)
        draw.text(shadow, text, font=font, fill=(0, 0, 0, 128), stroke_width=round(s.outline),
                  stroke_fill=(0, 0, 0, 128))
        draw.text(at, text, font=font, fill=colour, stroke_width=round(s.outline),
                  stroke_fill=s.outline_colour)


def reframed(source: Any, plan: ClipPlan) -> Any:
    """The footage clip cropped along the plan's path and resized to the output size."""
    from moviepy import vfx

    src_w, src_h = plan.source.display_size

    def crop(frame: Frame, t: float) -> Frame:
        if (frame.shape[1], frame.shape[0]) != (src_w, src_h):
            frame = np.asarray(Image.fromarray(frame).resize((src_w, src_h), BICUBIC))
        x, y = crop_at(plan.crop.points, t)
        x, y = x - x % 2, y - y % 2
        return frame[y:y + plan.crop.height, x:x + plan.crop.width]

    if plan.layout == "fit":
        return source.transform(lambda get_frame, t: fitted(get_frame(t), plan))
    cropped = source.transform(lambda get_frame, t: crop(get_frame(t), t))
    return cropped.with_effects([vfx.Resize((plan.width, plan.height))])


def fitted(frame: Frame, plan: ClipPlan) -> Frame:
    """The fit layout as the ffmpeg graph draws it: the picture at the clip's width,
    centred over the same picture's centre, shrunk, blurred, darkened and stretched."""
    from pipeline.footage.layout import fit_picture
    from pipeline.render.graph import FILL_LUMA, FILL_SIZE

    _, top, width, height = fit_picture(plan.source, plan.width, plan.height)
    picture = Image.fromarray(frame).resize((width, height), BICUBIC)
    fill_w = min(width, round(height * plan.width / plan.height / 2) * 2)
    left = (width - fill_w) // 2
    fill = picture.crop((left, 0, left + fill_w, height)).resize(FILL_SIZE, Image.Resampling.BOX)
    fill = fill.filter(ImageFilter.BoxBlur(5)).resize((plan.width, plan.height), BICUBIC)
    canvas = (np.asarray(fill, dtype=np.float32) * FILL_LUMA).astype(np.uint8)
    canvas[top:top + height] = np.asarray(picture)
    return canvas


def card_layer(card: CardSpec, png: str) -> Any:
    """The card as an ImageClip: on screen from start to end, sliding or popping in."""
    from moviepy import ImageClip, vfx

    start = card.start_ms / 1000
    layer = ImageClip(np.asarray(Image.open(png).convert("RGBA"))).with_start(start) \
        .with_duration((card.end_ms - card.start_ms) / 1000)
    effects = [vfx.CrossFadeOut(FADE_S)]
    if card.animation == "pop":
        effects.append(vfx.CrossFadeIn(FADE_S))
    return layer.with_position(lambda t: (card_state(card, start + t)[0], card.y)) \
        .with_effects(effects)


def caption_layers(plan: ClipPlan) -> list[Any]:
    """One ImageClip per cue and highlighted word, on screen while that word is."""
    from moviepy import ImageClip

    painter = CaptionPainter(plan.caption_style, plan.width, plan.height)
    layers = []
    for cue in plan.captions:
        words = [w for line in cue.lines for w in line]
        starts = [cue.start_ms, *(max(w.start_ms, cue.start_ms) for w in words[1:])]
        ends = [*starts[1:], cue.end_ms]
        for active, (begin, end) in enumerate(zip(starts, ends, strict=True)):
            end = min(end, cue.end_ms)
            if end <= begin:
                continue
            strip, top = painter.strip(cue, active)
            layers.append(ImageClip(strip).with_start(begin / 1000)
                          .with_duration((end - begin) / 1000).with_position((0, top)))
    return layers


def composition(plan: ClipPlan, source: Any, card_png: str) -> Any:
    """Footage, card and captions as one CompositeVideoClip of the clip's length."""
    from moviepy import CompositeVideoClip

    layers = [reframed(source, plan)]
    if plan.card is not None and card_png:
        layers.append(card_layer(plan.card, card_png))
    layers.extend(caption_layers(plan))
    return CompositeVideoClip(layers, size=(plan.width, plan.height), use_bgclip=True) \
        .with_duration(plan.duration_ms / 1000)


def audio_track(plan: ClipPlan, files: RenderFiles, out: Path) -> Path:
    """The ffmpeg engine's audio mix (same graph, same two-pass gain) as a 48 kHz WAV."""
    decided = decided_gain(plan)
    gain = decided if decided is not None else loudness_gain_db(plan, files)
    graph = ";".join(audio_graph(plan, files, gain))
    run_ffmpeg(["-y", "-v", "error", "-vn", *input_args(plan, files), "-filter_complex", graph,
                "-map", "[aout]", "-c:a", "pcm_s16le", "-ar", "48000", "-ac", "2",
                "-t", f"{plan.duration_ms / 1000:.3f}", file_arg(out)])
    return out


def encoder_params(plan: ClipPlan) -> list[str]:
    """Delivery-spec x264 options passed through MoviePy's writer."""
    gop = str(round(2 * float(eval_fps(plan.fps))))
    return ["-profile:v", "high", "-pix_fmt", "yuv420p", "-crf", str(CRF), "-maxrate", MAXRATE,
            "-bufsize", BUFSIZE, "-g", gop, "-keyint_min", gop, "-sc_threshold", "0",
            "-flags", "+cgop", "-colorspace", "bt709", "-color_primaries", "bt709",
            "-color_trc", "bt709", "-movflags", "+faststart", "-ar", "48000", "-ac", "2"]


def eval_fps(fps: str) -> float:
    """An exact-fraction frame rate as a float."""
    num, _, den = fps.partition("/")
    return int(num) / int(den or 1)


def render_moviepy(plan: ClipPlan, out: Path) -> Path:
    """Render ``plan`` to ``out`` with MoviePy; nothing is left at ``out`` on failure."""
    from moviepy import VideoFileClip

    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_name(f".{out.name}.{os.getpid()}.moviepy.part.mp4")
    with tempfile.TemporaryDirectory(prefix="clipcart-moviepy-") as tmp:
        files = write_side_files(plan, Path(tmp))
        wav = audio_track(plan, files, Path(tmp) / "mix.wav")
        start, end = plan.window.start_ms / 1000, plan.window.end_ms / 1000
        source = VideoFileClip(plan.source.path, audio=False).subclipped(start, end)
        try:
            clip = composition(plan, source, files.card_png)
            clip.write_videofile(str(part), fps=eval_fps(plan.fps), codec="libx264",
                                 preset=ENCODER_PRESET, audio=str(wav), audio_codec="aac",
                                 audio_bitrate="128k", audio_fps=48000, threads=os.cpu_count(),
                                 ffmpeg_params=encoder_params(plan), logger=None)
            part.replace(out)
        finally:
            source.close()
            part.unlink(missing_ok=True)
    return out

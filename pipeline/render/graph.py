"""ClipPlan → one ffmpeg argument list with one filter graph. Pure functions only.

Inputs and their indices come from ``pipeline.render.inputs``. Video: (tone-map) → fps →
square pixels → crop path → scale → card overlay → burned ASS captions → yuv420p. The
audio chains come from ``pipeline.render.audio``.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

from pipeline.core.models import CardSpec, ClipPlan, CropKey, MediaInfo
from pipeline.footage.layout import fit_picture
from pipeline.media.meter import meter_chain
from pipeline.render.audio import audio_graph
from pipeline.render.files import RenderFiles
from pipeline.render.inputs import graph_inputs, seconds

ENCODER_PRESET = "veryfast"
"""x264 preset, chosen by measurement (see README, Performance)."""
CRF = 21
MAXRATE = "8M"
BUFSIZE = "16M"
SLIDE_S = 0.35
SCALE_KERNEL = "bicubic"
"""zimg (zscale) kernel for the crop → 1080x1920 scale (the floor uses the same).

zimg, not swscale: on this machine swscale's AVX2 horizontal scaler (gathers)
spent 0.95 CPU s on 15 s of 606x1080 → 1080x1920, zimg 0.35 s (README,
Performance), about 8 % of the whole render."""
ZIMG_MATRICES = {"bt709": "709", "smpte170m": "170m", "bt470bg": "470bg",
                 "bt2020nc": "2020_ncl", "bt2020c": "2020_cl"}
"""Probed YUV matrix → zimg's name for it."""


def escape_filter_value(value: str) -> str:
    """Quote a filter option value (a path) for the filtergraph parser."""
    return "'" + value.replace("\\", "\\\\").replace("'", r"'\''").replace(":", r"\:") + "'"


def input_args(plan: ClipPlan, files: RenderFiles) -> list[str]:
    """The -i arguments: footage window, then card still, then the music bed."""
    return list(graph_inputs(plan, files).args)


def piecewise(keys: tuple[CropKey, ...], axis: str) -> str:
    """An ffmpeg expression of t moving linearly between keyframes on one axis."""
    values = [(k.t_ms / 1000, getattr(k, axis)) for k in keys]
    expr = str(values[-1][1])
    if len({v for _, v in values}) == 1:
        return expr
    for (t0, v0), (t1, v1) in reversed(list(itertools.pairwise(values))):
        segment = str(v0) if v0 == v1 else f"{v0}+({v1 - v0})*(t-{t0:.3f})/{t1 - t0:.3f}"
        expr = f"if(lt(t,{t1:.3f}),{segment},{expr})"
    return expr


def tonemap_filters(plan: ClipPlan) -> list[str]:
    """HDR (PQ/HLG) to SDR BT.709 with zscale + tonemap; nothing for SDR input."""
    if not plan.source.is_hdr:
        return []
    return ["zscale=t=linear:npl=100", "format=gbrpf32le", "zscale=p=bt709",
            "tonemap=tonemap=hable:desat=0", "zscale=t=bt709:m=bt709:r=tv", "format=yuv420p"]


def source_matrix(info: MediaInfo) -> str:
    """zimg name of the footage's YUV matrix as it enters the scale.

    Tone-mapped HDR is BT.709 by then. Footage that does not say is taken as
    players take it: BT.709 when HD, BT.601 when SD.
    """
    if info.is_hdr:
        return "709"
    if info.color_matrix in ZIMG_MATRICES:
        return ZIMG_MATRICES[info.color_matrix]
    return "709" if info.width >= 1280 or info.height > 576 else "170m"


def source_range(info: MediaInfo) -> str:
    """zimg name of the footage's range as it enters the scale (tone-mapped HDR: limited)."""
    return "full" if info.color_range == "pc" and not info.is_hdr else "limited"


def resize(width: int, height: int, matrix_in: str, range_in: str,
           matrix_out: str = "709", range_out: str = "limited") -> str:
    """One zimg resize that also converts the YUV matrix and range.

    Transfer and primaries are declared BT.709 on both sides, so zimg never
    converts through linear light (an SDR clip is tagged BT.709 as it is).
    """
    return (f"zscale=w={width}:h={height}:filter={SCALE_KERNEL}"
            f":min={matrix_in}:rin={range_in}:m={matrix_out}:r={range_out}"
            f":tin=709:t=709:pin=709:p=709")


def output_scale(plan: ClipPlan) -> str:
    """The scale to the output size, into BT.709 limited range (the floor uses it too)."""
    return resize(plan.width, plan.height, source_matrix(plan.source),
                  source_range(plan.source))


FILL_SIZE = (72, 128)
"""The fit layout's fill is blurred at this size (cheap), then scaled up to the frame."""
FILL_BLUR = "boxblur=luma_radius=5:luma_power=2:chroma_radius=4:chroma_power=2"
FILL_LUMA = 0.45
"""The fill's brightness, as a fraction of the picture's (limited-range luma)."""


def fit_chains(plan: ClipPlan, label: str, pre: list[str], out: str) -> list[str]:
    """The fit layout: the picture at the clip's width, centred over a blurred, darkened
    fill made from the same frames (the centre of the picture, 9:16)."""
    _, top, width, height = fit_picture(plan.source, plan.width, plan.height)
    fill_w = min(width, round(height * plan.width / plan.height / 2) * 2)
    fw, fh = FILL_SIZE
    picture = [*pre, resize(width, height, source_matrix(plan.source),
                            source_range(plan.source)), "setsar=1", "split[fg][fill]"]
    fill = [f"crop=w={fill_w}:h={height}", f"scale={fw}:{fh}:flags=area", FILL_BLUR,
            f"lutyuv=y=16+(val-16)*{FILL_LUMA}", f"scale={plan.width}:{plan.height}"
            ":flags=bicubic", "setsar=1"]
    return [f"[{label}]{','.join(picture)}", f"[fill]{','.join(fill)}[bg]",
            f"[bg][fg]overlay=x=0:y={top}[{out}]"]


def geometry_filters(plan: ClipPlan) -> list[str]:
    """CFR, square pixels, the moving crop and the scale to the output size (crop layout;
    in the fit layout, everything before the scale)."""
    src_w, src_h = plan.source.display_size
    filters = [f"fps={plan.fps}"]
    if Fraction(plan.source.sar) not in (0, 1) or (src_w, src_h) != _rotated(plan):
        matrix, full = source_matrix(plan.source), source_range(plan.source)
        filters += [resize(src_w, src_h, matrix, full, matrix, full), "setsar=1"]
    if plan.layout == "fit":
        return filters
    crop = plan.crop
    if (crop.width, crop.height) != (src_w, src_h):
        filters.append(f"crop=w={crop.width}:h={crop.height}"
                       f":x='{piecewise(crop.points, 'x')}':y='{piecewise(crop.points, 'y')}'")
    filters += [output_scale(plan), "setsar=1"]
    return filters


def _rotated(plan: ClipPlan) -> tuple[int, int]:
    w, h = plan.source.width, plan.source.height
    return (h, w) if plan.source.rotation in (90, 270) else (w, h)


def card_x_expr(card: CardSpec) -> str:
    """Overlay x: slide in from the left with ease-out, or stay put."""
    if card.animation != "slide":
        return str(card.x)
    start = card.start_ms / 1000
    travel = card.x + card.width
    return (f"if(lt(t,{start + SLIDE_S:.3f}),"
            f"-{card.width}+{travel}*(1-pow(1-(t-{start:.3f})/{SLIDE_S},3)),{card.x})")


def card_frames(card: CardSpec, fps: str) -> int:
    """How many output frames the card is on screen (at least one)."""
    return max(1, round((card.end_ms - card.start_ms) * Fraction(fps) / 1000))


def card_chain(card: CardSpec, stream: str, fps: str) -> str:
    """The card still, converted once to the overlay's pixel format, repeated only
    for the frames it is on screen (timestamps start at the card's start), faded
    in (pop) and out."""
    start, end = card.start_ms / 1000, card.end_ms / 1000
    rate = Fraction(fps)
    fades = [f"fade=t=out:st={end - 0.25:.3f}:d=0.25:alpha=1"]
    if card.animation == "pop":
        fades.insert(0, f"fade=t=in:st={start:.3f}:d=0.25:alpha=1")
    repeat = f"loop=loop={card_frames(card, fps) - 1}:size=1:start=0"
    stamps = f"setpts=N/({rate.numerator}/{rate.denominator}*TB)+{start:.3f}/TB"
    return f"[{stream}]format=yuva420p,{repeat},{stamps},{','.join(fades)}[card]"


def video_graph(plan: ClipPlan, files: RenderFiles) -> list[str]:
    """Filtergraph chains producing [vout]."""
    chain = [*tonemap_filters(plan), *geometry_filters(plan)]
    chains: list[str] = []
    inputs = graph_inputs(plan, files)
    label = inputs.footage_video
    if plan.layout == "fit":
        chains += fit_chains(plan, label, chain, "fit")
        label, chain = "fit", []
    if plan.card is not None and inputs.card is not None:
        if chain:
            chains.append(f"[{label}]{','.join(chain)}[base]")
            label = "base"
        chains.append(card_chain(plan.card, inputs.card_video, plan.fps))
        card = plan.card
        # the card stream only has frames while it is on screen: before its first
        # frame and after its last (eof_action=pass) the base frame passes untouched
        chains.append(f"[{label}][card]overlay=x='{card_x_expr(card)}':y={card.y}"
                      f":eof_action=pass:format=yuv420[ov]")
        label, chain = "ov", []
    if files.ass:
        chain.append(f"ass=filename={escape_filter_value(files.ass)}"
                     f":fontsdir={escape_filter_value(plan.fonts_dir)}")
    chain.append("format=yuv420p")
    chains.append(f"[{label}]{','.join(chain)}[vout]")
    return chains


def gop_frames(fps: str) -> int:
    """Frames per closed GOP: two seconds' worth (every keyframe lands on a frame)."""
    return 2 * Fraction(fps).numerator // Fraction(fps).denominator


def keyframe_times_ms(plan: ClipPlan) -> list[int]:
    """Where the render's keyframes are (scene cuts add none: ``-sc_threshold 0``)."""
    step = gop_frames(plan.fps) / Fraction(plan.fps) * 1000
    return [round(i * step) for i in range(int(plan.duration_ms / step) + 1)]


def encode_args(plan: ClipPlan) -> list[str]:
    """The delivery spec: H.264 High yuv420p CFR closed GOP, AAC-LC 48 kHz stereo, faststart."""
    gop = str(gop_frames(plan.fps))
    return ["-c:v", "libx264", "-preset", ENCODER_PRESET, "-profile:v", "high",
            "-pix_fmt", "yuv420p", "-crf", str(CRF), "-maxrate", MAXRATE, "-bufsize", BUFSIZE,
            "-g", gop, "-keyint_min", gop, "-sc_threshold", "0", "-flags", "+cgop",
            "-r", plan.fps, "-fps_mode", "cfr",
            "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709",
            "-color_range", "tv",
            "-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-ac", "2",
            "-movflags", "+faststart", "-map_metadata", "-1",
            "-t", seconds(plan.duration_ms)]


def render_args(plan: ClipPlan, files: RenderFiles, gain_db: float, out: str) -> list[str]:
    """The whole ffmpeg invocation (without the binary) for the final render."""
    graph = ";".join([*video_graph(plan, files), *audio_graph(plan, files, gain_db)])
    return ["-y", "-v", "error", *input_args(plan, files), "-filter_complex", graph,
            "-map", "[vout]", "-map", "[aout]", *encode_args(plan), "-f", "mp4", out]


def measure_args(plan: ClipPlan) -> list[str]:
    """Audio-only first pass: the mix as rendered, unmastered, metered.

    Only the audio inputs are opened (footage with -vn, music); the card and the
    captions do not change loudness, so the side files are left out and the
    music's input index follows from that.
    """
    return metered_mix_args(plan, RenderFiles(), None)


def metered_mix_args(plan: ClipPlan, files: RenderFiles, gain_db: float | None) -> list[str]:
    """An audio-only pass writing the metered mix (raw + K-weighted PCM) to stdout: mastered
    at ``gain_db`` (limiter included), or unmastered when it is None."""
    graph = ";".join([*audio_graph(plan, files, gain_db), meter_chain("aout")])
    return ["-y", "-v", "error", "-vn", "-sn", "-dn", *input_args(plan, files),
            "-filter_complex", graph, "-map", "[meter]", "-f", "f32le", "-"]

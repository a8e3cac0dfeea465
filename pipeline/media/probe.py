"""MediaInfo from a real probe with PyAV (no ffprobe ships with imageio-ffmpeg)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import cast

import av

from pipeline.core.errors import FootageError
from pipeline.core.models import MediaInfo

MIN_FOOTAGE_MS = 3000


def probe(path: Path) -> MediaInfo:
    """Probe ``path``; FootageError (exit 2) when it is missing or not media."""
    path = Path(path)
    if not path.exists():
        raise FootageError(f"{path}: file not found", hint="Check the path and try again")
    if path.is_dir():
        raise FootageError(f"{path}: is a folder, not a video file", hint="Pass a video file")
    if path.stat().st_size == 0:
        raise FootageError(f"{path}: file is empty", hint="Copy the footage again")
    try:
        with av.open(str(path)) as container:
            return _info(path, container)
    except (PermissionError, av.error.PermissionError) as exc:
        raise FootageError(f"{path}: cannot read the file (permission denied)",
                           hint="Make it readable, e.g. chmod u+r") from exc
    except (av.error.FFmpegError, UnicodeDecodeError) as exc:
        raise FootageError(f"{path}: not a readable video ({exc.__class__.__name__})",
                           hint="Export it again as MP4 or MOV") from exc


STILL_IMAGE_CODECS = frozenset({"png", "mjpeg", "bmp", "gif", "webp", "tiff", "jpeg2000",
                                "apng"})
"""Codecs that mean a picture file rather than footage (when it has no duration)."""


def check_footage(info: MediaInfo) -> None:
    """FootageError (exit 2) unless ``info`` is footage a clip can be made from."""
    where = info.path
    if not info.has_video:
        what = "is audio only" if info.has_audio else "has no video stream"
        raise FootageError(f"{where}: {what}, not footage",
                           hint="Pass the video file (MP4, MOV, ...) rather than its sound")
    if info.video_codec in STILL_IMAGE_CODECS and info.duration_ms < MIN_FOOTAGE_MS:
        raise FootageError(f"{where}: is a still image ({info.video_codec}), not a video",
                           hint="Pass a video file (MP4, MOV, ...)")
    if info.duration_ms < MIN_FOOTAGE_MS:
        raise FootageError(f"{where}: is {info.duration_ms / 1000:.2f} s long, under the "
                           f"{MIN_FOOTAGE_MS // 1000} s minimum",
                           hint="Use footage of at least 3 seconds")


def _info(path: Path, container: av.container.InputContainer) -> MediaInfo:
    video = next(iter(container.streams.video), None)
    audio = next(iter(container.streams.audio), None)
    fields: dict[str, object] = {
        "path": str(path.resolve()),
        "size_bytes": path.stat().st_size,
        "duration_ms": _duration_ms(container, video, audio),
        "has_video": video is not None,
        "has_audio": audio is not None,
    }
    if video is not None:
        fields.update(_video_fields(video))
    if audio is not None:
        fields.update(audio_codec=audio.codec_context.name, sample_rate=audio.rate or 0,
                      channels=audio.codec_context.channels or 0)
    return MediaInfo.model_validate(fields)


def _duration_ms(container: av.container.InputContainer, *streams: object) -> int:
    if container.duration:
        return int(container.duration * 1000 // av.time_base)
    best = 0
    for stream in streams:
        if stream is not None and stream.duration and stream.time_base:  # type: ignore[attr-defined]
            best = max(best, int(stream.duration * stream.time_base * 1000))  # type: ignore[attr-defined]
    return best


def _video_fields(video: av.video.stream.VideoStream) -> dict[str, object]:
    ctx = video.codec_context
    sar = ctx.sample_aspect_ratio or Fraction(1)
    rate = video.average_rate or video.guessed_rate or Fraction(0)
    fmt = ctx.format
    depth = max((c.bits for c in fmt.components), default=8) if fmt is not None else 8
    return {
        "width": ctx.width,
        "height": ctx.height,
        "rotation": _rotation(video),
        "sar": f"{sar.numerator}/{sar.denominator}" if sar else "1/1",
        "fps": f"{rate.numerator}/{rate.denominator}",
        "video_codec": ctx.name,
        "pix_fmt": fmt.name if fmt is not None else "",
        "color_transfer": _transfer_name(ctx),
        "color_matrix": _MATRICES.get(int(getattr(ctx, "colorspace", 2) or 2), ""),
        "color_range": _range_name(ctx, fmt.name if fmt is not None else ""),
        "bit_depth": depth,
    }


def _rotation(video: av.video.stream.VideoStream) -> int:
    """Clockwise display rotation, normalised to 0..270.

    PyAV 18 does not expose the stream's display matrix, so the first decoded
    frame's (counter-clockwise) rotation is read; old files may carry a
    ``rotate`` tag instead.
    """
    theta: object = video.metadata.get("rotate")
    if theta is None:
        theta = _first_frame_rotation(video)
    try:
        return int(round(-float(str(theta)) / 90.0) * 90) % 360
    except ValueError:
        return 0


def _first_frame_rotation(video: av.video.stream.VideoStream) -> int:
    """Counter-clockwise rotation of the first frame's display matrix (0 when none)."""
    try:
        container = cast(av.container.InputContainer, video.container)
        for frame in container.decode(video):
            return int(getattr(frame, "rotation", 0) or 0)
    except (av.error.FFmpegError, ValueError):
        return 0
    return 0


_TRANSFERS = {1: "bt709", 2: "", 6: "smpte170m", 14: "bt2020-10", 16: "smpte2084",
              18: "arib-std-b67"}


_MATRICES = {1: "bt709", 5: "bt470bg", 6: "smpte170m", 9: "bt2020nc", 10: "bt2020c"}
"""AVColorSpace codes clipcart knows; anything else counts as unsaid."""


def _range_name(ctx: av.video.codeccontext.VideoCodecContext, pix_fmt: str) -> str:
    """tv or pc from the stream's colour range (the yuvj formats mean full range)."""
    code = int(getattr(ctx, "color_range", 0) or 0)
    if code == 2 or pix_fmt.startswith("yuvj"):
        return "pc"
    return "tv" if code == 1 else ""


def _transfer_name(ctx: av.video.codeccontext.VideoCodecContext) -> str:
    trc = getattr(ctx, "color_trc", None)
    if trc is None:
        return ""
    return _TRANSFERS.get(int(trc), str(int(trc)))

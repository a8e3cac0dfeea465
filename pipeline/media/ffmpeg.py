"""The one place clipcart runs ffmpeg.

Arguments are plain lists built elsewhere by pure functions; this module only
locates the binary (from imageio-ffmpeg, no system package) and runs it with
output captured, turning a failure into an FFmpegError that keeps the command
and the tail of stderr.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from functools import cache

from pipeline.errors import FFmpegError


@cache
def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary; CLIPCART_FFMPEG overrides the bundled one."""
    override = os.environ.get("CLIPCART_FFMPEG")
    if override:
        return override
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def run_ffmpeg(args: Sequence[str], *, timeout_s: float | None = None) -> str:
    """Run ffmpeg with ``args`` (no binary name); return its stderr text.

    Raises FFmpegError with the command and stderr tail on a non-zero exit.
    """
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, errors="replace",
                              timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as exc:
        stderr = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else ""
        raise FFmpegError(cmd, -1, stderr, timeout_s=timeout_s) from exc
    if proc.returncode != 0:
        raise FFmpegError(cmd, proc.returncode, proc.stderr)
    return proc.stderr


def run_ffmpeg_pcm(args: Sequence[str], *, timeout_s: float | None = None) -> bytes:
    """Run ffmpeg with ``args`` writing raw samples to stdout (``-f f32le -``); return them.

    Raises FFmpegError like ``run_ffmpeg``.
    """
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as exc:
        stderr = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else ""
        raise FFmpegError(cmd, -1, stderr, timeout_s=timeout_s) from exc
    if proc.returncode != 0:
        raise FFmpegError(cmd, proc.returncode, proc.stderr.decode(errors="replace"))
    return bytes(proc.stdout)

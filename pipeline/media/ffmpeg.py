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

from pipeline.core.errors import FFmpegError


def file_arg(path: str | os.PathLike[str]) -> str:
    """A path as ffmpeg must be given it: absolute and marked as a file.

    Without ``file:`` ffmpeg reads ``promo:summer`` as a protocol and ``http://...`` as
    a URL (a relative --out of that name made it POST the render to a server).
    """
    return "file:" + os.path.abspath(os.fspath(path))


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
    return _text(_run(args, timeout_s)[1])


def run_ffmpeg_pcm(args: Sequence[str], *, timeout_s: float | None = None) -> bytes:
    """Run ffmpeg with ``args`` writing raw samples to stdout (``-f f32le -``); return them.

    Raises FFmpegError like ``run_ffmpeg``.
    """
    return _run(args, timeout_s)[0]


def _run(args: Sequence[str], timeout_s: float | None) -> tuple[bytes, bytes]:
    """(stdout, stderr) of ffmpeg run with ``args``; FFmpegError on failure or timeout."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as exc:
        stderr = _text(exc.stderr) if isinstance(exc.stderr, bytes) else ""
        raise FFmpegError(cmd, -1, stderr, timeout_s=timeout_s) from exc
    if proc.returncode != 0:
        raise FFmpegError(cmd, proc.returncode, _text(proc.stderr))
    return bytes(proc.stdout), bytes(proc.stderr)


def _text(raw: bytes) -> str:
    """ffmpeg's output as text, decoded and with newlines translated as text mode does."""
    return raw.decode(errors="replace").replace("\r\n", "\n").replace("\r", "\n")

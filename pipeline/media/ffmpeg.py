"""The one place clipcart runs ffmpeg.

Arguments are plain lists built elsewhere by pure functions; this module only
locates the binary (from imageio-ffmpeg, no system package) and runs it with
output captured, turning a failure into an FFmpegError that keeps the command
and the tail of stderr.
"""

from __future__ import annotations

import json
import os
import re
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


_JSON_BLOCK = re.compile(r"\{[^{}]*\"input_i\"[^{}]*\}", re.S)


def parse_loudnorm_json(stderr: str) -> dict[str, float]:
    """The JSON block loudnorm prints with ``print_format=json``, as floats."""
    match = _JSON_BLOCK.search(stderr)
    if not match:
        raise FFmpegError(["loudnorm"], 0, "loudnorm printed no JSON measurement\n" + stderr)
    raw: dict[str, str] = json.loads(match.group(0))
    out: dict[str, float] = {}
    for key, value in raw.items():
        try:
            out[key] = float(value)
        except ValueError:
            continue
    return out

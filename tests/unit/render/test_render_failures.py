"""A failed or killed render leaves nothing behind and fails with one clear line."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import psutil
import pytest

from pipeline.core.errors import FFmpegError
from pipeline.render import render
from tests.support.render_support import footage_plan


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_timeout_kills_ffmpeg_and_leaves_no_output(short_scene: Path, tmp_path: Path) -> None:
    out = tmp_path / "clip.mp4"
    with pytest.raises(FFmpegError) as exc:
        render(footage_plan(short_scene, seconds=6.0), out, timeout_s=0.3)
    assert "timed out" in exc.value.one_line() and "\n" not in exc.value.one_line()
    assert exc.value.cmd[-1].endswith(".part")
    assert _leftovers(tmp_path) == []


def _kill_ffmpeg_soon(stop: threading.Event) -> None:
    """SIGKILL the first ffmpeg child that writes a .part file."""
    me = psutil.Process()
    while not stop.is_set():
        for child in me.children(recursive=True):
            try:
                if any(arg.endswith(".part") for arg in child.cmdline()):
                    time.sleep(0.2)
                    child.send_signal(signal.SIGKILL)
                    return
            except psutil.Error:
                continue
        time.sleep(0.02)


def test_sigkilled_ffmpeg_leaves_no_partial_file(short_scene: Path, tmp_path: Path) -> None:
    out = tmp_path / "clip.mp4"
    stop = threading.Event()
    killer = threading.Thread(target=_kill_ffmpeg_soon, args=(stop,))
    killer.start()
    try:
        with pytest.raises(FFmpegError) as exc:
            render(footage_plan(short_scene, seconds=6.0), out)
    finally:
        stop.set()
        killer.join()
    assert exc.value.returncode == -signal.SIGKILL
    assert exc.value.one_line().startswith("ffmpeg was killed (SIGKILL)")
    assert _leftovers(tmp_path) == []

"""Measuring one run: wall time, CPU seconds of the ffmpeg children, peak RSS of a tree."""

from __future__ import annotations

import resource
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import psutil

T = TypeVar("T")
RSS_POLL_S = 0.05


@dataclass(frozen=True)
class Sample:
    """One measured run."""

    wall_s: float
    cpu_s: float
    """User + system seconds of this process and the children (ffmpeg) it waited for."""


def cpu_so_far_s() -> float:
    """CPU seconds used so far by this process and its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime + own.ru_utime + own.ru_stime


def timed(fn: Callable[[], T]) -> tuple[T, Sample]:
    """Run ``fn`` and measure its wall time and its children's CPU time."""
    cpu0, t0 = cpu_so_far_s(), time.perf_counter()
    result = fn()
    return result, Sample(wall_s=time.perf_counter() - t0, cpu_s=cpu_so_far_s() - cpu0)


def tree_rss_bytes(proc: psutil.Process) -> int:
    """Resident memory of ``proc`` and all its descendants right now."""
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            continue
    return total


def peak_rss_mb(cmd: Sequence[str], *, env: dict[str, str] | None = None,
                timeout_s: float = 3600) -> float:
    """Run ``cmd`` and return the peak summed RSS of its process tree, in MB (polled)."""
    proc = subprocess.Popen(list(cmd), env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    peak = 0
    watcher = psutil.Process(proc.pid)

    def poll() -> None:
        nonlocal peak
        while proc.poll() is None:
            try:
                peak = max(peak, tree_rss_bytes(watcher))
            except psutil.Error:
                break
            time.sleep(RSS_POLL_S)

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    try:
        _, stderr = proc.communicate(timeout=timeout_s)
    finally:
        if proc.poll() is None:
            proc.kill()
        thread.join()
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} exited {proc.returncode}: {stderr.strip()[-400:]}")
    return peak / 1e6

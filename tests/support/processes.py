"""Separate processes for scale-out tests: started in their own process group, each with
its own CLIPCART_HOME, polled until ready, and killed as a group however the test ends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
BIN = Path(sys.executable).parent
"""The venv's scripts: dask, prefect, clipcart."""


def wait_for(check: Callable[[], T | None], timeout_s: float, what: str,
             every_s: float = 0.5) -> T:
    """Poll ``check`` until it returns something truthy; fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every_s)
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")


def home_env(home: Path, **extra: str) -> dict[str, str]:
    """This environment without Prefect settings, pointed at its own ``home``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CLIPCART_"))}
    home.mkdir(parents=True, exist_ok=True)
    env.update({"CLIPCART_HOME": str(home), "PREFECT_HOME": str(home / "prefect"),
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1", **extra})
    return env


@contextmanager
def started(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``args`` in a new process group writing ``log``; kill the group on exit."""
    with log.open("ab") as sink:
        process = subprocess.Popen(args, env=env, stdout=sink, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            yield process
        finally:
            stop_group(process)


def stop_group(process: subprocess.Popen[bytes], grace_s: float = 15) -> None:
    """SIGTERM the process group, SIGKILL what is left after ``grace_s``."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=grace_s)
            with suppress(ProcessLookupError):  # children that outlived their parent
                os.killpg(process.pid, signal.SIGKILL)
            return
        except subprocess.TimeoutExpired:
            continue


@contextmanager
def dask_cluster(port: int, home: Path, logs: Path, nworkers: int = 2) -> Iterator[str]:
    """``dask scheduler`` and ``dask worker --nworkers N --nthreads 1`` as separate
    processes on 127.0.0.1 (workers with their own CLIPCART_HOME); yields the address
    once every worker has joined."""
    from distributed import Client

    address = f"tcp://127.0.0.1:{port}"
    env = home_env(home)
    with ExitStack() as stack:
        stack.enter_context(started(
            [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
             "--no-dashboard"], env, logs / "scheduler.log"))
        stack.enter_context(started(
            [str(BIN / "dask"), "worker", address, "--nworkers", str(nworkers),
             "--nthreads", "1", "--no-dashboard", "--local-directory", str(home / "dask")],
            env, logs / "workers.log"))
        with Client(address, timeout=120, set_as_default=False) as client:
            client.wait_for_workers(nworkers, timeout=180)
        yield address


def stuck_report(pid: int) -> str:
    """What a process that will not stop is doing: its tree (pid, state, command) and,
    where py-spy is installed, every Python thread's stack in each (for a failing test's
    message; a hang that only shows under load is otherwise a guess)."""
    import shutil

    import psutil

    try:
        root = psutil.Process(pid)
        tree = [root, *root.children(recursive=True)]
    except psutil.Error as err:
        return f"(process {pid} gone: {err})"
    spy = shutil.which("py-spy", path=str(BIN)) or shutil.which("py-spy")
    lines = []
    for proc in tree:
        with suppress(psutil.Error, subprocess.TimeoutExpired):
            lines.append(f"pid {proc.pid} {proc.status()} {' '.join(proc.cmdline()[:8])}")
            if spy and "python" in proc.name():
                dump = subprocess.run([spy, "dump", "--pid", str(proc.pid)],
                                      capture_output=True, text=True, timeout=60)
                lines.append(dump.stdout + dump.stderr)
    return "\n".join(lines)

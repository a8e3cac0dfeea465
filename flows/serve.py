"""``clipcart serve``: a real local Prefect server plus the served deployments.

The embedded (ephemeral) API cannot run schedules, so serve starts
``prefect server start`` on 127.0.0.1 as a child process (SQLite under
``CLIPCART_HOME/prefect``), waits for its health check, points itself at it and serves
(flow name / deployment name, so ``prefect deployment run publish-due/publish-due``):

    watch-inbox/watch-inbox   every 30 s (--watch-every), one pass over the inbox
    publish-due/publish-due   cron */5 * * * * (or every --publish-every seconds)
    batch/batch               on demand (Run from the UI with a manifest path)
    collect-stats/collect-stats  hourly: every post's counters into the ledger database

With ``links.base_url`` in publishing.yaml the short-link server (/l/<code>) runs too.

The server's output goes to ``CLIPCART_HOME/prefect/server.log``; its errors (a failing
scheduler service, say) are also echoed to serve's stderr. The server's URL is written
to ``CLIPCART_HOME/prefect/server.json`` so other commands (``clipcart approve``) can
reach it while it runs.
"""

from __future__ import annotations

import asyncio
import ctypes
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

import httpx

from pipeline.core.errors import ClipcartError, ConfigError
from pipeline.core.home import home_subdir
from pipeline.core.netguard import tls_context

PUBLISH_CRON = "*/5 * * * *"
WATCH_EVERY_S = 30
SERVER_PROBLEM = re.compile(r"\|\s*(ERROR|CRITICAL)\s*\||^[\w.]+(Error|Exception|Exit)\b.*:")
"""A server log line worth showing on serve's console: an error record, or the last
line of a traceback (the exception and its message)."""


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_file() -> Path:
    """Where a running serve leaves its API URL."""
    return home_subdir("prefect") / "server.json"


def known_api_url() -> str | None:
    """PREFECT_API_URL, else the URL of a running ``clipcart serve`` (if its file is fresh)."""
    if os.environ.get("PREFECT_API_URL"):
        return os.environ["PREFECT_API_URL"]
    with suppress(OSError, ValueError, KeyError):
        info = json.loads(server_file().read_text("utf-8"))
        os.kill(int(info["pid"]), 0)
        return str(info["api_url"])
    return None


def wait_healthy(api_url: str, process: subprocess.Popen[bytes], timeout_s: float) -> None:
    """Poll ``/health`` until it answers; fail if the server exits or time runs out."""
    deadline = time.monotonic() + timeout_s
    with httpx.Client(timeout=2, verify=tls_context()) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise ClipcartError(f"prefect server exited with status {process.returncode}",
                                    hint="See CLIPCART_HOME/prefect/server.log")
            with suppress(httpx.HTTPError):
                if client.get(f"{api_url}/health").status_code == 200:
                    return
            time.sleep(0.5)
    raise ClipcartError(f"prefect server not healthy after {timeout_s:.0f} s",
                        hint="See CLIPCART_HOME/prefect/server.log")


def server_env(port: int, home: Path, base: dict[str, str]) -> dict[str, str]:
    """The server child's environment: its own database, the UI pointed at this port,
    and its warnings and errors written out (clipcart's CLI silences Prefect's console)."""
    env = {k: v for k, v in base.items() if k != "PREFECT_API_URL"}
    env.update({
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home / 'server.db'}",
        "PREFECT_SERVER_API_HOST": "127.0.0.1",
        "PREFECT_SERVER_API_PORT": str(port),
        # the UI asks /ui-settings where its API is; without this it answers port 4200
        "PREFECT_UI_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
        "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "0",
    })
    return env


def _relay(stream: IO[bytes], log: IO[bytes]) -> None:
    """Copy the server's output to its log file; echo its errors to serve's stderr."""
    for line in iter(stream.readline, b""):
        log.write(line)
        log.flush()
        text = line.decode("utf-8", "replace").rstrip()
        if SERVER_PROBLEM.search(text):
            print(f"prefect server: {text}", file=sys.stderr, flush=True)


@contextmanager
def local_server(port: int = 0, timeout_s: float = 180) -> Iterator[str]:
    """Run ``prefect server start`` as a child; yield its API URL; stop it on exit."""
    port = port or free_port()
    wait_port_free(port, timeout_s=30)
    api_url = f"http://127.0.0.1:{port}/api"
    home = home_subdir("prefect")
    log = (home / "server.log").open("ab")
    process = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host",
                                "127.0.0.1", "--port", str(port)],
                               env=server_env(port, home, dict(os.environ)),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True, preexec_fn=_dies_with(os.getpid()))
    assert process.stdout is not None
    relay = threading.Thread(target=_relay, args=(process.stdout, log), daemon=True,
                             name="prefect-server-log")
    relay.start()
    try:
        wait_healthy(api_url, process, timeout_s)
        server_file().write_text(json.dumps({"api_url": api_url, "pid": os.getpid()}), "utf-8")
        yield api_url
    finally:
        server_file().unlink(missing_ok=True)
        _stop(process)
        relay.join(timeout=10)
        log.close()


def wait_port_free(port: int, timeout_s: float) -> None:
    """Wait for ``port`` on 127.0.0.1 to be free (a server of a serve that was killed may
    still be shutting down); a port still taken is one clear error."""
    deadline = time.monotonic() + timeout_s
    while True:
        with socket.socket() as sock:
            # as uvicorn binds: connections of a stopped server left in TIME_WAIT are fine
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
                return
            except OSError:
                if time.monotonic() >= deadline:
                    raise ConfigError(f"port {port} on 127.0.0.1 is in use",
                                      hint="Stop what listens there, or pass another "
                                           "--port") from None
        time.sleep(0.5)


PR_SET_PDEATHSIG = 1
"""Linux prctl option: the signal a process gets when its parent dies."""


def _dies_with(parent: int) -> Callable[[], None] | None:
    """A ``preexec_fn`` making the server child get SIGTERM when serve dies, even by
    SIGKILL, so no orphaned server keeps the port and the database (Linux; elsewhere
    nothing). Called in the child between fork and exec."""
    if not sys.platform.startswith("linux"):
        return None

    def arm() -> None:
        with suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # serve died before the signal was armed
            os._exit(1)

    return arm


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def deployments(inbox: Path | None, catalog: Path | None, out_dir: Path,
                ledger_url: str | None, sandbox_url: str | None,
                publish_every_s: int = 0, watch_every_s: int = WATCH_EVERY_S) -> list[Any]:
    """The served deployments: publish-due on its schedule, batch on demand, watch-inbox.

    Parameters are flat and complete, so a run from the UI or ``prefect deployment run``
    can override any one of them and keep the rest.
    """
    from flows.batch import batch
    from flows.inbox import watch_inbox
    from flows.publishing import publish_due_flow

    where = {"catalog": str(catalog) if catalog else None, "out_dir": str(out_dir)}
    due_when: dict[str, Any] = ({"interval": timedelta(seconds=publish_every_s)}
                                if publish_every_s else {"cron": PUBLISH_CRON})
    made = [publish_due_flow.to_deployment(
                name="publish-due", parameters={"ledger": ledger_url, "sandbox": sandbox_url},
                concurrency_limit=1, paused=False, **due_when),
            batch.to_deployment(name="batch", parameters={
                "manifest": "manifest.csv", **where, "ledger": ledger_url,
                "sandbox": sandbox_url, "wait_for_review": True})]
    made.append(stats_deployment(ledger_url, sandbox_url))
    if inbox is not None:
        made.append(watch_inbox.to_deployment(
            name="watch-inbox", parameters={"inbox": str(inbox), **where},
            interval=timedelta(seconds=watch_every_s), concurrency_limit=1,
            paused=False))
    return made


def describe(deployment: Any) -> str:
    """One line: the name to run it by and when it runs."""
    whens = [_when(s.schedule) for s in deployment.schedules or []]
    return f"{deployment.flow_name}/{deployment.name}: {', '.join(whens) or 'on demand'}"


def _when(schedule: Any) -> str:
    if getattr(schedule, "cron", None):
        return f"cron {schedule.cron}"
    if getattr(schedule, "interval", None):
        return f"every {schedule.interval.total_seconds():g} s"
    return str(schedule)


def serve_forever(port: int, inbox: Path | None, catalog: Path | None, out_dir: Path,
                  ledger_url: str | None, sandbox_url: str | None, limit: int,
                  publish_every_s: int = 0, watch_every_s: int = WATCH_EVERY_S) -> None:
    """Start the server, serve the deployments until interrupted, stop the server.

    Ctrl-C and SIGTERM both end it with KeyboardInterrupt (the CLI exits 130) after the
    runner has shut down and the server child has stopped.
    """
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with local_server(port) as api_url, temporary_settings({PREFECT_API_URL: api_url}):
        os.environ["PREFECT_API_URL"] = api_url  # flow-run children inherit it
        runner = _runner(limit)
        served = deployments(inbox, catalog, out_dir, ledger_url, sandbox_url,
                             publish_every_s, watch_every_s)
        for deployment in served:
            runner.add_deployment(deployment)
        print(f"prefect: {api_url.removesuffix('/api')}", flush=True)
        for deployment in served:
            print(f"deployment {describe(deployment)}", flush=True)
        try:
            with link_server(ledger_url):
                _run(runner)
        finally:
            # the runner's scratch folder outlives it when it is stopped by a signal
            shutil.rmtree(runner._tmp_dir, ignore_errors=True)


def stats_deployment(ledger_url: str | None, sandbox_url: str | None) -> Any:
    """collect-stats: hourly, one run at a time."""
    from flows.stats import STATS_EVERY_S, collect_stats_flow

    return collect_stats_flow.to_deployment(
        name="collect-stats", parameters={"ledger": ledger_url, "sandbox": sandbox_url},
        interval=timedelta(seconds=STATS_EVERY_S), concurrency_limit=1, paused=False)


@contextmanager
def link_server(ledger_url: str | None) -> Iterator[None]:
    """The short-link server beside the deployments when links.base_url is configured."""
    from flows.links_server import start_links
    from flows.loop_cli import default_links_port
    from pipeline.ops.slots import load_slots

    if not load_slots().links.base_url:
        yield
        return
    with start_links(default_links_port(), "127.0.0.1", ledger_url) as links:
        print(f"links: {links.base_url}", flush=True)
        yield


def _runner(limit: int) -> Any:
    from prefect.runner import Runner

    class ServeRunner(Runner):
        """Prefect's runner, stopped by SIGTERM the way Ctrl-C stops it."""

        def handle_sigterm(self, *_args: Any, **_kwargs: Any) -> None:
            # Prefect's own handler calls the async stop() unawaited and exits 0
            signal.raise_signal(signal.SIGINT)

    # No pausing on shutdown: it writes to the server's busy SQLite database once per
    # deployment while stopping, and nothing needs it (the next serve re-adds its
    # deployments unpaused).
    return ServeRunner(limit=limit, pause_on_shutdown=False)


STOP_GRACE_S = 20.0
"""How long flow runs in progress get to end after serve is stopped (they were sent
Ctrl-C: a make keeps its finished clips) before they are killed."""
STOP_POLL_S = 0.2
"""How often a stopping serve looks whether its flow runs have ended."""


@dataclass
class _Stop:
    """Ctrl-C or SIGTERM to serve: start no new flow run, pass Ctrl-C on to the runs in
    progress (as a terminal's Ctrl-C reaches its whole process group), wait for them to
    end, then stop the runner; runs still going after ``STOP_GRACE_S``, or at a second
    Ctrl-C, are killed. The runner is stopped only once its runs have ended: its own
    shutdown sends each run SIGTERM at once, which cut a run's clean-up short (a
    staging folder, the render's scratch and a running ffmpeg were left behind), and
    then waits, without a bound, for every run process to end by itself."""

    main: asyncio.Task[Any]
    runner: Any
    asked: int = 0
    watchdog: threading.Timer | None = None

    def __call__(self) -> None:
        self.asked += 1
        if self.asked > 1:
            _signal_runs(_runs(), signal.SIGKILL)
            self.main.cancel()
            return
        self.runner.stopping = True  # Prefect's runner submits no scheduled run from now
        loop = self.main.get_loop()
        self.watchdog = threading.Timer(SLOW_STOP_S, _report_slow_stop, args=(loop,))
        self.watchdog.daemon = True
        self.watchdog.start()
        loop.create_task(self._wind_down())

    async def _wind_down(self) -> None:
        runs = _runs()
        _signal_runs(runs, signal.SIGINT)
        deadline = time.monotonic() + STOP_GRACE_S
        while any(_alive(run) for run in runs) and time.monotonic() < deadline:
            await asyncio.sleep(STOP_POLL_S)
        _signal_runs([run for run in runs if _alive(run)], signal.SIGKILL)
        self.main.cancel()


SLOW_STOP_S = 60.0
"""After this long stopping, serve prints what it still waits on (a stop should take
seconds; this names the culprit if one ever does not)."""


def _report_slow_stop(loop: asyncio.AbstractEventLoop) -> None:
    """Print, to stderr, the stack of every asyncio task and thread still running."""
    import faulthandler

    print(f"clipcart: serve still stopping after {SLOW_STOP_S:.0f} s; it waits on:",
          file=sys.stderr, flush=True)
    for task in asyncio.all_tasks(loop):
        task.print_stack(file=sys.stderr)
    faulthandler.dump_traceback(all_threads=True)


def _runs() -> list[Any]:
    """Serve's flow-run processes: its children in its own process group (the Prefect
    server child has a session of its own and is stopped after the runner)."""
    import psutil

    runs = []
    for child in psutil.Process().children():
        with suppress(psutil.Error, OSError):
            if os.getpgid(child.pid) == os.getpgrp():
                runs.append(child)
    return runs


def _alive(process: Any) -> bool:
    """Whether a psutil process is still running (a zombie has ended)."""
    import psutil

    try:
        return bool(process.is_running()) and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _signal_runs(runs: list[Any], sig: signal.Signals) -> None:
    """Send ``sig`` to each of ``runs`` (psutil processes) still there."""
    import psutil

    for run in runs:
        with suppress(psutil.Error, OSError):
            run.send_signal(sig)


def _run(runner: Any) -> None:
    """Serve until Ctrl-C or SIGTERM (KeyboardInterrupt), within ``STOP_GRACE_S`` of it."""
    try:
        asyncio.run(_serve(runner))
    except asyncio.CancelledError:
        raise KeyboardInterrupt from None


async def _serve(runner: Any) -> None:
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    assert main is not None
    stop = _Stop(main, runner)
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
    try:
        await runner.start()
    finally:
        if stop.watchdog is not None:
            stop.watchdog.cancel()

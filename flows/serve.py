"""``clipcart serve``: a real local Prefect server plus the served deployments.

The embedded (ephemeral) API cannot run schedules, so serve starts
``prefect server start`` on 127.0.0.1 as a child process (SQLite under
``CLIPCART_HOME/prefect``), waits for its health check, points itself at it and serves:

    watch-inbox   every 30 s, one pass over the inbox (the registry makes passes cheap)
    publish-due   cron */5 * * * *: post every scheduled clip whose slot has come
    batch         on demand (Run from the UI with a manifest path)
    collect-stats hourly: every post's counters into the ledger database, report artifacts

With ``links.base_url`` in publishing.yaml the short-link server (/l/<code>) runs too.

The server's URL is written to ``CLIPCART_HOME/prefect/server.json`` so other
commands (``clipcart approve``) can reach it while it runs.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx

from pipeline.core.errors import ClipcartError
from pipeline.core.home import home_subdir

PUBLISH_CRON = "*/5 * * * *"
WATCH_EVERY_S = 30


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
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ClipcartError(f"prefect server exited with status {process.returncode}",
                                hint="See CLIPCART_HOME/prefect/server.log")
        with suppress(httpx.HTTPError):
            if httpx.get(f"{api_url}/health", timeout=2).status_code == 200:
                return
        time.sleep(0.5)
    raise ClipcartError(f"prefect server not healthy after {timeout_s:.0f} s",
                        hint="See CLIPCART_HOME/prefect/server.log")


@contextmanager
def local_server(port: int = 0, timeout_s: float = 180) -> Iterator[str]:
    """Run ``prefect server start`` as a child; yield its API URL; stop it on exit."""
    port = port or free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    home = home_subdir("prefect")
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_API_URL": "",
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home / 'server.db'}"}
    env.pop("PREFECT_API_URL")
    log = (home / "server.log").open("ab")
    process = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host",
                                "127.0.0.1", "--port", str(port)], env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_healthy(api_url, process, timeout_s)
        server_file().write_text(json.dumps({"api_url": api_url, "pid": os.getpid()}), "utf-8")
        yield api_url
    finally:
        server_file().unlink(missing_ok=True)
        _stop(process)
        log.close()


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
                ledger_url: str | None, sandbox_url: str | None) -> list[Any]:
    """The served deployments: publish-due on a cron, batch on demand, watch-inbox."""
    from datetime import timedelta

    from flows.batch import batch
    from flows.inbox import watch_inbox
    from flows.publishing import publish_due_flow

    due = {"params": {"ledger_url": ledger_url, "sandbox_url": sandbox_url}}
    made = [publish_due_flow.to_deployment(name="publish-due", cron=PUBLISH_CRON,
                                           parameters=due, concurrency_limit=1),
            batch.to_deployment(name="batch", parameters={"params": {
                "manifest": "manifest.csv", "catalog": str(catalog) if catalog else None,
                "out_dir": str(out_dir), "ledger_url": ledger_url, "wait_for_review": True}})]
    made.append(stats_deployment(ledger_url, sandbox_url))
    if inbox is not None:
        watch = {"params": {"inbox": str(inbox), "catalog": str(catalog) if catalog else None,
                            "out_dir": str(out_dir), "once": True}}
        made.append(watch_inbox.to_deployment(name="watch-inbox", parameters=watch,
                                              interval=timedelta(seconds=WATCH_EVERY_S),
                                              concurrency_limit=1))
    return made


def stats_deployment(ledger_url: str | None, sandbox_url: str | None) -> Any:
    """collect-stats: hourly, one run at a time."""
    from datetime import timedelta

    from flows.stats import STATS_EVERY_S, collect_stats_flow

    params = {"params": {"ledger_url": ledger_url, "sandbox_url": sandbox_url}}
    return collect_stats_flow.to_deployment(name="collect-stats", parameters=params,
                                            interval=timedelta(seconds=STATS_EVERY_S),
                                            concurrency_limit=1)


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


def _interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def serve_forever(port: int, inbox: Path | None, catalog: Path | None, out_dir: Path,
                  ledger_url: str | None, sandbox_url: str | None, limit: int) -> None:
    """Start the server, serve the deployments until interrupted, stop the server."""
    from prefect import serve
    from prefect.settings import PREFECT_API_URL, temporary_settings

    # SIGTERM ends serve like Ctrl-C, so the server child is stopped on the way out
    signal.signal(signal.SIGTERM, _interrupt)
    with local_server(port) as api_url, temporary_settings({PREFECT_API_URL: api_url}):
        os.environ["PREFECT_API_URL"] = api_url  # flow-run children inherit it
        print(f"prefect: {api_url.removesuffix('/api')}", flush=True)
        with suppress(KeyboardInterrupt), link_server(ledger_url):
            serve(*deployments(inbox, catalog, out_dir, ledger_url, sandbox_url), limit=limit,
                  print_starting_message=False)

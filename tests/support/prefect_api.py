"""One Prefect API server for a whole test session, shared by its pytest-xdist workers.

The controlling pytest process starts the server (``start``) before it starts its
workers; each worker points its Prefect settings at it for the session (``used``), as
``prefect.testing.utilities.prefect_test_harness`` does for a server of its own. One
server instead of one per worker saves each extra worker the start on a fresh database
(about 14 CPU-s: migrations, then uvicorn), the server's idle services (about 1.1 CPU-s
a minute) and the import of Prefect's server package into the test process.

The server is the one the harness runs: uvicorn serving ``create_app`` in ephemeral
mode (only the services an ephemeral server runs, no UI) on a temporary SQLite database
in WAL mode, which serialises the workers' writes with its busy timeout.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx

from pipeline.core.netguard import tls_context
from tests.support.processes import wait_for

URL_VARIABLE = "CLIPCART_TEST_PREFECT_API_URL"
"""The shared server's API URL, set by the controlling process for its workers."""
LOG_VARIABLE = "CLIPCART_TEST_PREFECT_LOG"
"""Where the shared server writes its console."""
START_TIMEOUT_S = 180.0
"""A first start on a fresh database takes 7-15 s on a quiet 2-core machine; a loaded
one has taken over a minute."""


SERVE = "import flows, uvicorn.main; uvicorn.main.main()"
"""uvicorn, in a process that imported ``flows`` first: the server gets the Prefect
settings every clipcart process gives its server (task runs recorded in batches, log
levels), set in that process only, so the test processes keep their own homes."""


def _free_port() -> int:
    # flows.serve.free_port's twin: importing ``flows`` here would set its Prefect
    # defaults (the result store among them) in this process, which the workers inherit
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(folder: Path) -> subprocess.Popen[bytes]:
    """Start the server on a database in ``folder`` and publish its URL and log path in
    this process's environment, which the workers inherit. Returns without waiting for
    it to answer: the workers wait (``used``) while pytest collects."""
    port = _free_port()
    log = folder / "server.log"
    env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1",
           "PREFECT__SERVER_FINAL": "1",
           "PREFECT_SERVER_DATABASE_CONNECTION_URL":
               f"sqlite+aiosqlite:///{folder / 'prefect.db'}"}
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-c", SERVE, "--factory", "prefect.server.api.server:create_app",
             "--host", "127.0.0.1", "--port", str(port), "--log-level", "error",
             "--lifespan", "on"],
            env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    os.environ[URL_VARIABLE] = f"http://127.0.0.1:{port}/api"
    os.environ[LOG_VARIABLE] = str(log)
    return process


def healthy(api: str) -> bool:
    """Whether the Prefect API at ``api`` answers its health check."""
    try:
        return httpx.get(f"{api}/health", timeout=2, verify=tls_context()).status_code == 200
    except httpx.HTTPError:
        return False


def _wait_healthy(url: str) -> None:
    try:
        wait_for(lambda: healthy(url), START_TIMEOUT_S, f"the shared Prefect API at {url}",
                 every_s=0.25)
    except AssertionError as err:
        log = Path(os.environ.get(LOG_VARIABLE, "/dev/null"))
        tail = log.read_text("utf-8", "replace")[-4000:] if log.is_file() else ""
        raise AssertionError(f"{err}; its console:\n{tail}") from None


@contextmanager
def used(url: str) -> Iterator[None]:
    """Point this process's Prefect settings at the server at ``url`` (not its
    environment: subprocesses a test starts choose their own server), and drain the
    log and event workers before leaving, as the test harness does."""
    import prefect.context
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker
    from prefect.settings import PREFECT_API_URL, temporary_settings

    _wait_healthy(url)
    with temporary_settings(updates={PREFECT_API_URL: url}), \
            prefect.context._temporary_global_settings_context(
                prefect.context.get_settings_context()):
        try:
            yield
        finally:
            with suppress(RuntimeError):  # never started
                APILogWorker.drain_all()
            EventsWorker.drain_all()

"""A local platform sandbox: a real HTTP server speaking all four contracts.

It accepts only its own test credentials (fixed per platform and account), enforces
per-token rate limits, checks every byte range and total, assembles uploads and
records their sha256, delays processing, and injects faults at seeded random::

    faults="5xx=0.2,drop=0.1,429=0.1,slow=0.1"

``drop`` closes the connection mid-answer, half the time *after* the request took
effect (the lost-response case that makes naive retries post twice). What it accepted
is listed at ``GET /_sandbox/posts``; ``GET /_sandbox/credentials?account=A`` returns
test credentials. ``run_sandbox`` serves in the foreground (the CLI);
``start_sandbox`` serves from a background thread (tests, the demo).
"""

from __future__ import annotations

import logging
import random
import socket
import threading
import time
from types import TracebackType
from typing import Any

import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from pipeline.publish.platforms import PLATFORMS
from sandbox import douyin, instagram, metrics, tiktok, youtube
from sandbox.state import (
    ASGIApp,
    BodyLimit,
    FaultMiddleware,
    HideDrops,
    SandboxConfig,
    SandboxState,
    parse_faults,
)


def build_app(state: SandboxState) -> ASGIApp:
    """The sandbox as an ASGI app: every platform's routes behind the fault injector."""
    app = FastAPI(title="clipcart platform sandbox", openapi_url=None)
    tiktok.add_routes(app, state)
    instagram.add_routes(app, state)
    youtube.add_routes(app, state)
    douyin.add_routes(app, state)
    metrics.add_routes(app, state)

    @app.get("/_sandbox/posts")
    async def posts() -> JSONResponse:
        return JSONResponse([post.__dict__ for post in state.posts])

    @app.get("/_sandbox/credentials")
    async def credentials(account: str = "default") -> JSONResponse:
        return JSONResponse(state.credentials(account))

    return BodyLimit(FaultMiddleware(app, state), state.config.max_body_bytes)


def _server(host: str, port: int, state: SandboxState, log_level: str) -> uvicorn.Server:
    logging.getLogger("uvicorn.error").addFilter(HideDrops())
    config = uvicorn.Config(
        build_app(state),
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=1,
    )
    return uvicorn.Server(config)


def banner(base_url: str, state: SandboxState) -> list[str]:
    """The lines printed on start: the base URL, then one test token per platform."""
    return [f"sandbox: {base_url}"] + [
        f"token {name}: {state.token(name, 'default')}" for name in PLATFORMS
    ]


def run_sandbox(
    host: str = "127.0.0.1",
    port: int = 8765,
    faults: str = "",
    seed: int = 0,
    config: SandboxConfig | None = None,
) -> None:
    """Serve in the foreground until interrupted, after printing the banner."""
    config = (config or SandboxConfig()).model_copy(update={"faults": faults, "seed": seed})
    state = SandboxState(config=config, rng=random.Random(seed))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    for line in banner(f"http://{host}:{sock.getsockname()[1]}", state):
        print(line, flush=True)
    _server(host, port, state, "warning").run(sockets=[sock])


class SandboxHandle:
    """A sandbox serving from a background thread; stop() or use as a context manager."""

    def __init__(
        self, server: uvicorn.Server, thread: threading.Thread, base_url: str, state: SandboxState
    ) -> None:
        self.server, self.thread, self.base_url, self.state = server, thread, base_url, state
        self.tokens = {name: state.token(name, "default") for name in PLATFORMS}

    def posts(self) -> list[dict[str, Any]]:
        return [post.__dict__.copy() for post in self.state.posts]

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def __enter__(self) -> SandboxHandle:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_sandbox(
    port: int = 0, faults: str = "", seed: int = 0, config: SandboxConfig | None = None
) -> SandboxHandle:
    """Serve on 127.0.0.1 (a free port when 0) from a daemon thread; returns when ready."""
    config = (config or SandboxConfig()).model_copy(update={"faults": faults, "seed": seed})
    parse_faults(config.faults)
    state = SandboxState(config=config, rng=random.Random(seed))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    server = _server("127.0.0.1", port, state, "critical")
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    return SandboxHandle(server, thread, base_url, state)

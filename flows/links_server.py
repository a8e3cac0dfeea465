"""The short-link server: ``GET /l/<code>`` → 302 to the clip's tagged URL, click counted.

A bare ASGI app on uvicorn (no framework): ``clipcart links serve`` runs it in the
foreground, ``clipcart serve`` beside the deployments, tests from a thread. HEAD
requests (link previews, prefetchers) are answered but not counted. Only the time,
the link and the source page are stored (``pipeline.ops.shortlinks``); the client's
address and user agent are never read.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Any
from urllib.parse import parse_qs

import uvicorn

from pipeline.ops.shortlinks import LinkStore, click_source

Scope = dict[str, Any]
DEFAULT_PORT = 8780


def links_app(store: LinkStore) -> Any:
    """The ASGI app answering ``/l/<code>`` and ``/healthz``."""

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        path, method = scope["path"], scope["method"]
        if path == "/healthz":
            await _answer(send, 200, b"ok")
            return
        if method not in ("GET", "HEAD") or not path.startswith("/l/"):
            await _answer(send, 404, b"not found")
            return
        link = await asyncio.to_thread(store.resolve, path.removeprefix("/l/").strip("/"))
        if link is None:
            await _answer(send, 404, b"unknown link")
            return
        if method == "GET":
            await asyncio.to_thread(store.count, link, _source(scope))
        await _answer(send, 302, b"", [(b"location", link.target.encode())])

    return app


def _source(scope: Scope) -> str:
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    headers = dict(scope.get("headers") or [])
    referer = headers.get(b"referer", b"").decode("latin-1")
    return click_source((query.get("src") or [""])[0], referer)


async def _answer(send: Any, status: int, body: bytes,
                  extra: list[tuple[bytes, bytes]] | None = None) -> None:
    headers = [(b"content-type", b"text/plain; charset=utf-8"),
               (b"content-length", str(len(body)).encode()),
               (b"cache-control", b"no-store"), (b"referrer-policy", b"no-referrer"),
               *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _server(store: LinkStore, host: str, port: int) -> uvicorn.Server:
    config = uvicorn.Config(links_app(store), host=host, port=port, log_level="warning",
                            access_log=False, lifespan="off", timeout_graceful_shutdown=1)
    return uvicorn.Server(config)


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def run_links(port: int = DEFAULT_PORT, host: str = "127.0.0.1",
              ledger_url: str | None = None) -> None:
    """Serve in the foreground until interrupted; prints ``links: <URL>`` first."""
    sock = _bind(host, port)
    print(f"links: http://{host}:{sock.getsockname()[1]}", flush=True)
    with LinkStore(ledger_url) as store:
        _server(store, host, port).run(sockets=[sock])


class LinksHandle:
    """A link server on a background thread; ``stop()`` or use as a context manager."""

    def __init__(self, server: uvicorn.Server, thread: threading.Thread, base_url: str,
                 store: LinkStore) -> None:
        self.server, self.thread, self.base_url, self.store = server, thread, base_url, store

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.store.close()

    def __enter__(self) -> LinksHandle:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def start_links(port: int = 0, host: str = "127.0.0.1",
                ledger_url: str | None = None) -> LinksHandle:
    """Serve from a daemon thread (a free port when 0); returns once it listens."""
    store = LinkStore(ledger_url)
    sock = _bind(host, port)
    server = _server(store, host, port)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline and thread.is_alive():
        time.sleep(0.01)
    return LinksHandle(server, thread, f"http://{host}:{sock.getsockname()[1]}", store)

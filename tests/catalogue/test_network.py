"""Product images never come from internal hosts, and never take long (issue 24, 2 and 5).

Real local servers on ephemeral ports; the loopback opt-in
(CLIPCART_ALLOW_LOOPBACK_FETCH=1) is set only where a test needs its own server reached.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pipeline.core.netguard import ALLOW_LOOPBACK_ENV, refusal
from pipeline.products import images
from pipeline.products.images import resolve_image


class _Redirect(BaseHTTPRequestHandler):
    hits: list[str] = []  # noqa: RUF012  (shared with the test on purpose)
    location = ""

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(302)
        self.send_header("Location", self.location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def redirector() -> Iterator[tuple[str, type[_Redirect]]]:
    handler = type("Handler", (_Redirect,), {"hits": [], "location": ""})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLIPCART_HOME", str(tmp_path / "home"))
    monkeypatch.delenv(ALLOW_LOOPBACK_ENV, raising=False)


def test_loopback_image_is_refused_before_any_request(
        redirector: tuple[str, type[_Redirect]]) -> None:
    base, handler = redirector
    warnings: list[str] = []
    assert resolve_image(f"{base}/r", warnings) is None
    assert handler.hits == []
    assert "loopback" in warnings[0] and "no picture" in warnings[0]


@pytest.mark.parametrize("target", ["http://127.0.0.2:9/x.png", "http://10.0.0.7/x.png",
                                    "http://169.254.169.254/latest/meta-data",
                                    "http://[::ffff:192.168.1.1]/x.png", "http://[fe80::1]/",
                                    "http://0.0.0.0:80/", "http://224.0.0.1/"])
def test_every_redirect_hop_is_checked(redirector: tuple[str, type[_Redirect]], target: str,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ALLOW_LOOPBACK_ENV, "1")  # reach the redirector on 127.0.0.1 only
    base, handler = redirector
    handler.location = target
    if target.startswith("http://127."):  # loopback itself is refused without the opt-in
        monkeypatch.delenv(ALLOW_LOOPBACK_ENV)
    warnings: list[str] = []
    assert resolve_image(f"{base}/r", warnings) is None
    assert "refused" in warnings[0] or "address" in warnings[0], warnings
    assert not images.cached_path(f"{base}/r").exists()


def test_names_are_resolved_and_checked() -> None:
    warnings: list[str] = []
    internal = resolve_image("http://cdn.internal.example/x.png", warnings,
                             resolver=lambda host, port: ["93.184.215.14", "10.1.2.3"])
    assert internal is None and "private" in warnings[0]
    assert resolve_image("http://localhost:9/x.png", warnings) is None
    assert "loopback" in warnings[1]


@pytest.mark.parametrize(("address", "why"), [
    ("127.0.0.1", "loopback"), ("::1", "loopback"), ("10.0.0.1", "private"),
    ("172.16.0.1", "private"), ("192.168.0.1", "private"), ("169.254.1.1", "private"),
    ("fc00::1", "private"), ("ff02::1", "multicast"), ("239.0.0.1", "multicast"),
    ("240.0.0.1", "private"), ("100.64.0.1", "non-public"), ("::ffff:10.0.0.1", "private"),
    ("2002:a00:1::", "private"), ("64:ff9b::7f00:1", "loopback"), ("8.8.8.8", ""),
])
def test_address_policy(address: str, why: str) -> None:
    assert why in refusal(address) and bool(refusal(address)) == bool(why)


def _trickler(stop: threading.Event) -> tuple[socket.socket, threading.Thread]:
    """A server that answers one byte of its headers every 0.3 s, forever."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 10_000:
                    if stop.wait(0.3):
                        return
                    try:
                        conn.sendall(bytes([byte]))
                    except OSError:
                        break

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener, thread


def test_trickling_host_is_cut_off_at_the_total_deadline(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ALLOW_LOOPBACK_ENV, "1")
    monkeypatch.setattr(images, "DEADLINE_S", 1.5)
    stop = threading.Event()
    listener, thread = _trickler(stop)
    warnings: list[str] = []
    started = time.monotonic()
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/slow.png"
        assert resolve_image(url, warnings) is None
    finally:
        stop.set()
        thread.join(5)
        listener.close()
    # a byte every 0.3 s never trips the 5 s read timeout: only the total deadline stops it
    assert time.monotonic() - started < 2 * images.TIMEOUT_S
    assert "could not download" in warnings[0]

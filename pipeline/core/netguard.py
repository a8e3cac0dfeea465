"""Fetching from users' URLs without reaching internal hosts (SSRF guard).

A URL from a catalog or template may name any host. ``GuardedTransport`` resolves
the name itself, refuses loopback, private, link-local, multicast, reserved and
unspecified addresses (IPv4 and IPv6, IPv4 embedded in IPv6 too), then connects to
the address it checked, so a DNS answer cannot change between check and connect.
Redirects go back through the transport, so every hop is checked the same way.
It also enforces one total deadline per fetch: each hop's timeouts are cut to the
time left.

``CLIPCART_ALLOW_LOOPBACK_FETCH=1`` additionally allows loopback addresses (127.0.0.0/8,
::1) and nothing else: an explicit opt-in for tests that serve images from a local
server. The default refuses.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import ssl
import time
from collections.abc import Callable
from functools import cache
from typing import Any

import httpcore
import httpx

ALLOW_LOOPBACK_ENV = "CLIPCART_ALLOW_LOOPBACK_FETCH"
"""Set to 1 to allow fetching from loopback addresses (tests only)."""

Resolver = Callable[[str, int], list[str]]
"""Resolves (host, port) to IP address strings."""

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class BlockedAddress(httpx.TransportError):
    """The URL's host is, or resolves to, an address clipcart does not fetch from."""


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to (A and AAAA), via the system resolver."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside a mapped, 6to4, Teredo or NAT64 IPv6 address."""
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip.sixtofour:
        return ip.sixtofour
    if ip.teredo:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def refusal(address: str, *, allow_loopback: bool = False) -> str:
    """Why ``address`` must not be fetched from ('' when it is a public address)."""
    ip: IPAddress = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and (inner := _embedded_v4(ip)) is not None:
        return refusal(str(inner), allow_loopback=allow_loopback)
    if ip.is_loopback:
        return "" if allow_loopback else "a loopback address"
    for label, bad in (("a private", ip.is_private), ("a link-local", ip.is_link_local),
                       ("a multicast", ip.is_multicast), ("a reserved", ip.is_reserved),
                       ("an unspecified", ip.is_unspecified), ("a non-public", not ip.is_global)):
        if bad:
            return f"{label} address"
    return ""


def loopback_allowed() -> bool:
    """True when the test-only opt-in ``CLIPCART_ALLOW_LOOPBACK_FETCH=1`` is set."""
    return os.environ.get(ALLOW_LOOPBACK_ENV) == "1"


class GuardedTransport(httpx.BaseTransport):
    """Sends each request to a checked public address of its host, within a deadline."""

    def __init__(self, *, deadline_s: float, read_timeout_s: float,
                 inner: httpx.BaseTransport | None = None,
                 resolver: Resolver | None = None) -> None:
        self.deadline = time.monotonic() + deadline_s
        self.read_timeout_s = read_timeout_s
        self.resolver = resolver or system_resolver
        self.allow_loopback = loopback_allowed()
        self.inner = inner or _deadline_transport(self.deadline, self.allow_loopback)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise httpx.TimeoutException("took longer than the total deadline", request=request)
        cut = min(left, self.read_timeout_s)
        request.extensions["timeout"] = {"connect": cut, "read": cut, "write": cut, "pool": cut}
        address = self._checked_address(request)
        pinned = _pinned(request, address)
        return self.inner.handle_request(pinned)

    def _checked_address(self, request: httpx.Request) -> str:
        host = request.url.host
        port = request.url.port or (443 if request.url.scheme == "https" else 80)
        try:
            addresses = [host] if _is_ip(host) else self.resolver(host, port)
        except (OSError, UnicodeError) as exc:
            raise httpx.ConnectError(f"cannot resolve {host}: {exc}", request=request) from None
        if not addresses:
            raise httpx.ConnectError(f"{host} has no address", request=request)
        for address in addresses:
            why = refusal(address, allow_loopback=self.allow_loopback)
            if why:
                raise BlockedAddress(f"refused: {host} is {why}; only public hosts are fetched",
                                     request=request)
        return addresses[0]

    def close(self) -> None:
        self.inner.close()


@cache
def tls_context(trust_env: bool = True) -> ssl.SSLContext:
    """This process's verifying TLS context, for every client and transport clipcart
    makes: certifi's roots (with ``trust_env``, SSL_CERT_FILE or SSL_CERT_DIR first, as
    httpx reads them). httpx otherwise builds one per client or transport, reading the
    whole CA bundle: about 23 ms of CPU each, paid by every publish request, picture
    fetch and health poll."""
    return httpx.create_ssl_context(trust_env=trust_env)


def _deadline_transport(deadline: float, allow_loopback: bool) -> httpx.HTTPTransport:
    """httpx's own transport on a socket layer that keeps the deadline on every read
    and write (a host trickling its headers a byte at a time is cut off too) and
    connects to public addresses only, whatever asked it to."""
    transport = httpx.HTTPTransport(verify=tls_context(trust_env=False), trust_env=False)
    # httpx has no public hook for httpcore's network backend: its pool is rebuilt the
    # way HTTPTransport builds it (tests/catalogue/test_security.py guards this)
    transport._pool = httpcore.ConnectionPool(
        ssl_context=tls_context(trust_env=False),
        network_backend=_DeadlineBackend(deadline, allow_loopback))
    return transport


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, deadline: float, allow_loopback: bool) -> None:
        self.deadline = deadline
        self.allow_loopback = allow_loopback
        self.backend = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Any = None) -> httpcore.NetworkStream:
        if not _is_ip(host) or refusal(host, allow_loopback=self.allow_loopback):
            raise httpcore.ConnectError(f"refused to connect to {host}")
        stream = self.backend.connect_tcp(host, port, _left(self.deadline, timeout),
                                          local_address, socket_options)
        return _DeadlineStream(stream, self.deadline)

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Any = None) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not fetched from")

    def sleep(self, seconds: float) -> None:
        self.backend.sleep(min(seconds, max(0.0, self.deadline - time.monotonic())))


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream, deadline: float) -> None:
        self.stream = stream
        self.deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.stream.read(max_bytes, _left(self.deadline, timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.stream.write(buffer, _left(self.deadline, timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self.stream.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        inner = self.stream.start_tls(ssl_context, server_hostname, _left(self.deadline, timeout))
        return _DeadlineStream(inner, self.deadline)

    def get_extra_info(self, info: str) -> Any:
        return self.stream.get_extra_info(info)


def _left(deadline: float, timeout: float | None,
          error: type[Exception] = httpcore.ConnectTimeout) -> float:
    """``timeout`` cut to the time left before ``deadline``; raises ``error`` when none is."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise error("took longer than the total deadline")
    return left if timeout is None else min(timeout, left)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    return True


def _pinned(request: httpx.Request, address: str) -> httpx.Request:
    """A copy of ``request`` sent to ``address``, still naming its host (Host, TLS SNI).

    A copy, so the client still sees the original URL (redirects resolve against it).
    """
    if _is_ip(request.url.host):
        return request
    extensions = {**request.extensions, "sni_hostname": request.url.host}
    return httpx.Request(request.method, request.url.copy_with(host=address),
                         headers=request.headers, stream=request.stream, extensions=extensions)

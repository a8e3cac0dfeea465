"""Sandbox state: its config, the posts it accepted, credentials, rate limits and faults.

One SandboxState per server; the per-platform routers (``sandbox.tiktok``, ...) read and
write it, and ``sandbox.server`` wires them behind the fault injector.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import random
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from pydantic import Field

from pipeline.core.models import Frozen
from pipeline.publish.tiktok.chunks import ChunkRule

Scope = dict[str, Any]
ASGIApp = Any

FAULT_KINDS = ("5xx", "drop", "429", "slow")
DEFAULT_LIMITS = {
    "tiktok.creator_info": 20,
    "tiktok.init": 6,
    "tiktok.status": 30,
    "shop.upload": 30,
    "shop.post": 10,
    "shop.status": 60,
    "instagram.api": 200,
    "youtube.init": 30,
    "douyin.api": 120,
    "tiktok.video_query": 20,
}


class SandboxConfig(Frozen):
    """How the sandbox behaves; tests shorten every wait."""

    faults: str = Field(default="", description="Fault rates per kind, e.g. '5xx=0.2,drop=0.1'.")
    seed: int = 0
    max_body_bytes: int = Field(
        default=320 * 1024 * 1024,
        description="Largest request body accepted (413 beyond): a Reels file is at most "
                    "300 MB and every other platform's chunk or part is smaller.")
    processing_s: float = Field(default=1.0, description="Platform-side processing after upload.")
    slow_s: float = Field(default=0.5, description="Extra latency of a 'slow' fault.")
    retry_after_s: float = Field(default=1.0, description="Retry-After sent with a 429.")
    rate_window_s: float = Field(default=60.0, description="Window of the per-token rate limits.")
    rate_limits: dict[str, int] = Field(default_factory=lambda: dict(DEFAULT_LIMITS))
    chunk_rule: ChunkRule = Field(default_factory=lambda: ChunkRule())
    tiktok_daily_cap: int = Field(
        default=15, description="TikTok posts per creator per day before spam-risk."
    )
    blocked_accounts: tuple[str, ...] = Field(
        default=(), description="Accounts that get spam-risk."
    )
    secret: str = Field(default="sbx", description="Mixed into every test token.")
    douyin_min_part: int = Field(
        default=5 * 1024 * 1024, description="Douyin's smallest part but the last, bytes."
    )
    douyin_single_max: int = Field(
        default=128 * 1024 * 1024, description="Douyin's largest single-request upload, bytes."
    )
    metrics_hour_s: float = Field(
        default=3600.0, description="Real seconds that count as one hour of post-metric growth."
    )


def parse_faults(spec: str) -> dict[str, float]:
    """``'5xx=0.2,drop=0.1'`` → ``{'5xx': 0.2, 'drop': 0.1}``; unknown kinds raise ValueError."""
    rates: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        kind, _, value = part.partition("=")
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; use {', '.join(FAULT_KINDS)}")
        rate = float(value)
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"fault rate {part!r} must be between 0 and 1")
        rates[kind] = rate
    if sum(rates.values()) > 1.0:
        raise ValueError("fault rates add up to more than 1")
    return rates


@dataclass
class Post:
    """One accepted post, as listed at /_sandbox/posts."""

    platform: str
    account: str
    post_id: str
    title: str
    bytes: int
    sha256: str
    product_id: str = ""
    posted_at: float = field(default_factory=time.time)
    """Wall-clock time the post went live (seconds since the epoch); metrics grow from it."""


@dataclass
class SandboxState:
    """Everything the sandbox remembers; touched only from the event loop thread."""

    config: SandboxConfig
    rng: random.Random = field(default_factory=random.Random)
    tokens: dict[str, tuple[str, str]] = field(default_factory=dict)
    refresh_tokens: dict[str, str] = field(default_factory=dict)
    expired: set[str] = field(default_factory=set)
    """Access tokens the sandbox answers as expired (tests mark them)."""
    calls: dict[tuple[str, str], deque[float]] = field(default_factory=lambda: defaultdict(deque))
    uploads: dict[str, dict[str, Any]] = field(default_factory=dict)
    posts: list[Post] = field(default_factory=list)
    counter: int = 0

    def next_id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter:06d}{self.rng.randrange(1000, 9999)}"

    def token(self, platform: str, account: str) -> str:
        """The fixed test token of (platform, account), registered on first use."""
        digest = hashlib.sha256(f"{self.config.secret}|{platform}|{account}".encode()).hexdigest()
        token = f"sbx-{platform}-{digest[:20]}"
        self.tokens.setdefault(token, (platform, account))
        return token

    def account_of(self, platform: str, token: str) -> str | None:
        owner = self.tokens.get(token)
        return owner[1] if owner and owner[0] == platform else None

    def allow(self, token: str, bucket: str) -> bool:
        """Count a call against the token's per-window limit; False when over it."""
        limit = self.config.rate_limits.get(bucket)
        if limit is None:
            return True
        now, window = time.monotonic(), self.calls[(token, bucket)]
        while window and window[0] <= now - self.config.rate_window_s:
            window.popleft()
        if len(window) >= limit:
            return False
        window.append(now)
        return True

    def credentials(self, account: str) -> dict[str, dict[str, str]]:
        """Test credentials for every platform, as ``/_sandbox/credentials`` serves them."""
        refresh = f"sbx-refresh-{self.token('tiktok', account)[11:]}"
        self.refresh_tokens.setdefault(refresh, account)
        return {
            "tiktok": {
                "access_token": self.token("tiktok", account),
                "refresh_token": refresh,
                "client_key": "sbx-client-key",
                "client_secret": f"{self.config.secret}-client-secret",
            },
            "tiktok-shop": {
                "access_token": self.token("tiktok-shop", account),
                "app_key": "sbx-app-key",
                "app_secret": f"{self.config.secret}-app-secret",
            },
            "instagram": {
                "access_token": self.token("instagram", account),
                "ig_user_id": f"1784{int(_digest(account)[:8], 16):010d}",
            },
            "youtube": {"access_token": self.token("youtube", account)},
            "douyin": self.douyin_credentials(account),
        }

    def douyin_credentials(self, account: str) -> dict[str, str]:
        """Douyin test credentials: token, open_id, refresh token, client key, mini-program."""
        refresh = f"sbx-dy-refresh-{_digest(self.config.secret + account)[:16]}"
        self.refresh_tokens.setdefault(refresh, account)
        return {
            "access_token": self.token("douyin", account),
            "open_id": douyin_open_id(account),
            "refresh_token": refresh,
            "client_key": "sbx-douyin-client-key",
            "micro_app_id": "tt-sbx-mini-app",
        }

    def add_post(
        self,
        platform: str,
        account: str,
        post_id: str,
        title: str,
        data: bytes,
        product_id: str = "",
    ) -> None:
        digest = hashlib.sha256(data).hexdigest()
        self.posts.append(Post(platform, account, post_id, title, len(data), digest, product_id))


def douyin_open_id(account: str) -> str:
    """The sandbox user's open_id for ``account``."""
    return f"sbx-open-{_digest(account)[:12]}"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class SandboxDrop(Exception):
    """Raised after a partial answer so the server closes the connection."""


class FaultMiddleware:
    """Injects seeded faults before (or, for half the drops, after) the real handler."""

    def __init__(self, app: ASGIApp, state: SandboxState) -> None:
        self.app = app
        self.state = state
        self.rates = parse_faults(state.config.faults)

    def pick(self) -> str:
        roll, edge = self.state.rng.random(), 0.0
        for kind, rate in self.rates.items():
            edge += rate
            if roll < edge:
                return kind
        return ""

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_sandbox"):
            await self.app(scope, receive, send)
            return
        kind = self.pick()
        if kind == "slow":
            await asyncio.sleep(self.state.config.slow_s)
        elif kind in ("5xx", "429"):
            await _fault_answer(send, kind, self.state.config.retry_after_s)
            return
        elif kind == "drop":
            await self._drop(scope, receive, send, after=self.state.rng.random() < 0.5)
            return
        await self.app(scope, receive, send)

    async def _drop(self, scope: Scope, receive: Any, send: Any, *, after: bool) -> None:
        if after:

            async def swallow(_message: dict[str, Any]) -> None:
                return None

            await self.app(scope, receive, swallow)
        headers = [(b"content-type", b"application/json"), (b"content-length", b"64")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b'{"data":', "more_body": True})
        raise SandboxDrop("sandbox fault: connection dropped")


async def _fault_answer(send: Any, kind: str, retry_after_s: float) -> None:
    status = 503 if kind == "5xx" else 429
    code = "internal_error" if kind == "5xx" else "rate_limit_exceeded"
    body = json.dumps({"error": {"code": code, "message": f"sandbox fault {kind}"}}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 429:
        headers.append((b"retry-after", f"{retry_after_s:g}".encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class HideDrops(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, SandboxDrop)


def bearer(request: Request, scheme: str = "Bearer") -> str:
    """The token after ``scheme`` in Authorization ('' if absent)."""
    value = request.headers.get("authorization", "")
    prefix = f"{scheme} "
    return value[len(prefix) :].strip() if value.startswith(prefix) else ""


class BodyLimit:
    """Answers 413 to a request whose body is larger than ``max_bytes``, whether it says
    so in Content-Length or streams it chunked: the sandbox never buffers more."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > self.max_bytes:
            await _too_large(send)
            return
        seen = 0

        async def counted() -> dict[str, Any]:
            nonlocal seen
            message: dict[str, Any] = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise SandboxDrop("request body over the limit")
            return message

        await self.app(scope, counted, send)


async def _too_large(send: Any) -> None:
    body = b'{"error": "request body too large"}'
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})

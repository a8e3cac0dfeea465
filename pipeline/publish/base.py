"""What every platform publisher shares: the request and record models, the
``Publisher`` protocol, retry with backoff honouring Retry-After, polling, and
token redaction.

Sleep, clock and randomness are injected through ``Pacing`` so tests run in
milliseconds and never wait on a real clock.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Protocol, TypeVar

import httpx
from pydantic import Field

from pipeline.core.errors import (
    BadInput,
    ConfigError,
    PermanentPublishError,
    PublishError,
    TransientPublishError,
)
from pipeline.core.models import Frozen
from pipeline.core.netguard import BlockedAddress, GuardedTransport, tls_context
from pipeline.publish.platforms import Platform

PublishState = Literal["scheduled", "uploading", "processing", "published", "failed", "blocked"]
"""Where a (clip, platform, account) stands: scheduled → uploading → processing → published,
or failed (may be retried) / blocked (the account may not post; not retried)."""

T = TypeVar("T")
log = logging.getLogger("clipcart.publish")


REAL_TARGET = "platform"
"""The ledger target of a post to the real platform API (a sandbox post's is its URL)."""


def target_for(sandbox_url: str | None) -> str:
    """The ledger target of a post: the sandbox's base URL, or ``REAL_TARGET``."""
    if not sandbox_url:
        return REAL_TARGET
    url = sandbox_url.strip().rstrip("/")
    try:
        host = httpx.URL(url).host if url.startswith(("http://", "https://")) else ""
    except httpx.InvalidURL:
        host = ""
    if not host:
        raise ConfigError(f"--sandbox {sandbox_url[:80]!r} is not an http(s) URL",
                          hint="Pass the URL `clipcart sandbox` prints, e.g. "
                               "http://127.0.0.1:8765")
    return url


EARLIEST_POST_YEAR, LATEST_POST_YEAR = 2000, 2100
"""Publish times outside these years are typos (and year 1 or 9999 overflow in UTC)."""


def when_problem(moment: datetime) -> str:
    """Why ``moment`` cannot be a publish time ('' when it can)."""
    if not EARLIEST_POST_YEAR <= moment.year <= LATEST_POST_YEAR:
        return f"year {moment.year} is outside {EARLIEST_POST_YEAR}-{LATEST_POST_YEAR}"
    return ""


class CaptionError(BadInput):
    """A caption or title breaks a platform's limits."""


class PublishRequest(Frozen):
    """One clip to post to one platform account."""

    clip_id: str = Field(
        description="Content hash of the clip; with platform and account, the key."
    )
    video: Path = Field(description="The rendered MP4 on local disk.")
    title: str = Field(description="The post's caption (TikTok title, Reels caption, ...).")
    platform: Platform
    account: str = Field(default="default", description="Which of the operator's accounts posts.")
    product_ids: dict[str, str] = Field(
        default_factory=dict,
        description="Platform product handles: tiktok, instagram ids; douyin mini-program page."
    )
    product_title: str = Field(default="", description="Product name for TikTok Shop's anchor.")
    cover_timestamp_ms: int = Field(
        default=0, description="Frame used as the cover, clip timeline."
    )
    scheduled_at: datetime | None = Field(
        default=None, description="When to post (UTC); None = now."
    )
    target: str = Field(
        default="platform",
        description="Where the post goes: 'platform' (the real API) or a sandbox base URL; "
        "part of the ledger key, so a sandbox post never stands in for a real one.",
    )

    @property
    def size(self) -> int:
        """File size in bytes."""
        return self.video.stat().st_size


class PublishRecord(Frozen):
    """The ledger's row for one (clip_id, platform, account, target): what happened."""

    clip_id: str
    platform: str
    account: str
    target: str = Field(default="platform", description="'platform' or a sandbox base URL.")
    state: PublishState
    post_id: str = Field(
        default="", description="The platform's id of the live post, once published."
    )
    publish_id: str = Field(default="", description="The platform's handle for the post in flight.")
    reason: str = Field(default="", description="Why it failed or was blocked; redacted.")
    attempts: int = Field(default=0, description="How many times a publisher claimed the row.")
    updated_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


Checkpoint = Callable[[PublishState, str], None]
"""Called by a publisher to persist progress: (state, publish_id) before it moves on."""


class Publisher(Protocol):
    """Posts one clip to one platform, resuming from a stored publish id when given."""

    platform: Platform

    def publish(self, request: PublishRequest, checkpoint: Checkpoint, resume: str) -> str:
        """Post the clip exactly once and return the platform's post id.

        ``resume`` is the publish id stored by an earlier, interrupted attempt ("" if none);
        a publisher must finish or safely abandon it rather than post a second time.
        """
        ...


class RetryPolicy(Frozen):
    """Exponential backoff with jitter; Retry-After from the platform wins when given."""

    attempts: int = Field(default=6, description="Tries in total, the first included.")
    base_s: float = Field(default=0.5, description="Delay before the second try, seconds.")
    max_delay_s: float = Field(default=30.0, description="Longest single backoff delay, seconds.")
    max_retry_after_s: float = Field(
        default=120.0, description="A Retry-After longer than this gives up now (e.g. daily quota)."
    )
    jitter: float = Field(default=0.5, description="Fraction of each delay randomised away (0..1).")


class PollPolicy(Frozen):
    """How to wait for platform-side processing: growing intervals up to a deadline."""

    first_s: float = Field(default=2.0, description="Wait before the first status check, seconds.")
    max_interval_s: float = Field(default=10.0, description="Longest wait between checks, seconds.")
    timeout_s: float = Field(default=600.0, description="Give up after this long, seconds.")


@dataclass(frozen=True)
class Pacing:
    """Time and chance as seen by publishers; tests inject fakes."""

    retry: RetryPolicy = field(default_factory=RetryPolicy)
    poll: PollPolicy = field(default_factory=PollPolicy)
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    rng: random.Random = field(default_factory=random.Random)


def backoff_delay(policy: RetryPolicy, attempt: int, rng: random.Random) -> float:
    """Delay before try ``attempt + 1``: base·2^attempt capped, minus up to ``jitter`` of it."""
    delay = min(policy.max_delay_s, policy.base_s * 2.0**attempt)
    return delay * (1.0 - policy.jitter * rng.random())


FRESH_STARTS = 3
"""Tries one publish run gives a post whose stored upload or container is gone."""


class Restart(PublishError):
    """What the platform holds for a resumed post (an upload, a container, a video) is
    gone or failed, and nothing was posted: start the post afresh."""


def restarting(attempt: Callable[[str], str], resume: str, gave_up: str) -> str:
    """``attempt(resume)``, then ``attempt("")`` after each Restart, FRESH_STARTS tries in
    all; then a TransientPublishError "``gave_up`` 3 times; last: ..." (the ledger keeps
    the post due for the next run)."""
    last: PublishError | None = None
    for _ in range(FRESH_STARTS):
        stored, resume = resume, ""
        try:
            return attempt(stored)
        except Restart as err:
            last = err
    raise TransientPublishError(f"{gave_up} {FRESH_STARTS} times; last: "
                                f"{last.message if last else ''}")


def with_retry(action: Callable[[], T], pacing: Pacing, what: str = "") -> T:
    """Run ``action``, retrying TransientPublishError with backoff; other errors pass through."""
    policy = pacing.retry
    for attempt in range(policy.attempts):
        try:
            return action()
        except TransientPublishError as err:
            last = attempt == policy.attempts - 1
            wait = err.retry_after_s
            if last or (wait is not None and wait > policy.max_retry_after_s):
                raise
            delay = wait if wait is not None else backoff_delay(policy, attempt, pacing.rng)
            log.info("%s: retry %d in %.2fs after: %s", what, attempt + 1, delay, err.message)
            pacing.sleep(delay)
    raise AssertionError(f"unreachable: retry loop for {what} ended")  # pragma: no cover


def poll_until(check: Callable[[], T | None], pacing: Pacing, what: str) -> T:
    """Call ``check`` at growing intervals until it returns a value or the deadline passes."""
    deadline = pacing.clock() + pacing.poll.timeout_s
    interval = pacing.poll.first_s
    while True:
        pacing.sleep(interval)
        result = with_retry(check, pacing, what)
        if result is not None:
            return result
        if pacing.clock() >= deadline:
            raise TransientPublishError(f"{what}: still processing after {pacing.poll.timeout_s}s")
        interval = min(interval * 2, pacing.poll.max_interval_s)


def as_int(value: object, default: int = 0) -> int:
    """``value`` as an int, or ``default`` when it is not one (platform bodies vary)."""
    try:
        return int(str(value))
    except ValueError:
        return default


def parse_retry_after(response: httpx.Response) -> float | None:
    """Seconds from a Retry-After header (delta seconds, fractional accepted), else None."""
    value = response.headers.get("retry-after", "").strip()
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


_SECRET_PATTERNS = (
    re.compile(r"(?i)\b(bearer|oauth)\s+[A-Za-z0-9._~+/=\-]+"),
    re.compile(
        r"(?i)\b(access_token|refresh_token|client_secret|app_secret|sign|"
        r"x-tts-access-token)([\"']?\s*[=:]\s*[\"']?)[^&\s\"',}]+"
    ),
)


class Redactor:
    """Removes known secrets and token-shaped text from anything shown or stored."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def add(self, secret: str) -> None:
        """Also hide ``secret`` from now on (e.g. a freshly refreshed token)."""
        if len(secret) >= 4 and secret not in self._secrets:
            self._secrets = sorted([*self._secrets, secret], key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        text = _SECRET_PATTERNS[0].sub(lambda m: f"{m.group(1)} ***", text)
        return _SECRET_PATTERNS[1].sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)


def send(
    client: httpx.Client, redact: Redactor, method: str, url: str, **kwargs: object
) -> httpx.Response:
    """One HTTP call; a dropped connection or timeout becomes a TransientPublishError."""
    try:
        return client.request(method, url, **kwargs)  # type: ignore[arg-type]
    except BlockedAddress as err:
        raise PermanentPublishError(redact(f"{method} {url}: {err}")) from None
    except httpx.TransportError as err:
        path = httpx.URL(url).path
        raise TransientPublishError(
            redact(f"{method} {path}: connection failed ({type(err).__name__})")
        ) from None


PUBLISH_DEADLINE_S = 24 * 3600.0
"""How long one publisher's client may keep talking to the platform (its uploads included)."""


def make_client(base_url: str, transport: httpx.BaseTransport | None, *,
                sandbox: bool = False) -> httpx.Client:
    """An httpx client for one platform, every request checked for where it goes.

    The platform's answers name further URLs (TikTok's ``upload_url``, YouTube's upload
    session ``Location``, redirects), so the check is on each request, not only the base:
    a sandbox client reaches the sandbox's own origin and nothing else; a real platform's
    client reaches public addresses only (netguard), so an answer naming an internal host
    is refused. ``transport`` replaces the network in tests (for a real platform's client
    it replaces the guard too: tests name the platforms' hosts, which do not resolve here).
    """
    timeout = httpx.Timeout(60.0, connect=10.0)
    guard: httpx.BaseTransport | None
    if sandbox:
        guard = SameOrigin(base_url, transport or httpx.HTTPTransport(verify=tls_context()))
    else:
        guard = transport or GuardedTransport(deadline_s=PUBLISH_DEADLINE_S,
                                              read_timeout_s=60.0)
    return httpx.Client(base_url=base_url, transport=guard, timeout=timeout)


class SameOrigin(httpx.BaseTransport):
    """Sends requests to one origin (scheme, host, port) only; any other is refused."""

    def __init__(self, base_url: str, inner: httpx.BaseTransport) -> None:
        self.origin = _origin(httpx.URL(base_url))
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if _origin(request.url) != self.origin:
            raise BlockedAddress(f"refused: {request.url.host} is not the sandbox "
                                 f"({self.origin[1]}:{self.origin[2]})", request=request)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def _origin(url: httpx.URL) -> tuple[str, str, int]:
    return url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80)

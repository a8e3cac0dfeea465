"""Publishing one clip exactly once: pre-flight, ledger claim, platform call, record.

See the package docstring for credentials; ``publish_clip`` is the entry point.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from pipeline.core.errors import (
    AccountBlockedError,
    ConfigError,
    FootageError,
    PublishError,
    TransientPublishError,
)
from pipeline.core.home import home_subdir
from pipeline.core.netguard import tls_context
from pipeline.publish.base import (
    REAL_TARGET,
    CaptionError,
    Pacing,
    PollPolicy,
    Publisher,
    PublishRecord,
    PublishRequest,
    make_client,
    target_for,
)
from pipeline.publish.douyin import PartRule as DouyinParts
from pipeline.publish.ledger import Key, Ledger, key_of, new_owner
from pipeline.publish.platforms import PLATFORMS, UPLOAD_RULES, Platform, caption_problem
from pipeline.publish.tiktok.client import ChunkRule

ENV_NAMES = {
    "tiktok": {
        "access_token": "CLIPCART_TIKTOK_TOKEN",
        "refresh_token": "CLIPCART_TIKTOK_REFRESH_TOKEN",
        "client_key": "CLIPCART_TIKTOK_CLIENT_KEY",
        "client_secret": "CLIPCART_TIKTOK_CLIENT_SECRET",
    },
    "tiktok-shop": {
        "app_key": "CLIPCART_TIKTOK_SHOP_APP_KEY",
        "app_secret": "CLIPCART_TIKTOK_SHOP_APP_SECRET",
        "access_token": "CLIPCART_TIKTOK_SHOP_TOKEN",
    },
    "instagram": {
        "access_token": "CLIPCART_INSTAGRAM_TOKEN",
        "ig_user_id": "CLIPCART_INSTAGRAM_USER_ID",
    },
    "youtube": {"access_token": "CLIPCART_YOUTUBE_TOKEN"},
    "douyin": {
        "access_token": "CLIPCART_DOUYIN_TOKEN",
        "open_id": "CLIPCART_DOUYIN_OPEN_ID",
        "refresh_token": "CLIPCART_DOUYIN_REFRESH_TOKEN",
        "client_key": "CLIPCART_DOUYIN_CLIENT_KEY",
        "client_secret": "CLIPCART_DOUYIN_CLIENT_SECRET",
        "micro_app_id": "CLIPCART_DOUYIN_MICRO_APP_ID",
    },
}
MAX_ATTEMPTS = 5
"""Runs of one row that may end in a transient failure before it is marked failed."""
OPTIONAL = frozenset({"refresh_token", "client_key", "client_secret", "micro_app_id"})


@dataclass(frozen=True)
class Tuning:
    """Waits and sizes; the defaults follow docs/platforms.md, tests shrink them."""

    pacing: Pacing = field(default_factory=Pacing)
    instagram_poll: PollPolicy = field(
        default_factory=lambda: PollPolicy(first_s=5.0, max_interval_s=60.0, timeout_s=300.0)
    )
    tiktok_chunks: ChunkRule = field(default_factory=lambda: ChunkRule())
    youtube_chunk_bytes: int = 32 * 256 * 1024
    douyin_parts: DouyinParts = field(default_factory=lambda: DouyinParts())
    lease_s: float = 1800.0


# -- pre-flight ---------------------------------------------------------------------
def preflight(request: PublishRequest) -> None:
    """Refuse, before any network call, what the platform would refuse anyway."""
    check_video(request.video, request.platform)
    check_caption(request.title, request.platform)
    if request.platform == "tiktok-shop" and not request.product_ids.get("tiktok"):
        raise ConfigError(
            "tiktok-shop needs a TikTok product id",
            hint="Set product.tiktok_product_id in the clip's manifest.json",
        )


def check_video(video: Path, platform: Platform) -> None:
    if not video.is_file():
        raise FootageError(f"clip file not found: {video}", hint="Render the clip first")
    size = video.stat().st_size
    with video.open("rb") as head:
        magic = head.read(12)
    if size == 0 or magic[4:8] != b"ftyp":
        raise FootageError(f"{video} is not an MP4 file", hint="Publish the rendered clip.mp4")
    most = UPLOAD_RULES[platform].max_bytes
    if size > most:
        raise FootageError(
            f"{video} is {size} bytes; {platform} accepts at most {most}",
            hint="Render a shorter or lower-bitrate clip",
        )


def check_caption(caption: str, platform: Platform) -> None:
    """The caption against the platform's post-text rules (``platforms.caption_problem``)."""
    if not caption.strip():
        raise CaptionError("the caption is empty", hint="Set caption_text in manifest.json")
    problem = caption_problem(caption, platform)
    if problem:
        what = "too long for" if problem.startswith(("longer", "more")) else "not accepted by"
        raise CaptionError(
            f"caption {what} {platform}: {problem}",
            hint="Shorten or fix the caption (re-run `clipcart make` to rebuild it)",
        )


def make_request(
    video: Path,
    *,
    clip_id: str,
    caption: str,
    platform: str,
    account: str,
    product_ids: dict[str, str] | None,
    product_title: str = "",
    scheduled_at: datetime | None = None,
    sandbox_url: str | None = None,
) -> PublishRequest:
    """A checked PublishRequest for the real platform, or the sandbox at ``sandbox_url``;
    bad input raises a BadInput subclass (exit 2)."""
    if platform not in PLATFORMS:
        raise ConfigError(
            f"unknown platform {platform!r}", hint=f"Use one of {', '.join(PLATFORMS)}"
        )
    if not clip_id or not account:
        raise ConfigError("clip_id and account must not be empty")
    request = PublishRequest(
        clip_id=clip_id,
        video=Path(video).resolve(),
        title=caption,
        platform=platform,
        account=account,
        product_ids=dict(product_ids or {}),
        product_title=product_title,
        scheduled_at=scheduled_at.astimezone(UTC) if scheduled_at else None,
        target=target_for(sandbox_url),
    )
    preflight(request)
    return request


# -- credentials and clients --------------------------------------------------------
def env_name(base: str, account: str) -> str:
    """``CLIPCART_X`` for the default account, ``CLIPCART_X__<ACCOUNT>`` for others."""
    suffix = re.sub(r"\W", "_", account).upper()
    return base if account == "default" else f"{base}__{suffix}"


SecretLookup = Callable[[str], str | None]
"""Finds a credential by its environment-variable name, e.g. in a Prefect Secret block."""
_SECRET_SOURCES: ContextVar[tuple[SecretLookup, ...]] = ContextVar(
    "clipcart_secret_sources", default=())
"""Where credentials the environment does not set are looked up, in this context."""


@contextmanager
def secrets_from(*lookups: SecretLookup) -> Iterator[None]:
    """Also look credentials up with ``lookups`` (after the environment) inside the block.

    ``flows`` passes Prefect Secret blocks here; the library never imports Prefect.
    Prefect copies the context into the threads that run tasks, so a flow that enters
    the block covers its tasks too.
    """
    token = _SECRET_SOURCES.set((*_SECRET_SOURCES.get(), *lookups))
    try:
        yield
    finally:
        _SECRET_SOURCES.reset(token)


def secret_value(name: str) -> str:
    """The credential named ``name``: the environment first, then each secret source."""
    if value := os.environ.get(name, ""):
        return value
    for lookup in _SECRET_SOURCES.get():
        if value := lookup(name) or "":
            return value
    return ""


def secret_block_name(name: str) -> str:
    """The Prefect Secret block a credential variable is kept in: ``CLIPCART_TIKTOK_TOKEN``
    is ``clipcart-tiktok-token``."""
    return name.lower().replace("_", "-")


def env_credentials(platform: str, account: str) -> dict[str, str]:
    """Credentials from the environment (or a secret source); a missing required one
    raises ConfigError."""
    creds: dict[str, str] = {}
    for fieldname, base in ENV_NAMES[platform].items():
        name = env_name(base, account)
        value = secret_value(name)
        if not value and fieldname not in OPTIONAL:
            raise ConfigError(f"{name} is not set",
                              hint=f"Export {name}, save it as the Prefect Secret block "
                                   f"'{secret_block_name(name)}', or pass --sandbox URL")
        if value:
            creds[fieldname] = value
    return creds


def sandbox_credentials(
    sandbox_url: str, platform: str, account: str, transport: httpx.BaseTransport | None
) -> dict[str, str]:
    """The sandbox's built-in test credentials for (platform, account)."""
    try:
        with httpx.Client(transport=transport, timeout=10.0, verify=tls_context()) as client:
            answer = client.get(
                f"{sandbox_url.rstrip('/')}/_sandbox/credentials", params={"account": account}
            )
            answer.raise_for_status()
            return dict(answer.json()[platform])
    except (httpx.HTTPError, ValueError, KeyError) as err:
        raise ConfigError(
            f"no sandbox answering at {sandbox_url} ({type(err).__name__})",
            hint="Start one with `clipcart sandbox` and pass the URL it prints",
        ) from None


def build_publisher(
    platform: str,
    creds: dict[str, str],
    account: str,
    sandbox_url: str | None,
    transport: httpx.BaseTransport | None,
    tuning: Tuning,
) -> tuple[Publisher, httpx.Client]:
    """The platform's publisher on its own httpx client (the caller closes it)."""
    factories: dict[str, Callable[..., tuple[Publisher, httpx.Client]]] = {
        "tiktok": _tiktok,
        "tiktok-shop": _shop,
        "instagram": _instagram,
        "youtube": _youtube,
        "douyin": _douyin,
    }
    return factories[platform](creds, account, sandbox_url, transport, tuning)


def _tiktok(
    creds: dict[str, str],
    account: str,
    sandbox_url: str | None,
    transport: httpx.BaseTransport | None,
    tuning: Tuning,
) -> tuple[Publisher, httpx.Client]:
    from pipeline.publish.tiktok.client import (
        BASE_URL,
        FileTokenStore,
        TikTokCredentials,
        TikTokPublisher,
    )

    client = make_client(sandbox_url or BASE_URL, transport, sandbox=bool(sandbox_url))
    parsed = TikTokCredentials.model_validate(creds)
    store = None
    if not sandbox_url:  # rotated refresh tokens outlive the environment variables
        safe = re.sub(r"\W", "_", account)
        store = FileTokenStore(home_subdir("tokens") / f"tiktok-{safe}.json")
        parsed = store.load() or parsed
    publisher = TikTokPublisher(
        client, parsed, pacing=tuning.pacing, chunk_rule=tuning.tiktok_chunks, token_store=store
    )
    return publisher, client


def _shop(
    creds: dict[str, str],
    account: str,
    sandbox_url: str | None,
    transport: httpx.BaseTransport | None,
    tuning: Tuning,
) -> tuple[Publisher, httpx.Client]:
    from pipeline.publish.tiktok_shop import BASE_URL, ShopCredentials, TikTokShopPublisher

    client = make_client(sandbox_url or BASE_URL, transport, sandbox=bool(sandbox_url))
    return TikTokShopPublisher(
        client, ShopCredentials.model_validate(creds), pacing=tuning.pacing
    ), client


def _instagram(
    creds: dict[str, str],
    account: str,
    sandbox_url: str | None,
    transport: httpx.BaseTransport | None,
    tuning: Tuning,
) -> tuple[Publisher, httpx.Client]:
    from pipeline.publish.instagram import BASE_URL, InstagramCredentials, InstagramPublisher

    base = f"{sandbox_url.rstrip('/')}/v25.0" if sandbox_url else BASE_URL
    client = make_client(base, transport, sandbox=bool(sandbox_url))
    pacing = Pacing(
        retry=tuning.pacing.retry,
        poll=tuning.instagram_poll,
        sleep=tuning.pacing.sleep,
        clock=tuning.pacing.clock,
        rng=tuning.pacing.rng,
    )
    return InstagramPublisher(
        client, InstagramCredentials.model_validate(creds), pacing=pacing
    ), client


def _youtube(
    creds: dict[str, str],
    account: str,
    sandbox_url: str | None,
    transport: httpx.BaseTransport | None,
    tuning: Tuning,
) -> tuple[Publisher, httpx.Client]:
    from pipeline.publish.youtube import BASE_URL, YouTubeCredentials, YouTubePublisher

    client = make_client(sandbox_url or BASE_URL, transport, sandbox=bool(sandbox_url))
    publisher = YouTubePublisher(
        client,
        YouTubeCredentials.model_validate(creds),
        pacing=tuning.pacing,
        chunk_bytes=tuning.youtube_chunk_bytes,
    )
    return publisher, client


def _douyin(
    creds: dict[str, str],
    account: str,
    sandbox_url: str | None,
    transport: httpx.BaseTransport | None,
    tuning: Tuning,
) -> tuple[Publisher, httpx.Client]:
    from pipeline.publish.douyin import BASE_URL, DouyinCredentials, DouyinPublisher

    client = make_client(sandbox_url or BASE_URL, transport, sandbox=bool(sandbox_url))
    publisher = DouyinPublisher(
        client,
        DouyinCredentials.model_validate(creds),
        pacing=tuning.pacing,
        part_rule=tuning.douyin_parts,
    )
    return publisher, client


# -- the ledger-guarded post ---------------------------------------------------------
def publish_request(
    request: PublishRequest,
    ledger: Ledger,
    *,
    transport: httpx.BaseTransport | None = None,
    tuning: Tuning | None = None,
) -> PublishRecord:
    """Claim the ledger row and post exactly once to the request's target (the real
    platform or a sandbox); a published row is returned as is.

    When another live process holds the row, its current record is returned unchanged.
    Platform failures are recorded and raised: blocked (spam-risk, auth), failed
    (refused, or transient ``MAX_ATTEMPTS`` runs in a row), otherwise the row stays
    due with the reason so the next run or ``publish_due`` resumes it.
    """
    tuning = tuning or Tuning()
    key: Key = key_of(request)
    sandbox_url = None if request.target == REAL_TARGET else request.target
    record = ledger.ensure(request)
    if record.state == "published":
        return record
    creds = (
        sandbox_credentials(sandbox_url, request.platform, request.account, transport)
        if sandbox_url
        else env_credentials(request.platform, request.account)
    )
    owner = new_owner()
    claimed = ledger.claim(key, owner)
    if claimed is None:
        current = ledger.get(key)
        assert current is not None
        return current
    publisher, client = build_publisher(
        request.platform, creds, request.account, sandbox_url, transport, tuning
    )
    with client:
        return _run(publisher, request, ledger, key, owner, claimed.publish_id)


def _run(
    publisher: Publisher, request: PublishRequest, ledger: Ledger, key: Key, owner: str, resume: str
) -> PublishRecord:
    def checkpoint(state: Any, publish_id: str) -> None:
        ledger.checkpoint(key, owner, state, publish_id)

    try:
        post_id = publisher.publish(request, checkpoint, resume)
    except AccountBlockedError as err:
        ledger.finish(key, owner, "blocked", reason=err.one_line())
        raise
    except TransientPublishError as err:
        attempts = ledger.attempts(key)
        if attempts >= MAX_ATTEMPTS:
            ledger.finish(
                key, owner, "failed", reason=f"gave up after {attempts} runs: {err.one_line()}"
            )
        else:  # stays due: the next run (or publish --due) resumes it
            ledger.defer(key, owner, reason=err.one_line())
        raise
    except PublishError as err:
        ledger.finish(key, owner, "failed", reason=err.one_line())
        raise
    except BaseException:
        ledger.release(key, owner)
        raise
    return ledger.finish(key, owner, "published", post_id=post_id)


def publish_due(
    *,
    ledger_url: str | None = None,
    sandbox_url: str | None = None,
    transport: httpx.BaseTransport | None = None,
    tuning: Tuning | None = None,
    now: datetime | None = None,
) -> list[PublishRecord]:
    """Post every scheduled (or interrupted) row of the target whose slot has come;
    skip blocked accounts.

    With ``sandbox_url`` this is a rehearsal: the sandbox's own due rows, and a copy on
    the sandbox of every real post still scheduled (the real row stays scheduled).
    """
    target = target_for(sandbox_url)
    results = []
    with Ledger(ledger_url, lease_s=(tuning or Tuning()).lease_s) as ledger:
        for request in due_on(ledger, target, now):
            if ledger.account_blocked(request.platform, request.account, target):
                continue
            try:
                results.append(
                    publish_request(request, ledger, transport=transport, tuning=tuning)
                )
            except PublishError:
                failed = ledger.get(key_of(request))
                if failed is not None:
                    results.append(failed)
    return results


def due_on(ledger: Ledger, target: str, now: datetime | None) -> list[PublishRequest]:
    """The due requests for ``target``: its own rows, and for a sandbox a copy of each
    due real post whose sandbox copy is not published yet."""
    due = ledger.due(now)
    mine = [r for r in due if r.target == target]
    if target == REAL_TARGET:
        return mine
    taken = {key_of(r) for r in mine}
    for real in due:
        copy = real.model_copy(update={"target": target})
        done = ledger.get(key_of(copy))
        if (real.target == REAL_TARGET and key_of(copy) not in taken
                and (done is None or done.state != "published")):
            mine.append(copy)
            taken.add(key_of(copy))
    return mine

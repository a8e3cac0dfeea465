"""Publishing rendered clips to TikTok, TikTok Shop, Instagram Reels and YouTube.

``publish_clip`` checks the file and caption against the platform's limits, claims the
clip's ledger row (one per clip, platform, account and target), posts exactly once and
returns the ``PublishRecord``. ``sandbox_url`` points every client at a local sandbox
(``clipcart sandbox``) and uses its built-in test credentials; the sandbox URL is the
row's target, so sandbox posts and real posts never stand in for each other.

Real credentials come from the environment, or from a secret source registered
with ``service.add_secret_source`` (flows registers Prefect Secret blocks). For an
account other than ``default`` append ``__<ACCOUNT>`` (upper case, non-alphanumerics as ``_``), e.g.
``CLIPCART_TIKTOK_TOKEN__BRAND_B``::

    tiktok       CLIPCART_TIKTOK_TOKEN (user access token, scope video.publish)
                 CLIPCART_TIKTOK_REFRESH_TOKEN, CLIPCART_TIKTOK_CLIENT_KEY,
                 CLIPCART_TIKTOK_CLIENT_SECRET (optional: enable refresh; rotated
                 tokens are then kept in CLIPCART_HOME/tokens/tiktok-<account>.json)
    tiktok-shop  CLIPCART_TIKTOK_SHOP_APP_KEY, CLIPCART_TIKTOK_SHOP_APP_SECRET,
                 CLIPCART_TIKTOK_SHOP_TOKEN (creator token, creator.video.write)
    instagram    CLIPCART_INSTAGRAM_TOKEN, CLIPCART_INSTAGRAM_USER_ID
    youtube      CLIPCART_YOUTUBE_TOKEN (OAuth access token, youtube.upload)

Tokens never appear in logs, errors or ledger records (see ``base.Redactor``).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import httpx

from pipeline.publish.base import PLATFORMS, PublishRecord, PublishRequest
from pipeline.publish.ledger import Ledger
from pipeline.publish.service import Tuning, make_request, publish_due, publish_request

__all__ = [
    "PLATFORMS",
    "PublishRecord",
    "PublishRequest",
    "Tuning",
    "publish_clip",
    "publish_due",
    "publish_status",
    "schedule_clip",
]


def publish_clip(
    video: Path,
    *,
    clip_id: str,
    caption: str,
    platform: str,
    account: str = "default",
    product_ids: dict[str, str] | None = None,
    sandbox_url: str | None = None,
    ledger_url: str | None = None,
    transport: httpx.BaseTransport | None = None,
    product_title: str = "",
    tuning: Tuning | None = None,
) -> PublishRecord:
    """Post ``video`` to ``platform`` exactly once and return its ledger record.

    Bad input (missing file, caption over the limit, unknown platform, missing
    credentials) raises a BadInput subclass before anything is claimed or sent. A clip
    already published returns its record without a network call; one interrupted
    mid-post resumes from the stored publish id. Platform refusals raise PublishError
    subclasses after being recorded as failed or blocked.
    """
    request = make_request(
        video,
        clip_id=clip_id,
        caption=caption,
        platform=platform,
        account=account,
        product_ids=product_ids,
        product_title=product_title,
        sandbox_url=sandbox_url,
    )
    ledger = Ledger(ledger_url, lease_s=(tuning or Tuning()).lease_s)
    try:
        return publish_request(request, ledger, transport=transport, tuning=tuning)
    finally:
        ledger.close()


def schedule_clip(
    video: Path,
    *,
    clip_id: str,
    caption: str,
    platform: str,
    at: datetime,
    account: str = "default",
    product_ids: dict[str, str] | None = None,
    product_title: str = "",
    ledger_url: str | None = None,
    sandbox_url: str | None = None,
) -> PublishRecord:
    """Record the clip as scheduled for ``at`` on the real platform (or the sandbox at
    ``sandbox_url``); ``publish_due`` posts it when due."""
    request = make_request(
        video,
        clip_id=clip_id,
        caption=caption,
        platform=platform,
        account=account,
        product_ids=product_ids,
        product_title=product_title,
        scheduled_at=at,
        sandbox_url=sandbox_url,
    )
    ledger = Ledger(ledger_url)
    try:
        return ledger.ensure(request)
    finally:
        ledger.close()


def publish_status(ledger_url: str | None = None) -> list[PublishRecord]:
    """Every ledger record, oldest change first."""
    ledger = Ledger(ledger_url)
    try:
        return ledger.records()
    finally:
        ledger.close()

"""Publishing one clip to one platform: now (``publish_clip``), later (``schedule_clip``),
and what the ledger holds (``publish_status``). Credentials: see the package docstring.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import httpx

from pipeline.publish.base import PublishRecord
from pipeline.publish.ledger import Ledger
from pipeline.publish.service import Tuning, make_request, publish_request


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
    with Ledger(ledger_url, lease_s=(tuning or Tuning()).lease_s) as ledger:
        return publish_request(request, ledger, transport=transport, tuning=tuning)


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
    with Ledger(ledger_url) as ledger:
        return ledger.ensure(request)


def publish_status(ledger_url: str | None = None) -> list[PublishRecord]:
    """Every ledger record, oldest change first."""
    with Ledger(ledger_url) as ledger:
        return ledger.records()

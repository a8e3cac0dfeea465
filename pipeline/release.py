"""From a finished clip to scheduled posts: pick publish slots, put them in the ledger.

``targets_for`` turns a batch row's platforms, account and ``publish_at`` into aware
times (the account's next free slot when no time is given); ``schedule_targets`` records
them in the publish ledger, from which ``publish_due`` posts each exactly once.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.errors import ManifestError
from pipeline.publish import PublishRecord, schedule_clip
from pipeline.publish.ledger import Ledger
from pipeline.review import ReviewBook, ReviewRecord, Target
from pipeline.slots import SlotConfig, next_slot

FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)


def taken_slots(ledger_url: str | None, platform: str, account: str) -> list[datetime]:
    """Times already booked for (platform, account) by unfinished ledger rows."""
    ledger = Ledger(ledger_url)
    try:
        return [r.scheduled_at for r in ledger.due(FAR_FUTURE)
                if r.platform == platform and r.account == account and r.scheduled_at]
    finally:
        ledger.close()


def targets_for(platforms: tuple[str, ...], account: str, publish_at: datetime | None,
                slots: SlotConfig, *, ledger_url: str | None = None,
                now: datetime | None = None, booked: list[datetime] | None = None
                ) -> tuple[Target, ...]:
    """Where and when to post; ``booked`` collects slots handed out in this run."""
    now = now or datetime.now(UTC)
    chosen: list[Target] = []
    for platform in platforms:
        at = publish_at
        if at is None:
            taken = [*taken_slots(ledger_url, platform, account), *(booked or [])]
            at = next_slot(slots.for_account(account), now, taken)
            if booked is not None:
                booked.append(at)
        chosen.append(Target(platform=platform, account=account, at=at.astimezone(UTC)))
    return tuple(chosen)


def clip_manifest(clip_dir: Path) -> dict[str, Any]:
    """A finished clip folder's manifest.json."""
    path = clip_dir / "manifest.json"
    if not path.is_file():
        raise ManifestError(f"{path} not found", hint="Make the clip first")
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


def schedule_targets(clip_dir: Path, targets: tuple[Target, ...],
                     ledger_url: str | None = None) -> list[PublishRecord]:
    """Book every target of the clip in ``clip_dir`` in the publish ledger."""
    manifest = clip_manifest(clip_dir)
    product = manifest.get("product") or {}
    ids = {"tiktok": str(product.get("tiktok_product_id") or ""),
           "instagram": str(product.get("instagram_product_id") or "")}
    return [schedule_clip(clip_dir / "clip.mp4", clip_id=str(manifest["clip_id"]),
                          caption=str(manifest["caption_text"]), platform=t.platform,
                          account=t.account, at=t.at, product_ids=ids,
                          product_title=str(product.get("title") or manifest.get("sku") or ""),
                          ledger_url=ledger_url)
            for t in targets]


def decide(clip_id: str, approved: bool, note: str = "", *, ledger_url: str | None = None,
           review_url: str | None = None) -> tuple[ReviewRecord, list[PublishRecord]]:
    """Approve (and schedule its posts) or reject a clip held for review."""
    book = ReviewBook(review_url)
    try:
        record, _changed = book.decide(clip_id, approved, note)
    finally:
        book.close()
    if record.state != "approved":
        return record, []
    return record, schedule_targets(record.clip_dir, record.targets, ledger_url)

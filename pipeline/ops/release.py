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

from pipeline.core.errors import ManifestError
from pipeline.ops.review import ReviewBook, ReviewRecord, Target
from pipeline.ops.slots import SlotConfig, next_slot, variant_slot
from pipeline.products.links import manifest_caption, manifest_product_ids
from pipeline.publish import PublishRecord, schedule_clip
from pipeline.publish.ledger import Ledger

FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)


def booked_slots(ledger_url: str | None) -> list[tuple[str, str, str, datetime]]:
    """(clip_id, platform, account, time) of every unfinished, scheduled ledger row."""
    with Ledger(ledger_url) as ledger:
        return [(r.clip_id, r.platform, r.account, r.scheduled_at)
                for r in ledger.due(FAR_FUTURE) if r.scheduled_at]


Booking = tuple[str, str, str, datetime]
"""(clip_id, platform, account, time): a publish slot handed out."""


def targets_for(clip_id: str, platforms: tuple[str, ...], account: str,
                publish_at: datetime | None, slots: SlotConfig, *,
                ledger_url: str | None = None, now: datetime | None = None,
                booked: list[Booking] | None = None,
                first: tuple[Target, ...] = (), variant_index: int = 0) -> tuple[Target, ...]:
    """Where and when to post. Without ``publish_at`` a clip keeps the slot it already
    holds in the ledger (a re-run moves nothing), else takes the account's next free
    slot on that platform; ``booked`` carries slots handed out earlier in this run.
    Variant ``variant_index`` (1 for b) of a product whose first variant got the targets
    ``first`` keeps its held slot, else posts at that time of day that many posting days
    later (``slots.variant_slot``), whatever ``publish_at`` says."""
    now = now or datetime.now(UTC)
    known = [*booked_slots(ledger_url), *(booked or [])]
    anchors = {t.platform: t.at for t in first if t.account == account}
    chosen: list[Target] = []
    for platform in platforms:
        held = _held(known, clip_id, platform, account)
        taken = [t for _, p, a, t in known if (p, a) == (platform, account)]
        if variant_index and platform in anchors:
            at = held or variant_slot(slots.for_account(account), anchors[platform],
                                      variant_index, taken)
        else:
            at = publish_at or held or next_slot(slots.for_account(account), now, taken)
        known.append((clip_id, platform, account, at))
        if booked is not None:
            booked.append((clip_id, platform, account, at))
        chosen.append(Target(platform=platform, account=account, at=at.astimezone(UTC)))
    return tuple(chosen)


def _held(known: list[Booking], clip_id: str, platform: str, account: str) -> datetime | None:
    return next((t for c, p, a, t in known if (c, p, a) == (clip_id, platform, account)), None)


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
    ids = manifest_product_ids(manifest)
    return [schedule_clip(clip_dir / "clip.mp4", clip_id=str(manifest["clip_id"]),
                          caption=manifest_caption(manifest, t.platform), platform=t.platform,
                          account=t.account, at=t.at, product_ids=ids,
                          product_title=str(product.get("title") or manifest.get("sku") or ""),
                          ledger_url=ledger_url)
            for t in targets]


def decide(clip_id: str, approved: bool, note: str = "", *, ledger_url: str | None = None,
           review_url: str | None = None) -> tuple[ReviewRecord, list[PublishRecord]]:
    """Approve (and schedule its posts) or reject a clip held for review."""
    with ReviewBook(review_url) as book:
        record, _changed = book.decide(clip_id, approved, note)
    if record.state != "approved":
        return record, []
    return record, schedule_targets(record.clip_dir, record.targets, ledger_url)

"""Post metrics for ``clipcart stats``: read every published post's counters and store them.

For each (platform, account) with published posts in the ledger, the platform's metric
fetcher (``tiktok/metrics.py``, ``youtube_metrics.py``, ``instagram_metrics.py``,
``douyin_metrics.py``) reads
the counters through the same client, credentials, retry and error mapping publishing
uses: rate limits and 5xx are retried with backoff honouring Retry-After, an expired
TikTok token is refreshed once, a revoked one stops that account only. Every post read
becomes a ``MetricSnapshot`` in ``metric_store``; what could not be read is reported
as one line per problem, and the rest still counts.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import httpx
from pydantic import Field

from pipeline.core.errors import BadInput, PublishError
from pipeline.core.models import Frozen
from pipeline.publish.base import PublishRecord, target_for
from pipeline.publish.ledger import Ledger
from pipeline.publish.metric_store import MetricSnapshot, MetricStore, PostMetrics
from pipeline.publish.service import (
    Tuning,
    build_publisher,
    env_credentials,
    sandbox_credentials,
)

METRIC_SOURCE: dict[str, str] = {
    "tiktok": "tiktok",
    "tiktok-shop": "tiktok",
    "instagram": "instagram",
    "youtube": "youtube",
    "douyin": "douyin",
}
"""Which platform's metrics API counts a post of each publishing target."""

Post = tuple[PublishRecord, Path]
"""A published ledger row and the clip file it posted."""


class MetricsFetcher(Protocol):
    """Reads the counters of some of an account's posts."""

    def fetch(self, post_ids: Sequence[str]) -> dict[str, PostMetrics]:
        """Counters by post id; posts the platform does not know are left out."""
        ...


class StatsRun(Frozen):
    """What one ``clipcart stats`` run stored, and what it could not read."""

    snapshots: list[MetricSnapshot] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list, description="One line per failure.")


def clip_facts(video: Path) -> dict[str, str]:
    """sku, template and variant from the manifest beside the clip ('' where unknown)."""
    try:
        manifest = json.loads((video.parent / "manifest.json").read_text("utf-8"))
    except (OSError, ValueError):
        manifest = {}
    manifest = manifest if isinstance(manifest, dict) else {}
    return {key: str(manifest.get(key) or "") for key in ("sku", "template", "variant")}


def build_fetcher(
    source: str,
    account: str,
    sandbox_url: str | None,
    transport: httpx.BaseTransport | None,
    tuning: Tuning,
) -> tuple[MetricsFetcher, httpx.Client]:
    """The metric fetcher of ``source`` for ``account`` on its own client (caller closes)."""
    creds = (
        sandbox_credentials(sandbox_url, source, account, transport)
        if sandbox_url
        else env_credentials(source, account)
    )
    publisher, client = build_publisher(source, creds, account, sandbox_url, transport, tuning)
    return _wrap(source, publisher), client


def _wrap(source: str, publisher: Any) -> MetricsFetcher:
    if source == "tiktok":
        from pipeline.publish.tiktok.metrics import TikTokMetrics

        return TikTokMetrics(publisher)
    if source == "youtube":
        from pipeline.publish.youtube_metrics import YouTubeMetrics

        return YouTubeMetrics(publisher)
    if source == "douyin":
        from pipeline.publish.douyin_metrics import DouyinMetrics

        return DouyinMetrics(publisher)
    from pipeline.publish.instagram_metrics import InstagramMetrics

    return InstagramMetrics(publisher)


def group_posts(posts: list[Post]) -> dict[tuple[str, str], list[Post]]:
    """Published posts by (metrics source, account); targets without a metrics API left out."""
    groups: dict[tuple[str, str], list[Post]] = defaultdict(list)
    for record, video in posts:
        source = METRIC_SOURCE.get(record.platform)
        if source and record.post_id:
            groups[(source, record.account)].append((record, video))
    return dict(groups)


def snapshot(record: PublishRecord, video: Path, metrics: PostMetrics, taken_at: datetime
             ) -> MetricSnapshot:
    """The stored form of one post's counters."""
    return MetricSnapshot(
        clip_id=record.clip_id, platform=record.platform, account=record.account,
        post_id=record.post_id, taken_at=taken_at, views=metrics.views, likes=metrics.likes,
        comments=metrics.comments, shares=metrics.shares, **clip_facts(video),
    )


def read_group(
    source: str,
    account: str,
    posts: list[Post],
    *,
    sandbox_url: str | None,
    transport: httpx.BaseTransport | None,
    tuning: Tuning,
    taken_at: datetime,
) -> StatsRun:
    """Snapshots of one account's posts on one platform; a post not found is a problem line."""
    fetcher, client = build_fetcher(source, account, sandbox_url, transport, tuning)
    with client:
        found = fetcher.fetch([record.post_id for record, _ in posts])
    run = StatsRun()
    for record, video in posts:
        metrics = found.get(record.post_id)
        if metrics is None:
            run.problems.append(f"{record.platform} post {record.post_id} of clip "
                                f"{record.clip_id}: the platform returned no counters")
        else:
            run.snapshots.append(snapshot(record, video, metrics, taken_at))
    return run


def collect_stats(
    *,
    ledger_url: str | None = None,
    sandbox_url: str | None = None,
    transport: httpx.BaseTransport | None = None,
    tuning: Tuning | None = None,
    now: datetime | None = None,
) -> StatsRun:
    """Read and store the counters of every published post; see the module docstring.

    Raises the first BadInput (e.g. missing credentials) only when nothing could be read.
    """
    tuning = tuning or Tuning()
    taken_at = (now or datetime.now(UTC)).astimezone(UTC)
    target = target_for(sandbox_url)
    with Ledger(ledger_url) as ledger:
        # a sandbox's counters are asked of that sandbox, a real post's of the platform
        groups = group_posts([(record, video) for record, video in ledger.published()
                              if record.target == target])
    total, bad = StatsRun(), []
    for (source, account), posts in groups.items():
        try:
            run = read_group(source, account, posts, sandbox_url=sandbox_url,
                             transport=transport, tuning=tuning, taken_at=taken_at)
        except BadInput as err:
            bad.append(err)
            total.problems.append(f"{source} account {account}: {err.one_line()}")
            continue
        except PublishError as err:
            total.problems.append(f"{source} account {account}: {err.one_line()}")
            continue
        total.snapshots.extend(run.snapshots)
        total.problems.extend(run.problems)
    if bad and not total.snapshots:
        raise bad[0]
    with MetricStore(ledger_url) as store:
        store.add(total.snapshots)
    return total

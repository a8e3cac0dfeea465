"""Douyin post metrics: ``POST /video/data/?open_id=`` with ``{"item_ids": [...]}``
(scope ``video.data``), 20 ids per call.

The answer is Douyin's envelope; ``data.list[]`` holds one entry per video found, each
``{"item_id", "statistics": {"play_count", "digg_count", "comment_count", "share_count",
"forward_count", "download_count"}}``: views are plays, likes are diggs (点赞), shares
are ``share_count`` (reposts, ``forward_count``, are not shares). Calls go through the
publisher's own call, so an expired token is refreshed once and busy or rate-limited
answers are retried exactly as publishing does (``douyin.douyin_error``).

Unconfirmed (docs/platforms.md): the limit of 20 ids per call, and whether the newer
``/api/douyin/v1/video/video_data/`` path (same body and fields) replaces this one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pipeline.publish.base import as_int, with_retry
from pipeline.publish.douyin import DouyinPublisher
from pipeline.publish.metric_store import PostMetrics, in_pages

DATA_PATH = "/video/data/"
MAX_IDS = 20
"""item_ids per call (unconfirmed; kept to TikTok's figure)."""


class DouyinMetrics:
    """Reads play, like, comment and share counts of the account's Douyin videos."""

    platform = "douyin"

    def __init__(self, publisher: DouyinPublisher) -> None:
        self.publisher = publisher

    def fetch(self, post_ids: Sequence[str]) -> dict[str, PostMetrics]:
        """Counters of every item Douyin returns; items it does not return are left out."""
        return in_pages(post_ids, MAX_IDS, self._query)

    def _query(self, ids: list[str]) -> dict[str, PostMetrics]:
        body = json.dumps({"item_ids": ids}).encode()
        p = self.publisher
        data = with_retry(lambda: p._call(DATA_PATH, content=body,
                                          headers={"Content-Type": "application/json"}),
                          p.pacing, "Douyin video data")
        return douyin_metrics(data)


def douyin_metrics(data: dict[str, Any]) -> dict[str, PostMetrics]:
    """PostMetrics by item id from a ``/video/data/`` answer's ``data``."""
    items = data.get("list")
    found: dict[str, PostMetrics] = {}
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict) or not item.get("item_id"):
            continue
        stats = item.get("statistics")
        stats = stats if isinstance(stats, dict) else {}
        found[str(item["item_id"])] = PostMetrics(
            post_id=str(item["item_id"]), views=as_int(stats.get("play_count")),
            likes=_count(stats, "digg_count"), comments=_count(stats, "comment_count"),
            shares=_count(stats, "share_count"))
    return found


def _count(stats: dict[str, Any], key: str) -> int | None:
    """A counter, None when Douyin left it out (not the same as 0)."""
    return None if stats.get(key) is None else as_int(stats[key])

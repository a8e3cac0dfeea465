"""TikTok post metrics: ``POST /v2/video/query/`` (scope ``video.list``), 20 ids per call.

Calls go through the publisher's own API call, so an expired token is refreshed once
(and the rotated refresh token saved) and rate limits are retried exactly as publishing
does. TikTok Shop affiliate videos are TikTok videos of the creator, so their counters
are asked for here too with the creator's TikTok token (unverified against TikTok
Shop's documentation: the shop video id is assumed to be the TikTok video id).
"""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.publish.base import as_int, with_retry
from pipeline.publish.metric_store import PostMetrics, in_pages
from pipeline.publish.tiktok.client import TikTokPublisher

QUERY_PATH = "/v2/video/query/"
FIELDS = "id,view_count,like_count,comment_count,share_count"
MAX_IDS = 20
"""TikTok's limit of video ids per query."""


class TikTokMetrics:
    """Reads view, like, comment and share counts of the account's videos."""

    platform = "tiktok"

    def __init__(self, publisher: TikTokPublisher) -> None:
        self.publisher = publisher

    def fetch(self, post_ids: Sequence[str]) -> dict[str, PostMetrics]:
        """Counters of every id TikTok knows; ids it does not return are left out."""
        return in_pages(post_ids, MAX_IDS, self._query)

    def _query(self, ids: list[str]) -> dict[str, PostMetrics]:
        path = f"{QUERY_PATH}?fields={FIELDS}"
        body = {"filters": {"video_ids": ids}}
        data = with_retry(lambda: self.publisher._api(path, body), self.publisher.pacing,
                          "TikTok video query")
        videos = data.get("videos") if isinstance(data.get("videos"), list) else []
        return {str(v["id"]): tiktok_metrics(v) for v in videos or [] if isinstance(v, dict)
                and v.get("id") is not None}


def tiktok_metrics(video: dict[str, object]) -> PostMetrics:
    """One ``videos[]`` entry as PostMetrics."""
    return PostMetrics(post_id=str(video["id"]), views=as_int(video.get("view_count")),
                       likes=as_int(video.get("like_count")),
                       comments=as_int(video.get("comment_count")),
                       shares=as_int(video.get("share_count")))

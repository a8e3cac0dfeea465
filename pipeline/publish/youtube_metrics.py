"""YouTube post metrics: ``GET /youtube/v3/videos?part=statistics&id=...``, 50 ids per call.

Counters come back as strings; YouTube has no share count. Errors map as publishing
maps them (``youtube.youtube_error``): 401 stops the account, quota and 5xx retry.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from pipeline.publish.base import as_int, send, with_retry
from pipeline.publish.metric_store import PostMetrics, in_pages
from pipeline.publish.youtube import YouTubePublisher, youtube_error

VIDEOS_PATH = "/youtube/v3/videos"
MAX_IDS = 50
"""videos.list's limit of ids per call."""


class YouTubeMetrics:
    """Reads view, like and comment counts of the account's videos."""

    platform = "youtube"

    def __init__(self, publisher: YouTubePublisher) -> None:
        self.publisher = publisher

    def fetch(self, post_ids: Sequence[str]) -> dict[str, PostMetrics]:
        return in_pages(post_ids, MAX_IDS, self._query)

    def _query(self, ids: list[str]) -> dict[str, PostMetrics]:
        answer = with_retry(partial(self._list, ids), self.publisher.pacing,
                            "YouTube videos.list")
        return {str(item["id"]): youtube_metrics(item) for item in answer.get("items") or []
                if isinstance(item, dict) and item.get("id")}

    def _list(self, ids: list[str]) -> dict[str, Any]:
        p = self.publisher
        response = send(p.client, p.redact, "GET", VIDEOS_PATH,
                        params={"part": "statistics", "id": ",".join(ids)},
                        headers={"Authorization": f"Bearer {p.creds.access_token}"})
        if response.status_code == 200:
            body = response.json()
            if isinstance(body, dict):
                return body
        raise youtube_error(response, p.redact)


def youtube_metrics(item: dict[str, Any]) -> PostMetrics:
    """One ``items[]`` video resource as PostMetrics."""
    stats = item.get("statistics") if isinstance(item.get("statistics"), dict) else {}
    assert isinstance(stats, dict)
    return PostMetrics(post_id=str(item["id"]), views=as_int(stats.get("viewCount")),
                       likes=as_int(stats.get("likeCount")),
                       comments=as_int(stats.get("commentCount")), shares=None)

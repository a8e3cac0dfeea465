"""Instagram post metrics: ``GET /{media-id}/insights?metric=views,likes,comments,shares``.

One call per media (the Graph API has no batch form for insights here). Errors map as
publishing maps them (``instagram.graph_error``): 190 stops the account, 4/17/32/613
retry after a pause. A media the platform no longer knows is left out, not fatal.
Values come as ``values[0].value`` or, in newer answers, ``total_value.value``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from pipeline.core.errors import PermanentPublishError
from pipeline.publish.base import as_int, with_retry
from pipeline.publish.instagram import InstagramPublisher
from pipeline.publish.metric_store import PostMetrics

METRICS = "views,likes,comments,shares"


class InstagramMetrics:
    """Reads view, like, comment and share counts of the account's Reels."""

    platform = "instagram"

    def __init__(self, publisher: InstagramPublisher) -> None:
        self.publisher = publisher

    def fetch(self, post_ids: Sequence[str]) -> dict[str, PostMetrics]:
        found: dict[str, PostMetrics] = {}
        for media in post_ids:
            if media.startswith("container:"):
                continue  # published, but its media id was never learnt
            try:
                answer = with_retry(partial(self._insights, media),
                                    self.publisher.pacing, "Instagram insights")
            except PermanentPublishError:
                continue
            found[media] = instagram_metrics(media, answer)
        return found

    def _insights(self, media: str) -> dict[str, Any]:
        return self.publisher._call("GET", f"/{media}/insights", params={"metric": METRICS})


def instagram_metrics(media: str, answer: dict[str, Any]) -> PostMetrics:
    """An insights answer as PostMetrics."""
    values = {str(m.get("name")): _value(m) for m in answer.get("data") or []
              if isinstance(m, dict)}
    return PostMetrics(post_id=media, views=values.get("views") or 0,
                       likes=values.get("likes"), comments=values.get("comments"),
                       shares=values.get("shares"))


def _value(metric: dict[str, Any]) -> int:
    total = metric.get("total_value")
    if isinstance(total, dict):
        return as_int(total.get("value"))
    rows = metric.get("values") or [{}]
    return as_int(rows[0].get("value") if isinstance(rows[0], dict) else 0)

"""Sandbox routes for post metrics: TikTok video query, YouTube videos.list statistics,
Instagram media insights and Douyin video data (docs/platforms.md, "Post metrics").

Counters are deterministic: a function of the server's seed, the post id and the post's
age, growing towards a ceiling like a real post's (fast on the first day, then slower).
``SandboxConfig.metrics_hour_s`` sets how many real seconds count as an hour of growth,
so a demo can watch a day pass in a minute.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from pipeline.publish.douyin_metrics import DATA_PATH as DOUYIN_DATA_PATH
from pipeline.publish.douyin_metrics import MAX_IDS as DOUYIN_MAX_IDS
from sandbox import douyin, instagram
from sandbox.state import Post, SandboxState, bearer
from sandbox.tiktok import tt
from sandbox.youtube import yt_error

TIKTOK_FIELDS = {
    "view_count": "views",
    "like_count": "likes",
    "comment_count": "comments",
    "share_count": "shares",
}
"""TikTok video query field → counter name."""
INSTAGRAM_METRICS = ("views", "likes", "comments", "shares", "saved", "reach")
TIKTOK_MAX_IDS = 20
"""TikTok's video query takes at most 20 ids per call."""
GROWTH_HOURS = 24.0
"""Time constant of a post's growth, in metric hours."""


@dataclass(frozen=True)
class Counters:
    """A post's counters at one moment."""

    views: int
    likes: int
    comments: int
    shares: int
    saved: int
    reach: int


def counters(seed: int, post_id: str, age_hours: float) -> Counters:
    """The post's counters ``age_hours`` after it went live: seeded, growing, never shrinking."""
    digest = hashlib.sha256(f"{seed}|{post_id}".encode()).digest()
    ceiling = 2_000 + int.from_bytes(digest[0:3], "big") % 40_000
    first = 20 + digest[3] % 200
    views = first + int(ceiling * (1.0 - math.exp(-max(0.0, age_hours) / GROWTH_HOURS)))
    return Counters(
        views=views,
        likes=views * (30 + digest[4] % 90) // 1000,
        comments=views * (2 + digest[5] % 8) // 1000,
        shares=views * (1 + digest[6] % 6) // 1000,
        saved=views * (1 + digest[7] % 10) // 1000,
        reach=views * (70 + digest[8] % 25) // 100,
    )


def post_counters(state: SandboxState, post: Post, now: float | None = None) -> Counters:
    """``post``'s counters now, on this sandbox's clock and seed."""
    age_s = (time.time() if now is None else now) - post.posted_at
    return counters(state.config.seed, post.post_id, age_s / state.config.metrics_hour_s)


def find_post(state: SandboxState, platforms: tuple[str, ...], account: str, post_id: str
              ) -> Post | None:
    """The account's post with ``post_id`` on one of ``platforms``."""
    for post in state.posts:
        if post.post_id == post_id and post.platform in platforms and post.account == account:
            return post
    return None


def add_routes(app: FastAPI, state: SandboxState) -> None:
    _add_tiktok(app, state)
    _add_youtube(app, state)
    _add_instagram(app, state)
    _add_douyin(app, state)


def _add_tiktok(app: FastAPI, state: SandboxState) -> None:
    @app.post("/v2/video/query/")
    async def video_query(request: Request) -> JSONResponse:
        token = bearer(request)
        account = state.account_of("tiktok", token)
        if account is None:
            return tt(code="access_token_invalid", status=401, message="bad token")
        if not state.allow(token, "tiktok.video_query"):
            retry = {"Retry-After": f"{state.config.retry_after_s:g}"}
            return tt(code="rate_limit_exceeded", status=429, headers=retry)
        try:
            body = await request.json()
            ids = [str(i) for i in body["filters"]["video_ids"]]
        except (ValueError, KeyError, TypeError):
            return tt(code="invalid_params", status=400, message="filters.video_ids required")
        fields = [f for f in request.query_params.get("fields", "").split(",") if f]
        if not ids or len(ids) > TIKTOK_MAX_IDS:
            return tt(code="invalid_params", status=400, message="1 to 20 video_ids")
        videos = [_tiktok_video(state, account, i, fields) for i in ids]
        found = [v for v in videos if v is not None]
        return tt({"videos": found, "cursor": 0, "has_more": False})


def _tiktok_video(state: SandboxState, account: str, video_id: str, fields: list[str]
                  ) -> dict[str, Any] | None:
    post = find_post(state, ("tiktok", "tiktok-shop"), account, video_id)
    if post is None:
        return None
    values = post_counters(state, post)
    video: dict[str, Any] = {"id": video_id}
    for name in fields:
        if name in TIKTOK_FIELDS:
            video[name] = getattr(values, TIKTOK_FIELDS[name])
    return video


def _add_youtube(app: FastAPI, state: SandboxState) -> None:
    @app.get("/youtube/v3/videos")
    async def videos(request: Request) -> JSONResponse:
        account = state.account_of("youtube", bearer(request))
        if account is None:
            return yt_error(401, "authError", "Invalid Credentials")
        if "statistics" not in request.query_params.get("part", "").split(","):
            return yt_error(400, "invalidPart", "part must include statistics")
        ids = [i for i in request.query_params.get("id", "").split(",") if i]
        items = []
        for video_id in ids[:50]:
            post = find_post(state, ("youtube",), account, video_id)
            if post is not None:
                items.append({"kind": "youtube#video", "id": video_id,
                              "statistics": _youtube_statistics(post_counters(state, post))})
        return JSONResponse({"kind": "youtube#videoListResponse", "items": items,
                             "pageInfo": {"totalResults": len(items),
                                          "resultsPerPage": len(items)}})


def _youtube_statistics(values: Counters) -> dict[str, str]:
    """YouTube sends counters as strings; there is no share count."""
    return {"viewCount": str(values.views), "likeCount": str(values.likes),
            "favoriteCount": "0", "commentCount": str(values.comments)}


def _add_instagram(app: FastAPI, state: SandboxState) -> None:
    @app.get("/v25.0/{media_id}/insights")
    async def insights(media_id: str, request: Request) -> JSONResponse:
        account, refusal = instagram._gate(state, request, None)
        if refusal is not None:
            return refusal
        post = find_post(state, ("instagram",), account, media_id)
        if post is None:
            return instagram.graph_error(100, f"Unsupported get request: media {media_id}")
        wanted = [m for m in request.query_params.get("metric", "").split(",") if m]
        unknown = [m for m in wanted if m not in INSTAGRAM_METRICS]
        if not wanted or unknown:
            return instagram.graph_error(100, f"metric must be among {INSTAGRAM_METRICS}")
        values = post_counters(state, post)
        data = [{"name": name, "period": "lifetime", "values": [{"value": getattr(values, name)}],
                 "title": name.title(), "id": f"{media_id}/insights/{name}/lifetime"}
                for name in wanted]
        return JSONResponse({"data": data})


def _add_douyin(app: FastAPI, state: SandboxState) -> None:
    @app.post(DOUYIN_DATA_PATH)
    async def video_data(request: Request) -> JSONResponse:
        account, refusal = douyin._gate(state, request)
        if refusal is not None:
            return refusal
        try:
            body = await request.json()
            ids = [str(i) for i in body["item_ids"]]
        except (ValueError, KeyError, TypeError):
            return douyin.dy(code=douyin.PARAM_ERROR, description="item_ids required")
        if not ids or len(ids) > DOUYIN_MAX_IDS:
            return douyin.dy(code=douyin.PARAM_ERROR, description="1 to 20 item_ids")
        found = [(i, find_post(state, ("douyin",), account, i)) for i in ids]
        return douyin.dy({"list": [{"item_id": i, "statistics": _douyin_statistics(
            post_counters(state, post))} for i, post in found if post is not None]})


def _douyin_statistics(values: Counters) -> dict[str, int]:
    """Douyin's names: plays, diggs (likes), comments, shares; reposts and downloads too."""
    return {"play_count": values.views, "digg_count": values.likes,
            "comment_count": values.comments, "share_count": values.shares,
            "forward_count": values.shares // 2, "download_count": values.saved}

"""Sandbox routes for TikTok Content Posting v2 and the TikTok Shop affiliate video adapter."""

from __future__ import annotations

import hashlib
import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from pipeline.publish.platforms import caption_problem, shop_anchor_problem
from pipeline.publish.tiktok.client import ChunkPlan, check_chunk_plan
from pipeline.publish.tiktok_shop import shop_sign
from sandbox.state import SandboxState, bearer

PRIVACY = ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY"]
SHOP_DIRECT_MAX = 10 * 1024 * 1024


def tt(
    data: dict[str, Any] | None = None,
    code: str = "ok",
    status: int = 200,
    message: str = "",
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A TikTok envelope answer."""
    error = {"code": code, "message": message, "log_id": "sbx-log"}
    return JSONResponse({"data": data or {}, "error": error}, status_code=status, headers=headers)


def add_routes(app: FastAPI, state: SandboxState) -> None:
    _add_oauth(app, state)
    _add_posting(app, state)
    _add_upload(app, state)
    _add_shop(app, state)


def _gate(state: SandboxState, request: Request, bucket: str) -> tuple[str, JSONResponse | None]:
    """(account, refusal): checks the token and the token's rate limit."""
    token = bearer(request)
    account = state.account_of("tiktok", token)
    if account is None:
        return "", tt(code="access_token_invalid", status=401, message="bad token")
    if not state.allow(token, bucket):
        retry = {"Retry-After": f"{state.config.retry_after_s:g}"}
        return "", tt(code="rate_limit_exceeded", status=429, headers=retry)
    if account in state.config.blocked_accounts or _over_cap(state, account, bucket):
        return "", tt(code="spam_risk_too_many_posts", status=200)
    return account, None


def _over_cap(state: SandboxState, account: str, bucket: str) -> bool:
    """TikTok's ~15 posts per creator per day, checked where clients ask creator_info."""
    if bucket != "tiktok.creator_info":
        return False
    posted = sum(1 for p in state.posts if p.platform == "tiktok" and p.account == account)
    return posted >= state.config.tiktok_daily_cap


def _add_oauth(app: FastAPI, state: SandboxState) -> None:
    @app.post("/v2/oauth/token/")
    async def token(request: Request) -> JSONResponse:
        form = await request.form()
        secret = f"{state.config.secret}-client-secret"
        refresh = str(form.get("refresh_token", ""))
        account = state.refresh_tokens.pop(refresh, None)
        if form.get("client_secret") != secret or form.get("grant_type") != "refresh_token":
            return JSONResponse({"error": "invalid_client", "error_description": "bad client"}, 401)
        if account is None:
            return JSONResponse({"error": "invalid_grant", "error_description": "bad refresh"}, 400)
        access = f"sbx-tiktok-r{state.next_id('')}"
        state.tokens[access] = ("tiktok", account)
        rotated = f"sbx-refresh-r{state.next_id('')}"
        state.refresh_tokens[rotated] = account
        return JSONResponse(
            {
                "access_token": access,
                "expires_in": 86400,
                "open_id": f"open-{account}",
                "refresh_token": rotated,
                "refresh_expires_in": 31536000,
                "scope": "video.publish,video.upload",
                "token_type": "Bearer",
            }
        )


def _add_posting(app: FastAPI, state: SandboxState) -> None:
    @app.post("/v2/post/publish/creator_info/query/")
    async def creator_info(request: Request) -> JSONResponse:
        account, refusal = _gate(state, request, "tiktok.creator_info")
        if refusal:
            return refusal
        return tt(
            {
                "creator_username": account,
                "creator_nickname": account.title(),
                "creator_avatar_url": "https://example.invalid/a.png",
                "privacy_level_options": PRIVACY,
                "comment_disabled": False,
                "duet_disabled": False,
                "stitch_disabled": False,
                "max_video_post_duration_sec": 600,
            }
        )

    async def init(request: Request, mode: str) -> JSONResponse:
        account, refusal = _gate(state, request, "tiktok.init")
        if refusal:
            return refusal
        body = await request.json()
        problem = _init_problem(state, body, mode)
        if problem:
            return tt(code="invalid_param", status=400, message=problem)
        source = body["source_info"]
        publish_id = state.next_id("v_pub_file~v2-1.")
        state.uploads[publish_id] = {
            "kind": "tiktok",
            "mode": mode,
            "account": account,
            "received": bytearray(),
            "title": body.get("post_info", {}).get("title", ""),
            "done_at": 0.0,
            "plan": ChunkPlan(
                video_size=source["video_size"],
                chunk_size=source["chunk_size"],
                total_chunk_count=source["total_chunk_count"],
            ),
            "post_id": str(7_000_000_000_000_000_000 + state.counter),
            "expires": time.time() + 3600,
        }
        upload_url = f"{str(request.base_url).rstrip('/')}/upload/tiktok/{publish_id}"
        return tt({"publish_id": publish_id, "upload_url": upload_url})

    @app.post("/v2/post/publish/video/init/")
    async def direct_init(request: Request) -> JSONResponse:
        return await init(request, "direct")

    @app.post("/v2/post/publish/inbox/video/init/")
    async def inbox_init(request: Request) -> JSONResponse:
        return await init(request, "inbox")

    @app.post("/v2/post/publish/status/fetch/")
    async def status(request: Request) -> JSONResponse:
        account, refusal = _gate(state, request, "tiktok.status")
        if refusal:
            return refusal
        upload = state.uploads.get(str((await request.json()).get("publish_id", "")))
        if not upload or upload["kind"] != "tiktok" or upload["account"] != account:
            return tt(code="invalid_param", status=400, message="unknown publish_id")
        return tt(_status_data(state, upload))


def _status_data(state: SandboxState, upload: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {"uploaded_bytes": len(upload["received"])}
    done_at = upload["done_at"]
    if not done_at or time.monotonic() < done_at + state.config.processing_s:
        data["status"] = "PROCESSING_UPLOAD"
    elif upload["mode"] == "inbox":
        data["status"] = "SEND_TO_USER_INBOX"
    else:
        data.update(status="PUBLISH_COMPLETE", publicaly_available_post_id=[int(upload["post_id"])])
    return data


def _init_problem(state: SandboxState, body: dict[str, Any], mode: str) -> str:
    source = body.get("source_info") or {}
    if source.get("source") != "FILE_UPLOAD":
        return "sandbox supports source FILE_UPLOAD only"
    try:
        plan = ChunkPlan(
            video_size=source["video_size"],
            chunk_size=source["chunk_size"],
            total_chunk_count=source["total_chunk_count"],
        )
    except (KeyError, ValueError):
        return "source_info needs video_size, chunk_size, total_chunk_count"
    if mode == "direct":
        post = body.get("post_info") or {}
        if post.get("privacy_level") not in PRIVACY:
            return "privacy_level must be one of creator_info's options"
        if caption_problem(str(post.get("title", "")), "tiktok"):
            return "title longer than 2200 UTF-16 units"
    return check_chunk_plan(plan, state.config.chunk_rule)


def _add_upload(app: FastAPI, state: SandboxState) -> None:
    @app.put("/upload/tiktok/{publish_id}")
    async def put_chunk(publish_id: str, request: Request) -> Response:
        upload = state.uploads.get(publish_id)
        if not upload or upload["kind"] != "tiktok":
            return Response(status_code=404)
        if time.time() > upload["expires"]:
            return Response(status_code=403)
        body = await request.body()
        status = _chunk_status(upload, request, body)
        if status in (201, 206):
            upload["received"].extend(body)
        if status == 201:
            upload["done_at"] = time.monotonic()
            state.add_post(
                "tiktok",
                upload["account"],
                upload["post_id"],
                upload["title"],
                bytes(upload["received"]),
            )
        return Response(status_code=status)


def _chunk_status(upload: dict[str, Any], request: Request, body: bytes) -> int:
    """201 last chunk, 206 more to come, 400 bad headers, 416 out of step."""
    plan: ChunkPlan = upload["plan"]
    if "authorization" in request.headers or request.headers.get("content-type") != "video/mp4":
        return 400
    try:
        unit, _, spec = request.headers["content-range"].partition(" ")
        span, _, total = spec.partition("/")
        first, last = (int(x) for x in span.split("-"))
    except (KeyError, ValueError):
        return 400
    if unit != "bytes" or int(total) != plan.video_size or len(body) != last - first + 1:
        return 400
    received = len(upload["received"])
    if upload["done_at"] or first != received:
        return 416
    if (first, last) not in plan.ranges():
        return 400
    return 201 if last + 1 == plan.video_size else 206


# -- TikTok Shop (adapter for an unverified contract) -------------------------------
def shop(
    data: dict[str, Any] | None = None, code: int = 0, message: str = "Success", status: int = 200
) -> JSONResponse:
    body = {"code": code, "message": message, "request_id": "sbx-req", "data": data or {}}
    return JSONResponse(body, status_code=status)


async def _shop_gate(
    state: SandboxState, request: Request, body: bytes, bucket: str
) -> tuple[str, JSONResponse | None]:
    token = request.headers.get("x-tts-access-token", "")
    account = state.account_of("tiktok-shop", token)
    params = dict(request.query_params)
    secret = f"{state.config.secret}-app-secret"
    multipart = request.headers.get("content-type", "").startswith("multipart/form-data")
    expected = shop_sign(secret, request.url.path, params, b"" if multipart else body)
    if account is None or params.get("app_key") != "sbx-app-key":
        return "", shop(code=105002, message="invalid access token or app key", status=401)
    if params.get("sign") != expected or abs(time.time() - int(params.get("timestamp", 0))) > 300:
        return "", shop(code=106001, message="invalid signature or timestamp", status=401)
    if not state.allow(token, bucket):
        return "", shop(code=36009002, message="rate limited", status=429)
    if account in state.config.blocked_accounts:
        return "", shop(code=170001030, message="creator banned")
    return account, None


def _add_shop(app: FastAPI, state: SandboxState) -> None:
    @app.post("/affiliate_creator/202505/videos/video_files")
    async def upload(request: Request) -> JSONResponse:
        account, refusal = await _shop_gate(state, request, b"", "shop.upload")
        if refusal:
            return refusal
        form = await request.form()
        part = form.get("data")
        if part is None or isinstance(part, str):
            return shop(code=12052048, message="multipart field 'data' missing", status=400)
        data = await part.read()
        if len(data) > SHOP_DIRECT_MAX:
            return shop(code=12052049, message="file over 10 MB", status=400)
        file_id = state.next_id("vf")
        md5 = hashlib.md5(data).hexdigest()
        state.uploads[file_id] = {"kind": "shop-file", "account": account, "data": data}
        return shop({"video_file": {"id": file_id, "md5": md5}})

    @app.post("/affiliate_creator/202603/videos")
    async def post_video(request: Request) -> JSONResponse:
        raw = await request.body()
        account, refusal = await _shop_gate(state, request, raw, "shop.post")
        if refusal:
            return refusal
        return _shop_post(state, account, await request.json())

    @app.get("/affiliate_creator/202509/videos/{video_id}/status")
    async def status(video_id: str, request: Request) -> JSONResponse:
        account, refusal = await _shop_gate(state, request, b"", "shop.status")
        if refusal:
            return refusal
        video = state.uploads.get(video_id)
        if not video or video["kind"] != "shop-video" or video["account"] != account:
            return shop(code=16011404, message="unknown video", status=404)
        ready = time.monotonic() >= video["created"] + state.config.processing_s
        return shop(
            {
                "post_status": "SUCCESS" if ready else "PROCESSING",
                "post_time": int(time.time()) if ready else 0,
            }
        )


def _shop_post(state: SandboxState, account: str, body: dict[str, Any]) -> JSONResponse:
    info, link = body.get("video_info") or {}, body.get("product_link_info") or {}
    file = state.uploads.get(str(info.get("file_id", "")))
    if not file or file["kind"] != "shop-file" or file["account"] != account:
        return shop(code=16011001, message="unknown file_id", status=400)
    problem = shop_anchor_problem(str(link.get("title", "")))
    if problem:
        code = 16011007 if "long" in problem else 16011069
        return shop(code=code, message=problem, status=400)
    if not link.get("product_id"):
        return shop(code=16011002, message="product_id required", status=400)
    if "video_id" in file:  # a file posts once; a repeated call returns the same video
        return shop({"video": {"id": file["video_id"]}})
    video_id = state.next_id("73")
    file["video_id"] = video_id
    state.uploads[video_id] = {
        "kind": "shop-video",
        "account": account,
        "created": time.monotonic(),
    }
    state.add_post(
        "tiktok-shop",
        account,
        video_id,
        str(info.get("title", "")),
        file["data"],
        str(link["product_id"]),
    )
    return shop({"video": {"id": video_id}})

"""Sandbox routes for the Douyin Open Platform (upload, part upload, create, token refresh).

Answers are Douyin's envelope ``{"data": {"error_code", "description", ...}, "extra":
{...}}`` with HTTP 200, errors included. Choices the docs leave open (marked in
docs/platforms.md) and the sandbox makes: a part sent twice replaces the earlier one; a
``video_id`` posts once and asking /video/create/ again with it answers the same item_id.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile

from pipeline.publish.douyin import (
    CREATE_PATH,
    PART_COMPLETE_PATH,
    PART_INIT_PATH,
    PART_UPLOAD_PATH,
    REFRESH_PATH,
    UPLOAD_PATH,
)
from pipeline.publish.platforms import caption_problem
from sandbox.state import SandboxState, douyin_open_id

PARAM_ERROR = 2100005
TOKEN_INVALID = 2190002
TOKEN_EXPIRED = 2190008
USER_BANNED = 2100009
RATE_LIMITED = 28003018
REFRESH_EXPIRED = 10010


def dy(data: dict[str, Any] | None = None, code: int = 0, description: str = "") -> JSONResponse:
    """A Douyin answer: ``data`` with ``error_code``/``description``, and ``extra``."""
    body = {"error_code": code, "description": description, **(data or {})}
    extra = {"error_code": code, "description": description, "sub_error_code": 0,
             "sub_description": "", "logid": "sbx", "now": int(time.time() * 1000)}
    return JSONResponse({"data": body, "extra": extra})


def _gate(state: SandboxState, request: Request) -> tuple[str, JSONResponse | None]:
    """The account behind the access-token header and open_id, or Douyin's refusal."""
    token = request.headers.get("access-token", "")
    account = state.account_of("douyin", token)
    if account is None:
        return "", dy(code=TOKEN_INVALID, description="access_token无效")
    if token in state.expired:
        return "", dy(code=TOKEN_EXPIRED, description="access_token过期,请刷新或重新授权")
    if request.query_params.get("open_id") != douyin_open_id(account):
        return "", dy(code=28001015, description="access_token和open_id不匹配")
    if not state.allow(token, "douyin.api"):
        return "", dy(code=RATE_LIMITED, description="请求频率过高")
    if account in state.config.blocked_accounts:
        return "", dy(code=USER_BANNED, description="用户被禁封使用该操作")
    return account, None


async def _video_field(request: Request) -> bytes | None:
    """The bytes of multipart field ``video`` (None when absent)."""
    form = await request.form()
    field = form.get("video")
    return await field.read() if isinstance(field, UploadFile) else None


def add_routes(app: FastAPI, state: SandboxState) -> None:
    _add_upload(app, state)
    _add_parts(app, state)
    _add_create(app, state)
    _add_refresh(app, state)


def _new_video(state: SandboxState, account: str, data: bytes) -> JSONResponse:
    video_id = state.next_id("v0200sbx")
    state.uploads[video_id] = {"kind": "dy-video", "account": account, "data": data}
    return dy({"video": {"video_id": video_id, "width": 1080, "height": 1920}})


def _add_upload(app: FastAPI, state: SandboxState) -> None:
    @app.post(UPLOAD_PATH)
    async def upload(request: Request) -> JSONResponse:
        account, refusal = _gate(state, request)
        if refusal:
            return refusal
        data = await _video_field(request)
        if not data:
            return dy(code=PARAM_ERROR, description="multipart field 'video' missing")
        if len(data) > state.config.douyin_single_max:
            return dy(code=PARAM_ERROR, description="over 128 MB: use part upload")
        return _new_video(state, account, data)


def _add_parts(app: FastAPI, state: SandboxState) -> None:
    @app.post(PART_INIT_PATH)
    async def init(request: Request) -> JSONResponse:
        account, refusal = _gate(state, request)
        if refusal:
            return refusal
        upload_id = state.next_id("dy-up-")
        state.uploads[upload_id] = {"kind": "dy-parts", "account": account, "parts": {}}
        return dy({"upload_id": upload_id})

    @app.post(PART_UPLOAD_PATH)
    async def part(request: Request) -> JSONResponse:
        account, refusal = _gate(state, request)
        if refusal:
            return refusal
        session = _session(state, account, request.query_params.get("upload_id", ""))
        number = request.query_params.get("part_number", "")
        data = await _video_field(request)
        if session is None:
            return dy(code=PARAM_ERROR, description="upload_id unknown or expired")
        if not number.isdigit() or int(number) < 1 or not data:
            return dy(code=PARAM_ERROR, description="part_number (from 1) and video required")
        session["parts"][int(number)] = data
        return dy()

    @app.post(PART_COMPLETE_PATH)
    async def complete(request: Request) -> JSONResponse:
        account, refusal = _gate(state, request)
        if refusal:
            return refusal
        upload_id = request.query_params.get("upload_id", "")
        session = _session(state, account, upload_id)
        if session is None:
            return dy(code=PARAM_ERROR, description="upload_id unknown or expired")
        problem = _parts_problem(session["parts"], state.config.douyin_min_part)
        if problem:
            return dy(code=PARAM_ERROR, description=problem)
        parts: dict[int, bytes] = session["parts"]
        del state.uploads[upload_id]
        return _new_video(state, account, b"".join(parts[n] for n in sorted(parts)))


def _session(state: SandboxState, account: str, upload_id: str) -> dict[str, Any] | None:
    session = state.uploads.get(upload_id)
    ok = session is not None and session["kind"] == "dy-parts" and session["account"] == account
    return session if ok else None


def _parts_problem(parts: dict[int, bytes], min_part: int) -> str:
    """Why the parts do not make one file: gaps, or a part but the last under the minimum."""
    if not parts or sorted(parts) != list(range(1, len(parts) + 1)):
        return f"parts must be numbered 1..N without gaps (got {sorted(parts)})"
    small = [n for n in sorted(parts)[:-1] if len(parts[n]) < min_part]
    return f"part {small[0]} is under {min_part} bytes" if small else ""


def _add_create(app: FastAPI, state: SandboxState) -> None:
    @app.post(CREATE_PATH)
    async def create(request: Request) -> JSONResponse:
        account, refusal = _gate(state, request)
        if refusal:
            return refusal
        try:
            body = await request.json()
        except ValueError:
            return dy(code=PARAM_ERROR, description="JSON body required")
        video = state.uploads.get(str(body.get("video_id", "")))
        if not video or video["kind"] != "dy-video" or video["account"] != account:
            return dy(code=PARAM_ERROR, description="video_id unknown")
        if "item_id" in video:  # a video_id posts once; asking again names the same item
            return dy({"item_id": video["item_id"]})
        problem = _create_problem(body)
        if problem:
            return dy(code=PARAM_ERROR, description=problem)
        video["item_id"] = f"@sbx{hashlib.sha256(state.next_id('i').encode()).hexdigest()[:20]}"
        state.add_post("douyin", account, video["item_id"], str(body.get("text", "")),
                       video["data"], str(body.get("micro_app_url", "")))
        return dy({"item_id": video["item_id"]})


def _create_problem(body: dict[str, Any]) -> str:
    """Why a /video/create/ body is refused ('' when it is not)."""
    text = str(body.get("text", ""))
    problem = caption_problem(text, "douyin")
    if problem:
        return f"text: {problem}"
    app_fields = [body.get(k) for k in ("micro_app_id", "micro_app_title", "micro_app_url")]
    if any(app_fields) and not all(app_fields):
        return "micro_app_id, micro_app_title and micro_app_url go together"
    if any(app_fields) and body.get("poi_id"):
        return "one anchor per video: a mini-program or a POI, not both"
    return ""


def _add_refresh(app: FastAPI, state: SandboxState) -> None:
    @app.post(REFRESH_PATH)
    async def refresh(request: Request) -> JSONResponse:
        form = await request.form()
        token = str(form.get("refresh_token", ""))
        account = state.refresh_tokens.get(token)
        if form.get("grant_type") != "refresh_token" or not form.get("client_key"):
            return dy(code=10005, description="missing client_key or grant_type")
        if account is None:
            return dy(code=REFRESH_EXPIRED, description="refresh_token过期")
        fresh = f"sbx-douyin-r{state.next_id('')}"
        state.tokens[fresh] = ("douyin", account)
        return dy({"access_token": fresh, "expires_in": 1296000, "refresh_token": token,
                   "refresh_expires_in": 2592000, "open_id": douyin_open_id(account),
                   "scope": "video.create"})

"""Sandbox routes for Instagram Reels (Graph API v25.0, resumable upload, product tags)."""

from __future__ import annotations

import json
import re
import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from sandbox.state import SandboxState, bearer

QUOTA_TOTAL = 100
QUOTA_DURATION = 86400


def graph_error(code: int, message: str, status: int = 400, subcode: int = 0) -> JSONResponse:
    error = {
        "message": message,
        "type": "OAuthException" if code == 190 else "GraphMethodException",
        "code": code,
        "error_subcode": subcode,
        "is_transient": False,
        "fbtrace_id": "sbx",
    }
    return JSONResponse({"error": error}, status_code=status)


def _token(request: Request) -> str:
    return (
        bearer(request, "OAuth") or bearer(request) or request.query_params.get("access_token", "")
    )


def _gate(
    state: SandboxState, request: Request, ig_user: str | None
) -> tuple[str, JSONResponse | None]:
    token = _token(request)
    account = state.account_of("instagram", token)
    if account is None:
        return "", graph_error(190, "Invalid OAuth access token.", 401)
    if ig_user is not None and state.credentials(account)["instagram"]["ig_user_id"] != ig_user:
        return "", graph_error(100, "Unsupported request: unknown IG user for this token")
    if not state.allow(token, "instagram.api"):
        return "", graph_error(4, "Application request limit reached", 400)
    if account in state.config.blocked_accounts:
        return "", graph_error(190, "The user has not authorized application.", 401)
    return account, None


def add_routes(app: FastAPI, state: SandboxState) -> None:
    _add_graph(app, state)
    _add_rupload(app, state)


def _add_graph(app: FastAPI, state: SandboxState) -> None:
    @app.get("/v25.0/{ig_user}/content_publishing_limit")
    async def limit(ig_user: str, request: Request) -> JSONResponse:
        account, refusal = _gate(state, request, ig_user)
        if refusal:
            return refusal
        day_ago = time.monotonic() - QUOTA_DURATION
        used = sum(
            1
            for c in state.uploads.values()
            if c["kind"] == "ig"
            and c["account"] == account
            and c.get("published_at", -1e18) > day_ago
        )
        config = {"quota_total": QUOTA_TOTAL, "quota_duration": QUOTA_DURATION}
        return JSONResponse({"data": [{"quota_usage": used, "config": config}]})

    @app.post("/v25.0/{ig_user}/media")
    async def create(ig_user: str, request: Request) -> JSONResponse:
        account, refusal = _gate(state, request, ig_user)
        if refusal:
            return refusal
        params = dict(request.query_params)
        problem, product_id = _container_problem(params)
        if problem:
            return graph_error(100, problem, subcode=2207010 if "caption" in problem else 0)
        container = state.next_id("1790")
        state.uploads[container] = {
            "kind": "ig",
            "account": account,
            "caption": params["caption"],
            "product_id": product_id,
            "data": None,
            "done_at": 0.0,
        }
        uri = f"{str(request.base_url).rstrip('/')}/ig-api-upload/v25.0/{container}"
        return JSONResponse({"id": container, "uri": uri})

    @app.get("/v25.0/{container}")
    async def status(container: str, request: Request) -> JSONResponse:
        account, refusal = _gate(state, request, None)
        if refusal:
            return refusal
        item = state.uploads.get(container)
        if not item or item["kind"] != "ig" or item["account"] != account:
            return graph_error(100, "Unsupported get request", subcode=33)
        code = _status_code(state, item)
        return JSONResponse({"id": container, "status_code": code, "status": code.title()})

    @app.post("/v25.0/{ig_user}/media_publish")
    async def publish(ig_user: str, request: Request) -> JSONResponse:
        account, refusal = _gate(state, request, ig_user)
        if refusal:
            return refusal
        item = state.uploads.get(request.query_params.get("creation_id", ""))
        if not item or item["kind"] != "ig" or item["account"] != account:
            return graph_error(100, "Invalid creation_id")
        if "media_id" in item:  # a container publishes once; asking again names the same media
            return JSONResponse({"id": item["media_id"]})
        if _status_code(state, item) != "FINISHED":
            return graph_error(9007, "Media ID is not available", subcode=2207027)
        item["media_id"], item["published_at"] = state.next_id("1791"), time.monotonic()
        state.add_post(
            "instagram",
            account,
            item["media_id"],
            item["caption"],
            item["data"],
            item["product_id"],
        )
        return JSONResponse({"id": item["media_id"]})


def _container_problem(params: dict[str, str]) -> tuple[str, str]:
    """(problem, product id) of a container request."""
    if params.get("media_type") != "REELS" or params.get("upload_type") != "resumable":
        return "sandbox supports media_type=REELS with upload_type=resumable", ""
    caption = params.get("caption", "")
    if len(caption) > 2200 or len(re.findall(r"#\w", caption)) > 30:
        return "caption too long or more than 30 hashtags", ""
    try:
        tags: list[dict[str, Any]] = json.loads(params.get("product_tags", "[]"))
    except ValueError:
        return "product_tags is not JSON", ""
    if len(tags) > 5 or any("product_id" not in t for t in tags):
        return "at most 5 product_tags, each with product_id", ""
    return "", str(tags[0]["product_id"]) if tags else ""


def _status_code(state: SandboxState, item: dict[str, Any]) -> str:
    if "media_id" in item:
        return "PUBLISHED"
    if item["data"] is None or time.monotonic() < item["done_at"] + state.config.processing_s:
        return "IN_PROGRESS"
    return "FINISHED"


def _add_rupload(app: FastAPI, state: SandboxState) -> None:
    @app.post("/ig-api-upload/v25.0/{container}")
    async def upload(container: str, request: Request) -> JSONResponse:
        account = state.account_of("instagram", bearer(request, "OAuth"))
        item = state.uploads.get(container)
        if account is None:
            return graph_error(190, "Invalid OAuth access token.", 401)
        if not item or item["kind"] != "ig" or item["account"] != account:
            return graph_error(100, "unknown container", 404)
        body = await request.body()
        if request.headers.get("offset") != "0" or request.headers.get("file_size") != str(
            len(body)
        ):
            return graph_error(100, "offset must be 0 and file_size the body's length")
        if "media_id" in item:
            return graph_error(100, "container already published")
        item["data"], item["done_at"] = body, time.monotonic()
        return JSONResponse({"success": True, "message": "Upload successful."})

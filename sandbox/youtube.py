"""Sandbox routes for YouTube Data API v3 resumable uploads."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from pipeline.publish.youtube import CHUNK_UNIT, INIT_PATH
from sandbox.state import SandboxState, bearer


def yt_error(status: int, reason: str, message: str) -> JSONResponse:
    error = {
        "code": status,
        "message": message,
        "errors": [{"reason": reason, "domain": "youtube.video", "message": message}],
    }
    return JSONResponse({"error": error}, status_code=status)


def _metadata_problem(meta: dict[str, Any]) -> str:
    snippet, status = meta.get("snippet") or {}, meta.get("status") or {}
    title = str(snippet.get("title", ""))
    if not title or len(title) > 100 or "<" in title or ">" in title:
        return "invalidTitle"
    description = str(snippet.get("description", ""))
    if len(description.encode()) > 5000 or "<" in description or ">" in description:
        return "invalidDescription"
    if status.get("privacyStatus") not in ("private", "public", "unlisted"):
        return "invalidVideoMetadata"
    return ""


def add_routes(app: FastAPI, state: SandboxState) -> None:
    @app.post(INIT_PATH)
    async def init(request: Request) -> Response:
        token = bearer(request)
        account = state.account_of("youtube", token)
        if account is None:
            return yt_error(401, "authError", "Invalid Credentials")
        if not state.allow(token, "youtube.init"):
            return yt_error(429, "rateLimitExceeded", "Too many requests")
        query = request.query_params
        if query.get("uploadType") != "resumable" or query.get("part") != "snippet,status":
            return yt_error(400, "badRequest", "uploadType=resumable&part=snippet,status required")
        try:
            total = int(request.headers["x-upload-content-length"])
            meta = json.loads(await request.body())
        except (KeyError, ValueError):
            return yt_error(400, "badRequest", "X-Upload-Content-Length and a JSON body required")
        problem = _metadata_problem(meta)
        if problem or not request.headers.get("x-upload-content-type", "").startswith("video/"):
            return yt_error(400, problem or "badRequest", "invalid video metadata")
        upload_id = state.next_id("yt-up-")
        state.uploads[upload_id] = {
            "kind": "yt",
            "account": account,
            "total": total,
            "received": bytearray(),
            "title": meta["snippet"]["title"],
        }
        base = str(request.base_url).rstrip("/")
        location = f"{base}{INIT_PATH}?uploadType=resumable&upload_id={upload_id}"
        return Response(status_code=200, headers={"Location": location})

    @app.put(INIT_PATH)
    async def put(request: Request) -> Response:
        session = state.uploads.get(request.query_params.get("upload_id", ""))
        if not session or session["kind"] != "yt":
            return yt_error(404, "notFound", "upload session not found or expired")
        token = bearer(request)
        if token and state.account_of("youtube", token) != session["account"]:
            return yt_error(401, "authError", "Invalid Credentials")
        return _put(state, session, request.headers.get("content-range", ""), await request.body())


def _progress(session: dict[str, Any]) -> Response:
    if "video_id" in session:
        body = {
            "kind": "youtube#video",
            "id": session["video_id"],
            "snippet": {"title": session["title"]},
            "status": {"uploadStatus": "uploaded"},
        }
        return JSONResponse(body, status_code=201)
    held = len(session["received"])
    headers = {"Range": f"bytes=0-{held - 1}"} if held else {}
    return Response(status_code=308, headers=headers)


def _put(state: SandboxState, session: dict[str, Any], content_range: str, body: bytes) -> Response:
    total = session["total"]
    if content_range == f"bytes */{total}" and not body:
        return _progress(session)
    try:
        unit, _, spec = content_range.partition(" ")
        span, _, declared = spec.partition("/")
        first, last = (int(x) for x in span.split("-"))
    except ValueError:
        return yt_error(400, "badRequest", "Content-Range required")
    if unit != "bytes" or int(declared) != total or len(body) != last - first + 1:
        return yt_error(400, "badRequest", "Content-Range does not match the body or total")
    if "video_id" in session or first != len(session["received"]):
        return _progress(session)  # out of step: tell the client where we are
    if last + 1 != total and len(body) % CHUNK_UNIT:
        return yt_error(400, "badRequest", f"chunks must be multiples of {CHUNK_UNIT} bytes")
    session["received"].extend(body)
    if len(session["received"]) == total:
        session["video_id"] = state.next_id("yt")[:11]
        state.add_post(
            "youtube",
            session["account"],
            session["video_id"],
            session["title"],
            bytes(session["received"]),
        )
    return _progress(session)

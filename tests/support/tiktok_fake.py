"""A scripted TikTok Content Posting API for client tests: MockTransport answers in order."""

from __future__ import annotations

from typing import Any

import httpx

TOKEN = "act.SECRET-token-123456"
"""The fake user token: tests check it never leaks into errors or records."""


class FakeTikTok:
    """A scripted TikTok: answers by path, records every request."""

    def __init__(self, size: int, statuses: list[str] | None = None) -> None:
        self.size = size
        self.requests: list[httpx.Request] = []
        self.received = 0
        self.statuses = statuses or ["PROCESSING_UPLOAD", "PUBLISH_COMPLETE"]
        self.script: dict[str, list[httpx.Response]] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        scripted = self.script.get(request.url.path)
        if scripted:
            return scripted.pop(0)
        if request.method == "PUT":
            return self.put(request)
        return self.api(request.url.path)

    def put(self, request: httpx.Request) -> httpx.Response:
        span = request.headers["content-range"].split(" ")[1].split("/")[0]
        first, last = (int(x) for x in span.split("-"))
        if first != self.received:
            return httpx.Response(416)
        self.received = last + 1
        return httpx.Response(201 if self.received == self.size else 206)

    def api(self, path: str) -> httpx.Response:
        if path.endswith("creator_info/query/"):
            return ok({"privacy_level_options": ["PUBLIC_TO_EVERYONE", "SELF_ONLY"]})
        if path.endswith("video/init/"):
            return ok({"publish_id": "p_1", "upload_url": "https://upload.example/u/1"})
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        data: dict[str, Any] = {"status": status, "uploaded_bytes": self.received}
        if status == "PUBLISH_COMPLETE":
            data["publicaly_available_post_id"] = [7312345]
        return ok(data)


def ok(data: dict[str, Any]) -> httpx.Response:
    return httpx.Response(200, json={"data": data, "error": {"code": "ok", "message": ""}})


def err(status: int, code: str, headers: dict[str, str] | None = None) -> httpx.Response:
    body = {"data": {}, "error": {"code": code, "message": f"token {TOKEN} bad"}}
    return httpx.Response(status, json=body, headers=headers)



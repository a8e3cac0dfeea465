"""TikTok Shop affiliate creator video: an adapter for an UNVERIFIED contract.

docs/platforms.md marks this API as known from secondary sources only; paths, versions,
the signing recipe and error codes below follow that page and may differ from the
live platform. Check them against the official Partner Center docs before relying
on this adapter in production.

Flow: upload the file (multipart field ``data``, direct up to 10 MB) → checkpoint
``file:<file_id>`` → post the video with a product anchor → checkpoint the video id
→ poll ``post_status`` until SUCCESS. Every call carries ``app_key``, ``timestamp``
and ``sign`` (HMAC-SHA256, see ``shop_sign``) and the creator token in
``x-tts-access-token``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

import httpx

from pipeline.core.errors import (
    AccountBlockedError,
    PermanentPublishError,
    PublishError,
    TransientPublishError,
)
from pipeline.core.models import Frozen
from pipeline.publish.base import (
    Checkpoint,
    Pacing,
    PublishRequest,
    Redactor,
    as_int,
    parse_retry_after,
    poll_until,
    send,
    with_retry,
)
from pipeline.publish.platforms import Platform, shop_anchor_title

BASE_URL = "https://open-api.tiktokglobalshop.com"
DIRECT_UPLOAD_MAX = 10 * 1024 * 1024
UPLOAD_PATH = "/affiliate_creator/202505/videos/video_files"
POST_PATH = "/affiliate_creator/202603/videos"
STATUS_PATH = "/affiliate_creator/202509/videos/{id}/status"

BLOCKING_CODES = frozenset({170001020, 170001030, 170001031})
TRANSIENT_CODES = frozenset({36009002})
UNKNOWN_FILE = 16011001


class ShopCredentials(Frozen):
    """The app's key and secret (for signing) and the creator's access token."""

    app_key: str
    app_secret: str
    access_token: str


def shop_sign(app_secret: str, path: str, params: Mapping[str, str], body: bytes) -> str:
    """HMAC-SHA256 hex of secret + path + sorted(key+value) + body + secret, keyed by secret.

    ``sign`` and ``access_token`` are left out of the parameters; multipart bodies are
    not signed (pass ``b""``).
    """
    pairs = "".join(f"{k}{params[k]}" for k in sorted(params) if k not in ("sign", "access_token"))
    message = app_secret.encode() + path.encode() + pairs.encode() + body + app_secret.encode()
    return hmac.new(app_secret.encode(), message, hashlib.sha256).hexdigest()


def shop_error(response: httpx.Response, code: int, message: str, redact: Redactor) -> PublishError:
    """Map HTTP status and the envelope ``code`` to clipcart's publish errors."""
    text = redact(f"TikTok Shop {response.request.url.path}: {code} {message}")
    if code in BLOCKING_CODES or response.status_code == 401:
        return AccountBlockedError(text)
    if code in TRANSIENT_CODES or response.status_code == 429 or response.status_code >= 500:
        return TransientPublishError(text, retry_after_s=parse_retry_after(response))
    return PermanentPublishError(text)


class TikTokShopPublisher:
    """Posts an affiliate video anchored to a TikTok Shop product (unverified contract)."""

    platform: Platform = "tiktok-shop"

    def __init__(
        self, client: httpx.Client, creds: ShopCredentials, *, pacing: Pacing | None = None
    ) -> None:
        self.client = client
        self.creds = creds
        self.pacing = pacing or Pacing()
        self.redact = Redactor([creds.access_token, creds.app_secret])

    def publish(self, request: PublishRequest, checkpoint: Checkpoint, resume: str) -> str:
        product_id = request.product_ids.get("tiktok", "")
        if not product_id:
            raise PermanentPublishError("TikTok Shop needs a tiktok product id")
        if resume and not resume.startswith("file:"):
            checkpoint("processing", resume)
            return self._wait(resume)
        file_id = resume.removeprefix("file:")
        if not file_id:
            file_id = self._upload(request)
            checkpoint("uploading", f"file:{file_id}")
        try:
            video_id = self._post(request, file_id, product_id)
        except PermanentPublishError as err:
            if f" {UNKNOWN_FILE} " not in str(err):
                raise
            file_id = self._upload(request)  # the stored file is gone: upload it again
            checkpoint("uploading", f"file:{file_id}")
            video_id = self._post(request, file_id, product_id)
        checkpoint("processing", video_id)
        return self._wait(video_id)

    def _upload(self, request: PublishRequest) -> str:
        if request.size > DIRECT_UPLOAD_MAX:
            raise PermanentPublishError("TikTok Shop direct upload is limited to 10 MB")
        data = request.video.read_bytes()

        def call() -> dict[str, Any]:
            files = {"data": (request.video.name, data, "video/mp4")}
            return self._call("POST", UPLOAD_PATH, b"", files=files)

        answer = with_retry(call, self.pacing, "shop upload")
        return str(answer["video_file"]["id"])

    def _post(self, request: PublishRequest, file_id: str, product_id: str) -> str:
        video_info: dict[str, Any] = {"file_id": file_id, "title": request.title}
        if request.cover_timestamp_ms:
            video_info["cover_timestamp_ms"] = request.cover_timestamp_ms
        anchor = shop_anchor_title(request.product_title or request.title)
        body = json.dumps(
            {
                "video_info": video_info,
                "product_link_info": {"product_id": product_id, "title": anchor},
            }
        ).encode()
        headers = {"Content-Type": "application/json"}
        answer = with_retry(
            lambda: self._call("POST", POST_PATH, body, content=body, headers=headers),
            self.pacing,
            "shop post",
        )
        return str(answer["video"]["id"])

    def _wait(self, video_id: str) -> str:
        path = STATUS_PATH.format(id=video_id)

        def check() -> str | None:
            status = str(self._call("GET", path, b"").get("post_status", ""))
            if status == "SUCCESS":
                return video_id
            if status == "FAIL":
                raise PermanentPublishError(f"TikTok Shop rejected video {video_id}")
            return None

        return poll_until(check, self.pacing, "TikTok Shop processing")

    def _call(self, method: str, path: str, signed_body: bytes, **kwargs: Any) -> dict[str, Any]:
        params = {"app_key": self.creds.app_key, "timestamp": str(int(time.time()))}
        params["sign"] = shop_sign(self.creds.app_secret, path, params, signed_body)
        headers = {"x-tts-access-token": self.creds.access_token, **kwargs.pop("headers", {})}
        response = send(
            self.client, self.redact, method, path, params=params, headers=headers, **kwargs
        )
        try:
            body = response.json()
        except ValueError:
            body = {}
        code = as_int(body.get("code"), -1) if isinstance(body, dict) else -1
        if response.status_code == 200 and code == 0:
            data = body.get("data")
            return data if isinstance(data, dict) else {}
        message = str(body.get("message", "")) if isinstance(body, dict) else ""
        raise shop_error(response, code, message, self.redact)

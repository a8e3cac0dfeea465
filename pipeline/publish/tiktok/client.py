"""TikTok Content Posting API v2: direct post (or inbox upload) of a local file.

Flow: creator_info (privacy options, spam stop) → video/init or inbox/video/init with
``FILE_UPLOAD`` → the publish id is checkpointed → chunks are PUT to ``upload_url`` in
order, without Authorization → status/fetch until ``PUBLISH_COMPLETE``.

Chunk rule (docs/platforms.md): chunks are 5-64 MB except the last, which takes the
remainder (< 2 chunks, so at most 128 MB); a file under 5 MB is one chunk;
``total_chunk_count = floor(video_size / chunk_size)``; a single chunk may not exceed
64 MB, so a 64-128 MB file is split in two. MB here is MiB (the stricter reading of
the lower bound). Expired OAuth tokens are refreshed once; TikTok rotates refresh
tokens, so the newest one is saved through a ``TokenStore``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Literal

import httpx

from pipeline.core.errors import (
    AccountBlockedError,
    PermanentPublishError,
    PublishError,
    TransientPublishError,
)
from pipeline.publish.base import (
    Checkpoint,
    Pacing,
    PublishRequest,
    Redactor,
    Restart,
    as_int,
    parse_retry_after,
    poll_until,
    restarting,
    send,
    with_retry,
)
from pipeline.publish.platforms import Platform
from pipeline.publish.tiktok.auth import (
    FileTokenStore,
    TikTokCredentials,
    TokenStore,
    exchange_refresh_token,
    json_object,
)
from pipeline.publish.tiktok.chunks import (
    ChunkPlan,
    ChunkRule,
    MiB,
    check_chunk_plan,
    plan_chunks,
)

BASE_URL = "https://open.tiktokapis.com"

__all__ = [
    "ChunkPlan",
    "ChunkRule",
    "FileTokenStore",
    "MiB",
    "TikTokCredentials",
    "TikTokPublisher",
    "TokenStore",
    "check_chunk_plan",
    "plan_chunks",
]

SPAM_CODES = frozenset(
    {"spam_risk_too_many_posts", "spam_risk_user_banned_from_posting", "reached_active_user_cap"}
)
AUTH_CODES = frozenset({"access_token_invalid", "scope_not_authorized"})
MEDIA_FAILS = frozenset(
    {
        "file_format_check_failed",
        "duration_check_failed",
        "frame_rate_check_failed",
        "picture_size_check_failed",
    }
)
RETRYABLE_FAILS = frozenset({"internal", "video_pull_failed"})
SPAM_FAILS = frozenset(
    {
        "spam_risk_too_many_posts",
        "spam_risk_user_banned_from_posting",
        "spam_risk_text",
        "spam_risk",
    }
)


def tiktok_error(
    response: httpx.Response, code: str, message: str, redact: Redactor
) -> PublishError:
    """Map an HTTP status and TikTok ``error.code`` to clipcart's publish errors."""
    text = redact(f"TikTok {response.request.url.path}: {code or response.status_code} {message}")
    if code in SPAM_CODES or code in AUTH_CODES:
        return AccountBlockedError(text)
    if response.status_code == 429 or code == "rate_limit_exceeded":
        return TransientPublishError(text, retry_after_s=parse_retry_after(response))
    if response.status_code >= 500 or code == "internal_error":
        return TransientPublishError(text, retry_after_s=parse_retry_after(response))
    return PermanentPublishError(text)


def fail_reason_error(reason: str, redact: Redactor) -> PublishError:
    """Map a FAILED status's ``fail_reason``; retryable reasons restart the post."""
    text = redact(f"TikTok processing failed: {reason}")
    if reason in SPAM_FAILS or reason == "auth_removed":
        return AccountBlockedError(text)
    if reason in RETRYABLE_FAILS:
        return Restart(text)
    return PermanentPublishError(text)


class TikTokPublisher:
    """Posts to TikTok through the Content Posting API, resuming a stored publish id."""

    platform: Platform = "tiktok"

    def __init__(
        self,
        client: httpx.Client,
        creds: TikTokCredentials,
        *,
        pacing: Pacing | None = None,
        chunk_rule: ChunkRule | None = None,
        mode: Literal["direct", "inbox"] = "direct",
        privacy_level: str = "PUBLIC_TO_EVERYONE",
        token_store: TokenStore | None = None,
    ) -> None:
        self.client = client
        self.creds = creds
        self.pacing = pacing or Pacing()
        self.chunk_rule = chunk_rule or ChunkRule()
        self.mode = mode
        self.privacy_level = privacy_level
        self.token_store = token_store
        self.redact = Redactor([creds.access_token, creds.refresh_token, creds.client_secret])

    # -- the post -----------------------------------------------------------------
    def publish(self, request: PublishRequest, checkpoint: Checkpoint, resume: str) -> str:
        """Resume the stored post; one lost in flight (expired upload URL, retryable
        failure) is posted afresh (``restarting``)."""
        return restarting(lambda stored: self._attempt(request, checkpoint, stored), resume,
                          "TikTok post restarted")

    def _attempt(self, request: PublishRequest, checkpoint: Checkpoint, stored: str) -> str:
        post_id = self._resume(request, checkpoint, stored) if stored else ""
        return post_id or self._fresh(request, checkpoint)

    def _fresh(self, request: PublishRequest, checkpoint: Checkpoint) -> str:
        plan = plan_chunks(request.size, self.chunk_rule)
        body: dict[str, Any] = {"source_info": self._source_info(plan)}
        path = "/v2/post/publish/inbox/video/init/"
        if self.mode == "direct":
            body["post_info"] = self._post_info(request, self.creator_privacy())
            path = "/v2/post/publish/video/init/"
        data = with_retry(lambda: self._api(path, body), self.pacing, "init")
        publish_id, upload_url = str(data["publish_id"]), str(data["upload_url"])
        checkpoint("uploading", publish_id)
        self._upload(request.video, plan, upload_url, publish_id)
        checkpoint("processing", publish_id)
        return self._wait(publish_id)

    def _resume(self, request: PublishRequest, checkpoint: Checkpoint, publish_id: str) -> str:
        """Finish a post whose upload completed; "" means it never will and must restart."""
        try:
            data = self._status(publish_id)
        except PermanentPublishError:
            return ""  # unknown publish id: nothing was posted under it
        done = self._outcome(publish_id, data, restart_ok=True)
        if done is not None:
            return done
        if as_int(data.get("uploaded_bytes", 0)) < request.size:
            return ""  # the upload never finished, so this publish id can never go live
        checkpoint("processing", publish_id)
        return self._wait(publish_id)

    def creator_info(self) -> dict[str, Any]:
        """The creator's posting options; spam or cap codes raise AccountBlockedError."""
        path = "/v2/post/publish/creator_info/query/"
        return with_retry(lambda: self._api(path, None), self.pacing, "creator_info")

    def creator_privacy(self) -> str:
        """The privacy level to post with: ours if offered, else SELF_ONLY if offered."""
        options = list(self.creator_info().get("privacy_level_options", []))
        if self.privacy_level in options:
            return self.privacy_level
        if "SELF_ONLY" in options:
            return "SELF_ONLY"
        raise PermanentPublishError(f"TikTok offers none of {self.privacy_level}, SELF_ONLY")

    def _post_info(self, request: PublishRequest, privacy: str) -> dict[str, Any]:
        return {
            "privacy_level": privacy,
            "title": request.title,
            "disable_duet": False,
            "disable_stitch": False,
            "disable_comment": False,
            "video_cover_timestamp_ms": request.cover_timestamp_ms,
            "brand_content_toggle": False,
            "brand_organic_toggle": False,
            "is_aigc": False,
        }

    @staticmethod
    def _source_info(plan: ChunkPlan) -> dict[str, Any]:
        return {
            "source": "FILE_UPLOAD",
            "video_size": plan.video_size,
            "chunk_size": plan.chunk_size,
            "total_chunk_count": plan.total_chunk_count,
        }

    # -- upload -------------------------------------------------------------------
    def _upload(self, video: Path, plan: ChunkPlan, upload_url: str, publish_id: str) -> None:
        ranges = plan.ranges()
        index = 0
        with video.open("rb") as source:
            while index < len(ranges):
                first, last = ranges[index]
                source.seek(first)
                chunk = source.read(last - first + 1)
                in_sync = self._put_with_retry(upload_url, (first, last), plan.video_size, chunk)
                index = index + 1 if in_sync else self._resync(ranges, publish_id)

    def _put_with_retry(self, url: str, span: tuple[int, int], total: int, chunk: bytes) -> bool:
        return with_retry(
            lambda: self._put_chunk(url, span[0], span[1], total, chunk), self.pacing, "upload"
        )

    def _put_chunk(self, url: str, first: int, last: int, total: int, chunk: bytes) -> bool:
        """PUT one chunk; False when the platform's progress differs (416)."""
        headers = {
            "Content-Type": "video/mp4",
            "Content-Length": str(len(chunk)),
            "Content-Range": f"bytes {first}-{last}/{total}",
        }
        response = send(self.client, self.redact, "PUT", url, content=chunk, headers=headers)
        status = response.status_code
        if status in (200, 201, 206):
            return True
        if status == 416:
            return False
        text = self.redact(f"TikTok upload bytes {first}-{last}/{total}: HTTP {status}")
        if status in (403, 404):
            raise Restart(text + " (upload URL expired or unknown)")
        if status == 429 or status >= 500:
            raise TransientPublishError(text, retry_after_s=parse_retry_after(response))
        raise PermanentPublishError(text)

    def _resync(self, ranges: list[tuple[int, int]], publish_id: str) -> int:
        """Index of the next chunk the platform expects, from status ``uploaded_bytes``."""
        received = as_int(self._status(publish_id).get("uploaded_bytes"), -1)
        starts = [first for first, _ in ranges]
        if received == ranges[-1][1] + 1:
            return len(ranges)
        if received in starts:
            return starts.index(received)
        raise Restart(f"TikTok upload out of step at byte {received}")

    # -- status -------------------------------------------------------------------
    def _status(self, publish_id: str) -> dict[str, Any]:
        path = "/v2/post/publish/status/fetch/"
        body = {"publish_id": publish_id}
        return with_retry(lambda: self._api(path, body), self.pacing, "status")

    def _outcome(
        self, publish_id: str, data: dict[str, Any], restart_ok: bool = False
    ) -> str | None:
        """The post id when the post is final, None while processing; raises on failure."""
        status = data.get("status", "")
        if status == "PUBLISH_COMPLETE" or (
            self.mode == "inbox" and status == "SEND_TO_USER_INBOX"
        ):
            ids = data.get("publicaly_available_post_id") or []
            return str(ids[0]) if ids else publish_id
        if status == "FAILED":
            err = fail_reason_error(str(data.get("fail_reason", "")), self.redact)
            if isinstance(err, Restart) and restart_ok:
                return ""
            raise err
        return None

    def _wait(self, publish_id: str) -> str:
        def check() -> str | None:
            return self._outcome(publish_id, self._status(publish_id))

        return poll_until(check, self.pacing, "TikTok processing")

    # -- API calls and auth -------------------------------------------------------
    def _api(self, path: str, body: dict[str, Any] | None) -> dict[str, Any]:
        """POST one JSON call; refresh the token once if TikTok says it is invalid."""
        self._refresh_if_expiring()
        for attempt in range(2):
            response = send(
                self.client,
                self.redact,
                "POST",
                path,
                content=json.dumps(body or {}).encode(),
                headers=self._headers(),
            )
            data, code, message = _envelope(response)
            if code == "ok":
                return data
            if code == "access_token_invalid" and attempt == 0 and self._can_refresh():
                self.refresh()
                continue
            raise tiktok_error(response, code, message, self.redact)
        raise AssertionError("unreachable")  # pragma: no cover

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.creds.access_token}",
            "Content-Type": "application/json; charset=UTF-8",
        }

    def _can_refresh(self) -> bool:
        c = self.creds
        return bool(c.refresh_token and c.client_key and c.client_secret)

    def _refresh_if_expiring(self) -> None:
        if (
            self.creds.expires_at
            and time.time() > self.creds.expires_at - 60
            and self._can_refresh()
        ):
            self.refresh()

    def refresh(self) -> TikTokCredentials:
        """Exchange the refresh token; store the new pair, since refresh tokens rotate."""
        self.creds = exchange_refresh_token(self.client, self.creds, self.redact)
        self.redact.add(self.creds.access_token)
        self.redact.add(self.creds.refresh_token)
        if self.token_store is not None:
            self.token_store.save(self.creds)
        return self.creds


def _envelope(response: httpx.Response) -> tuple[dict[str, Any], str, str]:
    """(data, error.code, error.message) of a TikTok answer; success only on code "ok"."""
    body = json_object(response)
    error = body.get("error") if isinstance(body.get("error"), dict) else {}
    code = str(error.get("code", "")) if error else ""
    if not code:
        code = "" if response.status_code < 400 else f"http_{response.status_code}"
    data = body.get("data") if isinstance(body.get("data"), dict) else {}
    if response.status_code >= 400 and code == "ok":
        code = f"http_{response.status_code}"
    return data or {}, code, str(error.get("message", "")) if error else ""

"""YouTube Data API v3 resumable upload (Shorts: vertical, under 3 minutes).

Flow: POST the metadata with ``uploadType=resumable`` → the session URI from
``Location`` is checkpointed as ``session:<uri>`` → PUT chunks (multiples of 262,144
bytes except the last) with ``Content-Range``; each answers 308 with ``Range:
bytes=0-N`` → 200/201 with the video resource. After a 500/502/503/504 or a dropped
connection an empty PUT with ``Content-Range: bytes */TOTAL`` asks how far the upload
got and it continues from there; 404 means the session expired and a new one starts;
other 4xx are final. Product links belong in the description (the caption).
"""

from __future__ import annotations

import json
import re
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
    Restart,
    backoff_delay,
    parse_retry_after,
    restarting,
    send,
    with_retry,
)
from pipeline.publish.platforms import Platform

BASE_URL = "https://www.googleapis.com"
INIT_PATH = "/upload/youtube/v3/videos"
CHUNK_UNIT = 262_144
RESUMABLE = frozenset({500, 502, 503, 504})
TITLE_MAX = 100
DAILY_LIMIT_REASONS = frozenset({"quotaExceeded", "uploadLimitExceeded"})


class YouTubeCredentials(Frozen):
    """An OAuth access token with the youtube.upload scope."""

    access_token: str


def youtube_title(caption: str) -> str:
    """A title from the caption: first line, no < or >, at most 100 characters."""
    line = " ".join(re.sub(r"[<>]", "", caption).split("\n")[0].split())
    if len(line) <= TITLE_MAX:
        return line or "Short"
    cut = line[: TITLE_MAX + 1].rsplit(" ", 1)[0]
    return cut[:TITLE_MAX]


def youtube_error(response: httpx.Response, redact: Redactor) -> PublishError:
    """Map a YouTube error answer (``error.errors[].reason``) to clipcart's publish errors."""
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    reasons = {str(e.get("reason", "")) for e in error.get("errors", []) if isinstance(e, dict)}
    text = redact(
        f"YouTube {response.request.url.path}: HTTP {response.status_code} "
        f"{','.join(sorted(reasons))} {error.get('message', '')}".strip()
    )
    if reasons & DAILY_LIMIT_REASONS:
        return TransientPublishError(text, retry_after_s=parse_retry_after(response) or 3600.0)
    if response.status_code == 401:
        return AccountBlockedError(text, hint="Renew the YouTube OAuth token")
    if response.status_code == 429 or response.status_code >= 500:
        return TransientPublishError(text, retry_after_s=parse_retry_after(response))
    return PermanentPublishError(text)


def parse_range(response: httpx.Response) -> int:
    """Bytes the server holds, from a 308's ``Range: bytes=0-N`` (no header: none)."""
    match = re.fullmatch(r"bytes=0-(\d+)", response.headers.get("range", "").strip())
    return int(match.group(1)) + 1 if match else 0


class YouTubePublisher:
    """Uploads a video through a resumable session, resuming a stored session URI."""

    platform: Platform = "youtube"

    def __init__(
        self,
        client: httpx.Client,
        creds: YouTubeCredentials,
        *,
        pacing: Pacing | None = None,
        chunk_bytes: int = 32 * CHUNK_UNIT,
        privacy_status: str = "public",
    ) -> None:
        if chunk_bytes <= 0 or chunk_bytes % CHUNK_UNIT:
            raise ValueError(f"chunk_bytes must be a positive multiple of {CHUNK_UNIT}")
        self.client = client
        self.creds = creds
        self.pacing = pacing or Pacing()
        self.chunk_bytes = chunk_bytes
        self.privacy_status = privacy_status
        self.redact = Redactor([creds.access_token])

    def publish(self, request: PublishRequest, checkpoint: Checkpoint, resume: str) -> str:
        if resume and not resume.startswith("session:"):
            return resume  # the upload had completed: this is the video id
        # an upload session that answers 404 is replaced by a new one (``restarting``)
        return restarting(lambda stored: self._attempt(request, checkpoint, stored), resume,
                          "YouTube upload session expired")

    def _attempt(self, request: PublishRequest, checkpoint: Checkpoint, stored: str) -> str:
        session, offset = stored.removeprefix("session:"), 0
        if session:
            offset, video_id = self._query_retrying(session, request.size)
            if video_id:
                return video_id
        else:
            session = self._init(request)
            checkpoint("uploading", f"session:{session}")
        return self._upload(request, session, offset)

    def metadata(self, request: PublishRequest) -> dict[str, Any]:
        """The ``snippet`` and ``status`` parts of the video resource."""
        description = re.sub(r"[<>]", "", request.title)
        tags = re.findall(r"#(\w+)", request.title)[:15]
        return {
            "snippet": {
                "title": youtube_title(request.title),
                "description": description,
                "tags": tags,
                "categoryId": "22",
            },
            "status": {"privacyStatus": self.privacy_status, "selfDeclaredMadeForKids": False},
        }

    def _init(self, request: PublishRequest) -> str:
        headers = {
            **self._auth(),
            "X-Upload-Content-Length": str(request.size),
            "X-Upload-Content-Type": "video/mp4",
            "Content-Type": "application/json; charset=UTF-8",
        }
        params = {"uploadType": "resumable", "part": "snippet,status"}
        body = json.dumps(self.metadata(request)).encode()

        def call() -> str:
            response = send(
                self.client,
                self.redact,
                "POST",
                INIT_PATH,
                params=params,
                content=body,
                headers=headers,
            )
            location = str(response.headers.get("location", ""))
            if response.status_code == 200 and location:
                return location
            raise youtube_error(response, self.redact)

        return with_retry(call, self.pacing, "YouTube init")

    def _upload(self, request: PublishRequest, session: str, offset: int) -> str:
        total, failures = request.size, 0
        with request.video.open("rb") as source:
            while True:
                source.seek(offset)
                chunk = source.read(self.chunk_bytes)
                try:
                    done, offset = self._put(session, offset, chunk, total)
                    failures = 0
                except TransientPublishError as err:
                    failures = self._pause(failures, err)
                    offset, done = self._query_retrying(session, total)
                if done:
                    return done

    def _put(self, session: str, offset: int, chunk: bytes, total: int) -> tuple[str, int]:
        """Send one chunk: ("", next offset) on 308, (video id, total) when complete."""
        last = offset + len(chunk) - 1
        headers = {**self._auth(), "Content-Range": f"bytes {offset}-{last}/{total}"}
        response = send(self.client, self.redact, "PUT", session, content=chunk, headers=headers)
        return self._answer(response, total)

    def _query(self, session: str, total: int) -> tuple[int, str]:
        """Ask how far the upload got: (offset, "") or (total, video id) when complete."""
        headers = {**self._auth(), "Content-Range": f"bytes */{total}"}
        response = send(self.client, self.redact, "PUT", session, content=b"", headers=headers)
        done, offset = self._answer(response, total)
        return offset, done

    def _query_retrying(self, session: str, total: int) -> tuple[int, str]:
        return with_retry(lambda: self._query(session, total), self.pacing, "YouTube query")

    def _answer(self, response: httpx.Response, total: int) -> tuple[str, int]:
        status = response.status_code
        if status in (200, 201):
            return str(response.json()["id"]), total
        if status == 308:
            return "", parse_range(response)
        if status == 404:
            raise Restart("YouTube upload session expired")
        if status in RESUMABLE:
            raise TransientPublishError(f"YouTube upload: HTTP {status}")
        raise youtube_error(response, self.redact)

    def _pause(self, failures: int, err: TransientPublishError) -> int:
        """Back off before asking where to resume; give up after the policy's tries."""
        if failures + 1 >= self.pacing.retry.attempts:
            raise err
        wait = err.retry_after_s
        if wait is not None and wait > self.pacing.retry.max_retry_after_s:
            raise err
        self.pacing.sleep(
            wait
            if wait is not None
            else backoff_delay(self.pacing.retry, failures, self.pacing.rng)
        )
        return failures + 1

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.creds.access_token}"}

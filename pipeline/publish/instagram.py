"""Instagram Reels through the Graph API, with product tags.

Flow: read the publishing quota (never hard-coded) → create a REELS container with
``upload_type=resumable`` → checkpoint ``upload:<container>`` → POST the bytes to the
returned ``uri`` (``Authorization: OAuth``, ``offset``, ``file_size``) → checkpoint the
container id → poll ``status_code`` until FINISHED (about once a minute, at most five
minutes by default) → ``media_publish``. A resumed container is re-uploaded if its
upload never finished, otherwise polled and published.
"""

from __future__ import annotations

import json
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
    as_int,
    parse_retry_after,
    poll_until,
    restarting,
    send,
    with_retry,
)
from pipeline.publish.platforms import Platform

BASE_URL = "https://graph.facebook.com/v25.0"
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613})
NOT_READY = (9007, 2207027)
QUOTA = (9, 2207042)
PERMANENT_SUBCODES = frozenset({2207026, 2207010})


class InstagramCredentials(Frozen):
    """A user access token (Facebook Login) and the Instagram professional account id."""

    access_token: str
    ig_user_id: str


def graph_error(response: httpx.Response, redact: Redactor) -> PublishError:
    """Map a Graph API error body to clipcart's publish errors."""
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    code, sub = as_int(error.get("code")), as_int(error.get("error_subcode"))
    text = redact(
        f"Instagram {response.request.url.path}: HTTP {response.status_code} "
        f"code {code}/{sub} {error.get('message', '')}".strip()
    )
    retry_after = parse_retry_after(response)
    if code == 190:
        return AccountBlockedError(text, hint="Renew the Instagram access token")
    if code == QUOTA[0] or sub == QUOTA[1]:
        return TransientPublishError(text, retry_after_s=retry_after or 3600.0)
    if code in RATE_LIMIT_CODES or code == NOT_READY[0] or sub == NOT_READY[1]:
        return TransientPublishError(text, retry_after_s=retry_after)
    if sub in PERMANENT_SUBCODES or code in (352, 36004):
        return PermanentPublishError(text)
    if error.get("is_transient") or response.status_code == 429 or response.status_code >= 500:
        return TransientPublishError(text, retry_after_s=retry_after)
    return PermanentPublishError(text)


class InstagramPublisher:
    """Posts a Reel with product tags, resuming a stored container id."""

    platform: Platform = "instagram"

    def __init__(
        self, client: httpx.Client, creds: InstagramCredentials, *, pacing: Pacing | None = None
    ) -> None:
        self.client = client
        self.creds = creds
        self.pacing = pacing or Pacing()
        self.redact = Redactor([creds.access_token])

    def publish(self, request: PublishRequest, checkpoint: Checkpoint, resume: str) -> str:
        """Resume the stored container; one that expired or failed processing is
        replaced by a new one (``restarting``)."""
        return restarting(lambda stored: self._publish(request, checkpoint, stored), resume,
                          "Instagram container failed")

    def _publish(self, request: PublishRequest, checkpoint: Checkpoint, stored: str) -> str:
        container = stored.removeprefix("upload:")
        uri = self.upload_uri(container)
        if not stored:
            self.check_quota()
            container, uri = self._create(request)
            checkpoint("uploading", f"upload:{container}")
        if not stored or stored.startswith("upload:"):
            self._upload(request, uri)
            checkpoint("processing", container)
        if self._wait(container) == "PUBLISHED":  # resumed after media_publish succeeded
            return self._published_media(container)
        return self._media_publish(container)

    def _published_media(self, container: str) -> str:
        """The media id of an already published container, asked for once more.

        The contract has no field naming a container's media; a repeated media_publish
        answers it on the sandbox. If the platform refuses, the post is live but its id
        unknown: the container id is recorded instead (never a second post).
        """
        try:
            return self._media_publish(container)
        except PermanentPublishError:
            return f"container:{container}"

    def check_quota(self) -> None:
        """Refuse (transiently) when the account's publishing quota is used up."""
        path = f"/{self.creds.ig_user_id}/content_publishing_limit"
        answer = with_retry(
            lambda: self._call("GET", path, params={"fields": "quota_usage,config"}),
            self.pacing,
            "quota",
        )
        rows = answer.get("data") or [{}]
        usage = as_int(rows[0].get("quota_usage", 0))
        config = rows[0].get("config") or {}
        total = as_int(config.get("quota_total", 0))
        if total and usage >= total:
            raise TransientPublishError(
                f"Instagram publishing quota used up ({usage}/{total})",
                retry_after_s=float(config.get("quota_duration", 86400)),
            )

    def _create(self, request: PublishRequest) -> tuple[str, str]:
        params: dict[str, str] = {
            "media_type": "REELS",
            "upload_type": "resumable",
            "caption": request.title,
            "share_to_feed": "true",
            "thumb_offset": str(request.cover_timestamp_ms),
        }
        product_id = request.product_ids.get("instagram", "")
        if product_id:
            params["product_tags"] = json.dumps([{"product_id": product_id}])
        path = f"/{self.creds.ig_user_id}/media"
        answer = with_retry(
            lambda: self._call("POST", path, params=params), self.pacing, "create container"
        )
        container = str(answer["id"])
        return container, str(answer.get("uri") or self.upload_uri(container))

    def _upload(self, request: PublishRequest, uri: str) -> None:
        data = request.video.read_bytes()
        headers = {
            "Authorization": f"OAuth {self.creds.access_token}",
            "offset": "0",
            "file_size": str(len(data)),
        }
        with_retry(
            lambda: self._call("POST", uri, content=data, headers=headers), self.pacing, "upload"
        )

    def upload_uri(self, container: str) -> str:
        """Where a container's bytes go (rupload for the real Graph API, else the same host)."""
        base = str(self.client.base_url).rstrip("/")
        host = base.removesuffix("/v25.0")
        if base.startswith("https://graph.facebook.com"):
            host = "https://rupload.facebook.com"
        return f"{host}/ig-api-upload/v25.0/{container}"

    def _wait(self, container: str) -> str:
        def check() -> str | None:
            answer = self._call("GET", f"/{container}", params={"fields": "status_code,status"})
            status = str(answer.get("status_code", ""))
            if status in ("FINISHED", "PUBLISHED"):
                return status
            if status == "EXPIRED":
                raise Restart(f"Instagram container {container} expired")
            if status == "ERROR":
                detail = self.redact(str(answer.get("status", "")))
                raise PermanentPublishError(f"Instagram could not process the video: {detail}")
            return None

        return poll_until(check, self.pacing, "Instagram processing")

    def _media_publish(self, container: str) -> str:
        path = f"/{self.creds.ig_user_id}/media_publish"
        answer = with_retry(
            lambda: self._call("POST", path, params={"creation_id": container}),
            self.pacing,
            "media_publish",
        )
        return str(answer["id"])

    def _call(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        headers = {"Authorization": f"OAuth {self.creds.access_token}", **kwargs.pop("headers", {})}
        response = send(self.client, self.redact, method, url, headers=headers, **kwargs)
        if response.status_code == 200:
            try:
                body = response.json()
            except ValueError:
                body = None
            if isinstance(body, dict) and "error" not in body:
                return body
        raise graph_error(response, self.redact)

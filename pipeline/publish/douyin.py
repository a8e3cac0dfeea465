"""Douyin Open Platform (抖音开放平台) video publishing; contract in docs/platforms.md.

Flow: upload the file (one ``/video/upload/`` request up to ``PartRule.single_max``,
otherwise ``/video/part/init/`` → ``/video/part/upload/`` per part → ``/video/part/complete/``)
→ checkpoint ``video:<video_id>`` → checkpoint ``create:<video_id>`` → ``/video/create/``
with the post text (and the mini-program anchor when the account has one and the product
a page in it) → the ``item_id``. A part upload checkpoints ``part:<upload_id>:<parts done>``
after every part, so a crash resumes with the next part.

Exactly once: uploads make no post, so they may be repeated; ``/video/create/`` is the one
call that posts, and each ``video_id`` posts once (the docs ask for a fresh ``video_id`` per
create). Resumed at ``video:`` (create never sent) a refused ``video_id`` is uploaded
again; resumed at ``create:`` (create maybe sent) the same ``video_id`` is asked again and
a refusal fails the row for a person to check, rather than risk a second post.

Every call carries the user token in the ``access-token`` header and ``open_id`` in the
query. An expired token is refreshed once (``/oauth/refresh_token/``) when the client key
and refresh token are configured.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
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
    restarting,
    send,
    with_retry,
)
from pipeline.publish.platforms import Platform

BASE_URL = "https://open.douyin.com"
UPLOAD_PATH = "/video/upload/"
PART_INIT_PATH = "/video/part/init/"
PART_UPLOAD_PATH = "/video/part/upload/"
PART_COMPLETE_PATH = "/video/part/complete/"
CREATE_PATH = "/video/create/"
REFRESH_PATH = "/oauth/refresh_token/"
MiB = 1024 * 1024
MAX_VIDEO_BYTES = 4 * 1024 * MiB
"""Largest video in all, bytes (docs: 4 GB)."""
SINGLE_REQUEST_LIMIT = 128 * MiB
"""Above this a single-request upload is refused (docs: over 128 MB must use parts)."""
MICRO_APP_TITLE_MAX = 20
"""Mini-program anchor title, characters: unconfirmed, kept short (docs/platforms.md)."""

TRANSIENT_CODES = frozenset({2100004, 28001005, 28001006, 28003018, 28001052})
"""System busy, network error, request rate too high, risk control: try again."""
QUOTA_CODES = frozenset({2190001, 28003017})
"""Quota used up: try again much later."""
EXPIRED_CODES = frozenset({2190008, 28001008, 10008})
"""access_token expired: refresh it, else re-authorise."""
BLOCKED_CODES = frozenset({2100007, 2100009, 2190002, 2190004, 28001012, 28001014, 28001015,
                           28001016, 28001018, 28001019, 28001045, 28001046, 10010, 10020})
"""No permission, user banned, token invalid, scope not granted, app blocked, refresh token
expired: stop publishing for the account."""
QUOTA_RETRY_AFTER_S = 3600.0


class DouyinCredentials(Frozen):
    """A user's access token and open_id; the app's keys and the refresh token to renew it;
    the account's mini-program (optional) for product anchors."""

    access_token: str
    open_id: str
    refresh_token: str = ""
    client_key: str = ""
    client_secret: str = ""
    micro_app_id: str = ""


@dataclass(frozen=True)
class PartRule:
    """When and how to upload in parts (docs: over 50 MB should, parts about 20 MB, at
    least 5 MB except the last); tests shrink it."""

    single_max: int = 50 * MiB
    part_bytes: int = 20 * MiB

    def parts(self, size: int) -> list[tuple[int, int]]:
        """(offset, length) of each part; the last takes the remainder."""
        count = max(1, size // self.part_bytes)
        spans = [(i * self.part_bytes, self.part_bytes) for i in range(count - 1)]
        last = (count - 1) * self.part_bytes
        return [*spans, (last, size - last)]


def douyin_error(response: httpx.Response, code: int, description: str,
                 redact: Redactor) -> PublishError:
    """Map an HTTP status and Douyin ``error_code`` to clipcart's publish errors."""
    path = response.request.url.path
    text = redact(f"Douyin {path}: HTTP {response.status_code} error_code {code} {description}")
    retry_after = parse_retry_after(response)
    if code in EXPIRED_CODES:
        return AccountBlockedError(text, hint="Renew the Douyin access token (set "
                                   "CLIPCART_DOUYIN_CLIENT_KEY and _REFRESH_TOKEN to refresh it)")
    if code in BLOCKED_CODES:
        return AccountBlockedError(text, hint="Re-authorise the Douyin account (scope "
                                   "video.create) or check it is not banned")
    if code in QUOTA_CODES:
        return TransientPublishError(text, retry_after_s=retry_after or QUOTA_RETRY_AFTER_S)
    if code in TRANSIENT_CODES or response.status_code == 429 or response.status_code >= 500:
        return TransientPublishError(text, retry_after_s=retry_after)
    return PermanentPublishError(text)


def envelope(response: httpx.Response) -> tuple[dict[str, Any], int, str]:
    """(data, error_code, description) of an answer; -1 when the body is not Douyin's."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return {}, -1, ""
    data: dict[str, Any] = body["data"] if isinstance(body.get("data"), dict) else {}
    extra: dict[str, Any] = body["extra"] if isinstance(body.get("extra"), dict) else {}
    code = as_int(data.get("error_code", extra.get("error_code", -1)), -1)
    description = str(data.get("description") or extra.get("description") or "")
    return data, code, description


class DouyinPublisher:
    """Posts a video to a Douyin account through the Open Platform, resuming uploads."""

    platform: Platform = "douyin"

    def __init__(self, client: httpx.Client, creds: DouyinCredentials, *,
                 pacing: Pacing | None = None, part_rule: PartRule | None = None) -> None:
        self.client = client
        self.creds = creds
        self.pacing = pacing or Pacing()
        self.part_rule = part_rule or PartRule()
        self.redact = Redactor([creds.access_token, creds.refresh_token, creds.client_secret])

    def publish(self, request: PublishRequest, checkpoint: Checkpoint, resume: str) -> str:
        """Resume from ``resume``; an upload or video Douyin no longer knows is uploaded
        afresh (``restarting``). Lost answers can take two uploads in a row: a retried
        complete finds its upload already taken."""
        return restarting(lambda stored: self._publish(request, checkpoint, stored), resume,
                          "Douyin lost the upload")

    def _publish(self, request: PublishRequest, checkpoint: Checkpoint, resume: str) -> str:
        if resume.startswith("create:"):
            return self._create(request, resume.removeprefix("create:"), sent_before=True)
        video_id = resume.removeprefix("video:") if resume.startswith("video:") else ""
        if not video_id:  # the stored video (create never sent) is posted as it is
            video_id = self._upload(request, checkpoint, resume)
            checkpoint("processing", f"video:{video_id}")
        return self._post(request, checkpoint, video_id)

    def _post(self, request: PublishRequest, checkpoint: Checkpoint, video_id: str) -> str:
        checkpoint("processing", f"create:{video_id}")
        return self._create(request, video_id, sent_before=False)

    # -- upload -----------------------------------------------------------------------
    def _upload(self, request: PublishRequest, checkpoint: Checkpoint, resume: str) -> str:
        size = request.size
        if not resume and size <= min(self.part_rule.single_max, SINGLE_REQUEST_LIMIT):
            return self._single(request)
        upload_id, done = self._part_state(resume)
        if not upload_id:
            upload_id = str(self._retrying(PART_INIT_PATH, "part init")["upload_id"])
            checkpoint("uploading", f"part:{upload_id}:0")
        parts = self.part_rule.parts(size)
        with request.video.open("rb") as source:
            for number, (offset, length) in enumerate(parts[done:], start=done + 1):
                source.seek(offset)
                self._part(request, upload_id, number, source.read(length), resumed=bool(resume))
                checkpoint("uploading", f"part:{upload_id}:{number}")
        # a refused complete means the upload is gone: when a retry follows a lost answer
        # the first complete may have taken it. Nothing is posted before create, so
        # uploading once more (publish uploads afresh on Restart) is safe
        answer = self._retrying(PART_COMPLETE_PATH, "part complete",
                                params={"upload_id": upload_id}, restartable=True)
        return str(answer["video"]["video_id"])

    @staticmethod
    def _part_state(resume: str) -> tuple[str, int]:
        """(upload_id, parts done) of a stored ``part:<upload_id>:<n>`` checkpoint."""
        if not resume.startswith("part:"):
            return "", 0
        upload_id, _, done = resume.removeprefix("part:").rpartition(":")
        return upload_id, as_int(done)

    def _single(self, request: PublishRequest) -> str:
        data = request.video.read_bytes()
        answer = self._retrying(UPLOAD_PATH, "upload",
                                files={"video": (request.video.name, data, "video/mp4")})
        return str(answer["video"]["video_id"])

    def _part(self, request: PublishRequest, upload_id: str, number: int, chunk: bytes, *,
              resumed: bool) -> None:
        self._retrying(PART_UPLOAD_PATH, f"part {number}",
                       params={"upload_id": upload_id, "part_number": str(number)},
                       files={"video": (request.video.name, chunk, "video/mp4")},
                       restartable=resumed)

    # -- the post ---------------------------------------------------------------------
    def create_body(self, request: PublishRequest, video_id: str) -> dict[str, Any]:
        """The /video/create/ body: text, cover frame and, when both are known, the
        account's mini-program anchored at the product's page."""
        body: dict[str, Any] = {"video_id": video_id, "text": request.title}
        if request.cover_timestamp_ms:
            body["cover_tsp"] = request.cover_timestamp_ms / 1000
        page = request.product_ids.get("douyin", "")
        if self.creds.micro_app_id and page:
            title = (request.product_title or request.title)[:MICRO_APP_TITLE_MAX]
            body |= {"micro_app_id": self.creds.micro_app_id, "micro_app_url": page,
                     "micro_app_title": title}
        return body

    def _create(self, request: PublishRequest, video_id: str, *, sent_before: bool) -> str:
        """POST /video/create/ once for ``video_id``.

        A refusal of the very first send means no post exists: ``Restart`` (upload
        again). Once a send may have taken effect (it was sent before a crash, or its
        answer was lost) only the same ``video_id`` is asked again, and a refusal fails.
        """
        body = json.dumps(self.create_body(request, video_id), ensure_ascii=False).encode()
        kwargs: dict[str, Any] = {"content": body,
                                  "headers": {"Content-Type": "application/json"}}
        if not sent_before:
            try:
                return str(self._call(CREATE_PATH, **kwargs)["item_id"])
            except PermanentPublishError as err:
                raise Restart(err.message) from None
            except TransientPublishError:
                pass
        try:
            answer = self._retrying(CREATE_PATH, "create", **kwargs)
        except PermanentPublishError as err:
            raise PermanentPublishError(
                f"{err.message}; the post may already be live (an earlier create was sent)",
                hint="Check the Douyin account before publishing again") from None
        return str(answer["item_id"])

    # -- calls and auth ---------------------------------------------------------------
    def _retrying(self, path: str, what: str, *, restartable: bool = False,
                  **kwargs: Any) -> dict[str, Any]:
        """``_call`` with retries; with ``restartable`` a permanent refusal means the
        stored upload is gone (``Restart``)."""
        call: Callable[[], dict[str, Any]] = lambda: self._call(path, **kwargs)  # noqa: E731
        try:
            return with_retry(call, self.pacing, f"Douyin {what}")
        except PermanentPublishError as err:
            if restartable:
                raise Restart(err.message) from None
            raise

    def _call(self, path: str, **kwargs: Any) -> dict[str, Any]:
        """POST one call; refresh the token once when Douyin says it expired."""
        params = {"open_id": self.creds.open_id, **kwargs.pop("params", {})}
        extra_headers = kwargs.pop("headers", {})
        for attempt in range(2):
            headers = {"access-token": self.creds.access_token, **extra_headers}
            response = send(self.client, self.redact, "POST", path, params=params,
                            headers=headers, **kwargs)
            data, code, description = envelope(response)
            if response.status_code == 200 and code == 0:
                return data
            if code in EXPIRED_CODES and attempt == 0 and self.can_refresh():
                self.refresh()
                continue
            raise douyin_error(response, code, description, self.redact)
        raise AssertionError("unreachable")  # pragma: no cover

    def can_refresh(self) -> bool:
        return bool(self.creds.client_key and self.creds.refresh_token)

    def refresh(self) -> DouyinCredentials:
        """Exchange the refresh token for a new access token (the refresh token stays)."""
        form = {"client_key": self.creds.client_key, "grant_type": "refresh_token",
                "refresh_token": self.creds.refresh_token}
        if self.creds.client_secret:  # not in the current docs' body; harmless if ignored
            form["client_secret"] = self.creds.client_secret
        response = send(self.client, self.redact, "POST", REFRESH_PATH, data=form)
        data, code, description = envelope(response)
        if response.status_code != 200 or code != 0 or not data.get("access_token"):
            final = code in BLOCKED_CODES or response.status_code < 429
            raise douyin_error(response, 10010 if final else code,
                               f"token refresh failed: {description}", self.redact)
        self.creds = self.creds.model_copy(update={
            "access_token": str(data["access_token"]),
            "refresh_token": str(data.get("refresh_token") or self.creds.refresh_token),
            "open_id": str(data.get("open_id") or self.creds.open_id),
        })
        self.redact.add(self.creds.access_token)
        self.redact.add(self.creds.refresh_token)
        return self.creds

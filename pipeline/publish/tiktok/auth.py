"""TikTok user tokens: where the newest pair is kept, and the refresh exchange.

TikTok rotates refresh tokens: every refresh answers a new one and the old one stops
working, so the newest pair must be stored before it is used. Token lifetimes differ
between doc versions; ``expires_in`` from the answer is trusted.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Protocol

import httpx
from pydantic import Field

from pipeline.core.errors import AccountBlockedError, TransientPublishError
from pipeline.core.models import Frozen
from pipeline.publish.base import Redactor, parse_retry_after, send

TOKEN_PATH = "/v2/oauth/token/"


class TikTokCredentials(Frozen):
    """A creator's user token and, for refreshing it, the app's keys."""

    access_token: str
    refresh_token: str = ""
    client_key: str = ""
    client_secret: str = ""
    expires_at: float = Field(
        default=0.0, description="Unix time the access token expires; 0 unknown."
    )


class TokenStore(Protocol):
    """Where the newest (rotated) TikTok tokens are kept between runs."""

    def load(self) -> TikTokCredentials | None: ...

    def save(self, creds: TikTokCredentials) -> None: ...


class FileTokenStore:
    """Tokens as JSON in a file readable only by the owner."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> TikTokCredentials | None:
        if not self.path.exists():
            return None
        return TikTokCredentials.model_validate_json(self.path.read_text())

    def save(self, creds: TikTokCredentials) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(creds.model_dump_json())
        tmp.replace(self.path)


def json_object(response: httpx.Response) -> dict[str, Any]:
    """The JSON object of an answer, or {} when the body is not one."""
    try:
        value = response.json()
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def exchange_refresh_token(
    client: httpx.Client, creds: TikTokCredentials, redact: Redactor
) -> TikTokCredentials:
    """POST the form-encoded refresh; the answer is flat, errors are ``{"error", ...}``."""
    form = {
        "client_key": creds.client_key,
        "client_secret": creds.client_secret,
        "grant_type": "refresh_token",
        "refresh_token": creds.refresh_token,
    }
    response = send(client, redact, "POST", TOKEN_PATH, data=form)
    answer = json_object(response)
    if response.status_code != 200 or answer.get("error") or "access_token" not in answer:
        text = redact(f"TikTok token refresh failed: {answer.get('error', response.status_code)}")
        if response.status_code >= 500 or response.status_code == 429:
            raise TransientPublishError(text, retry_after_s=parse_retry_after(response))
        raise AccountBlockedError(text, hint="Re-authorise the TikTok account")
    return creds.model_copy(
        update={
            "access_token": str(answer["access_token"]),
            "refresh_token": str(answer.get("refresh_token") or creds.refresh_token),
            "expires_at": time.time() + float(answer.get("expires_in", 0)),
        }
    )

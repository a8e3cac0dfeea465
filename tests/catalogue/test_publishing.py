"""Platforms misbehaving mid-publish: expired tokens and upload URLs, garbage answers.

Every failure is one of clipcart's typed PublishErrors (never a KeyError or a JSON
decoding error), and a recovered post is posted exactly once.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from pipeline.core.errors import PublishError
from pipeline.publish.base import PublishRequest
from pipeline.publish.instagram import InstagramCredentials, InstagramPublisher
from pipeline.publish.tiktok.client import TikTokCredentials, TikTokPublisher
from pipeline.publish.tiktok_shop import ShopCredentials, TikTokShopPublisher
from pipeline.publish.youtube import CHUNK_UNIT, YouTubeCredentials, YouTubePublisher
from tests.support.publish_support import SMALL_CHUNKS, fake_mp4, fast_pacing
from tests.support.tiktok_fake import FakeTikTok, err, ok

TOKEN = "act.SECRET-token-123456"
Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture
def request_250k(tmp_path: Path) -> PublishRequest:
    video = fake_mp4(tmp_path / "clip.mp4", 250_000)
    return PublishRequest(clip_id="c1", video=video, title="Camp mug #ad", platform="tiktok")


def _tiktok(handler: Handler, creds: TikTokCredentials | None = None) -> TikTokPublisher:
    client = httpx.Client(base_url="https://open.tiktokapis.com",
                          transport=httpx.MockTransport(handler))
    return TikTokPublisher(client, creds or TikTokCredentials(access_token=TOKEN),
                           pacing=fast_pacing(), chunk_rule=SMALL_CHUNKS)


def _inits(fake: FakeTikTok) -> list[httpx.Request]:
    return [r for r in fake.requests if r.url.path.endswith("video/init/")]


def test_token_expires_mid_publish_and_is_refreshed(request_250k: PublishRequest,
                                                    tmp_path: Path) -> None:
    """The upload finished, then the status call says the token expired: refresh, carry on,
    one init and one post."""
    fake = FakeTikTok(250_000)
    fake.script["/v2/post/publish/status/fetch/"] = [err(401, "access_token_invalid")]
    fake.script["/v2/oauth/token/"] = [httpx.Response(200, json={
        "access_token": "act.NEW-777", "expires_in": 86400, "open_id": "o",
        "refresh_token": "rft.NEW-888", "refresh_expires_in": 86400,
        "scope": "video.publish", "token_type": "Bearer"})]
    creds = TikTokCredentials(access_token=TOKEN, refresh_token="rft.OLD", client_key="ck",
                              client_secret="cs")
    from pipeline.publish.tiktok.client import FileTokenStore

    publisher = _tiktok(fake, creds)
    publisher.token_store = FileTokenStore(tmp_path / "tokens.json")
    post_id = publisher.publish(request_250k, lambda state, pid: None, "")
    assert post_id == "7312345"
    assert len(_inits(fake)) == 1 and fake.received == 250_000
    statuses = [r for r in fake.requests if r.url.path.endswith("status/fetch/")]
    assert statuses[-1].headers["authorization"] == "Bearer act.NEW-777"


def test_upload_url_expired_reinits_without_a_duplicate(request_250k: PublishRequest) -> None:
    """The first upload URL answers 404 (expired): a fresh init and one complete upload;
    the abandoned publish id is never completed."""
    fake = FakeTikTok(250_000)
    inits = iter([("p_old", "https://upload.example/u/old"), ("p_new", "https://upload.example/u/new")])

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("video/init/"):
            fake.requests.append(request)
            publish_id, url = next(inits)
            return ok({"publish_id": publish_id, "upload_url": url})
        if request.method == "PUT" and request.url.path.endswith("/old"):
            fake.requests.append(request)
            return httpx.Response(404)
        return fake(request)

    checkpoints: list[tuple[str, str]] = []
    post_id = _tiktok(handler).publish(request_250k, lambda s, p: checkpoints.append((s, p)), "")
    assert post_id == "7312345" and len(_inits(fake)) == 2
    assert fake.received == 250_000
    assert ("processing", "p_old") not in checkpoints and ("processing", "p_new") in checkpoints


GARBAGE: list[httpx.Response] = [
    httpx.Response(200, text="<html><body>Bad gateway</body></html>"),
    httpx.Response(200, text='{"data": '),
    httpx.Response(200, json=["not", "an", "object"]),
    httpx.Response(200, json={"data": {}, "error": {"code": "ok"}}),
    httpx.Response(200, json={"data": None, "error": None}),
]


def _always(response: httpx.Response) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(response.status_code, content=response.content,
                              headers={"content-type": "application/json"})
    return handler


def _youtube(handler: Handler) -> YouTubePublisher:
    client = httpx.Client(base_url="https://www.googleapis.com",
                          transport=httpx.MockTransport(handler))
    return YouTubePublisher(client, YouTubeCredentials(access_token="ya29.SECRET"),
                            pacing=fast_pacing(), chunk_bytes=CHUNK_UNIT)


def _instagram(handler: Handler) -> InstagramPublisher:
    client = httpx.Client(base_url="https://graph.facebook.com/v25.0",
                          transport=httpx.MockTransport(handler))
    creds = InstagramCredentials(access_token="IGSECRETTOKEN", ig_user_id="178")
    return InstagramPublisher(client, creds, pacing=fast_pacing())


def _shop(handler: Handler) -> TikTokShopPublisher:
    client = httpx.Client(base_url="https://open-api.tiktokglobalshop.com",
                          transport=httpx.MockTransport(handler))
    creds = ShopCredentials(app_key="k", app_secret="SHOPSECRET", access_token="SHOPTOKEN")
    return TikTokShopPublisher(client, creds, pacing=fast_pacing())


PUBLISHERS: dict[str, Callable[[Handler], object]] = {
    "tiktok": _tiktok, "youtube": _youtube, "instagram": _instagram, "tiktok-shop": _shop,
}


@pytest.mark.parametrize("platform", sorted(PUBLISHERS))
@pytest.mark.parametrize("garbage", range(len(GARBAGE)))
def test_garbage_answers_are_typed_publish_errors(tmp_path: Path, platform: str,
                                                  garbage: int) -> None:
    video = fake_mp4(tmp_path / "clip.mp4", 300_000)
    request = PublishRequest(clip_id="c1", video=video, title="Camp mug", platform=platform,
                             product_ids={"tiktok": "1729000111", "instagram": "5550001"})
    publisher = PUBLISHERS[platform](_always(GARBAGE[garbage]))
    with pytest.raises(PublishError) as info:
        publisher.publish(request, lambda s, p: None, "")  # type: ignore[attr-defined]
    line = info.value.one_line()
    assert "\n" not in line and "SECRET" not in line and "TOKEN" not in line

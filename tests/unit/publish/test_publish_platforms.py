"""YouTube, Instagram and TikTok Shop clients against httpx.MockTransport."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from pipeline.core.errors import AccountBlockedError, PermanentPublishError, TransientPublishError
from pipeline.publish.base import PublishRequest
from pipeline.publish.instagram import InstagramCredentials, InstagramPublisher
from pipeline.publish.platforms import shop_anchor_problem, shop_anchor_title
from pipeline.publish.tiktok_shop import (
    ShopCredentials,
    TikTokShopPublisher,
    shop_sign,
)
from pipeline.publish.youtube import (
    CHUNK_UNIT,
    YouTubeCredentials,
    YouTubePublisher,
    youtube_title,
)
from tests.support.publish_support import fake_mp4, fast_pacing

TOKEN = "ya29.SECRET-yt-token"
SESSION = "https://www.googleapis.com/upload/youtube/v3/videos?uploadType=resumable&upload_id=U1"
SIZE = 2 * CHUNK_UNIT + 1000

Handler = Callable[[httpx.Request], httpx.Response]


def request_for(tmp_path: Path, platform: str, size: int = SIZE) -> PublishRequest:
    video = fake_mp4(tmp_path / "clip.mp4", size)
    return PublishRequest(
        clip_id="c",
        video=video,
        title="Glow <serum> #skincare #ad",
        platform=platform,
        product_ids={"tiktok": "17", "instagram": "55"},
        product_title="Glow Serum, 30ml!",
    )


class FakeYouTube:
    """Holds bytes like a resumable session; ``faults`` replace the next PUT answers."""

    def __init__(self, total: int) -> None:
        self.total, self.held, self.requests = total, 0, []  # type: ignore[var-annotated]
        self.faults: list[httpx.Response | Exception] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.method == "POST":
            return httpx.Response(200, headers={"Location": SESSION})
        if self.faults:
            fault = self.faults.pop(0)
            if isinstance(fault, Exception):
                raise fault
            return fault
        spec = request.headers["content-range"].split(" ")[1]
        if not spec.startswith("*"):
            first, last = (int(x) for x in spec.split("/")[0].split("-"))
            assert first == self.held
            assert (last - first + 1) % CHUNK_UNIT == 0 or last + 1 == self.total
            self.held = last + 1
        if self.held == self.total:
            return httpx.Response(201, json={"id": "vid123"})
        return httpx.Response(
            308, headers={"Range": f"bytes=0-{self.held - 1}"} if self.held else {}
        )


def youtube(fake: Handler) -> YouTubePublisher:
    client = httpx.Client(
        base_url="https://www.googleapis.com", transport=httpx.MockTransport(fake)
    )
    return YouTubePublisher(
        client, YouTubeCredentials(access_token=TOKEN), pacing=fast_pacing(), chunk_bytes=CHUNK_UNIT
    )


def ranges(fake: FakeYouTube) -> list[str]:
    return [r.headers["content-range"] for r in fake.requests if r.method == "PUT"]


def test_youtube_chunks_are_256k_multiples_and_follow_308(tmp_path: Path) -> None:
    fake = FakeYouTube(SIZE)
    calls: list[tuple[str, str]] = []
    video_id = youtube(fake).publish(
        request_for(tmp_path, "youtube"), lambda s, p: calls.append((s, p)), ""
    )
    assert video_id == "vid123"
    assert calls == [("uploading", f"session:{SESSION}")]
    assert ranges(fake) == [
        f"bytes 0-{CHUNK_UNIT - 1}/{SIZE}",
        f"bytes {CHUNK_UNIT}-{2 * CHUNK_UNIT - 1}/{SIZE}",
        f"bytes {2 * CHUNK_UNIT}-{SIZE - 1}/{SIZE}",
    ]
    init = fake.requests[0]
    assert (
        init.url.params["uploadType"] == "resumable" and init.url.params["part"] == "snippet,status"
    )
    assert init.headers["x-upload-content-length"] == str(SIZE)
    meta = json.loads(init.content)
    assert meta["snippet"]["title"] == "Glow serum #skincare #ad"
    assert meta["status"]["privacyStatus"] == "public"


@pytest.mark.parametrize("fault", [httpx.Response(503), httpx.ReadError("dropped")])
def test_youtube_resumes_with_an_empty_put_after_5xx_or_drop(
    tmp_path: Path, fault: httpx.Response | Exception
) -> None:
    fake = FakeYouTube(SIZE)
    lost: list[bool] = []

    def handler(request: httpx.Request) -> httpx.Response:
        response = fake(request)  # the chunk arrives...
        if request.method == "PUT" and request.content and fake.held == 2 * CHUNK_UNIT and not lost:
            lost.append(True)  # ...but its answer is lost
            if isinstance(fault, Exception):
                raise fault
            return fault
        return response

    assert (
        youtube(handler).publish(request_for(tmp_path, "youtube"), lambda s, p: None, "")
        == "vid123"
    )
    assert ranges(fake)[1:] == [
        f"bytes {CHUNK_UNIT}-{2 * CHUNK_UNIT - 1}/{SIZE}",
        f"bytes */{SIZE}",
        f"bytes {2 * CHUNK_UNIT}-{SIZE - 1}/{SIZE}",
    ]


def test_youtube_404_session_expired_starts_a_new_session(tmp_path: Path) -> None:
    fake = FakeYouTube(SIZE)
    fake.faults = [httpx.Response(404)]
    calls: list[tuple[str, str]] = []
    assert (
        youtube(fake).publish(
            request_for(tmp_path, "youtube"),
            lambda s, p: calls.append((s, p)),
            f"session:{SESSION}",
        )
        == "vid123"
    )
    assert sum(r.method == "POST" for r in fake.requests) == 1
    assert calls == [("uploading", f"session:{SESSION}")]


def test_youtube_resume_continues_from_the_reported_range(tmp_path: Path) -> None:
    fake = FakeYouTube(SIZE)
    fake.held = CHUNK_UNIT
    youtube(fake).publish(request_for(tmp_path, "youtube"), lambda s, p: None, f"session:{SESSION}")
    assert ranges(fake)[0] == f"bytes */{SIZE}"
    assert ranges(fake)[1].startswith(f"bytes {CHUNK_UNIT}-")
    assert not any(r.method == "POST" for r in fake.requests)


def test_youtube_resume_query_is_retried_after_a_5xx(tmp_path: Path) -> None:
    """A publisher killed mid-upload leaves ``session:...``; a 503 on the rerun's first
    question (how far did it get?) is retried like any other request, not a give-up."""
    fake = FakeYouTube(SIZE)
    fake.held = CHUNK_UNIT
    fake.faults = [httpx.Response(503)]
    assert (
        youtube(fake).publish(
            request_for(tmp_path, "youtube"), lambda s, p: None, f"session:{SESSION}"
        )
        == "vid123"
    )
    assert ranges(fake)[:2] == [f"bytes */{SIZE}", f"bytes */{SIZE}"]
    assert ranges(fake)[2].startswith(f"bytes {CHUNK_UNIT}-")


@pytest.mark.parametrize(
    ("status", "reason", "error"),
    [
        (403, "quotaExceeded", TransientPublishError),
        (400, "uploadLimitExceeded", TransientPublishError),
        (400, "invalidTitle", PermanentPublishError),
        (401, "authError", AccountBlockedError),
    ],
)
def test_youtube_error_mapping(tmp_path: Path, status: int, reason: str, error: type) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = {"error": {"code": status, "message": f"no {TOKEN}", "errors": [{"reason": reason}]}}
        return httpx.Response(status, json=body)

    with pytest.raises(error) as info:
        youtube(handler).publish(request_for(tmp_path, "youtube"), lambda s, p: None, "")
    assert reason in str(info.value) and TOKEN not in str(info.value)


def test_youtube_rejects_unaligned_chunk_size() -> None:
    with pytest.raises(ValueError, match="262144"):
        YouTubePublisher(httpx.Client(), YouTubeCredentials(access_token="t"), chunk_bytes=100_000)


def test_youtube_title_is_trimmed_to_100_without_angle_brackets() -> None:
    title = youtube_title("<b>" + "word " * 40)
    assert len(title) <= 100 and "<" not in title and not title.endswith(" ")


# -- Instagram ------------------------------------------------------------------------
class FakeGraph:
    def __init__(self, statuses: list[str]) -> None:
        self.statuses, self.requests = statuses, []  # type: ignore[var-annotated]
        self.usage = 3

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if path.endswith("content_publishing_limit"):
            config = {"quota_total": 25, "quota_duration": 86400}
            return httpx.Response(
                200, json={"data": [{"quota_usage": self.usage, "config": config}]}
            )
        if path.endswith("/media"):
            return httpx.Response(
                200, json={"id": "C1", "uri": "https://rupload.facebook.com/ig-api-upload/v25.0/C1"}
            )
        if "ig-api-upload" in path:
            return httpx.Response(200, json={"success": True})
        if path.endswith("media_publish"):
            return httpx.Response(200, json={"id": "M1"})
        return httpx.Response(200, json={"status_code": self.statuses.pop(0)})


def instagram(fake: Handler) -> InstagramPublisher:
    client = httpx.Client(
        base_url="https://graph.facebook.com/v25.0", transport=httpx.MockTransport(fake)
    )
    creds = InstagramCredentials(access_token="IGSECRETTOKEN", ig_user_id="178")
    return InstagramPublisher(client, creds, pacing=fast_pacing())


def test_instagram_container_upload_poll_publish(tmp_path: Path) -> None:
    fake = FakeGraph(["IN_PROGRESS", "FINISHED"])
    calls: list[tuple[str, str]] = []
    assert (
        instagram(fake).publish(
            request_for(tmp_path, "instagram", 5000), lambda s, p: calls.append((s, p)), ""
        )
        == "M1"
    )
    assert calls == [("uploading", "upload:C1"), ("processing", "C1")]
    create = next(r for r in fake.requests if r.url.path.endswith("/media"))
    assert (
        create.url.params["media_type"] == "REELS"
        and create.url.params["upload_type"] == "resumable"
    )
    assert json.loads(create.url.params["product_tags"]) == [{"product_id": "55"}]
    upload = next(r for r in fake.requests if "ig-api-upload" in r.url.path)
    assert upload.url.host == "rupload.facebook.com"
    assert upload.headers["authorization"] == "OAuth IGSECRETTOKEN"
    assert upload.headers["offset"] == "0" and upload.headers["file_size"] == "5000"
    publish = fake.requests[-1]
    assert publish.url.params["creation_id"] == "C1"


def test_instagram_quota_used_up_is_not_waited_out(tmp_path: Path) -> None:
    fake = FakeGraph([])
    fake.usage = 25
    with pytest.raises(TransientPublishError, match="quota used up"):
        instagram(fake).publish(request_for(tmp_path, "instagram", 5000), lambda s, p: None, "")
    assert len(fake.requests) == 1


def test_instagram_resume_of_a_processed_container_only_publishes(tmp_path: Path) -> None:
    fake = FakeGraph(["FINISHED"])
    instagram(fake).publish(request_for(tmp_path, "instagram", 5000), lambda s, p: None, "C1")
    assert [r.url.path.rsplit("/", 1)[-1] for r in fake.requests] == ["C1", "media_publish"]


@pytest.mark.parametrize(
    ("code", "sub", "error"),
    [
        (190, 0, AccountBlockedError),
        (4, 0, TransientPublishError),
        (9, 2207042, TransientPublishError),
        (352, 2207026, PermanentPublishError),
        (36004, 2207010, PermanentPublishError),
    ],
)
def test_instagram_error_mapping(tmp_path: Path, code: int, sub: int, error: type) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = {
            "error": {
                "message": "bad IGSECRETTOKEN",
                "type": "OAuthException",
                "code": code,
                "error_subcode": sub,
                "fbtrace_id": "x",
            }
        }
        return httpx.Response(400, json=body, headers={"Retry-After": "0"})

    with pytest.raises(error) as info:
        instagram(handler).publish(request_for(tmp_path, "instagram", 5000), lambda s, p: None, "")
    assert "IGSECRETTOKEN" not in str(info.value)


# -- TikTok Shop (unverified contract) --------------------------------------------------
def test_shop_sign_is_hmac_sha256_of_the_documented_string() -> None:
    import hashlib
    import hmac

    params = {"app_key": "k", "timestamp": "100", "sign": "old", "access_token": "t"}
    expected = hmac.new(
        b"s", b"s/p" + b"app_keyktimestamp100" + b"{}" + b"s", hashlib.sha256
    ).hexdigest()
    assert shop_sign("s", "/p", params, b"{}") == expected


def test_anchor_title_drops_punctuation_and_stays_under_30() -> None:
    title = shop_anchor_title("Glow Serum, 30ml! ✨ Best-seller of the season")
    assert shop_anchor_problem(title) == "" and len(title) < 30
    assert shop_anchor_problem("Too long title " * 3).startswith("anchor title too long")
    assert "punctuation" in shop_anchor_problem("Nice!")


def test_shop_flow_signs_uploads_and_anchors(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        path = request.url.path
        data: dict[str, object] = {"post_status": "SUCCESS"}
        if path.endswith("video_files"):
            data = {"video_file": {"id": "F1", "md5": "x"}}
        elif path.endswith("/videos"):
            data = {"video": {"id": "V1"}}
        return httpx.Response(
            200, json={"code": 0, "message": "ok", "request_id": "r", "data": data}
        )

    client = httpx.Client(
        base_url="https://open-api.tiktokglobalshop.com", transport=httpx.MockTransport(handler)
    )
    creds = ShopCredentials(app_key="k", app_secret="SHOPSECRET", access_token="SHOPTOKEN")
    calls: list[tuple[str, str]] = []
    publisher = TikTokShopPublisher(client, creds, pacing=fast_pacing())
    assert (
        publisher.publish(
            request_for(tmp_path, "tiktok-shop", 5000), lambda s, p: calls.append((s, p)), ""
        )
        == "V1"
    )
    assert calls == [("uploading", "file:F1"), ("processing", "V1")]
    post = seen[1]
    body = json.loads(post.content)
    assert body["product_link_info"] == {"product_id": "17", "title": "Glow Serum 30ml"}
    params = dict(post.url.params)
    assert params["sign"] == shop_sign("SHOPSECRET", post.url.path, params, post.content)
    assert all(r.headers["x-tts-access-token"] == "SHOPTOKEN" for r in seen)
    assert b"multipart/form-data" in seen[0].headers["content-type"].encode()


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (16011007, PermanentPublishError),
        (16011069, PermanentPublishError),
        (170001020, AccountBlockedError),
        (170001031, AccountBlockedError),
        (36009002, TransientPublishError),
    ],
)
def test_shop_error_mapping(tmp_path: Path, code: int, error: type) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, json={"code": code, "message": "no", "request_id": "r", "data": {}}
        )

    client = httpx.Client(base_url="https://x", transport=httpx.MockTransport(handler))
    creds = ShopCredentials(app_key="k", app_secret="SHOPSECRET", access_token="SHOPTOKEN")
    with pytest.raises(error, match=str(code)):
        TikTokShopPublisher(client, creds, pacing=fast_pacing()).publish(
            request_for(tmp_path, "tiktok-shop", 5000), lambda s, p: None, ""
        )

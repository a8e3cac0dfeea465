"""Where a publisher's requests may go: a platform's answers name further URLs (TikTok's
upload_url, YouTube's session Location), and those are checked like the base URL."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from pipeline.core.errors import PermanentPublishError
from pipeline.core.netguard import BlockedAddress, GuardedTransport
from pipeline.publish.base import PublishRequest, make_client
from pipeline.publish.tiktok.client import TikTokCredentials, TikTokPublisher
from tests.support.publish_support import SMALL_CHUNKS, fake_mp4, fast_pacing
from tests.support.tiktok_fake import TOKEN, FakeTikTok, ok

SANDBOX = "http://127.0.0.1:8765"


def test_a_sandbox_client_reaches_the_sandbox_and_nothing_else() -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200)

    with make_client(SANDBOX, httpx.MockTransport(answer), sandbox=True) as client:
        assert client.get("/v2/anything").status_code == 200
        for elsewhere in ("http://169.254.169.254/latest/meta-data/",
                          "http://127.0.0.1:6379/", "https://127.0.0.1:8765/x",
                          "http://localhost:8765/x"):
            with pytest.raises(BlockedAddress, match="is not the sandbox"):
                client.put(elsewhere, content=b"chunk")
    assert seen == [f"{SANDBOX}/v2/anything"]


def test_a_real_platform_client_refuses_internal_addresses() -> None:
    with make_client("https://open.tiktokapis.com", None) as client:
        assert isinstance(client._transport, GuardedTransport)
        for internal in ("http://10.0.0.7/upload", "http://[::ffff:127.0.0.1]/",
                         "http://169.254.169.254/latest/meta-data/"):
            with pytest.raises(BlockedAddress, match="refused"):
                client.put(internal, content=b"chunk")


def test_an_upload_url_naming_another_host_fails_the_post_without_sending_the_file(
        tmp_path: Path) -> None:
    fake = FakeTikTok(250_000)
    fake.script["/v2/post/publish/video/init/"] = [
        ok({"publish_id": "p_1", "upload_url": "http://10.20.30.40/upload/1"})]
    video = fake_mp4(tmp_path / "clip.mp4", 250_000)
    client = make_client(SANDBOX, httpx.MockTransport(fake), sandbox=True)
    publisher = TikTokPublisher(client, TikTokCredentials(access_token=TOKEN),
                                pacing=fast_pacing(None), chunk_rule=SMALL_CHUNKS)
    request = PublishRequest(clip_id="c1", video=video, title="Hi #shop", platform="tiktok")
    with client, pytest.raises(PermanentPublishError, match=r"10\.20\.30\.40") as caught:
        publisher.publish(request, lambda state, publish_id: None, "")
    assert TOKEN not in str(caught.value)
    assert not [r for r in fake.requests if r.method == "PUT"]

"""TikTok Content Posting client against httpx.MockTransport: chunks, errors, auth."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.core.errors import AccountBlockedError, PermanentPublishError
from pipeline.publish.base import PublishRequest, Redactor
from pipeline.publish.platforms import utf16_units
from pipeline.publish.tiktok.client import (
    ChunkRule,
    MiB,
    TikTokCredentials,
    TikTokPublisher,
    check_chunk_plan,
    plan_chunks,
)
from tests.support.publish_support import SMALL_CHUNKS, fake_mp4, fast_pacing
from tests.support.tiktok_fake import TOKEN, FakeTikTok, err, ok


def test_small_file_is_one_chunk() -> None:
    plan = plan_chunks(3 * MiB)
    assert (plan.chunk_size, plan.total_chunk_count) == (3 * MiB, 1)
    assert plan.ranges() == [(0, 3 * MiB - 1)]


def test_remainder_goes_into_the_last_chunk() -> None:
    plan = plan_chunks(50_000_123)
    assert plan.chunk_size == 10 * MiB
    assert plan.total_chunk_count == 50_000_123 // (10 * MiB) == 4
    assert plan.ranges()[-1] == (3 * 10 * MiB, 50_000_122)


def test_file_between_64_and_128_mb_is_split_even_with_64_mb_chunks() -> None:
    rule = ChunkRule(preferred=64 * MiB)
    plan = plan_chunks(100 * MiB, rule)
    assert plan.total_chunk_count == 2
    assert check_chunk_plan(plan, rule) == ""
    assert max(last - first + 1 for first, last in plan.ranges()) <= 64 * MiB


def test_large_file_chunks() -> None:
    plan = plan_chunks(4 * 1024 * MiB - 1)
    assert plan.total_chunk_count == (4 * 1024 * MiB - 1) // (10 * MiB)
    assert check_chunk_plan(plan, ChunkRule()) == ""


@given(st.integers(min_value=1, max_value=4 * 1024 * MiB), st.sampled_from([5, 10, 64]))
def test_every_plan_obeys_the_rules(size: int, preferred_mib: int) -> None:
    rule = ChunkRule(preferred=preferred_mib * MiB)
    plan = plan_chunks(size, rule)
    assert check_chunk_plan(plan, rule) == ""
    ranges = plan.ranges()
    assert ranges[0][0] == 0 and ranges[-1][1] == size - 1
    assert all(b[0] == a[1] + 1 for a, b in itertools.pairwise(ranges))


def test_utf16_length_counts_surrogate_pairs() -> None:
    assert utf16_units("ab😀") == 4


def make(fake: FakeTikTok, sleeps: list[float] | None = None, **kw: Any) -> TikTokPublisher:
    client = httpx.Client(
        base_url="https://open.tiktokapis.com", transport=httpx.MockTransport(fake)
    )
    creds = kw.pop("creds", TikTokCredentials(access_token=TOKEN))
    sleep = sleeps.append if sleeps is not None else None
    return TikTokPublisher(client, creds, pacing=fast_pacing(sleep), chunk_rule=SMALL_CHUNKS, **kw)


@pytest.fixture
def request_250k(tmp_path: Path) -> PublishRequest:
    video = fake_mp4(tmp_path / "clip.mp4", 250_000)
    return PublishRequest(clip_id="c1", video=video, title="Hello #shop", platform="tiktok")


def test_direct_post_uploads_chunks_in_order_without_authorization(
    request_250k: PublishRequest,
) -> None:
    fake = FakeTikTok(250_000)
    checkpoints: list[tuple[str, str]] = []
    post_id = make(fake).publish(request_250k, lambda s, p: checkpoints.append((s, p)), "")
    assert post_id == "7312345"
    assert checkpoints == [("uploading", "p_1"), ("processing", "p_1")]
    init = next(r for r in fake.requests if r.url.path.endswith("video/init/"))
    body = json.loads(init.content)
    assert body["source_info"] == {
        "source": "FILE_UPLOAD",
        "video_size": 250_000,
        "chunk_size": 100_000,
        "total_chunk_count": 2,
    }
    assert body["post_info"]["privacy_level"] == "PUBLIC_TO_EVERYONE"
    assert init.headers["authorization"] == f"Bearer {TOKEN}"
    puts = [r for r in fake.requests if r.method == "PUT"]
    assert [r.headers["content-range"] for r in puts] == [
        "bytes 0-99999/250000",
        "bytes 100000-249999/250000",
    ]
    assert all("authorization" not in r.headers for r in puts)
    assert all(r.headers["content-type"] == "video/mp4" for r in puts)
    assert [r.headers["content-length"] for r in puts] == ["100000", "150000"]


def test_inbox_mode_uses_inbox_init_and_stops_at_inbox(request_250k: PublishRequest) -> None:
    fake = FakeTikTok(250_000, statuses=["SEND_TO_USER_INBOX"])
    post_id = make(fake, mode="inbox").publish(request_250k, lambda s, p: None, "")
    assert post_id == "p_1"
    paths = [r.url.path for r in fake.requests]
    assert "/v2/post/publish/inbox/video/init/" in paths
    assert not any(p.endswith("creator_info/query/") for p in paths)


def test_spam_risk_on_creator_info_blocks_the_account(request_250k: PublishRequest) -> None:
    fake = FakeTikTok(250_000)
    fake.script["/v2/post/publish/creator_info/query/"] = [err(200, "spam_risk_too_many_posts")]
    with pytest.raises(AccountBlockedError) as info:
        make(fake).publish(request_250k, lambda s, p: None, "")
    assert TOKEN not in str(info.value)


@pytest.mark.parametrize(
    "code", ["invalid_param", "invalid_params", "privacy_level_option_mismatch"]
)
def test_validation_codes_are_permanent(request_250k: PublishRequest, code: str) -> None:
    fake = FakeTikTok(250_000)
    fake.script["/v2/post/publish/video/init/"] = [err(400, code)]
    with pytest.raises(PermanentPublishError) as info:
        make(fake).publish(request_250k, lambda s, p: None, "")
    assert code in str(info.value) and TOKEN not in str(info.value)


def test_rate_limit_honours_retry_after(request_250k: PublishRequest) -> None:
    fake = FakeTikTok(250_000)
    fake.script["/v2/post/publish/video/init/"] = [
        err(429, "rate_limit_exceeded", {"Retry-After": "1.5"}),
        err(500, "internal_error"),
    ]
    sleeps: list[float] = []
    assert make(fake, sleeps).publish(request_250k, lambda s, p: None, "") == "7312345"
    assert sleeps[0] == 1.5
    assert 0.005 <= sleeps[1] <= 0.01  # then jittered backoff (2nd try: base·2) for the 500


def test_chunk_5xx_retries_the_same_chunk(request_250k: PublishRequest) -> None:
    fake = FakeTikTok(250_000)
    fake.script["/u/1"] = [httpx.Response(503)]
    make(fake).publish(request_250k, lambda s, p: None, "")
    ranges = [r.headers["content-range"] for r in fake.requests if r.method == "PUT"]
    assert ranges == ["bytes 0-99999/250000", "bytes 0-99999/250000", "bytes 100000-249999/250000"]


def test_416_resyncs_from_uploaded_bytes(request_250k: PublishRequest) -> None:
    fake = FakeTikTok(250_000)
    fake.received = 100_000  # the platform already has chunk 1 (its answer was lost)
    make(fake).publish(request_250k, lambda s, p: None, "")
    ranges = [r.headers["content-range"] for r in fake.requests if r.method == "PUT"]
    assert ranges == ["bytes 0-99999/250000", "bytes 100000-249999/250000"]


def test_resume_polls_the_stored_publish_id(request_250k: PublishRequest) -> None:
    fake = FakeTikTok(250_000)
    fake.received = 250_000
    checkpoints: list[tuple[str, str]] = []
    post_id = make(fake).publish(request_250k, lambda s, p: checkpoints.append((s, p)), "p_old")
    assert post_id == "7312345"
    assert checkpoints == [("processing", "p_old")]
    assert not any(r.method == "PUT" or r.url.path.endswith("init/") for r in fake.requests)


def test_resume_of_an_unfinished_upload_starts_again(request_250k: PublishRequest) -> None:
    fake = FakeTikTok(250_000)
    fake.statuses = ["PROCESSING_UPLOAD", "PROCESSING_UPLOAD", "PUBLISH_COMPLETE"]
    make(fake).publish(request_250k, lambda s, p: None, "p_old")
    assert any(r.url.path.endswith("video/init/") for r in fake.requests)


def test_failed_media_check_is_permanent(request_250k: PublishRequest) -> None:
    fake = FakeTikTok(250_000)
    fake.statuses = ["FAILED"]
    fake.script["/v2/post/publish/status/fetch/"] = [
        ok({"status": "FAILED", "fail_reason": "frame_rate_check_failed"})
    ]
    with pytest.raises(PermanentPublishError, match="frame_rate_check_failed"):
        make(fake).publish(request_250k, lambda s, p: None, "")


def test_expired_token_is_refreshed_and_rotated_token_stored(
    request_250k: PublishRequest, tmp_path: Path
) -> None:
    fake = FakeTikTok(250_000)
    fake.script["/v2/post/publish/creator_info/query/"] = [err(401, "access_token_invalid")]
    fake.script["/v2/oauth/token/"] = [
        httpx.Response(
            200,
            json={
                "access_token": "act.NEW-token-999",
                "expires_in": 86400,
                "open_id": "o",
                "refresh_token": "rft.ROTATED-777",
                "refresh_expires_in": 1,
                "scope": "video.publish",
                "token_type": "Bearer",
            },
        )
    ]
    from pipeline.publish.tiktok.client import FileTokenStore

    store = FileTokenStore(tmp_path / "tokens.json")
    creds = TikTokCredentials(
        access_token=TOKEN, refresh_token="rft.OLD-1", client_key="ck", client_secret="cs-secret"
    )
    make(fake, creds=creds, token_store=store).publish(request_250k, lambda s, p: None, "")
    refresh = next(r for r in fake.requests if r.url.path == "/v2/oauth/token/")
    assert b"grant_type=refresh_token" in refresh.content and b"rft.OLD-1" in refresh.content
    saved = store.load()
    assert saved is not None and saved.refresh_token == "rft.ROTATED-777"
    assert (store.path.stat().st_mode & 0o777) == 0o600
    later = [r for r in fake.requests if r.url.path.endswith("video/init/")]
    assert later[0].headers["authorization"] == "Bearer act.NEW-token-999"


def test_invalid_token_without_refresh_blocks(request_250k: PublishRequest) -> None:
    fake = FakeTikTok(250_000)
    fake.script["/v2/post/publish/creator_info/query/"] = [err(401, "access_token_invalid")]
    with pytest.raises(AccountBlockedError) as info:
        make(fake).publish(request_250k, lambda s, p: None, "")
    assert TOKEN not in info.value.one_line()


def test_redactor_hides_known_and_token_shaped_secrets() -> None:
    redact = Redactor(["s3cr3t-value"])
    text = redact("Authorization: Bearer abc.DEF-123 access_token=xyz&x=1 s3cr3t-value done")
    assert "abc.DEF-123" not in text and "xyz" not in text and "s3cr3t" not in text
    assert text.endswith("done") and "x=1" in text

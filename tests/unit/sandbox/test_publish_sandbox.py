"""publish_clip against the real local sandbox (uvicorn in a thread)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from pipeline.core.errors import AccountBlockedError, BadInput, ConfigError, TransientPublishError
from pipeline.publish import publish_clip, publish_due, publish_status, schedule_clip
from sandbox.server import SandboxHandle, parse_faults, start_sandbox
from tests.support.publish_support import fake_mp4, fast_sandbox_config, fast_tuning, sha256


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxHandle]:
    with start_sandbox(config=fast_sandbox_config(blocked_accounts=("spammy",))) as handle:
        yield handle


@pytest.fixture
def ledger_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ledger.db'}"


def post(video: Path, sandbox: SandboxHandle, ledger_url: str, platform: str, **kw: object):
    return publish_clip(
        video,
        clip_id=kw.pop("clip_id", video.stem),
        caption=kw.pop("caption", "Glow serum #ad"),
        platform=platform,
        sandbox_url=sandbox.base_url,
        ledger_url=ledger_url,
        product_ids={"tiktok": "1729000111", "instagram": "5550001"},
        tuning=fast_tuning(),
        **kw,
    )


def matching(sandbox: SandboxHandle, video: Path, platform: str) -> list[dict[str, object]]:
    digest = sha256(video)
    return [p for p in sandbox.posts() if p["sha256"] == digest and p["platform"] == platform]


def test_tiktok_publishes_once_and_rerun_is_a_noop(
    sandbox: SandboxHandle, tmp_path: Path, ledger_url: str
) -> None:
    video = fake_mp4(tmp_path / "tt1.mp4", 260_000, seed=1)
    record = post(video, sandbox, ledger_url, "tiktok")
    assert record.state == "published" and record.post_id and record.attempts == 1
    again = post(video, sandbox, ledger_url, "tiktok")
    assert again == record
    (posted,) = matching(sandbox, video, "tiktok")
    assert posted["post_id"] == record.post_id and posted["bytes"] == 260_000
    assert posted["title"] == "Glow serum #ad" and posted["account"] == "default"


def test_banner_and_credentials(sandbox: SandboxHandle) -> None:
    from sandbox.server import banner

    lines = banner(sandbox.base_url, sandbox.state)
    assert lines[0] == f"sandbox: {sandbox.base_url}"
    assert lines[1:] == [f"token {p}: {t}" for p, t in sandbox.tokens.items()]
    creds = httpx.get(f"{sandbox.base_url}/_sandbox/credentials").json()
    assert creds["tiktok"]["access_token"] == sandbox.tokens["tiktok"]


def test_sandbox_rejects_requests_without_a_valid_token(sandbox: SandboxHandle) -> None:
    url = f"{sandbox.base_url}/v2/post/publish/creator_info/query/"
    assert httpx.post(url).status_code == 401
    bad = httpx.post(url, headers={"Authorization": "Bearer nope"})
    assert bad.json()["error"]["code"] == "access_token_invalid"
    youtube_token = {"Authorization": f"Bearer {sandbox.tokens['youtube']}"}
    assert httpx.post(url, headers=youtube_token).status_code == 401


def test_blocked_account_is_recorded_and_tokens_stay_out(
    sandbox: SandboxHandle, tmp_path: Path, ledger_url: str
) -> None:
    video = fake_mp4(tmp_path / "spam.mp4", 1000, seed=2)
    with pytest.raises(AccountBlockedError):
        post(video, sandbox, ledger_url, "tiktok", account="spammy")
    (record,) = publish_status(ledger_url)
    assert record.state == "blocked" and "spam_risk" in record.reason
    assert all(t not in record.model_dump_json() for t in sandbox.tokens.values())


def test_preflight_refuses_before_any_call(tmp_path: Path, ledger_url: str) -> None:
    video = fake_mp4(tmp_path / "ok.mp4", 1000)
    with pytest.raises(BadInput, match="caption too long"):
        publish_clip(
            video,
            clip_id="c",
            caption="x" * 2201,
            platform="tiktok",
            sandbox_url="http://127.0.0.1:9",
            ledger_url=ledger_url,
        )
    not_mp4 = tmp_path / "notes.mp4"
    not_mp4.write_text("hello there")
    with pytest.raises(BadInput, match="not an MP4"):
        publish_clip(not_mp4, clip_id="c", caption="hi", platform="tiktok", ledger_url=ledger_url)
    with pytest.raises(BadInput, match="unknown platform"):
        publish_clip(video, clip_id="c", caption="hi", platform="myspace", ledger_url=ledger_url)
    with pytest.raises(BadInput, match="product id"):
        publish_clip(
            video, clip_id="c", caption="hi", platform="tiktok-shop", ledger_url=ledger_url
        )
    assert publish_status(ledger_url) == []


def test_missing_env_credentials_is_bad_input(
    tmp_path: Path, ledger_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLIPCART_TIKTOK_TOKEN", raising=False)
    video = fake_mp4(tmp_path / "ok.mp4", 1000)
    with pytest.raises(ConfigError, match="CLIPCART_TIKTOK_TOKEN is not set"):
        publish_clip(video, clip_id="c", caption="hi", platform="tiktok", ledger_url=ledger_url)


def test_scheduled_clip_posts_when_due(
    sandbox: SandboxHandle, tmp_path: Path, ledger_url: str
) -> None:
    from datetime import UTC, datetime, timedelta

    video = fake_mp4(tmp_path / "later.mp4", 120_000, seed=3)
    at = datetime.now(UTC) + timedelta(hours=1)
    record = schedule_clip(
        video, clip_id="later", caption="Later", platform="tiktok", at=at, ledger_url=ledger_url
    )
    assert record.state == "scheduled"
    assert (
        publish_due(ledger_url=ledger_url, sandbox_url=sandbox.base_url, tuning=fast_tuning()) == []
    )
    done = publish_due(
        ledger_url=ledger_url,
        sandbox_url=sandbox.base_url,
        tuning=fast_tuning(),
        now=at + timedelta(seconds=1),
    )
    assert [r.state for r in done] == ["published"]
    assert len(matching(sandbox, video, "tiktok")) == 1


def test_rate_limit_is_per_token_and_retried(tmp_path: Path, ledger_url: str) -> None:
    config = fast_sandbox_config(rate_limits={"tiktok.init": 1}, rate_window_s=0.3)
    with start_sandbox(config=config) as box:
        for i in range(2):
            video = fake_mp4(tmp_path / f"r{i}.mp4", 1000, seed=10 + i)
            assert post(video, box, ledger_url, "tiktok").state == "published"
        assert len(box.posts()) == 2


def test_fault_spec_is_validated() -> None:
    assert parse_faults("5xx=0.2,drop=0.1,429=0.1,slow=0.1") == {
        "5xx": 0.2,
        "drop": 0.1,
        "429": 0.1,
        "slow": 0.1,
    }
    with pytest.raises(ValueError, match="unknown fault"):
        parse_faults("boom=0.1")


@pytest.mark.parametrize("platform", ["tiktok-shop", "instagram", "youtube"])
def test_other_platforms_publish_once(
    sandbox: SandboxHandle, tmp_path: Path, ledger_url: str, platform: str
) -> None:
    video = fake_mp4(tmp_path / f"{platform}.mp4", 600_000, seed=hash(platform) % 1000)
    record = post(video, sandbox, ledger_url, platform)
    assert record.state == "published" and record.post_id
    assert post(video, sandbox, ledger_url, platform) == record
    (posted,) = matching(sandbox, video, platform)
    assert posted["post_id"] == record.post_id and posted["bytes"] == 600_000
    expected_product = {"tiktok-shop": "1729000111", "instagram": "5550001", "youtube": ""}
    assert posted["product_id"] == expected_product[platform]


def test_accounts_are_separate_targets(
    sandbox: SandboxHandle, tmp_path: Path, ledger_url: str
) -> None:
    video = fake_mp4(tmp_path / "two.mp4", 5000, seed=77)
    a = post(video, sandbox, ledger_url, "youtube", account="brand-a")
    b = post(video, sandbox, ledger_url, "youtube", account="brand-b")
    assert a.post_id != b.post_id
    assert sorted(p["account"] for p in matching(sandbox, video, "youtube")) == [
        "brand-a",
        "brand-b",
    ]


def test_transient_give_up_stays_due_and_publish_due_resumes(
    tmp_path: Path, ledger_url: str
) -> None:
    video = fake_mp4(tmp_path / "flaky.mp4", 120_000, seed=5)
    down = start_sandbox(faults="5xx=1.0", config=fast_sandbox_config())
    with down, pytest.raises(TransientPublishError):
        post(video, down, ledger_url, "tiktok")
    (record,) = publish_status(ledger_url)
    assert record.state == "scheduled" and "internal_error" in record.reason
    port = int(down.base_url.rsplit(":", 1)[1])  # same target: the sandbox is back up
    with start_sandbox(port=port, config=fast_sandbox_config()) as up:
        (done,) = publish_due(ledger_url=ledger_url, sandbox_url=up.base_url, tuning=fast_tuning())
        assert done.state == "published" and done.attempts == 2
        assert len(matching(up, video, "tiktok")) == 1


def test_tiktok_daily_cap_blocks_the_account(tmp_path: Path, ledger_url: str) -> None:
    with start_sandbox(config=fast_sandbox_config(tiktok_daily_cap=1)) as box:
        first = fake_mp4(tmp_path / "cap1.mp4", 1000, seed=31)
        assert post(first, box, ledger_url, "tiktok").state == "published"
        second = fake_mp4(tmp_path / "cap2.mp4", 1000, seed=32)
        with pytest.raises(AccountBlockedError, match="spam_risk_too_many_posts"):
            post(second, box, ledger_url, "tiktok")
        third = fake_mp4(tmp_path / "cap3.mp4", 1000, seed=33)
        schedule_clip(
            third,
            clip_id="cap3",
            caption="c",
            platform="tiktok",
            at=datetime.now(UTC),
            ledger_url=ledger_url,
        )
        assert publish_due(ledger_url=ledger_url, sandbox_url=box.base_url) == []  # skipped


def test_an_oversized_body_is_refused_before_it_is_read() -> None:
    """The sandbox bounds what it buffers: over max_body_bytes answers 413."""
    import httpx

    from tests.support.publish_support import fast_sandbox_config

    config = fast_sandbox_config(max_body_bytes=1000)
    with start_sandbox(config=config) as box:
        big = httpx.post(f"{box.base_url}/v2/post/publish/creator_info/query/",
                         content=b"x" * 5000, timeout=10)
        small = httpx.post(f"{box.base_url}/v2/post/publish/creator_info/query/",
                           content=b"{}", timeout=10)
    assert big.status_code == 413
    assert small.status_code != 413

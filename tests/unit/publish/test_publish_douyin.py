"""Douyin publishing against the real local sandbox: single and part uploads, token refresh,
error mapping, faults and killed publishers (exactly once, the clip's bytes)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pipeline.core.errors import (
    AccountBlockedError,
    BadInput,
    PermanentPublishError,
    TransientPublishError,
)
from pipeline.publish import PublishRecord, publish_clip, publish_status
from pipeline.publish.base import Redactor
from pipeline.publish.douyin import PartRule, douyin_error
from pipeline.publish.ledger import Ledger
from sandbox.server import SandboxHandle, banner, start_sandbox
from tests.support.publish_support import fake_mp4, fast_sandbox_config, fast_tuning, sha256

ROOT = Path(__file__).resolve().parents[1]
TEXT = "便携保温杯 - ¥168.00\n链接见主页\n\n#保温杯"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxHandle]:
    with start_sandbox(config=fast_sandbox_config(blocked_accounts=("banned",))) as handle:
        yield handle


@pytest.fixture
def ledger_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ledger.db'}"


def post(video: Path, box: SandboxHandle, ledger_url: str, **kw: object) -> PublishRecord:
    return publish_clip(
        video,
        clip_id=str(kw.pop("clip_id", video.stem)),
        caption=str(kw.pop("caption", TEXT)),
        platform="douyin",
        sandbox_url=box.base_url,
        ledger_url=ledger_url,
        product_ids={"douyin": "pages/product?sku=CUP-1"},
        product_title="便携保温杯",
        tuning=fast_tuning(),
        **kw,  # type: ignore[arg-type]
    )


def douyin_posts(box: SandboxHandle, video: Path) -> list[dict[str, object]]:
    digest = sha256(video)
    return [p for p in box.posts() if p["platform"] == "douyin" and p["sha256"] == digest]


@pytest.mark.parametrize("size", [150_000, 430_000], ids=["single", "parts"])
def test_publishes_once_with_the_clips_bytes(
    sandbox: SandboxHandle, tmp_path: Path, ledger_url: str, size: int
) -> None:
    video = fake_mp4(tmp_path / f"dy{size}.mp4", size, seed=size)
    record = post(video, sandbox, ledger_url)
    assert record.state == "published" and record.post_id.startswith("@sbx")
    assert post(video, sandbox, ledger_url) == record
    (posted,) = douyin_posts(sandbox, video)
    assert posted["post_id"] == record.post_id and posted["bytes"] == size
    assert posted["title"] == TEXT and posted["product_id"] == "pages/product?sku=CUP-1"


def test_banner_and_posts_list_douyin(sandbox: SandboxHandle) -> None:
    lines = banner(sandbox.base_url, sandbox.state)
    assert f"token douyin: {sandbox.tokens['douyin']}" in lines
    creds = httpx.get(f"{sandbox.base_url}/_sandbox/credentials").json()["douyin"]
    assert creds["access_token"] == sandbox.tokens["douyin"] and creds["open_id"]
    assert isinstance(httpx.get(f"{sandbox.base_url}/_sandbox/posts").json(), list)


def test_expired_token_is_refreshed(tmp_path: Path, ledger_url: str) -> None:
    with start_sandbox(config=fast_sandbox_config()) as box:
        box.state.expired.add(box.tokens["douyin"])
        video = fake_mp4(tmp_path / "expired.mp4", 90_000, seed=3)
        record = post(video, box, ledger_url)
        assert record.state == "published" and len(douyin_posts(box, video)) == 1


def test_banned_account_is_blocked(sandbox: SandboxHandle, tmp_path: Path, ledger_url: str) -> None:
    video = fake_mp4(tmp_path / "banned.mp4", 50_000, seed=4)
    with pytest.raises(AccountBlockedError, match="2100009"):
        post(video, sandbox, ledger_url, account="banned")
    (record,) = publish_status(ledger_url)
    assert record.state == "blocked" and sandbox.tokens["douyin"] not in record.reason
    assert douyin_posts(sandbox, video) == []


def test_links_and_long_text_are_refused_before_any_call(tmp_path: Path, ledger_url: str) -> None:
    video = fake_mp4(tmp_path / "link.mp4", 50_000, seed=5)
    with pytest.raises(BadInput, match="link"):
        post(video, _nowhere(), ledger_url, caption="Buy https://shop.example.com/p")
    with pytest.raises(BadInput, match="too long for douyin"):
        post(video, _nowhere(), ledger_url, caption="好" * 56)


def _nowhere() -> SandboxHandle:
    class Nowhere:
        base_url = "http://127.0.0.1:9"

    return Nowhere()  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (2190008, AccountBlockedError),
        (2100009, AccountBlockedError),
        (2190004, AccountBlockedError),
        (2100004, TransientPublishError),
        (28003018, TransientPublishError),
        (2190001, TransientPublishError),
        (2100005, PermanentPublishError),
    ],
)
def test_error_codes_map_to_clipcart_errors(code: int, kind: type[Exception]) -> None:
    request = httpx.Request("POST", "https://open.douyin.com/video/create/")
    error = douyin_error(httpx.Response(200, request=request), code, "x", Redactor())
    assert type(error) is kind


def test_part_rule_covers_the_file() -> None:
    rule = PartRule(single_max=10, part_bytes=20 * 1024 * 1024)
    size = 67 * 1024 * 1024
    parts = rule.parts(size)
    assert [length for _, length in parts] == [20 * 1024 * 1024] * 2 + [27 * 1024 * 1024]
    assert sum(length for _, length in parts) == size


def test_faults_never_duplicate(tmp_path: Path, ledger_url: str) -> None:
    faults = "5xx=0.15,drop=0.15,429=0.1,slow=0.05"
    with start_sandbox(faults=faults, seed=7, config=fast_sandbox_config()) as box:
        videos = [fake_mp4(tmp_path / f"f{i}.mp4", 120_000 + 110_000 * i, seed=i) for i in range(4)]
        for _ in range(2):  # the second run must be a no-op
            for video in videos:
                _until_done(video, box, ledger_url)
        for video in videos:
            (posted,) = douyin_posts(box, video)
            assert posted["bytes"] == video.stat().st_size


class LosesCompleteAnswers(httpx.BaseTransport):
    """The sandbox over real HTTP, except that the answers of the first ``lose``
    part-complete calls that succeeded are lost (the connection drops on the way back)."""

    def __init__(self, lose: int) -> None:
        self.inner = httpx.HTTPTransport()
        self.lose = lose

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.url.path.endswith("/video/part/complete/") and self.lose > 0:
            response.read()
            if response.json().get("data", {}).get("error_code") == 0:
                self.lose -= 1
                response.close()
                raise httpx.ReadError("connection reset", request=request)
        return response

    def close(self) -> None:
        self.inner.close()


def test_an_upload_lost_twice_is_uploaded_a_third_time_and_posted_once(
        sandbox: SandboxHandle, tmp_path: Path, ledger_url: str) -> None:
    """Each retried complete finds its upload already taken: the run uploads afresh
    (it once gave up on the second loss with an internal error, and the post was marked
    failed for good)."""
    video = fake_mp4(tmp_path / "lost.mp4", 430_000, seed=41)
    record = post(video, sandbox, ledger_url, transport=LosesCompleteAnswers(2))
    assert record.state == "published"
    (posted,) = douyin_posts(sandbox, video)
    assert posted["bytes"] == video.stat().st_size and posted["sha256"] == sha256(video)


def test_an_upload_lost_every_time_stays_due(sandbox: SandboxHandle, tmp_path: Path,
                                             ledger_url: str) -> None:
    video = fake_mp4(tmp_path / "gone.mp4", 430_000, seed=42)
    with pytest.raises(TransientPublishError, match="lost the upload 3 times"):
        post(video, sandbox, ledger_url, transport=LosesCompleteAnswers(3))
    assert douyin_posts(sandbox, video) == []
    assert post(video, sandbox, ledger_url).state == "published"  # the next run posts it


def _until_done(video: Path, box: SandboxHandle, ledger_url: str) -> PublishRecord:
    for _ in range(6):
        try:
            return post(video, box, ledger_url)
        except TransientPublishError:
            continue
    raise AssertionError(f"{video.name} never published")


PUBLISHER = """
import sys
from pathlib import Path
from tests.support.publish_support import fast_tuning
from pipeline.publish import publish_clip
video, sandbox_url, ledger_url = sys.argv[1:4]
record = publish_clip(Path(video), clip_id=Path(video).stem, caption="保温杯 #好物",
                      platform="douyin", sandbox_url=sandbox_url, ledger_url=ledger_url,
                      tuning=fast_tuning())
print(record.state, record.post_id)
"""


def _spawn(video: Path, box: SandboxHandle, ledger_url: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-c", PUBLISHER, str(video), box.base_url, ledger_url]
    return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


@pytest.mark.parametrize("point", ["uploading", "processing"])
def test_killed_publisher_resumes_exactly_once(tmp_path: Path, ledger_url: str, point: str) -> None:
    """SIGKILL the publisher once its ledger row reaches ``point``; a re-run finishes the post."""
    config = fast_sandbox_config(slow_s=0.15)
    video = fake_mp4(tmp_path / f"kill-{point}.mp4", 650_000, seed=11)
    ledger = Ledger(ledger_url)
    with start_sandbox(faults="slow=0.6", seed=3, config=config) as box:
        proc = _spawn(video, box, ledger_url)
        deadline = time.monotonic() + 60
        seen = ""
        while proc.poll() is None and time.monotonic() < deadline:
            record = ledger.get((video.stem, "douyin", "default", box.base_url))
            if record is not None and record.state == point:
                seen = record.publish_id
                break
            time.sleep(0.005)
        proc.kill()
        proc.communicate(timeout=30)
        assert seen, f"the publisher never reached {point}"
        rerun = _spawn(video, box, ledger_url)
        out, err = rerun.communicate(timeout=120)
        assert rerun.returncode == 0, err[-2000:]
        assert out.startswith("published")
        (posted,) = douyin_posts(box, video)
        assert posted["bytes"] == 650_000
    ledger.close()

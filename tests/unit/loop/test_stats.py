"""clipcart stats against the real local sandbox: counters read, stored, growing."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from pipeline.core.errors import ConfigError
from pipeline.publish import publish_clip
from pipeline.publish.douyin_metrics import douyin_metrics
from pipeline.publish.metric_store import MetricStore, PostMetrics
from pipeline.publish.metrics import collect_stats
from sandbox.metrics import counters
from sandbox.server import SandboxHandle, start_sandbox
from sandbox.state import douyin_open_id
from tests.support.publish_support import fake_mp4, fast_sandbox_config, fast_tuning

PLATFORMS = ("tiktok", "tiktok-shop", "instagram", "youtube", "douyin")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxHandle]:
    with start_sandbox(seed=7, config=fast_sandbox_config(metrics_hour_s=0.5)) as handle:
        yield handle


def published_clip(folder: Path, sandbox: SandboxHandle, ledger_url: str, seed: int) -> str:
    """A fake clip folder (clip.mp4 + manifest.json) posted to every platform."""
    folder.mkdir(parents=True)
    video = fake_mp4(folder / "clip.mp4", 120_000, seed=seed)
    clip_id = f"clip{seed}"
    manifest = {"clip_id": clip_id, "sku": "SERUM-1", "template": "bold", "variant": "b"}
    (folder / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    for platform in PLATFORMS:
        publish_clip(video, clip_id=clip_id, caption="Glow serum #ad", platform=platform,
                     sandbox_url=sandbox.base_url, ledger_url=ledger_url,
                     product_ids={"tiktok": "1729000111", "instagram": "5550001"},
                     product_title="Glow serum", tuning=fast_tuning())
    return clip_id


def test_counters_are_seeded_and_grow() -> None:
    early, late = counters(7, "p1", 1.0), counters(7, "p1", 30.0)
    assert counters(7, "p1", 1.0) == early
    assert counters(8, "p1", 1.0) != early
    assert late.views > early.views > 0
    assert late.likes >= early.likes and late.shares >= early.shares


def test_stats_stores_every_platforms_counters_and_keeps_growth(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    ledger_url = f"sqlite:///{tmp_path / 'ledger.db'}"
    clip_id = published_clip(tmp_path / "c1", sandbox, ledger_url, seed=1)
    first = collect_stats(ledger_url=ledger_url, sandbox_url=sandbox.base_url,
                          tuning=fast_tuning())
    assert first.problems == []
    assert sorted(s.platform for s in first.snapshots) == sorted(PLATFORMS)
    for snap in first.snapshots:
        assert snap.clip_id == clip_id and snap.views > 0 and snap.likes is not None
        assert (snap.sku, snap.template, snap.variant) == ("SERUM-1", "bold", "b")
    youtube = next(s for s in first.snapshots if s.platform == "youtube")
    assert youtube.shares is None
    time.sleep(1.0)  # two metric hours on this sandbox's clock
    second = collect_stats(ledger_url=ledger_url, sandbox_url=sandbox.base_url,
                           tuning=fast_tuning())
    with MetricStore(ledger_url) as store:
        stored = store.snapshots()
    assert len(stored) == 2 * len(PLATFORMS)
    before = {s.platform: s.views for s in first.snapshots}
    assert all(s.views > before[s.platform] for s in second.snapshots)


def test_sandbox_metric_routes_speak_the_contracts(sandbox: SandboxHandle, tmp_path: Path
                                                   ) -> None:
    ledger_url = f"sqlite:///{tmp_path / 'ledger.db'}"
    published_clip(tmp_path / "c2", sandbox, ledger_url, seed=2)
    token = sandbox.tokens["tiktok"]
    bad = httpx.post(f"{sandbox.base_url}/v2/video/query/?fields=id,view_count",
                     json={"filters": {"video_ids": ["x"]}},
                     headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "access_token_invalid"
    unknown = httpx.post(f"{sandbox.base_url}/v2/video/query/?fields=id,view_count",
                         json={"filters": {"video_ids": ["nope"]}},
                         headers={"Authorization": f"Bearer {token}"})
    assert unknown.json() == {"data": {"videos": [], "cursor": 0, "has_more": False},
                              "error": {"code": "ok", "message": "", "log_id": "sbx-log"}}
    yt = httpx.get(f"{sandbox.base_url}/youtube/v3/videos", params={"part": "statistics",
                   "id": "zz"}, headers={"Authorization": "Bearer nope"})
    assert yt.status_code == 401
    open_id = douyin_open_id("default")
    dy_bad = httpx.post(f"{sandbox.base_url}/video/data/", params={"open_id": open_id},
                        json={"item_ids": ["x"]}, headers={"access-token": "nope"})
    assert dy_bad.status_code == 200 and dy_bad.json()["data"]["error_code"] == 2190002
    dy_empty = httpx.post(f"{sandbox.base_url}/video/data/", params={"open_id": open_id},
                          json={"item_ids": []},
                          headers={"access-token": sandbox.tokens["douyin"]})
    assert dy_empty.json()["data"]["error_code"] == 2100005


def test_douyin_video_data_is_read_as_plays_diggs_comments_shares() -> None:
    data = {"error_code": 0, "description": "", "list": [
        {"item_id": "@abc", "statistics": {"play_count": 1200, "digg_count": 80,
                                           "comment_count": 5, "share_count": 3,
                                           "forward_count": 9, "download_count": 1}},
        {"item_id": "@def", "statistics": {"play_count": "40"}},
        {"statistics": {"play_count": 7}}, "junk"]}
    found = douyin_metrics(data)
    assert found["@abc"] == PostMetrics(post_id="@abc", views=1200, likes=80, comments=5,
                                        shares=3)
    assert found["@def"] == PostMetrics(post_id="@def", views=40)
    assert set(found) == {"@abc", "@def"} and douyin_metrics({}) == {}


def test_stats_without_credentials_is_bad_input(tmp_path: Path, sandbox: SandboxHandle,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    ledger_url = f"sqlite:///{tmp_path / 'ledger.db'}"
    published_clip(tmp_path / "c3", sandbox, ledger_url, seed=3)
    for name in ("CLIPCART_TIKTOK_TOKEN", "CLIPCART_INSTAGRAM_TOKEN", "CLIPCART_YOUTUBE_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    # without --sandbox only real posts are read: the sandbox's posts are not among them
    assert collect_stats(ledger_url=ledger_url, tuning=fast_tuning()).snapshots == []
    engine = create_engine(ledger_url)  # the same posts as if they had gone to the platforms
    with engine.begin() as db:
        db.execute(text("UPDATE publish_records SET target = 'platform'"))
    engine.dispose()
    with pytest.raises(ConfigError, match="is not set"):
        collect_stats(ledger_url=ledger_url, tuning=fast_tuning())


def test_stats_survives_rate_limits_and_faults(tmp_path: Path) -> None:
    config = fast_sandbox_config(rate_limits={"tiktok.video_query": 1}, metrics_hour_s=1.0)
    with start_sandbox(seed=3, faults="429=0.2,5xx=0.1", config=config) as box:
        ledger_url = f"sqlite:///{tmp_path / 'ledger.db'}"
        clips = [published_clip(tmp_path / f"f{i}", box, ledger_url, seed=10 + i)
                 for i in range(2)]
        run = collect_stats(ledger_url=ledger_url, sandbox_url=box.base_url,
                            tuning=fast_tuning())
    assert run.problems == []
    assert {s.clip_id for s in run.snapshots} == set(clips)
    assert len(run.snapshots) == 2 * len(PLATFORMS)


def test_ids_are_asked_in_pages_of_the_platform_limit() -> None:
    from pipeline.publish.metric_store import PostMetrics, in_pages

    asked: list[int] = []

    def query(ids: list[str]) -> dict[str, PostMetrics]:
        asked.append(len(ids))
        return {i: PostMetrics(post_id=i, views=int(i)) for i in ids if int(i) % 2}

    found = in_pages([str(n) for n in range(45)], 20, query)
    assert asked == [20, 20, 5]
    assert sorted(found, key=int) == [str(n) for n in range(1, 45, 2)]

"""The collect-stats flow and its deployment (one session-wide Prefect harness)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from flows.serve import deployments
from flows.stats import collect_stats_flow
from pipeline.publish import publish_clip
from sandbox.server import start_sandbox
from tests.support.publish_support import fake_mp4, fast_sandbox_config, fast_tuning


def test_collect_stats_is_served_hourly(tmp_path: Path) -> None:
    served = {d.name: d for d in deployments(None, None, tmp_path, "sqlite:///x.db", None)}
    stats = served["collect-stats"]
    assert stats.schedules[0].schedule.interval.total_seconds() == 3600
    assert stats.parameters == {"ledger": "sqlite:///x.db", "sandbox": None}


def test_flow_stores_snapshots_and_publishes_the_report(tmp_path: Path) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    ledger = f"sqlite:///{tmp_path / 'ledger.db'}"
    folder = tmp_path / "clip1"
    folder.mkdir()
    video = fake_mp4(folder / "clip.mp4", 5000, seed=9)
    (folder / "manifest.json").write_text(json.dumps({"clip_id": "clip1", "sku": "S1"}))
    with start_sandbox(config=fast_sandbox_config()) as box:
        publish_clip(video, clip_id="clip1", caption="Glow #ad", platform="tiktok",
                     sandbox_url=box.base_url, ledger_url=ledger, tuning=fast_tuning())
        stored = collect_stats_flow(ledger=ledger, sandbox=box.base_url)
    assert stored == 1

    async def keys() -> set[str]:
        async with get_client() as client:
            found = await client.read_artifacts(artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=["clip-report", "clip-report-html", "variant-calls"])))
            return {a.key for a in found if a.key}

    assert asyncio.run(keys()) == {"clip-report", "clip-report-html", "variant-calls"}

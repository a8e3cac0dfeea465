"""Prefect's API server records task runs in batches (clipcart's default): every task
run still reaches the API, and a setting the user gave wins over clipcart's."""

from __future__ import annotations

import os
import time

import pytest

from flows import RECORDER_BATCHING, configure_prefect_env

RECORDER = "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_"


def test_batching_is_a_default_the_environment_overrides(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{RECORDER}BATCH_SIZE", "7")
    monkeypatch.delenv(f"{RECORDER}FLUSH_INTERVAL", raising=False)
    configure_prefect_env()
    assert os.environ[f"{RECORDER}BATCH_SIZE"] == "7"
    assert os.environ[f"{RECORDER}FLUSH_INTERVAL"] == RECORDER_BATCHING["FLUSH_INTERVAL"]


@pytest.mark.usefixtures("prefect_harness")
def test_every_task_run_is_recorded() -> None:
    from prefect import flow, task
    from prefect.cache_policies import NO_CACHE
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
    from prefect.context import get_run_context

    @task(cache_policy=NO_CACHE, persist_result=False)
    def stage(i: int) -> int:
        return i * 2

    @flow
    def twelve() -> str:
        assert sum(stage(i) for i in range(12)) == 132
        return str(get_run_context().flow_run.id)  # type: ignore[union-attr]

    run_id = twelve()
    only_this = FlowRunFilter(id=FlowRunFilterId(any_=[run_id]))
    states: list[str] = []
    deadline = time.monotonic() + 15  # the recorder flushes at least every second
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            runs = client.read_task_runs(flow_run_filter=only_this, limit=50)
            states = sorted(str(r.state_type.value) for r in runs if r.state_type)
            if states == ["COMPLETED"] * 12:
                break
            time.sleep(0.25)
    assert states == ["COMPLETED"] * 12

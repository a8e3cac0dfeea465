"""clipcart asks Prefect's API server to record task runs in batches by default; a
setting the user gave wins over clipcart's."""

from __future__ import annotations

import os

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

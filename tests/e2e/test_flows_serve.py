"""`clipcart serve`: a real Prefect server, the deployments, a scheduled post going out."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from pipeline.media.samples import make_scene
from tests.support.paths import REPO

pytestmark = pytest.mark.slow


def wait_for(check, timeout_s: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}")


def _create_run(api: str, deployment_id: str) -> bool:
    response = httpx.post(f"{api}/deployments/{deployment_id}/create_flow_run", json={})
    if response.status_code == 503:
        return False
    response.raise_for_status()
    return True


def test_serve_shows_deployments_and_publishes_a_scheduled_clip(tmp_path: Path) -> None:
    from flows.serve import free_port
    from pipeline.publish import schedule_clip
    from sandbox.server import start_sandbox

    home, ledger = tmp_path / "home", f"sqlite:///{tmp_path / 'ledger.db'}"
    video = make_scene(tmp_path / "clip.mp4", seconds=3, size="320x240", plain=True)
    schedule_clip(video, clip_id="serve-test-clip", caption="Served #test", platform="tiktok",
                  at=datetime.now(UTC) - timedelta(minutes=1), ledger_url=ledger)
    (tmp_path / "inbox").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(CLIPCART_HOME=str(home), PYTHONPATH=str(REPO))
    port = free_port()
    with start_sandbox() as sandbox:
        serve = subprocess.Popen(
            [sys.executable, "-m", "flows.cli", "serve", "--port", str(port), "--ledger", ledger,
             "--sandbox", sandbox.base_url, "--inbox", str(tmp_path / "inbox"),
             "--out", str(tmp_path / "out")],
            env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        api = f"http://127.0.0.1:{port}/api"
        try:
            names = wait_for(lambda: _deployments(api), 240, "deployments")
            assert {"publish-due", "batch", "watch-inbox"} <= set(names)
            due = names["publish-due"]
            assert due["schedules"][0]["schedule"]["cron"] == "*/5 * * * *"
            # the local server answered 503 once under a full `make test` load: retry that
            wait_for(lambda: _create_run(api, due["id"]), 60, "a flow run of publish-due")
            posts = wait_for(lambda: [p for p in sandbox.posts() if p["title"] == "Served #test"],
                             240, "the scheduled post")
            assert len(posts) == 1 and posts[0]["platform"] == "tiktok"
        finally:
            serve.send_signal(signal.SIGTERM)
            output = serve.communicate(timeout=60)[0]
        assert serve.returncode is not None, output
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{api}/health", timeout=2)


def _deployments(api: str) -> dict[str, dict] | None:  # type: ignore[type-arg]
    try:
        answer = httpx.post(f"{api}/deployments/filter", json={}, timeout=5)
    except httpx.HTTPError:
        return None
    found = {d["name"]: d for d in answer.json()} if answer.status_code == 200 else {}
    return found if len(found) >= 3 else None

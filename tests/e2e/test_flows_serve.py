"""`clipcart serve` left alone: a real Prefect server on a non-default port whose
schedules fire. A batch run waiting for review survives serve being killed (SIGKILL)
and restarted; then a slowly copied file becomes one clip by the scheduled watch-inbox,
a due clip is posted once by the scheduled publish-due, and the UI points at the right
port."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from pipeline.core.netguard import tls_context
from pipeline.media.samples import CATALOG_CSV, make_scene
from tests.support.paths import REPO
from tests.support.processes import stuck_report, wait_for

pytestmark = pytest.mark.slow


@dataclass
class Served:
    """A running `clipcart serve` and where to look at it."""

    process: subprocess.Popen[bytes]
    api: str
    console: Path

    def post(self, path: str, body: dict[str, Any]) -> Any:
        try:
            answer = httpx.post(f"{self.api}{path}", json=body, timeout=10, verify=tls_context())
        except httpx.HTTPError:
            return None
        return answer.json() if answer.status_code in (200, 201) else None


@contextmanager
def serve(home: Path, port: int, *args: str,
          stop: signal.Signals = signal.SIGINT) -> Iterator[Served]:
    """`clipcart serve --port PORT ARGS` with its own home and temp dir; ``stop`` (Ctrl-C)
    on exit."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(CLIPCART_HOME=str(home), PYTHONPATH=str(REPO), TMPDIR=str(home / "tmp"))
    (home / "tmp").mkdir(parents=True, exist_ok=True)
    console = home / f"serve-{time.monotonic_ns()}.txt"
    with console.open("wb") as sink:
        process = subprocess.Popen([sys.executable, "-m", "flows.cli", "serve", "--port",
                                    str(port), *args], env=env, cwd=REPO, stdout=sink,
                                   stderr=subprocess.STDOUT)
    served = Served(process, f"http://127.0.0.1:{port}/api", console)
    try:
        wait_for(lambda: "deployment " in console.read_text() or process.poll() is not None,
                 300, "serve to start")
        assert process.poll() is None, console.read_text()
        yield served
    finally:
        if process.poll() is None:
            process.send_signal(stop)
        try:
            process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            stuck = stuck_report(process.pid)
            process.kill()
            raise AssertionError(f"serve did not stop within 120 s of {stop.name}:\n{stuck}\n"
                                 f"--- console:\n{console.read_text()[-20000:]}") from None


def runs(served: Served, deployment: str) -> list[dict[str, Any]]:
    """The flow runs of one deployment (by its name)."""
    return served.post("/flow_runs/filter", {
        "deployments": {"name": {"any_": [deployment]}}}) or []


def server_problems(home: Path) -> list[str]:
    """The errors in the server's log (the exception line ending each traceback, error
    records), except SQLite's transient lock, which Prefect's services retry on their next
    loop: its late-runs service marking a run Late can meet another writer."""
    from flows.serve import SERVER_PROBLEM

    log = (home / "prefect" / "server.log").read_text("utf-8", "replace")
    return [line for line in log.splitlines()
            if SERVER_PROBLEM.search(line) and "database is locked" not in line]


def copy_slowly(source: Path, target: Path, chunks: int, pause_s: float) -> None:
    """Write ``source`` to ``target`` in chunks with pauses, holding it open throughout
    (a creator's slow copy)."""
    data = source.read_bytes()
    step = len(data) // chunks + 1
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as fh:
        for start in range(0, len(data), step):
            fh.write(data[start:start + step])
            fh.flush()
            time.sleep(pause_s)


def test_serve_killed_with_a_run_waiting_then_left_alone_fires_its_schedules(
        tmp_path: Path) -> None:
    """One home served twice on one port, as a creator's machine lives: the first serve
    is killed outright (SIGKILL) with a batch run waiting for review; the second, started
    with an inbox and a sandbox, resumes that run on approval, posts a due clip once,
    turns a slowly copied file into one clip, and stops cleanly (Ctrl-C) mid-render.
    Both serves in one test: each start is a Prefect server on the home's database."""
    from flows.serve import free_port
    from pipeline.ops.release import FAR_FUTURE
    from pipeline.publish import schedule_clip
    from pipeline.publish.ledger import Ledger
    from sandbox.server import start_sandbox

    home, ledger = tmp_path / "home", f"sqlite:///{tmp_path / 'ledger.db'}"
    inbox, out, campaign = tmp_path / "inbox", tmp_path / "out", tmp_path / "campaign"
    for folder in (inbox, campaign):
        folder.mkdir()
        shutil.copy(CATALOG_CSV, folder / "catalog.csv")
        shutil.copy(CATALOG_CSV.parent / "product.png", folder / "product.png")
    make_scene(campaign / "s0.mp4", seconds=6, size="640x360", plain=True)
    footage = make_scene(tmp_path / "take.mp4", seconds=6, size="640x360", plain=True,
                         subject_x="0.4")  # not the campaign's: its own clip
    (campaign / "manifest.csv").write_text("footage,sku,template,platforms,publish_at,review\n"
                                           "s0.mp4,TRAIL-MUG-12,bold,tiktok,2030-01-01T10:00Z,"
                                           "yes\n", "utf-8")
    port = free_port()
    assert port != 4200

    # the first serve is killed outright: its Prefect server must go with it and leave
    # the port and the database to the next serve
    with serve(home, port, "--ledger", ledger, "--out", str(out), stop=signal.SIGKILL
               ) as served:
        batch = served.post("/deployments/filter", {
            "deployments": {"name": {"any_": ["batch"]}}})[0]
        # only the manifest and catalog given: out_dir, ledger, ... keep the deployment's
        run = wait_for(lambda: served.post(f"/deployments/{batch['id']}/create_flow_run", {
            "parameters": {"manifest": str(campaign / "manifest.csv"),
                           "catalog": str(campaign / "catalog.csv")}}), 60, "a batch run")
        wait_for(lambda: _state(served, run["id"])[1] == "Suspended", 300,
                 "the batch run to suspend for review")
        assert served.post("/artifacts/filter", {"artifacts": {
            "key": {"any_": ["batch-thumbnails"]}}})  # shown before the wait
        names = [t["name"] for t in served.post("/task_runs/filter", {}) or []]
        assert "TRAIL-MUG-12 (row 2)" in names
    reviewed = next(out.glob("*/manifest.json")).parent.name
    killed_storage = set((home / "tmp" / "runner_storage").glob("*"))  # SIGKILL leaves it

    video = make_scene(tmp_path / "clip.mp4", seconds=3, size="320x240", plain=True)
    schedule_clip(video, clip_id="serve-test-clip", caption="Served #test", platform="tiktok",
                  at=datetime.now(UTC) - timedelta(minutes=1), ledger_url=ledger)
    with start_sandbox() as sandbox, serve(
            home, port, "--ledger", ledger, "--sandbox", sandbox.base_url, "--inbox",
            str(inbox), "--out", str(out), "--publish-every", "30", "--watch-every",
            "30") as served:
        said = served.console.read_text()
        assert "deployment publish-due/publish-due: every 30 s" in said
        assert "deployment watch-inbox/watch-inbox: every 30 s" in said
        assert "deployment batch/batch: on demand" in said
        ui = httpx.get(f"http://127.0.0.1:{port}/ui-settings", timeout=10).json()
        assert ui["api_url"] == served.api
        batch = served.post("/deployments/filter", {
            "deployments": {"name": {"any_": ["batch"]}}})[0]
        schema = batch["parameter_openapi_schema"]["properties"]
        assert {"manifest", "catalog", "out_dir", "workers", "ledger", "sandbox",
                "dask"} <= set(schema)
        assert schema["workers"]["description"]

        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        env.update(CLIPCART_HOME=str(home), PYTHONPATH=str(REPO))
        approve = subprocess.run([sys.executable, "-m", "flows.cli", "approve", reviewed,
                                  "--ledger", ledger], env=env, cwd=REPO, capture_output=True,
                                 text=True, timeout=300)
        assert approve.returncode == 0 and "resumed flow run" in approve.stdout, approve
        wait_for(lambda: _state(served, run["id"])[0] == "COMPLETED", 300,
                 "the resumed batch run to complete after the restart")

        posts = wait_for(lambda: [p for p in sandbox.posts() if p["title"] == "Served #test"],
                         300, "the scheduled publish-due to post the due clip")
        assert len(posts) == 1 and posts[0]["platform"] == "tiktok"

        dropped = time.monotonic()
        copy_slowly(footage, inbox / "TRAIL-MUG-12" / "take.mp4", chunks=3, pause_s=4)
        clips = wait_for(lambda: _inbox_clips(out, reviewed), 300,
                         "the scheduled watch-inbox to make the clip")
        print(f"drop to clip: {time.monotonic() - dropped:.1f} s (copy took ~12 s)")

        # the first posted the due clip; a later one must post nothing again
        done = wait_for(lambda: _at_least(2, [r for r in runs(served, "publish-due")
                                              if r["state_type"] == "COMPLETED"]), 300,
                        "two completed publish-due runs")
        watched = [r for r in runs(served, "watch-inbox") if r["state_type"] == "COMPLETED"]
        assert all(r["auto_scheduled"] for r in done + watched)  # by the scheduler, no trigger
        print(f"scheduled runs seen completed: publish-due {len(done)}, watch-inbox "
              f"{len(watched)}")
        again = [p for p in sandbox.posts() if p["title"] == "Served #test"]

        # a second take is dropped and serve is stopped while it renders
        (tmp_path / "take2.mp4").write_bytes(footage.read_bytes() + b"take two")
        shutil.copy(tmp_path / "take2.mp4", inbox / "TRAIL-MUG-12" / "take2.mp4")
        wait_for(lambda: list((home / "tmp").glob("clipcart-render-*")), 300,
                 "the second take's make to start rendering")
    assert served.process.returncode == 130
    # the run stopped mid-render cleaned up: no render scratch, no staging folder
    assert not list((home / "tmp").glob("clipcart-render-*"))
    assert not list(out.glob(".*"))
    assert len(clips) == 1 and not (inbox / "_rejected").exists()
    assert len(again) == 1  # later publish-due runs posted nothing twice
    # the reviewed clip waits for its slot (the due clip's row for the real platform, not
    # the sandbox it was posted to, waits too)
    rows = Ledger(ledger).due(FAR_FUTURE)
    assert [(r.clip_id, r.platform) for r in rows if r.clip_id != "serve-test-clip"] == [
        (reviewed, "tiktok")]
    assert server_problems(home) == []
    assert set((home / "tmp" / "runner_storage").glob("*")) <= killed_storage
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{served.api}/health", timeout=2)


def _inbox_clips(out: Path, reviewed: str) -> list[Path]:
    return [clip for clip in out.glob("*/clip.mp4") if clip.parent.name != reviewed]


def _at_least(n: int, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return found if len(found) >= n else []


def _state(served: Served, run_id: str) -> tuple[str, str]:
    found = served.post("/flow_runs/filter", {"flow_runs": {"id": {"any_": [run_id]}}}) or []
    return (found[0]["state_type"], found[0]["state_name"]) if found else ("", "")

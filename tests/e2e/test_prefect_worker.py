"""`clipcart deploy` plus `prefect worker start` on another home, as a team runs it: a real
`prefect server start`, the deployments registered on a process pool, a worker process with
its own CLIPCART_HOME, and `prefect deployment run batch/batch --param ...` making a clip."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from flows.serve import server_env
from pipeline.media.samples import CATALOG_CSV, make_scene
from tests.support.prefect_api import healthy
from tests.support.processes import BIN, home_env, started, wait_for

pytestmark = pytest.mark.slow
PORT = 43921
POOL = "clipcart-test"


def run(args: list[str], env: dict[str, str], timeout_s: float) -> str:
    """Run a command to its end; its output (the test fails with it on a non-zero exit)."""
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout_s,
                          check=False)
    assert done.returncode == 0, f"{args[:3]} exited {done.returncode}:\n{done.stdout}{done.stderr}"
    return done.stdout


def test_a_deployed_batch_runs_on_a_worker_with_its_own_home(tmp_path: Path) -> None:
    campaign = tmp_path / "campaign"
    campaign.mkdir()
    shutil.copy(CATALOG_CSV, campaign / "catalog.csv")
    shutil.copy(CATALOG_CSV.parent / "product.png", campaign / "product.png")
    make_scene(campaign / "s0.mp4", seconds=6, size="640x360", plain=True, subject_x=0.4)
    (campaign / "m.csv").write_text("footage,sku\ns0.mp4,TRAIL-MUG-12\n", "utf-8")
    api, out = f"http://127.0.0.1:{PORT}/api", tmp_path / "shared-out"
    server_home = tmp_path / "server" / "prefect"
    server_home.mkdir(parents=True)
    worker_home, deployer_home = tmp_path / "worker-home", tmp_path / "deployer-home"
    worker_env = home_env(worker_home, PREFECT_API_URL=api, PREFECT_WORKER_QUERY_SECONDS="2")
    server = server_env(PORT, server_home, home_env(tmp_path / "server"))
    with started([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                  "--port", str(PORT)], server, tmp_path / "server.log"):
        wait_for(lambda: healthy(api), 180, "the Prefect server")
        said = run([str(BIN / "clipcart"), "deploy", "--pool", POOL],
                   home_env(deployer_home, PREFECT_API_URL=api), 180)
        assert "deployment batch/batch: on demand" in said
        assert "deployment publish-due/publish-due: cron */5 * * * *" in said
        with started([str(BIN / "prefect"), "worker", "start", "--pool", POOL, "--limit", "1"],
                     worker_env, tmp_path / "worker.log"):
            ran = run([str(BIN / "prefect"), "deployment", "run", "batch/batch",
                       "--param", f"manifest={campaign / 'm.csv'}",
                       "--param", f"catalog={campaign / 'catalog.csv'}",
                       "--param", f"out_dir={out}", "--param", "workers=1", "--watch",
                       "--watch-timeout", "300"], home_env(deployer_home, PREFECT_API_URL=api),
                      330)
    assert "Completed" in ran
    clips = [p for p in out.iterdir() if not p.name.startswith(".")]
    assert len(clips) == 1 and (clips[0] / "clip.mp4").stat().st_size > 10_000
    assert any((worker_home / "transcripts").iterdir())  # made by the worker, in its home
    assert any((worker_home / "results").iterdir())  # its cached decisions too
    assert not (deployer_home / "transcripts").exists()

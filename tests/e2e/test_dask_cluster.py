"""A batch fanned out to a Dask cluster in separate processes, as a team runs it: a
`dask scheduler` and `dask worker --nworkers 2 --nthreads 1` with their own CLIPCART_HOME.
Everything sent pickles; a worker killed mid-clip loses nothing; each clip is made once."""

from __future__ import annotations

import os
import shutil
import signal
import threading
from pathlib import Path

import pytest

from pipeline.media.samples import CATALOG_CSV, make_scene
from tests.support.processes import dask_cluster, wait_for

pytestmark = pytest.mark.slow
PORT = 43911


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two 6 s 640x360 scenes (make_scene, plain) beside a catalog and a manifest."""
    folder = tmp_path_factory.mktemp("dask-campaign")
    shutil.copy(CATALOG_CSV, folder / "catalog.csv")
    shutil.copy(CATALOG_CSV.parent / "product.png", folder / "product.png")
    for n, x in enumerate((0.3, 0.7)):
        make_scene(folder / f"s{n}.mp4", seconds=6, size="640x360", plain=True, subject_x=x)
    (folder / "m.csv").write_text("footage,sku,template\ns0.mp4,TRAIL-MUG-12,bold\n"
                                  "s1.mp4,TRAIL-BOTTLE-24,minimal\n", "utf-8")
    return folder


def kill_a_busy_worker(address: str, out: Path, killed: list[int]) -> None:
    """Once a clip is being rendered into ``out``, SIGKILL a worker process that is busy."""
    from distributed import Client

    wait_for(lambda: next(out.glob(".*.partial"), None), 240, "a clip being rendered")
    with Client(address, timeout=30, set_as_default=False) as client:
        busy = [w for w, keys in client.processing().items() if keys]
        pid = client.run(os.getpid, workers=busy[:1])[busy[0]]
    os.kill(pid, signal.SIGKILL)
    killed.append(pid)


def test_a_batch_fans_out_to_worker_processes_and_survives_one_dying(
        campaign: Path, tmp_path: Path) -> None:
    from flows.batch import BatchParams, run_batch

    out, worker_home = tmp_path / "shared", tmp_path / "worker-home"
    out.mkdir()
    with dask_cluster(PORT, worker_home, tmp_path) as address:
        killed: list[int] = []
        killer = threading.Thread(target=kill_a_busy_worker, args=(address, out, killed),
                                  daemon=True)
        killer.start()
        params = BatchParams(manifest=campaign / "m.csv", catalog=campaign / "catalog.csv",
                             out_dir=out, dask=address)
        results = run_batch(params)
        killer.join(timeout=5)
    assert killed, "no worker was killed mid-clip"
    assert [r.status for r in results] == ["made", "made"], [r.error for r in results]
    folders = sorted(p.name for p in out.iterdir())
    assert folders == sorted(r.clip_id for r in results)  # once each, no staging left
    assert all((out / r.clip_id / "clip.mp4").stat().st_size > 10_000 for r in results)
    assert any((worker_home / "transcripts").iterdir())  # made there, with its own caches

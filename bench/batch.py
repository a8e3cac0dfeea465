"""Batch figure: N clips with W workers against the sum of their render floors.

The render floor of a clip is its plan rendered alone (one ffmpeg process, nothing else
running in this benchmark); the sum of floors is what the machine needs at least to
make the batch. The overhead is everything else a batch pays: Prefect, probing,
transcription, selection, reframing, QC, sidecars, bookkeeping. Prefect's start-up
(the embedded API server, first flow run) is measured on its own in a fresh process;
like ``clipcart batch``, the Whisper model loads while that server starts.

Run: ``PYTHONPATH=. python -m bench.batch [N] [WORKERS] [--small] [--scene FILE]``
(prints JSON).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.measure import Sample, timed

STARTUP_SNIPPET = """
import time; t0 = time.perf_counter()
import flows
from prefect import flow
@flow
def nothing() -> int:
    return 1
imported = time.perf_counter()
nothing()
print(imported - t0, time.perf_counter() - imported)
"""


def prefect_startup_s(home: Path) -> dict[str, float]:
    """Seconds to import Prefect and to run a first (empty) flow, in a fresh process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["CLIPCART_HOME"] = str(home)
    line = subprocess.run([sys.executable, "-c", STARTUP_SNIPPET], env=env, check=True,
                          capture_output=True, text=True).stdout.split()
    return {"import_s": round(float(line[0]), 2), "first_flow_run_s": round(float(line[1]), 2)}


SCENE_S = 60.0
"""The full campaign's footage: the bench's 60 s 1920x1080 30 fps scene (15 s clips)."""


def make_campaign(folder: Path, n: int, small: bool = False,
                  scene: Path | None = None) -> Path:
    """N footage files and a manifest, one clip each; no two share a transcript or id.

    Full: the bench's 60 s 1920x1080 scene, its picture copied and the speech put at
    another offset in each, so each makes a 15 s clip as a creator's footage would.
    ``small``: N distinct 8 s 960x540 scenes, 8 s clips, where the per-clip fixed costs
    (transcribing a 30 s window, Prefect's task runs) weigh the most against a render.
    ``scene``: the 60 s scene if already made (``clipcart bench`` passes its own).
    """
    from bench.footage import speech_footage
    from pipeline.media.samples import CATALOG_CSV, make_scene, with_speech_at

    shutil.copy(CATALOG_CSV, folder / "catalog.csv")
    shutil.copy(CATALOG_CSV.parent / "product.png", folder / "product.png")
    source = None if small else scene or speech_footage()
    rows = ["footage,sku"]
    for i in range(n):
        out = folder / f"s{i}.mp4"
        if source is None:
            make_scene(out, seconds=8, size="960x540", plain=True, speech_at_s=0.3 + 0.1 * i,
                       subject_x=0.2 + 0.6 * i / max(1, n - 1))
        else:
            with_speech_at(source, out, at_s=2.5 + 0.1 * i, seconds=SCENE_S)
        rows.append(f"{out.name},TRAIL-BOTTLE-24")
    (folder / "manifest.csv").write_text("\n".join(rows) + "\n", "utf-8")
    return folder / "manifest.csv"


def render_floor(plan_json: Path, scratch: Path) -> Sample:
    """One plan rendered alone: wall and CPU seconds."""
    from pipeline.core.models import ClipPlan
    from pipeline.render import render

    plan = ClipPlan.model_validate_json(plan_json.read_text("utf-8"))
    return timed(lambda: render(plan, scratch / "floor.mp4"))[1]


def stage_sums(manifests: list[Path]) -> dict[str, float]:
    """Seconds per stage summed over the batch's clips (where the overhead goes)."""
    sums: dict[str, float] = {}
    for path in manifests:
        for stage, seconds in json.loads(path.read_text("utf-8"))["timings"].items():
            sums[stage] = round(sums.get(stage, 0.0) + seconds, 1)
    return sums


def cpu_seconds() -> dict[str, float]:
    """CPU seconds so far of this process, its finished children (ffmpeg) and its live
    ones (the embedded Prefect API server runs as a child process)."""
    import psutil

    me = psutil.Process()
    times = me.cpu_times()
    live = 0.0
    for child in me.children(recursive=True):
        try:
            live += sum(child.cpu_times()[:2])
        except psutil.Error:
            continue
    return {"python": times.user + times.system,
            "ffmpeg": times.children_user + times.children_system, "prefect_server": live}


def _nothing() -> None:
    from prefect import flow

    @flow(name="bench-warmup")
    def warmup() -> None:
        return None

    warmup()


def measure_batch(n: int = 10, workers: int = 2, small: bool = False,
                  scene: Path | None = None) -> dict[str, Any]:
    """Batch wall time of N clips with W workers, the sum of render floors, the ratio
    (also in CPU seconds, steadier on a shared machine), and Prefect's start-up cost."""
    with tempfile.TemporaryDirectory(prefix="clipcart-bench-batch-") as tmp:
        root = Path(tmp)
        startup = prefect_startup_s(root / "startup-home")
        manifest = make_campaign(root, n, small, scene)  # the bench footage: the caller's home
        os.environ["CLIPCART_HOME"] = str(root / "home")
        from flows.batch import BatchParams, run_batch
        from pipeline.speech.transcribe import preload

        warm = time.perf_counter()
        loading = preload()  # as `clipcart batch` does: Whisper loads while Prefect starts
        _nothing()  # start the embedded API first, so the batch time is the batch alone
        if loading is not None:
            loading.join()
        warmup = time.perf_counter() - warm
        params = BatchParams(manifest=manifest, out_dir=root / "out", workers=workers,
                             catalog=root / "catalog.csv")
        began, cpu_before = time.perf_counter(), cpu_seconds()
        results = run_batch(params)
        wall, cpu_after = time.perf_counter() - began, cpu_seconds()
        made = [r for r in results if r.status == "made"]
        stages = stage_sums([Path(r.clip_dir) / "manifest.json" for r in made])
        floors = [render_floor(Path(r.clip_dir) / "plan.json", root) for r in made]
    floor_sum, floor_cpu = sum(f.wall_s for f in floors), sum(f.cpu_s for f in floors)
    batch_cpu = sum(cpu_after[k] - v for k, v in cpu_before.items())
    return {"clips": n, "workers": workers, "footage": "8 s 960x540" if small else
            f"{SCENE_S:g} s 1920x1080", "made": len(made), "batch_wall_s": round(wall, 1),
            "render_floor_sum_s": round(floor_sum, 1),
            "overhead_pct": round(100 * (wall / floor_sum - 1), 1) if floor_sum else None,
            "render_floor_cpu_s": round(floor_cpu, 1), "batch_cpu_s": round(batch_cpu, 1),
            "overhead_cpu_pct": round(100 * (batch_cpu / floor_cpu - 1), 1) if floor_cpu
            else None,
            "stage_sums_in_batch_s": stages,
            # where the machine's time went: renders and other ffmpeg runs, transcription
            # and analysis in this process, and Prefect's API server recording task runs
            "cpu_in_batch_s": {k: round(cpu_after[k] - v, 1) for k, v in cpu_before.items()},
            "prefect_startup": {**startup, "in_process_warmup_s": round(warmup, 2)},
            "cores": os.cpu_count(), "load_avg_1m": round(os.getloadavg()[0], 1)}


def main(argv: list[str]) -> dict[str, Any]:
    """``[N] [WORKERS] [--small] [--scene FILE]``"""
    parser = argparse.ArgumentParser(prog="python -m bench.batch")
    parser.add_argument("clips", nargs="?", type=int, default=10)
    parser.add_argument("workers", nargs="?", type=int, default=2)
    parser.add_argument("--small", action="store_true", help="8 s 960x540 scenes")
    parser.add_argument("--scene", type=Path, help="the 60 s bench scene, if made")
    args = parser.parse_args(argv)
    return measure_batch(args.clips, args.workers, args.small, args.scene)


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:]), indent=2))

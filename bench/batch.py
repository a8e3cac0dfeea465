"""Batch figure: N clips with W workers against the sum of their render floors.

The render floor of a clip is its plan rendered alone (one ffmpeg process, nothing else
running in this benchmark); the sum of floors is what the machine needs at least to
make the batch. The overhead is everything else a batch pays: Prefect, probing,
transcription, selection, reframing, QC, sidecars, bookkeeping. Prefect's start-up
(the embedded API server, first flow run) is measured on its own in a fresh process.

Run: ``PYTHONPATH=. python -m bench.batch`` (prints JSON).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

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


def make_campaign(folder: Path, n: int) -> Path:
    """N distinct 8 s 960x540 scenes and a manifest making one clip each."""
    from pipeline.samples import CATALOG_CSV, make_scene

    shutil.copy(CATALOG_CSV, folder / "catalog.csv")
    shutil.copy(CATALOG_CSV.parent / "product.png", folder / "product.png")
    rows = ["footage,sku"]
    for i in range(n):
        make_scene(folder / f"s{i}.mp4", seconds=8, size="960x540", plain=True,
                   speech_at_s=0.5, subject_x=0.2 + 0.6 * i / max(1, n - 1))
        rows.append(f"s{i}.mp4,TRAIL-BOTTLE-24")
    (folder / "manifest.csv").write_text("\n".join(rows) + "\n", "utf-8")
    return folder / "manifest.csv"


def render_floor_s(plan_json: Path, scratch: Path) -> float:
    """Seconds to render one plan alone."""
    from pipeline.models import ClipPlan
    from pipeline.render import render

    plan = ClipPlan.model_validate_json(plan_json.read_text("utf-8"))
    began = time.perf_counter()
    render(plan, scratch / "floor.mp4")
    return time.perf_counter() - began


def measure_batch(n: int = 10, workers: int = 2) -> dict[str, Any]:
    """Batch wall time of N clips with W workers, the sum of render floors, the ratio,
    and Prefect's start-up cost."""
    with tempfile.TemporaryDirectory(prefix="clipcart-bench-batch-") as tmp:
        root = Path(tmp)
        startup = prefect_startup_s(root / "startup-home")
        os.environ["CLIPCART_HOME"] = str(root / "home")
        from flows.batch import BatchParams, run_batch

        manifest = make_campaign(root, n)
        params = BatchParams(manifest=manifest, out_dir=root / "out", workers=workers,
                             catalog=root / "catalog.csv")
        began = time.perf_counter()
        results = run_batch(params)
        wall = time.perf_counter() - began
        made = [r for r in results if r.status == "made"]
        floors = [render_floor_s(Path(r.clip_dir) / "plan.json", root) for r in made]
    floor_sum = sum(floors)
    return {"clips": n, "workers": workers, "made": len(made), "batch_wall_s": round(wall, 1),
            "render_floor_sum_s": round(floor_sum, 1),
            "overhead_pct": round(100 * (wall / floor_sum - 1), 1) if floor_sum else None,
            "prefect_startup": startup, "cores": os.cpu_count()}


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    w = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    print(json.dumps(measure_batch(n, w), indent=2))

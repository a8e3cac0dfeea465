"""The produce_clip flow: the pipeline's stages as Prefect tasks, wired in order."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from pipeline import produce as stages
from pipeline.plan import Settings, choose
from pipeline.reframe import plan_crop

T = TypeVar("T")


def _task(fn: Callable[..., T], name: str, retries: int = 0) -> Any:
    return task(fn, name=name, cache_policy=NO_CACHE, retries=retries, persist_result=False)


load_inputs = _task(stages.load_inputs, "probe")
transcribe = _task(stages.transcribe_stage, "transcribe")
select_window = _task(choose, "select")
reframe = _task(plan_crop, "reframe")
plan_clip = _task(stages.plan_stage, "plan")
render_clip = _task(stages.render_stage, "render")
qc_clip = _task(stages.qc_stage, "qc")
write_sidecars = _task(stages.write_sidecars, "sidecars")


class Stopwatch:
    """Seconds spent per stage, for the manifest's ``timings``."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.laps: dict[str, float] = {}

    def run(self, name: str, fn: Callable[..., T], *args: Any) -> T:
        began = time.perf_counter()
        result = fn(*args)
        self.laps[name] = self.laps.get(name, 0.0) + time.perf_counter() - began
        return result

    def total(self) -> dict[str, float]:
        return {**self.laps, "total": time.perf_counter() - self.start}


@flow(name="produce_clip", validate_parameters=False)
def produce_clip(footage: Path, catalog: Path, sku: str, out_dir: Path,
                 template: str = "bold", settings: Settings | None = None) -> dict[str, Any]:
    """Make one clip: probe → transcribe → select → reframe → plan → render → qc."""
    settings = settings or Settings()
    req = stages.MakeRequest(footage=Path(footage), catalog=Path(catalog), sku=sku,
                             out_dir=Path(out_dir), template=template, settings=settings)
    watch = Stopwatch()
    inputs = watch.run("probe", load_inputs, req)
    done = stages.existing_manifest(req.out_dir, inputs.clip_id)
    if done is not None:
        return done
    transcript = watch.run("transcribe", transcribe, inputs, settings)
    window, reasons = watch.run("select", select_window, inputs.info, transcript,
                                inputs.product, settings)
    framing = watch.run("reframe", reframe, inputs.info, window)
    plan, warnings = watch.run("plan", plan_clip, inputs, transcript, window, reasons, framing)
    staging = stages.staging_dir(req.out_dir, inputs.clip_id)
    clip = watch.run("render", render_clip, plan, staging, settings.engine)
    report = watch.run("qc", qc_clip, clip, settings)
    write_sidecars(plan, clip, staging)
    final = req.out_dir / inputs.clip_id
    manifest = stages.manifest_for(inputs, plan, transcript, report, final, watch.total(),
                                   warnings)
    stages.publish_folder(staging, req.out_dir, inputs.clip_id, manifest)
    return manifest

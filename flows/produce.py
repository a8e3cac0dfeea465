"""The produce_clip flow: the pipeline's stages as Prefect tasks, wired in order."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from pipeline import produce as stages
from pipeline.plan import Settings, choose_footage
from pipeline.reframe import plan_crop

T = TypeVar("T")


def _task(fn: Callable[..., T], name: str, retries: int = 0) -> Any:
    return task(fn, name=name, cache_policy=NO_CACHE, retries=retries, persist_result=False)


load_inputs = _task(stages.load_inputs, "probe")
transcribe = _task(stages.transcribe_stage, "transcribe")
analyse = _task(stages.analyse_stage, "analyse")
select_window = _task(choose_footage, "select")
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
def produce_clip(footage: Path | Sequence[Path], catalog: Path, sku: str, out_dir: Path,
                 template: str = "bold", settings: Settings | None = None) -> dict[str, Any]:
    """Make one clip: probe → transcribe, analyse → select → reframe → plan → render → qc.

    ``footage`` may be several files of the same product: the best one is used.
    """
    settings = settings or Settings()
    files = [Path(footage)] if isinstance(footage, (str, Path)) else [Path(f) for f in footage]
    req = stages.MakeRequest(footage=files[0], catalog=Path(catalog), sku=sku,
                             out_dir=Path(out_dir), template=template, settings=settings,
                             more_footage=tuple(files[1:]))
    watch = Stopwatch()
    inputs = watch.run("probe", load_inputs, req)
    done = stages.existing_manifest(req.out_dir, inputs.clip_id)
    if done is not None:
        return done
    infos = inputs.candidates or (inputs.info,)
    transcripts = [watch.run("transcribe", transcribe, inputs, settings, i) for i in infos]
    visuals = [watch.run("analysis", analyse, i) for i in infos]
    index, choice = watch.run("select", select_window, infos, transcripts, inputs.product,
                              settings, visuals)
    inputs, transcript = stages.use_footage(inputs, index), transcripts[index]
    framing = watch.run("reframe", reframe, inputs.info, choice.window, visuals[index])
    plan, warnings = watch.run("plan", plan_clip, inputs, transcript, choice.window,
                               choice.reasons, framing, choice.parts)
    staging = stages.staging_dir(req.out_dir, inputs.clip_id)
    clip = watch.run("render", render_clip, plan, staging, settings.engine)
    report = watch.run("qc", qc_clip, clip, settings)
    write_sidecars(plan, clip, staging)
    final = req.out_dir / inputs.clip_id
    manifest = stages.manifest_for(inputs, plan, transcript, report, final, watch.total(),
                                   warnings)
    stages.publish_folder(staging, req.out_dir, inputs.clip_id, manifest)
    return manifest

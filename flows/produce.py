"""The produce_clip flow: the pipeline's stages as Prefect tasks, wired in order.

The deciding stages (transcribe, select, reframe, plan) are cached by a fingerprint
of their inputs' *content* (footage bytes, product, template, settings; never paths),
with results persisted under ``CLIPCART_HOME/results``: a re-run skips what is
decided, a changed file is decided anew. Finished clips are skipped whole (the
folder ``OUT/<clip_id>`` already holds its manifest). Render, QC and sidecars write
files into a fresh staging folder, so they run whenever a clip is not finished.
Tasks retry only failures that can pass (I/O hiccups, timeouts), never bad input.
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import json
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import TaskRun
from prefect.context import TaskRunContext
from prefect.states import State

from flows.fingerprint import fingerprint
from pipeline import produce as stages
from pipeline.core.errors import BadInput, TransientPublishError
from pipeline.core.home import home_subdir
from pipeline.plan import Settings, choose_footage

T = TypeVar("T")
CACHE_VERSION = "2"
"""Bump when a cached stage's output changes meaning, to drop every cached decision
(2: transcripts keep their punctuation, see pipeline.speech.transcribe.vocabulary_prompt)."""
TRANSIENT_ERRNOS = {errno.EAGAIN, errno.EBUSY, errno.EMFILE, errno.ENFILE, errno.EINTR,
                    errno.ETIMEDOUT, errno.ECONNRESET}


def is_transient(exc: BaseException) -> bool:
    """Failures worth another try: timeouts, dropped connections, busy files, 5xx/429."""
    if isinstance(exc, BadInput):
        return False
    if isinstance(exc, TransientPublishError | TimeoutError | ConnectionError):
        return True
    return isinstance(exc, OSError) and exc.errno in TRANSIENT_ERRNOS


def retry_transient(_task: Any, _run: TaskRun, state: State[Any]) -> bool:
    """Prefect's retry condition: retry only transient failures."""
    return isinstance(state.data, BaseException) and is_transient(state.data)


@cache
def results_schema() -> str:
    """A digest of the shapes cached results are made of: a release that changes a model
    (a new ClipPlan field, say) then never unpickles an old result without it."""
    from pipeline.core.models import ClipPlan, Transcript
    from pipeline.footage.analysis import Analysis

    shapes = [ClipPlan.model_json_schema(), Transcript.model_json_schema(),
              [f.name for f in dataclasses.fields(Analysis)]]
    return hashlib.sha256(json.dumps(shapes, sort_keys=True).encode()).hexdigest()[:12]


def content_key(ctx: TaskRunContext, params: dict[str, Any]) -> str:
    """Cache key: the task's name, the results' schema and the content fingerprint of its
    inputs."""
    return fingerprint(f"{ctx.task.name}/v{CACHE_VERSION}/{results_schema()}",
                       *params.values())


def results_storage() -> Path:
    """``CLIPCART_HOME/results``, given to each persisted task and flow: a flow run that a
    Prefect worker starts loads Prefect's settings before clipcart can set
    PREFECT_RESULTS_LOCAL_STORAGE_PATH, and its results would land in PREFECT_HOME/storage.
    (Prefect takes a Path as a local folder; a block would have to be saved on the server.)
    """
    return home_subdir("results")


def _task(fn: Callable[..., T], name: str, *, cached: bool = False, retries: int = 2) -> Any:
    if cached:
        return task(fn, name=name, cache_key_fn=content_key, persist_result=True,
                    result_storage=results_storage(),
                    cache_expiration=timedelta(days=30), retries=retries,
                    retry_delay_seconds=2, retry_condition_fn=retry_transient)
    return task(fn, name=name, cache_policy=NO_CACHE, persist_result=False, retries=retries,
                retry_delay_seconds=2, retry_condition_fn=retry_transient)


load_inputs = _task(stages.load_inputs, "probe")
transcribe = _task(stages.transcribe_stage, "transcribe", cached=True)
analyse = _task(stages.analyse_stage, "analyse")
select_window = _task(choose_footage, "select", cached=True)
reframe = _task(stages.frame_stage, "reframe", cached=True)
plan_clip = _task(stages.plan_stage, "plan", cached=True)
render_clip = _task(stages.render_stage, "render", retries=1)
qc_clip = _task(stages.qc_stage, "qc")
write_sidecars = _task(stages.write_sidecars, "sidecars")


class Stopwatch:
    """Runs the stages and keeps the seconds spent per stage, for the manifest's ``timings``.

    ``tracked=False`` calls each stage's plain function instead of its Prefect task: on a
    Dask worker, which has no flow run to report to (see ``flows.fanout``).
    """

    def __init__(self, tracked: bool = True) -> None:
        self.start = time.perf_counter()
        self.laps: dict[str, float] = {}
        self.tracked = tracked

    def call(self, stage: Callable[..., T], *args: Any) -> T:
        """The stage's task (or its plain function when untracked), untimed."""
        fn: Callable[..., T] = stage if self.tracked else getattr(stage, "fn", stage)
        return fn(*args)

    def run(self, name: str, fn: Callable[..., T], *args: Any) -> T:
        began = time.perf_counter()
        result = self.call(fn, *args)
        self.laps[name] = self.laps.get(name, 0.0) + time.perf_counter() - began
        return result

    def total(self) -> dict[str, float]:
        return {**self.laps, "total": time.perf_counter() - self.start}


def make_request(footage: Path | Sequence[Path], catalog: Path, sku: str, out_dir: Path,
                 template: str, settings: Settings, script: Path | None) -> stages.MakeRequest:
    """One make's request: the first footage file, the others as alternatives."""
    files = [Path(footage)] if isinstance(footage, (str, Path)) else [Path(f) for f in footage]
    return stages.MakeRequest(footage=files[0], catalog=Path(catalog), sku=sku,
                              out_dir=Path(out_dir), template=template, settings=settings,
                              more_footage=tuple(files[1:]),
                              script=Path(script) if script is not None else None)


def produce(footage: Path | Sequence[Path], catalog: Path, sku: str, out_dir: Path,
            template: str = "bold", settings: Settings | None = None,
            script: Path | None = None, *, tracked: bool = True) -> dict[str, Any]:
    """Make one clip: probe → transcribe, analyse → select → reframe → plan → render → qc.

    ``footage`` may be several files of the same product: the best one is used. With a
    ``script`` (text or SRT) the captions are its words, timed by the speech. The
    stages run as tasks of whatever flow run (or task) calls this: ``produce_clip``
    for one clip, a batch item's task for many. A batch does not start a subflow per
    clip: a flow run's exit waits up to a second for its heartbeat thread, which was
    most of Prefect's cost per clip (profiled: 0.85 s of a 5.1 s clip).
    ``tracked=False`` runs the same stages as plain functions (a Dask worker).
    """
    settings = settings or Settings()
    req = make_request(footage, catalog, sku, out_dir, template, settings, script)
    watch = Stopwatch(tracked)
    inputs = watch.run("probe", load_inputs, req)
    done = stages.existing_manifest(req.out_dir, inputs.clip_id)
    if done is not None:
        return counted(done, req.out_dir)
    infos = inputs.candidates or (inputs.info,)
    transcripts = [watch.run("transcribe", transcribe, inputs, settings, i) for i in infos]
    visuals = [watch.run("analysis", analyse, i, t, settings)
               for i, t in zip(infos, transcripts, strict=True)]
    index, choice = watch.run("select", select_window, infos, transcripts, inputs.product,
                              settings, visuals)
    inputs, transcript = stages.use_footage(inputs, index), transcripts[index]
    framing = watch.run("reframe", reframe, inputs.info, choice.window, visuals[index],
                        inputs.template, settings)
    cuts = tuple(visuals[index].cuts_in(choice.window))
    plan, warnings = watch.run("plan", plan_clip, inputs, transcript, choice.window,
                               choice.reasons, framing, choice.parts, cuts)
    staging = stages.staging_dir(req.out_dir, inputs.clip_id)
    clip = watch.run("render", render_clip, plan, staging, settings.engine)
    report = watch.run("qc", qc_clip, clip, settings)
    watch.call(write_sidecars, plan, clip, staging)
    final = req.out_dir / inputs.clip_id
    manifest = stages.manifest_for(inputs, plan, transcript, report, final, watch.total(),
                                   warnings)
    stages.publish_folder(staging, req.out_dir, inputs.clip_id, manifest)
    return counted(manifest, req.out_dir)


def counted(manifest: dict[str, Any], out_dir: Path) -> dict[str, Any]:
    """The manifest with counted short links when ``links.base_url`` is configured."""
    from pipeline.ops.shortlinks import apply_short_links
    from pipeline.ops.slots import load_slots

    base_url = load_slots().links.base_url
    if not base_url:
        return manifest
    return apply_short_links(Path(out_dir) / str(manifest["clip_id"]), base_url)


@flow(name="produce_clip", validate_parameters=False)
def produce_clip(footage: Path | Sequence[Path], catalog: Path, sku: str, out_dir: Path,
                 template: str = "bold", settings: Settings | None = None,
                 script: Path | None = None) -> dict[str, Any]:
    """``produce`` as a flow run of its own, for ``clipcart make`` and ``demo``."""
    return produce(footage, catalog, sku, out_dir, template, settings, script)

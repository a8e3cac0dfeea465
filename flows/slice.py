"""The slice flow: long live-selling recordings in, one clip per product pitch out.

Each recording is analysed once (``analyse-recording``: chunked transcription and a
keyframe survey at once, cached by content hash, then the pitch search), then each
pitch becomes a ``make-pitch`` task on the task runner (threads bounded by
``workers``, or a Dask cluster). A pitch's clip id holds the recording's content and
the window, so a clip already in ``OUT/<clip_id>`` is kept and an interrupted slice
makes only what is missing. The report goes to the terminal (by the CLI), to
``OUT/slice.json`` and to a Prefect table artifact.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from functools import cache
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.transactions import CommitMode, transaction
from pydantic import BaseModel, ConfigDict, Field

from flows.hooks import Hook
from flows.markdown import md_text
from flows.produce import Stopwatch, plan_clip, qc_clip, reframe, render_clip, write_sidecars
from pipeline import produce as stages
from pipeline.core.errors import ClipcartError
from pipeline.core.models import Product
from pipeline.footage.analysis import analyse_window
from pipeline.footage.pitches import Pitch
from pipeline.ops import slice as slicing
from pipeline.ops.release import schedule_targets, targets_for
from pipeline.ops.slots import load_slots
from pipeline.ops.variants import VariantSpec, label_variant
from pipeline.plan import Settings
from pipeline.products.catalog import load_catalog
from pipeline.publish.platforms import placement_platforms


class SliceParams(BaseModel):
    """What a slice run is asked to do (flat, as a deployment's parameters)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    recordings: list[Path] = Field(description="Live recordings to slice.")
    catalog: Path = Field(description="Catalog of the products pitched.")
    out_dir: Path = Field(default=Path("out"))
    per_product: int = Field(default=1, ge=1, le=20)
    duration_ms: int = Field(default=15000, ge=5000, le=60000)
    template: str = "bold"
    platforms: tuple[str, ...] = ()
    account: str = "default"
    ledger_url: str | None = None
    slots_config: Path | None = None
    workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1, le=64)
    renders: int = Field(default=slicing.RENDERS_AT_ONCE, ge=1, le=64,
                         description="ffmpeg renders at once per process (memory).")
    language: str = "auto"
    model: str = "auto"
    variants: tuple[VariantSpec, ...] = Field(
        default=(), description="A/B variants made of every pitch (none: one clip each).")


class PitchResult(BaseModel):
    """What happened to one pitch (one variant of it)."""

    row: slicing.ReportRow | None = None
    manifest: dict[str, Any] | None = None
    error: str = ""
    variant: VariantSpec | None = None

    model_config = ConfigDict(arbitrary_types_allowed=True)


on_progress: Hook[[str, int, int]] = Hook("clipcart_slice_progress")
"""Called in-process as (what, done, total): 'transcribed' ms, 'clips' made."""


@task(name="analyse-recording", cache_policy=NO_CACHE, persist_result=False)
def analyse(path: Path, products: list[Product], params: SliceParams
            ) -> slicing.RecordingAnalysis:
    """One pass over a recording (its own content-hash cache makes re-runs instant)."""
    info = slicing.probe_recording(path)
    language = None if params.language == "auto" else params.language
    options = slicing.transcribe_options(products, params.model, language)
    return slicing.analyse_recording(path, products, target_ms=params.duration_ms,
                                     per_product=params.per_product, options=options,
                                     progress=lambda ms: on_progress("transcribed", ms,
                                                               info.duration_ms))


def settings_of(params: SliceParams) -> Settings:
    """The clip settings (part of every clip id)."""
    return Settings(duration_ms=params.duration_ms, language=params.language,
                    model=params.model, platforms=placement_platforms(params.platforms))


@task(name="make-pitch", cache_policy=NO_CACHE, persist_result=False)
def make_pitch(source: slicing.PitchSource, pitch: Pitch, params: SliceParams,
               variant: VariantSpec | None = None) -> PitchResult:
    """One pitch's clip (one ``variant`` of it), unless its folder is already there;
    failures become results."""
    try:
        with transaction(commit_mode=CommitMode.EAGER):
            manifest, status = produce_pitch(source, pitch, params, variant)
    except ClipcartError as exc:
        return PitchResult(error=exc.one_line(), variant=variant)
    except Exception as exc:  # one failed clip never stops the others
        return PitchResult(error=f"{type(exc).__name__}: {exc}", variant=variant)
    product = manifest["product"]
    row = slicing.ReportRow(pitch.sku, product["title"], pitch.window.start_ms,
                            pitch.window.end_ms, pitch.score, manifest["clip_id"],
                            pitch.reasons, status, variant.label if variant else "")
    return PitchResult(row=row, manifest=manifest, variant=variant)


def produce_pitch(source: slicing.PitchSource, pitch: Pitch, params: SliceParams,
                  variant: VariantSpec | None = None) -> tuple[dict[str, Any], str]:
    """reframe → plan → render → qc → sidecars for a window already chosen (labelled as
    ``variant`` when there is one)."""
    manifest, status = _produce_pitch(source, pitch, params, variant)
    if variant is None:
        return manifest, status
    return label_variant(params.out_dir / str(manifest["clip_id"]), variant), status


def _produce_pitch(source: slicing.PitchSource, pitch: Pitch, params: SliceParams,
                   variant: VariantSpec | None) -> tuple[dict[str, Any], str]:
    settings, window, out_dir = settings_of(params), pitch.window, params.out_dir
    template = variant.template if variant else params.template
    if variant is not None:
        settings = dataclasses.replace(settings, **variant.changes())
    watch = Stopwatch()
    inputs = watch.run("probe", stages.window_inputs, source.info, source.digest,
                       params.catalog, pitch.sku, template, settings, window)
    done = stages.existing_manifest(out_dir, inputs.clip_id)
    if done is not None:
        return done, "existing"
    transcript = source.transcript
    visuals = watch.run("analysis", analyse_window, source.info, window)
    framing = watch.run("reframe", reframe, inputs.info, window, visuals, inputs.template,
                        settings)
    cuts = tuple(visuals.cuts_in(window))
    plan, warnings = watch.run("plan", plan_clip, inputs, transcript, window,
                               pitch.reasons, framing, pitch.parts, cuts)
    staging = stages.staging_dir(out_dir, inputs.clip_id)
    with render_slots(params.renders):  # the other workers decode, plan and check meanwhile
        clip = watch.run("render", render_clip, plan, staging, settings.engine)
    report = watch.run("qc", qc_clip, clip, settings)
    write_sidecars(plan, clip, staging)
    timings = {"transcribe": 0.0, "select": 0.0, **watch.total()}
    manifest = stages.manifest_for(inputs, plan, transcript, report, out_dir / inputs.clip_id,
                                   timings, [*source.warnings, *warnings])
    stages.publish_folder(staging, out_dir, inputs.clip_id, manifest)
    return manifest, "made"


@cache
def render_slots(renders: int) -> threading.BoundedSemaphore:
    """The renders this process lets run at once (per count asked, one set per process:
    threads share it, each Dask worker has its own)."""
    return threading.BoundedSemaphore(renders)


@flow(name="slice", task_runner=ThreadPoolTaskRunner(max_workers=os.cpu_count() or 1),
      validate_parameters=False)
def slice_recordings(params: SliceParams) -> list[dict[str, Any]]:
    """Analyse each recording once, make a clip per pitch, report, schedule posts."""
    return slice_in_run(params)


def slice_in_run(params: SliceParams) -> list[dict[str, Any]]:
    """The slice flow's work inside whatever flow run calls it (``slice``, or the inbox
    watcher for ``INBOX/_live/``)."""
    products = list(load_catalog(params.catalog).values())
    reports: list[dict[str, Any]] = []
    for path in params.recordings:
        analysis = analyse(path, products, params)
        futures = [make_pitch.submit(slicing.pitch_source(analysis, p), p, params, v)
                   for p in analysis.search.pitches for v in params.variants or [None]]
        results: list[PitchResult] = []
        for future in futures:
            results.append(future.result())
            on_progress("clips", len(results), len(futures))
        release(results, params)
        reports.append(report_of(analysis, results))
    slicing.write_report(params.out_dir, reports)
    publish_artifacts(reports)
    return reports


def report_of(analysis: slicing.RecordingAnalysis, results: list[PitchResult]
              ) -> dict[str, Any]:
    """slice.json's entry for one recording, with the manifests and failures."""
    rows = [r.row for r in results if r.row is not None]
    report = slicing.recording_report(analysis, rows)
    report["manifests"] = [r.manifest for r in results if r.manifest is not None]
    report["errors"] = [r.error for r in results if r.error]
    if not analysis.search.pitches:
        report["message"] = slicing.no_pitch_message(Path(analysis.info.path), analysis.search)
    return report


def release(results: list[PitchResult], params: SliceParams) -> None:
    """Schedule every clip of the recording on ``params.platforms`` (like batch)."""
    if not params.platforms:
        return
    slots, booked = load_slots(params.slots_config), []
    first: tuple[Any, ...] = ()  # the targets of the pitch's variant a
    for result in results:
        index = result.variant.index if result.variant else 0
        if index == 0:
            first = ()
        if result.manifest is None:
            continue
        clip_dir = Path(result.manifest["outputs"]["video"]).parent
        targets = targets_for(result.manifest["clip_id"], params.platforms, params.account,
                              None, slots, ledger_url=params.ledger_url, booked=booked,
                              first=first, variant_index=index)
        first = targets if index == 0 else first
        schedule_targets(clip_dir, targets, params.ledger_url)


def publish_artifacts(reports: list[dict[str, Any]]) -> None:
    """The report as a Prefect table artifact (one row per pitch) and a markdown summary."""
    rows = [{"recording": Path(r["recording"]).name, **{k: p[k] for k in
            ("title", "where", "score", "clip_id", "status")}, "why": "; ".join(p["why"])}
            for r in reports for p in r["pitches"]]
    create_table_artifact(rows, key="slice-report", description="Pitches found and clips made")
    lines = [f"## {md_text(Path(r['recording']).name)}: {len(r['pitches'])} pitches, "
             f"{r['catalog_names']} catalog names, {r['speech_ms'] // 60000} min of speech"
             + "".join(f"\n- warning: {md_text(w)}" for w in r["warnings"]) for r in reports]
    create_markdown_artifact("\n\n".join(lines), key="slice-summary",
                             description="Recordings sliced")


def slice_drop(path: Path, catalog: Path, out_dir: Path, template: str) -> str:
    """One recording dropped into ``INBOX/_live/``: its clips' ids, comma-separated
    ('' when no product is pitched in it)."""
    params = SliceParams(recordings=[path], catalog=catalog, out_dir=out_dir,
                         template=template, workers=1)
    reports = slice_in_run(params)
    return ",".join(p["clip_id"] for r in reports for p in r["pitches"])


def run_slice(params: SliceParams, dask_address: str | None = None) -> list[dict[str, Any]]:
    """Run the slice flow on threads bounded by ``params.workers``, or on Dask."""
    runner: Any = ThreadPoolTaskRunner(max_workers=params.workers)
    if dask_address:
        from prefect_dask import DaskTaskRunner

        runner = DaskTaskRunner(address=dask_address)
    began = time.perf_counter()
    reports: list[dict[str, Any]] = slice_recordings.with_options(task_runner=runner)(params)
    for report in reports:
        report["timings"]["wall"] = round(time.perf_counter() - began, 3)
    return reports

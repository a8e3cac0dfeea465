"""The batch flow: every row of a manifest becomes a clip, a bounded number at a time.

Rows are checked before any work (``pipeline.ops.batch.read_manifest``); each footage file
is one task that runs the stages of ``flows.produce.produce`` as its nested tasks, so
one bad file fails its own task only. Clips with platforms are then scheduled in the
publish ledger, or held for review first when their row (or template) asks for it.
"""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path
from typing import Any, Literal

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.states import Failed
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.transactions import CommitMode, transaction
from pydantic import BaseModel, Field

from flows.fanout import connect, disconnect, run_remote
from flows.markdown import md_text
from flows.produce import counted, produce, results_storage
from flows.review import hold_for_review, wait_for_reviews
from flows.watch import current_watch
from pipeline.brand.templates import load_template
from pipeline.core.errors import ClipcartError
from pipeline.ops.batch import BatchItem, read_manifest, thumbnail_data_uri
from pipeline.ops.release import schedule_targets, targets_for
from pipeline.ops.slots import load_slots
from pipeline.ops.variants import label_variant
from pipeline.plan import Settings
from pipeline.publish import publish_due
from pipeline.publish.platforms import placement_platforms

ItemStatus = Literal["made", "existing", "failed", "invalid", "interrupted"]


DEFAULT_WORKERS = os.cpu_count() or 1
DEFAULT_DURATION_MS = 15000
REVIEW_TIMEOUT_S = 24 * 3600
MAX_WAITING = 256
"""Most make-clip tasks waiting on a Dask cluster at once (threads of the flow's process)."""


class BatchParams(BaseModel):
    """What a batch run is asked to do: the ``batch`` flow's parameters, checked."""

    manifest: Path = Field(description="CSV or YAML manifest of clips to make.")
    catalog: Path | None = Field(default=None, description="Catalog for rows without one.")
    out_dir: Path = Field(default=Path("out"), description="Where clip folders go.")
    workers: int = Field(default=DEFAULT_WORKERS, ge=1, le=64,
                         description="Clips made at the same time.")
    ledger: str | None = Field(default=None, description="Publish ledger (SQLAlchemy URL).")
    review: str | None = Field(default=None, description="Review book (SQLAlchemy URL).")
    sandbox: str | None = Field(
        default=None, description="Sandbox URL: clips already due are posted there at the end.")
    dask: str | None = Field(default=None, description="Dask scheduler to fan renders out on.")
    slots_config: Path | None = Field(default=None, description="Publish slots YAML.")
    duration_ms: int = Field(default=DEFAULT_DURATION_MS, ge=5000, le=60000)
    wait_for_review: bool = Field(
        default=False, description="Wait for approval in this run (else approve later).")
    review_timeout_s: int = Field(default=REVIEW_TIMEOUT_S, ge=1)


class ItemResult(BaseModel):
    """What happened to one footage file of the batch."""

    row: str
    footage: str
    sku: str
    status: ItemStatus
    variant: str = ""
    clip_id: str = ""
    clip_dir: str = ""
    thumbnail: str = ""
    seconds: float = 0.0
    error: str = ""
    publishing: str = ""


@task(name="make-clip", task_run_name="{item.sku} ({item.row})", cache_policy=NO_CACHE,
      persist_result=False)
def make_item(item: BatchItem, out_dir: Path, settings: Settings, dask: str | None = None
              ) -> ItemResult:
    """One footage file through ``produce``, here or on the Dask cluster at ``dask``;
    nothing starts once the terminal asked the batch to stop (Ctrl-C)."""
    watch = current_watch()
    if watch is not None and watch.stop.is_set():
        return ItemResult(row=item.row, footage=str(item.footage), sku=item.sku,
                          status="interrupted", error="not started: interrupted")
    if dask:
        result = run_remote(dask, make_one, item, out_dir.absolute(), settings, False)
    else:
        # the stages' cache records are kept as each stage ends, not when the item does:
        # an item failing at render still leaves its transcript and plan for the re-run
        with transaction(commit_mode=CommitMode.EAGER):
            result = make_one(item, out_dir, settings)
    if watch is not None and watch.on_item is not None:
        watch.on_item(result)
    return result


def make_one(item: BatchItem, out_dir: Path, settings: Settings, tracked: bool = True
             ) -> ItemResult:
    """Make one item's clip; a failure becomes a failed result. Module-level and plain
    (frozen arguments, no Prefect context needed when untracked): what a Dask worker runs."""
    began = time.time()
    base = {"row": item.row, "footage": str(item.footage), "sku": item.sku,
            "variant": item.variant.label if item.variant else ""}
    settings = item_settings(item, settings)
    try:
        if item.mode == "slice":
            return _finished(_slice_item(item, out_dir, settings, base), began)
        manifest = produce(item.footage, item.catalog, item.sku, out_dir, item.template,
                           settings, item.script, tracked=tracked)
        if item.variant is not None:
            clip = out_dir / str(manifest["clip_id"])
            manifest = counted(label_variant(clip, item.variant), out_dir)
    except ClipcartError as exc:
        result = ItemResult(**base, status="failed", error=exc.one_line())
    except Exception as exc:  # one bad file never stops the batch
        result = ItemResult(**base, status="failed", error=f"{type(exc).__name__}: {exc}")
    else:
        clip_dir = Path(manifest["outputs"]["video"]).parent
        existed = (clip_dir / "manifest.json").stat().st_mtime < began
        result = ItemResult(**base, status="existing" if existed else "made",
                            clip_id=manifest["clip_id"], clip_dir=str(clip_dir),
                            thumbnail=manifest["outputs"]["thumbnail"])
    return _finished(result, began)


def item_settings(item: BatchItem, settings: Settings) -> Settings:
    """The batch's settings with the row's layout, the platforms it posts to (whose
    interface zones its overlays keep clear of) and its A/B variant's changes."""
    changes = item.variant.changes() if item.variant is not None else {}
    return dataclasses.replace(settings, layout=item.layout or settings.layout,
                               platforms=placement_platforms(item.platforms), **changes)


def _finished(result: ItemResult, began: float) -> ItemResult:
    result.seconds = round(time.time() - began, 2)
    return result


def _slice_item(item: BatchItem, out_dir: Path, settings: Settings, base: dict[str, str]
                ) -> ItemResult:
    """A ``mode: slice`` row: a clip per product pitch; the slice schedules its posts."""
    from flows.slice import SliceParams, slice_in_run

    reports = slice_in_run(SliceParams(
        recordings=[item.footage], catalog=item.catalog, out_dir=out_dir,
        template=item.template, duration_ms=settings.duration_ms, platforms=item.platforms,
        account=item.account, workers=1, variants=item.slice_variants))
    pitches = [p for r in reports for p in r["pitches"]]
    made = any(p["status"] == "made" for p in pitches)
    first = out_dir / pitches[0]["clip_id"] if pitches else out_dir
    errors = [e for r in reports for e in r["errors"]]
    return ItemResult(**base, status="failed" if errors else "made" if made or not pitches
                      else "existing", clip_id=",".join(p["clip_id"] for p in pitches),
                      clip_dir=str(first), thumbnail=str(first / "thumbnail.jpg")
                      if pitches else "", error="; ".join(errors)
                      or ("" if pitches else reports[0].get("message", "")))


@flow(name="make-clips", persist_result=False)
def make_clips(items: tuple[BatchItem, ...], out_dir: Path, settings: Settings,
               dask: str | None = None) -> list[ItemResult]:
    """Every item as a task, as many at once as the task runner allows (with ``dask``,
    each task waits here on its clip being made on the cluster)."""
    if dask:
        connect(dask)  # an unreachable scheduler fails the batch once, not every item
    try:
        futures = [make_item.submit(item, out_dir, settings, dask) for item in items]
        return [f.result() for f in futures]
    finally:
        if dask:
            disconnect(dask)


def task_runner(workers: int, dask: str | None, items: int = 1) -> Any:
    """Threads bounded by ``workers``; with ``dask``, one waiting thread per item (the
    cluster bounds the work)."""
    if dask:
        return ThreadPoolTaskRunner(max_workers=max(1, min(items, MAX_WAITING)))
    return ThreadPoolTaskRunner(max_workers=workers)


@flow(name="batch", persist_result=True, result_storage=results_storage())
def batch(manifest: Path, catalog: Path | None = None, out_dir: Path = Path("out"),
          workers: int = DEFAULT_WORKERS, ledger: str | None = None,
          sandbox: str | None = None, dask: str | None = None,
          slots_config: Path | None = None, duration_ms: int = DEFAULT_DURATION_MS,
          wait_for_review: bool = False, review_timeout_s: int = REVIEW_TIMEOUT_S,
          review: str | None = None) -> Any:
    """Make every clip of the manifest, then schedule each or hold it for review.

    The run ends Failed when no row could be made.

    Args:
        manifest: CSV or YAML manifest, one clip per row.
        catalog: Catalog for rows without one.
        out_dir: Where clip folders go.
        workers: Clips made at the same time (threads; ignored with dask).
        ledger: Publish ledger SQLAlchemy URL (default CLIPCART_LEDGER_URL, else
            CLIPCART_DATABASE_URL, else CLIPCART_HOME/ledger.db).
        sandbox: Sandbox platform URL: clips already due are posted there at the end.
        dask: Dask scheduler address (tcp://HOST:8786) to fan renders out on.
        slots_config: Publish slots YAML.
        duration_ms: Clip length in milliseconds (5000-60000).
        wait_for_review: Wait in this run for each held clip's approval (a form in the UI,
            or `clipcart approve`); the wait survives a restart of the server.
        review_timeout_s: Give up waiting after this many seconds (the clip stays held).
        review: Review book SQLAlchemy URL (default CLIPCART_REVIEW_URL, else
            CLIPCART_DATABASE_URL, else CLIPCART_HOME/review.db): share it so a clip held
            here can be approved from any host.
    """
    params = BatchParams(manifest=manifest, catalog=catalog, out_dir=out_dir, workers=workers,
                         ledger=ledger, sandbox=sandbox, dask=dask, slots_config=slots_config,
                         duration_ms=duration_ms, wait_for_review=wait_for_review,
                         review_timeout_s=review_timeout_s, review=review)
    checked = read_manifest(params.manifest, catalog=params.catalog,
                            zone_for=lambda account: load_slots(params.slots_config)
                            .for_account(account).zone)
    log = get_run_logger()
    for problem in checked.problems:
        log.warning("skipped %s", problem)
    runner = task_runner(params.workers, params.dask, len(checked.items))
    results = make_clips.with_options(task_runner=runner)(
        checked.items, params.out_dir, Settings(duration_ms=params.duration_ms), params.dask)
    invalid = [ItemResult(row=p.row, footage="", sku="", status="invalid", error=str(p))
               for p in checked.problems]
    held = release(checked.items, results, params)
    report(results + invalid)  # before any wait: the reviewer sees the thumbnails
    if held and params.wait_for_review:
        decisions = wait_for_reviews(held, params.ledger, params.review_timeout_s,
                                     params.review)
        for result in results:
            result.publishing = decisions.get(result.clip_id, result.publishing)
        report(results + invalid)
    if params.sandbox:
        publish_due_now(params)
    return finish(results + invalid)


def finish(results: list[ItemResult]) -> Any:
    """The results; as a Failed state when nothing could be made."""
    if any(r.status in ("made", "existing") for r in results):
        return results
    return Failed(message=f"all {len(results)} row(s) failed", data=results)


def publish_due_now(params: BatchParams) -> None:
    """Post the clips already due to the sandbox (publish-due posts the rest later)."""
    records = publish_due(ledger_url=params.ledger, sandbox_url=params.sandbox)
    get_run_logger().info("posted %d due clip(s) to %s", len(records), params.sandbox)


def run_batch(params: BatchParams) -> list[ItemResult]:
    """Run the batch flow in-process; the results even when the run ended Failed.

    Raises KeyboardInterrupt when the run was asked to stop (Ctrl-C) while it ran, even
    if the interrupt itself was swallowed on the way."""
    state = batch(**params.model_dump(), return_state=True)
    watch = current_watch()
    if watch is not None and watch.stop.is_set():
        raise KeyboardInterrupt
    results: list[ItemResult] = state.result(raise_on_failure=False)
    if isinstance(results, BaseException):
        raise results
    return results


def release(items: tuple[BatchItem, ...], results: list[ItemResult],
            params: BatchParams) -> list[str]:
    """Schedule each finished clip's posts, or hold it for review first (the clip ids
    held are returned)."""
    slots = load_slots(params.slots_config)
    booked: list[Any] = []
    held = []
    firsts: dict[tuple[str, str], tuple[Any, ...]] = {}  # a row's file -> its variant a's
    for item, result in zip(items, results, strict=True):
        if result.status not in ("made", "existing") or not item.platforms \
                or item.mode == "slice":
            continue
        group, index = (item.row, str(item.footage)), item.variant.index if item.variant else 0
        targets = targets_for(result.clip_id, item.platforms, item.account, item.publish_at, slots,
                              ledger_url=params.ledger, booked=booked,
                              first=firsts.get(group, ()), variant_index=index)
        if index == 0:
            firsts[group] = targets
        clip_dir = Path(result.clip_dir)
        if item.review or load_template(item.template).review:
            hold_for_review(result.clip_id, clip_dir, targets, params.review)
            result.publishing = "awaiting review"
            held.append(result.clip_id)
        else:
            schedule_targets(clip_dir, targets, params.ledger)
            result.publishing = ", ".join(f"{t.platform} {t.at:%Y-%m-%d %H:%M}Z"
                                          for t in targets)
    return held


def report(results: list[ItemResult]) -> None:
    """The summary as a Prefect table artifact and a markdown artifact with thumbnails."""
    columns = ("row", "sku", "variant", "status", "clip_id", "seconds", "publishing", "error")
    rows = [{c: getattr(r, c) for c in columns} for r in results]
    create_table_artifact(rows, key="batch-summary", description="Clips of this batch")
    lines = ["| thumbnail | row | sku | status | clip | publishing |", "|---|---|---|---|---|---|"]
    for r in results:
        thumb = (f"![{md_text(r.clip_id)}]({thumbnail_data_uri(Path(r.thumbnail))})"
                 if r.thumbnail else "")
        cells = (r.row, r.sku, r.status, r.clip_id, r.error or r.publishing)
        lines.append(f"| {thumb} | {' | '.join(md_text(c) for c in cells)} |")
    create_markdown_artifact("\n".join(lines), key="batch-thumbnails",
                             description="Clips of this batch with thumbnails")

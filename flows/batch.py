"""The batch flow: every row of a manifest becomes a clip, a bounded number at a time.

Rows are checked before any work (``pipeline.ops.batch.read_manifest``); each footage file
is one task that runs the stages of ``flows.produce.produce`` as its nested tasks, so
one bad file fails its own task only. Clips with platforms are then scheduled in the
publish ledger, or held for review first when their row (or template) asks for it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.transactions import CommitMode, transaction
from pydantic import BaseModel, Field

from flows.produce import produce
from flows.review import hold_for_review, wait_for_reviews
from pipeline.brand.templates import load_template
from pipeline.core.errors import ClipcartError
from pipeline.ops.batch import BatchItem, read_manifest, thumbnail_data_uri
from pipeline.ops.release import schedule_targets, targets_for
from pipeline.ops.slots import load_slots
from pipeline.plan import Settings

ItemStatus = Literal["made", "existing", "failed", "invalid"]


class BatchParams(BaseModel):
    """What a batch run is asked to do (the deployment's parameters in the UI)."""

    manifest: Path = Field(description="CSV or YAML manifest of clips to make.")
    catalog: Path | None = Field(default=None, description="Catalog for rows without one.")
    out_dir: Path = Field(default=Path("out"), description="Where clip folders go.")
    workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1, le=64,
                         description="Clips made at the same time.")
    duration_ms: int = Field(default=15000, ge=5000, le=60000)
    ledger_url: str | None = Field(default=None, description="Publish ledger (SQLAlchemy URL).")
    slots_config: Path | None = Field(default=None, description="Publish slots YAML.")
    wait_for_review: bool = Field(
        default=False, description="Pause for approval in this run (else approve later).")
    review_timeout_s: int = Field(default=24 * 3600, ge=1)


class ItemResult(BaseModel):
    """What happened to one footage file of the batch."""

    row: str
    footage: str
    sku: str
    status: ItemStatus
    clip_id: str = ""
    clip_dir: str = ""
    thumbnail: str = ""
    seconds: float = 0.0
    error: str = ""
    publishing: str = ""


ProgressHook = Callable[[ItemResult], None]
progress_hooks: list[ProgressHook] = []
"""Called in-process as each item finishes (the CLI's progress bar listens here)."""


@task(name="make-clip", cache_policy=NO_CACHE, persist_result=False)
def make_item(item: BatchItem, out_dir: Path, settings: Settings) -> ItemResult:
    """One footage file through ``produce``; a failure becomes a failed result."""
    began = time.time()
    base = {"row": item.row, "footage": str(item.footage), "sku": item.sku}
    try:
        # the stages' cache records are kept as each stage ends, not when the item does:
        # an item failing at render still leaves its transcript and plan for the re-run
        with transaction(commit_mode=CommitMode.EAGER):
            manifest = produce(item.footage, item.catalog, item.sku, out_dir, item.template,
                               settings, item.script)
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
    result.seconds = round(time.time() - began, 2)
    for hook in progress_hooks:
        hook(result)
    return result


@flow(name="batch", task_runner=ThreadPoolTaskRunner(max_workers=os.cpu_count() or 1))
def batch(params: BatchParams) -> list[ItemResult]:
    """Make every clip of the manifest, then schedule or hold each for review."""
    checked = read_manifest(params.manifest, catalog=params.catalog,
                            zone_for=lambda account: load_slots(params.slots_config)
                            .for_account(account).zone)
    log = get_run_logger()
    for problem in checked.problems:
        log.warning("skipped %s", problem)
    settings = Settings(duration_ms=params.duration_ms)
    futures = [make_item.submit(item, params.out_dir, settings) for item in checked.items]
    results = [f.result() for f in futures]
    release(checked.items, results, params)
    invalid = [ItemResult(row=p.row, footage="", sku="", status="invalid", error=str(p))
               for p in checked.problems]
    report(results + invalid)
    return results + invalid


def run_batch(params: BatchParams, dask_address: str | None = None) -> list[ItemResult]:
    """Run the batch flow with its task runner bounded by ``params.workers``."""
    runner: Any = ThreadPoolTaskRunner(max_workers=params.workers)
    if dask_address:
        from prefect_dask import DaskTaskRunner

        runner = DaskTaskRunner(address=dask_address)
    return batch.with_options(task_runner=runner)(params)


def release(items: tuple[BatchItem, ...], results: list[ItemResult],
            params: BatchParams) -> None:
    """Schedule each finished clip's posts, or hold it for review first."""
    slots = load_slots(params.slots_config)
    booked: list[Any] = []
    held = []
    for item, result in zip(items, results, strict=True):
        if result.status == "failed" or not item.platforms:
            continue
        targets = targets_for(result.clip_id, item.platforms, item.account, item.publish_at, slots,
                              ledger_url=params.ledger_url, booked=booked)
        clip_dir = Path(result.clip_dir)
        if item.review or load_template(item.template).review:
            hold_for_review(result.clip_id, clip_dir, targets)
            result.publishing = "awaiting review"
            held.append(result.clip_id)
        else:
            schedule_targets(clip_dir, targets, params.ledger_url)
            result.publishing = ", ".join(f"{t.platform} {t.at:%Y-%m-%d %H:%M}Z"
                                          for t in targets)
    if held and params.wait_for_review:
        decisions = wait_for_reviews(held, params.ledger_url, params.review_timeout_s)
        for result in results:
            result.publishing = decisions.get(result.clip_id, result.publishing)


def report(results: list[ItemResult]) -> None:
    """The summary as a Prefect table artifact and a markdown artifact with thumbnails."""
    columns = ("row", "sku", "status", "clip_id", "seconds", "publishing", "error")
    rows = [{c: getattr(r, c) for c in columns} for r in results]
    create_table_artifact(rows, key="batch-summary", description="Clips of this batch")
    lines = ["| thumbnail | row | sku | status | clip | publishing |", "|---|---|---|---|---|---|"]
    for r in results:
        thumb = f"![{r.clip_id}]({thumbnail_data_uri(Path(r.thumbnail))})" if r.thumbnail else ""
        note = r.error.replace("|", "/") if r.error else r.publishing
        lines.append(f"| {thumb} | {r.row} | {r.sku} | {r.status} | {r.clip_id} | {note} |")
    create_markdown_artifact("\n".join(lines), key="batch-thumbnails",
                             description="Clips of this batch with thumbnails")

"""The watch_inbox flow: footage dropped into INBOX becomes clips, each file once.

The rules (layout, completeness, the registry, rejection) live in ``pipeline.ops.inbox``;
this flow loops over what is there, runs ``produce`` per file and, unless
``once``, waits on watchfiles for the next change.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

from prefect import flow, get_run_logger
from prefect.task_runners import ThreadPoolTaskRunner
from pydantic import BaseModel, Field

from flows.fingerprint import footage_digest
from flows.produce import produce
from pipeline.core.errors import BadInput, ClipcartError, MediaError
from pipeline.media.probe import probe
from pipeline.ops.inbox import Drop, InboxRegistry, is_complete, reject, scan, watch_changes
from pipeline.products.catalog import find_product, load_catalog


class WatchParams(BaseModel):
    """What the inbox watcher is asked to do (the deployment's parameters in the UI)."""

    inbox: Path = Field(description="Folder watched for footage (INBOX/<SKU>/file.mp4).")
    catalog: Path | None = Field(default=None,
                                 description="Catalog; default INBOX/catalog.csv or .json.")
    out_dir: Path = Field(default=Path("out"), description="Where clip folders go.")
    template: str = "bold"
    once: bool = Field(default=False, description="Process what is there, then stop.")
    settle_s: float = Field(default=1.0, ge=0, description="How long a size must hold still.")
    tick_s: float = Field(default=5.0, gt=0, description="Rescan at least this often.")
    max_passes: int = Field(default=0, ge=0, description="Stop after N passes (0: never).")


class DropOutcome(BaseModel):
    """What became of one dropped file."""

    source: str
    sku: str
    status: Literal["made", "seen", "rejected", "failed"]
    clip_id: str = ""
    detail: str = ""


outcome_hooks: list[Callable[[DropOutcome], None]] = []
"""Called in-process as each file is dealt with (the CLI prints here while watching)."""


def catalog_for(params: WatchParams) -> Path:
    """The catalog the watcher uses."""
    if params.catalog is not None:
        return params.catalog
    for name in ("catalog.csv", "catalog.json"):
        if (params.inbox / name).is_file():
            return params.inbox / name
    raise BadInput(f"no catalog for {params.inbox}",
                   hint="Pass --catalog FILE or put catalog.csv in the inbox")


def take(drop: Drop, params: WatchParams, catalog: Path, registry: InboxRegistry
         ) -> DropOutcome:
    """One complete file: skip if seen, else make its clip or set it aside with why."""
    base = {"source": str(drop.path), "sku": drop.sku}
    digest = footage_digest(drop.path)
    if drop.script is not None:  # another script is another clip
        digest += f"+{footage_digest(drop.script)}"
    seen = registry.clip_for(digest, drop.sku)
    if seen:
        return DropOutcome(**base, status="seen", clip_id=seen)
    try:
        find_product(load_catalog(catalog), drop.sku, catalog)
        if not probe(drop.path).has_video:
            raise MediaError(f"{drop.path.name} has no video stream")
        manifest = produce(drop.path, catalog, drop.sku, params.out_dir, params.template,
                           script=drop.script)
    except (BadInput, MediaError) as exc:
        where = reject(params.inbox, drop.path, exc.one_line())
        return DropOutcome(**base, status="rejected", detail=f"{where}: {exc.one_line()}")
    except ClipcartError as exc:  # not the file's fault: leave it for the next pass
        return DropOutcome(**base, status="failed", detail=exc.one_line())
    registry.record(digest, drop.sku, drop.path, str(manifest["clip_id"]))
    return DropOutcome(**base, status="made", clip_id=str(manifest["clip_id"]))


def one_pass(params: WatchParams, catalog: Path, registry: InboxRegistry) -> list[DropOutcome]:
    """Every complete file in the inbox, once."""
    log = get_run_logger()
    outcomes = []
    for drop in scan(params.inbox):
        if not is_complete(drop.path, params.settle_s):
            continue  # still being written: the next pass looks again
        outcome = take(drop, params, catalog, registry)
        for hook in outcome_hooks:
            hook(outcome)
        if outcome.status != "seen":
            log.info("%s %s %s %s", outcome.status, drop.path.name, outcome.clip_id,
                     outcome.detail)
        outcomes.append(outcome)
    return outcomes


@flow(name="watch_inbox", task_runner=ThreadPoolTaskRunner(max_workers=1))
def watch_inbox(params: WatchParams) -> list[DropOutcome]:
    """Turn inbox footage into clips; with ``once`` stop after one pass."""
    catalog = catalog_for(params)
    params.out_dir.mkdir(parents=True, exist_ok=True)
    registry = InboxRegistry()
    outcomes: list[DropOutcome] = []
    try:
        outcomes += one_pass(params, catalog, registry)
        passes = 1
        if params.once:
            return outcomes

        def stop() -> bool:
            return params.max_passes > 0 and passes >= params.max_passes

        for _ in watch_changes(params.inbox, stop, params.tick_s):
            outcomes += one_pass(params, catalog, registry)
            passes += 1
    finally:
        registry.close()
    return outcomes

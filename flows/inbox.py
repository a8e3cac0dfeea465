"""The watch-inbox flow: footage dropped into INBOX becomes clips, each file once.

The rules (layout, when a file is ready, the registry, rejection) live in
``pipeline.ops.inbox``; this flow loops over what is there, runs ``produce`` per ready
file and, unless ``once``, waits on watchfiles for the next change. Each run logs what it
did with every file (skips included) and leaves an ``inbox-pass`` table artifact.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Literal

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact
from prefect.task_runners import ThreadPoolTaskRunner
from pydantic import BaseModel, ConfigDict, Field

from flows.fingerprint import footage_digest
from flows.hooks import Hook
from flows.produce import produce
from pipeline.core.errors import BadInput, ClipcartError, MediaError
from pipeline.media.probe import probe
from pipeline.ops.inbox import (
    LIVE_FOLDER,
    Drop,
    InboxRegistry,
    drop_state,
    open_for_writing,
    reject,
    scan,
    still_for,
    watch_changes,
)
from pipeline.products.catalog import find_product, load_catalog

SETTLE_S = 10.0
"""Seconds a file must stay unchanged before it is read (a copy may pause that long)."""
REJECT_AFTER_S = 600.0
"""Seconds an unreadable file must stay unchanged before it is set aside."""


class WatchParams(BaseModel):
    """What the inbox watcher is asked to do (the flow's parameters, checked)."""

    model_config = ConfigDict(frozen=True)

    inbox: Path
    catalog: Path | None
    out_dir: Path
    template: str
    once: bool
    settle_s: float = Field(ge=0)
    reject_after_s: float = Field(ge=0)
    tick_s: float = Field(gt=0)
    max_passes: int = Field(ge=0)


OutcomeStatus = Literal["made", "seen", "waiting", "rejected", "failed"]


class DropOutcome(BaseModel):
    """What became of one dropped file in one pass."""

    source: str
    sku: str
    status: OutcomeStatus
    clip_id: str = ""
    detail: str = ""


on_outcome: Hook[[DropOutcome]] = Hook("clipcart_inbox_outcome")
"""Called in-process as each file is dealt with (the CLI prints here while watching)."""


def inbox_catalog(inbox: Path, catalog: Path | None) -> Path:
    """``catalog`` if given, else the inbox's own catalog.csv or catalog.json."""
    if catalog is not None:
        return catalog
    for name in ("catalog.csv", "catalog.json"):
        if (inbox / name).is_file():
            return inbox / name
    raise BadInput(f"no catalog for {inbox}",
                   hint="Pass --catalog FILE or put catalog.csv in the inbox")


def take(drop: Drop, params: WatchParams, catalog: Path, registry: InboxRegistry
         ) -> DropOutcome:
    """One ready file: skip if seen, else make its clip; a file that cannot become one
    waits for later passes until it has been still for ``reject_after_s``, then is set
    aside with why."""
    base = {"source": str(drop.path), "sku": drop.sku}
    before = drop.path.stat()
    digest = footage_digest(drop.path)
    if drop.script is not None:  # another script is another clip
        digest += f"+{footage_digest(drop.script)}"
    seen = registry.clip_for(digest, drop.sku)
    if seen:
        return DropOutcome(**base, status="seen", clip_id=seen)
    try:
        if drop.sku == LIVE_FOLDER:  # a live recording: a clip per product pitch
            from flows.slice import slice_drop

            ids = slice_drop(drop.path, catalog, params.out_dir, params.template)
            registry.record(digest, drop.sku, drop.path, ids or "-")
            return DropOutcome(**base, status="made", clip_id=ids,
                               detail="" if ids else "no product pitch found")
        find_product(load_catalog(catalog), drop.sku, catalog)
        if not probe(drop.path).has_video:
            raise MediaError(f"{drop.path.name} has no video stream")
        manifest = produce(drop.path, catalog, drop.sku, params.out_dir, params.template,
                           script=drop.script)
    except (BadInput, MediaError) as exc:
        return _unusable(drop, params, base, exc.one_line())
    except ClipcartError as exc:  # not the file's fault: leave it for the next pass
        return DropOutcome(**base, status="failed", detail=exc.one_line())
    if _changed(drop.path, before.st_size, before.st_mtime_ns):  # written to meanwhile
        return DropOutcome(**base, status="waiting", detail="changed while it was read")
    registry.record(digest, drop.sku, drop.path, str(manifest["clip_id"]))
    return DropOutcome(**base, status="made", clip_id=str(manifest["clip_id"]))


def _unusable(drop: Drop, params: WatchParams, base: dict[str, str], why: str
              ) -> DropOutcome:
    still = still_for(drop.path)
    if still < params.reject_after_s:
        return DropOutcome(**base, status="waiting",
                           detail=f"{why} (still {still:.0f} s; set aside after "
                                  f"{params.reject_after_s:.0f} s unchanged)")
    where = reject(params.inbox, drop.path, why)
    return DropOutcome(**base, status="rejected", detail=f"{where}: {why}")


def _changed(path: Path, size: int, mtime_ns: int) -> bool:
    try:
        st = path.stat()
    except OSError:
        return True
    return (st.st_size, st.st_mtime_ns) != (size, mtime_ns)


def one_pass(params: WatchParams, catalog: Path, registry: InboxRegistry) -> list[DropOutcome]:
    """Every file in the inbox, once: ready files are taken, the rest noted as waiting."""
    log = get_run_logger()
    drops = scan(params.inbox)
    writers = open_for_writing() if drops else frozenset()
    outcomes = []
    for drop in drops:
        state = drop_state(drop.path, params.settle_s, writers, time.time())
        if state == "ready":
            outcome = take(drop, params, catalog, registry)
        elif state == "gone":
            continue
        else:
            outcome = DropOutcome(source=str(drop.path), sku=drop.sku, status="waiting",
                                  detail="open for writing" if state == "writing" else
                                  f"changed less than {params.settle_s:g} s ago")
        on_outcome(outcome)
        log.info("%s %s %s %s", outcome.status, drop.path.name, outcome.clip_id,
                 outcome.detail)
        outcomes.append(outcome)
    return outcomes


def record_pass(outcomes: list[DropOutcome]) -> None:
    """The run's outcomes as a table artifact (one row per file)."""
    rows = [o.model_dump() for o in outcomes] or [
        {"source": "", "sku": "", "status": "", "clip_id": "", "detail": "inbox empty"}]
    create_table_artifact(rows, key="inbox-pass", description="What this run did with "
                          "each file in the inbox")


@flow(name="watch-inbox", task_runner=ThreadPoolTaskRunner(max_workers=1))
def watch_inbox(inbox: Path, catalog: Path | None = None, out_dir: Path = Path("out"),
                template: str = "bold", once: bool = True, settle_s: float = SETTLE_S,
                reject_after_s: float = REJECT_AFTER_S, tick_s: float = 5.0,
                max_passes: int = 0, registry: str | None = None) -> list[DropOutcome]:
    """Turn footage dropped into the inbox into clips, each file once (by content).

    Args:
        inbox: Folder watched for footage: INBOX/<SKU>/file.mp4 or INBOX/<SKU>__name.mp4.
        catalog: Catalog file; default INBOX/catalog.csv or INBOX/catalog.json.
        out_dir: Where clip folders go.
        template: Brand template name or YAML path.
        once: Process what is there, then stop (else keep watching).
        settle_s: Seconds a file must stay unchanged before it is read.
        reject_after_s: Seconds an unreadable file must stay unchanged before it is
            moved to INBOX/_rejected/ (until then it is tried again each pass).
        tick_s: While watching, rescan at least this often (seconds).
        max_passes: While watching, stop after this many passes (0: never).
        registry: Inbox registry SQLAlchemy URL (default CLIPCART_INBOX_URL, else
            CLIPCART_DATABASE_URL, else CLIPCART_HOME/inbox.db).
    """
    params = WatchParams(inbox=inbox, catalog=catalog, out_dir=out_dir, template=template,
                         once=once, settle_s=settle_s, reject_after_s=reject_after_s,
                         tick_s=tick_s, max_passes=max_passes)
    found = inbox_catalog(params.inbox, params.catalog)
    params.out_dir.mkdir(parents=True, exist_ok=True)
    outcomes: list[DropOutcome] = []
    with InboxRegistry(registry) as processed:
        outcomes += one_pass(params, found, processed)
        passes = 1
        if not params.once:

            def stop() -> bool:
                return params.max_passes > 0 and passes >= params.max_passes

            for _ in watch_changes(params.inbox, stop, params.tick_s):
                outcomes += one_pass(params, found, processed)
                passes += 1
    record_pass(outcomes)
    return outcomes

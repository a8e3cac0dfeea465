"""CLI commands for orchestration: batch, watch, review (approve/reject), serve, deploy."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from flows.console import err, out
from pipeline.core.errors import ConfigError, ManifestError


def register(app: typer.Typer) -> None:
    """Add batch, watch, approve, reject, review and serve to the clipcart app."""
    app.command("batch")(batch_command)
    app.command("watch")(watch_command)
    app.command("approve")(approve_command)
    app.command("reject")(reject_command)
    app.command("review")(review_command)
    app.command("serve")(serve_command)
    app.command("deploy")(deploy_command)


def batch_command(
    manifest: Annotated[Path, typer.Argument(help="CSV or YAML manifest, one clip per row.")],
    catalog: Annotated[Path | None, typer.Option(help="Catalog for rows without one.")] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("out"),
    workers: Annotated[int, typer.Option(help="Clips made at once (default: cores).")] = 0,
    dask: Annotated[str | None, typer.Option(help="Dask scheduler address to fan out on.")
                    ] = None,
    ledger: Annotated[str | None, typer.Option(help="Publish ledger SQLAlchemy URL.")] = None,
    review: Annotated[str | None, typer.Option(
        help="Review book SQLAlchemy URL (default $CLIPCART_REVIEW_URL, "
        "$CLIPCART_DATABASE_URL, else CLIPCART_HOME/review.db).")] = None,
    config: Annotated[Path | None, typer.Option(help="Publish slots YAML.")] = None,
    skip_invalid: Annotated[bool, typer.Option(
        help="Make the valid rows even when others are invalid (exit 2 at the end).")] = False,
) -> None:
    """Make every clip of a manifest; rows are all checked before any work starts.

    Any invalid row stops the batch before anything is made (exit 2, one line per
    row), unless --skip-invalid is given.
    """
    from pipeline.ops.batch import read_manifest
    from pipeline.ops.slots import load_slots

    slots = load_slots(config)
    checked = read_manifest(manifest, catalog=catalog,
                            zone_for=lambda account: slots.for_account(account).zone)
    for problem in checked.problems[:-1] if not skip_invalid else checked.problems:
        err.print(f"clipcart: {manifest}: {problem}", markup=False, soft_wrap=True)
    if checked.problems and not skip_invalid:
        last = checked.problems[-1]
        raise ManifestError(f"{manifest}: {last}", hint=_invalid_hint(len(checked.problems)))
    if not checked.items:
        raise ManifestError(f"{manifest}: no valid rows, nothing made",
                            hint="Fix the rows named above")
    for note in checked.notes:
        err.print(f"clipcart: warning: {manifest}: {note}", markup=False, soft_wrap=True)
    if dask is None:  # clips are made here: have Whisper ready when Prefect is
        from pipeline.plan import Settings
        from pipeline.produce import preload_whisper

        preload_whisper(Settings())
    from flows.batch import BatchParams, ItemResult, run_batch  # Prefect: slow
    from flows.watch import watched

    params = BatchParams(manifest=manifest, catalog=catalog, out_dir=out_dir,
                         workers=workers or os.cpu_count() or 1, ledger=ledger, dask=dask,
                         slots_config=config, review=review)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=err, transient=False) as progress:
        bar = progress.add_task("making clips", total=len(checked.items))

        def advance(result: ItemResult) -> None:
            progress.update(bar, advance=1, description=f"{result.status} {result.row}")

        with watched(advance):
            results = run_batch(params)
    show_results(results)
    if checked.problems:
        raise typer.Exit(2)
    if any(r.status == "failed" for r in results):
        raise typer.Exit(1)


def _invalid_hint(count: int) -> str:
    rows = "this row" if count == 1 else f"the {count} rows named"
    return (f"Nothing was made; fix {rows} (or pass --skip-invalid to make the valid rows "
            "anyway)")


def show_results(results: list) -> None:  # type: ignore[type-arg]
    table = Table(title="Batch")
    for column in ("row", "sku", "status", "clip", "seconds", "publishing / error"):
        table.add_column(column)
    for r in results:
        table.add_row(r.row, r.sku, r.status, r.clip_id, f"{r.seconds:.1f}",
                      r.error or r.publishing)
    out.print(table)
    made = sum(r.status == "made" for r in results)
    out.print(f"{made} made, {sum(r.status == 'existing' for r in results)} already made, "
              f"{sum(r.status in ('failed', 'invalid') for r in results)} failed")


def watch_command(
    inbox: Annotated[Path, typer.Argument(help="Folder to watch: INBOX/<SKU>/file.mp4.")],
    catalog: Annotated[Path | None, typer.Option(help="Catalog (default INBOX/catalog.csv).")
                       ] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("out"),
    template: Annotated[str, typer.Option(help="Brand template name or YAML path.")] = "bold",
    once: Annotated[bool, typer.Option("--once", help="Process what is there and exit.")
                    ] = False,
    settle: Annotated[float, typer.Option(
        help="Seconds a file must stay unchanged before it is read.")] = 10.0,
    reject_after: Annotated[float, typer.Option(
        help="Seconds an unreadable file must stay unchanged before it is set aside.")
                            ] = 600.0,
    registry: Annotated[str | None, typer.Option(
        help="Inbox registry SQLAlchemy URL (default $CLIPCART_INBOX_URL, "
        "$CLIPCART_DATABASE_URL, else CLIPCART_HOME/inbox.db).")] = None,
) -> None:
    """Turn footage dropped into INBOX into clips, each file once (by content)."""
    if not inbox.is_dir():
        raise ConfigError(f"{inbox} is not a folder", hint="Create it or pass another INBOX")
    if settle < 0 or reject_after < 0:
        raise ConfigError("--settle and --reject-after must be 0 or more seconds",
                          hint="e.g. --settle 10 --reject-after 600")
    from flows.inbox import DropOutcome, on_outcome, watch_inbox

    err.print(f"watching {inbox} (Ctrl-C to stop)" if not once else f"processing {inbox}")
    reported: set[tuple[str, str, str]] = set()

    def say(outcome: DropOutcome) -> None:
        said = (outcome.source, outcome.status, outcome.detail.split(" (still")[0])
        if outcome.status != "seen" and said not in reported:  # a wait is said once
            reported.add(said)
            out.print(f"{outcome.status:9} {outcome.source} {outcome.clip_id} {outcome.detail}",
                      markup=False, soft_wrap=True)

    with on_outcome.calling(say):
        watch_inbox(inbox=inbox, catalog=catalog, out_dir=out_dir, template=template,
                    once=once, settle_s=settle, reject_after_s=reject_after, registry=registry)


def _decide(clip_id: str, approved: bool, note: str, ledger: str | None,
            review: str | None) -> None:
    from flows.review import resume_if_waiting
    from flows.serve import known_api_url
    from pipeline.ops.release import decide

    record, posts = decide(clip_id, approved, note, ledger_url=ledger, review_url=review)
    out.print(f"{record.state} {clip_id}", markup=False)
    for post in posts:
        out.print(f"  scheduled {post.platform}/{post.account}", markup=False)
    api = known_api_url()
    if api and record.flow_run_id:
        from prefect.settings import PREFECT_API_URL, temporary_settings

        with temporary_settings({PREFECT_API_URL: api}):
            if resume_if_waiting(record):
                out.print(f"  resumed flow run {record.flow_run_id}", markup=False)


def approve_command(
    clip_id: Annotated[str, typer.Argument(help="Clip id held for review.")],
    note: Annotated[str, typer.Option(help="A note kept with the decision.")] = "",
    ledger: Annotated[str | None, typer.Option(help="Publish ledger SQLAlchemy URL.")] = None,
    review: Annotated[str | None, typer.Option(
        help="Review book SQLAlchemy URL (default $CLIPCART_REVIEW_URL, "
        "$CLIPCART_DATABASE_URL, else CLIPCART_HOME/review.db).")] = None,
) -> None:
    """Approve a clip: its posts are scheduled (and a waiting flow run resumes)."""
    _decide(clip_id, True, note, ledger, review)


def reject_command(
    clip_id: Annotated[str, typer.Argument(help="Clip id held for review.")],
    note: Annotated[str, typer.Option(help="Why, kept with the decision.")] = "",
    review: Annotated[str | None, typer.Option(
        help="Review book SQLAlchemy URL (default $CLIPCART_REVIEW_URL, "
        "$CLIPCART_DATABASE_URL, else CLIPCART_HOME/review.db).")] = None,
) -> None:
    """Reject a clip: it is never published."""
    _decide(clip_id, False, note, None, review)


def review_command(
    review: Annotated[str | None, typer.Option(
        help="Review book SQLAlchemy URL (default $CLIPCART_REVIEW_URL, "
        "$CLIPCART_DATABASE_URL, else CLIPCART_HOME/review.db).")] = None,
) -> None:
    """List the clips waiting for review."""
    from pipeline.ops.review import ReviewBook

    with ReviewBook(review) as book:
        table = Table("clip", "targets", "folder", "waiting since")
        for r in book.pending():
            table.add_row(r.clip_id, ", ".join(f"{t.platform}@{t.at:%m-%d %H:%M}Z"
                                               for t in r.targets),
                          str(r.clip_dir), f"{r.updated_at:%Y-%m-%d %H:%M}")
        out.print(table)


def serve_command(
    port: Annotated[int, typer.Option(help="Prefect server port (0: any free port).")] = 4200,
    inbox: Annotated[Path | None, typer.Option(help="Inbox for the watch-inbox deployment.")
                     ] = None,
    catalog: Annotated[Path | None, typer.Option(help="Catalog for inbox and batch.")] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("out"),
    ledger: Annotated[str | None, typer.Option(help="Publish ledger SQLAlchemy URL.")] = None,
    sandbox: Annotated[str | None, typer.Option(help="Publish to this sandbox URL.")] = None,
    limit: Annotated[int, typer.Option(help="Flow runs at once.")] = 2,
    publish_every: Annotated[int, typer.Option(
        help="Run publish-due every N seconds (0: on the cron */5 * * * *).")] = 0,
    watch_every: Annotated[int, typer.Option(help="Run watch-inbox every N seconds.")] = 30,
) -> None:
    """Start a local Prefect server and serve watch-inbox, publish-due and batch."""
    if not 0 <= port <= 65535:
        raise ConfigError(f"--port {port} is not a TCP port", hint="Pick 1-65535 (0: any)")
    if publish_every < 0 or watch_every < 1 or limit < 1:
        raise ConfigError("--publish-every must be 0 or more, --watch-every and --limit 1 or "
                          "more", hint="e.g. --publish-every 60 --watch-every 30 --limit 2")
    if inbox is not None and not inbox.is_dir():
        raise ConfigError(f"--inbox {inbox} is not a folder", hint="Create it first")
    if inbox is not None:  # else every scheduled pass would fail with a traceback
        from flows.inbox import inbox_catalog

        inbox_catalog(inbox, catalog)
    if not os.environ.get("CLIPCART_DEBUG"):
        # serve is a service: its runner's and flow runs' warnings belong on its console
        os.environ["PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"] = "WARNING"
    from flows.serve import serve_forever

    serve_forever(port, inbox.resolve() if inbox else None,
                  catalog.resolve() if catalog else None, out_dir.resolve(), ledger, sandbox,
                  limit, publish_every, watch_every)


def deploy_command(
    pool: Annotated[str, typer.Option(help="Process work pool to run on (created if missing).")],
    source: Annotated[str | None, typer.Option(
        help="Checkout path (the same on every worker; default: this one) or a git URL.")
                      ] = None,
    out_dir: Annotated[str | None, typer.Option(
        "--out", help="Default output folder (a path every worker shares).")] = None,
    catalog: Annotated[str | None, typer.Option(help="Default catalog.")] = None,
    inbox: Annotated[str | None, typer.Option(
        help="Inbox for watch-inbox (scheduled only when given).")] = None,
    ledger: Annotated[str | None, typer.Option(help="Publish ledger SQLAlchemy URL.")] = None,
    review: Annotated[str | None, typer.Option(help="Review book SQLAlchemy URL.")] = None,
    sandbox: Annotated[str | None, typer.Option(help="Publish to this sandbox URL.")] = None,
    watch_every: Annotated[int, typer.Option(help="Run watch-inbox every N seconds.")] = 30,
) -> None:
    """Register the deployments on the Prefect server in PREFECT_API_URL for process
    workers (`prefect worker start --pool NAME` on any host runs them)."""
    from flows.serve import known_api_url

    api = known_api_url()
    if not api:
        raise ConfigError("no Prefect server to deploy to",
                          hint="export PREFECT_API_URL=http://HOST:4200/api (or run "
                          "`clipcart serve`)")
    if watch_every < 1:
        raise ConfigError("--watch-every must be 1 or more seconds", hint="e.g. 30")
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.deploy import (
        Defaults,
        check_source,
        default_source,
        describe,
        ensure_pool,
        register,
        specs,
    )

    where = check_source(source or default_source())
    defaults = Defaults(out_dir=out_dir, catalog=catalog, inbox=inbox, ledger=ledger,
                        review=review, sandbox=sandbox)
    with temporary_settings({PREFECT_API_URL: api}):
        if ensure_pool(pool):
            out.print(f"created work pool {pool} (process)", markup=False)
        for spec in specs(defaults, watch_every):
            out.print(f"deployment {register(spec, pool, where)}: {describe(spec)}",
                      markup=False)
    out.print(f"source: {where}", markup=False)
    out.print(f"run them with: prefect worker start --pool {pool}", markup=False)

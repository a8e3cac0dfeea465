"""CLI commands for publishing: ``publish`` (a clip, ``--due``, ``--status``) and ``sandbox``.

Thin calls into ``pipeline.publish``; errors are ClipcartError subclasses that the
main CLI turns into one line on stderr and the right exit status (2 for bad input).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table

from flows.console import out
from flows.secrets import prefect_secrets
from pipeline.core.errors import ConfigError, ManifestError
from pipeline.core.safe_parse import load_json
from pipeline.core.safe_text import clean_text, excerpt, terminal_safe
from pipeline.products.links import manifest_caption, manifest_product_ids
from pipeline.publish import (
    PLATFORMS,
    PublishRecord,
    publish_clip,
    publish_due,
    publish_status,
    schedule_clip,
)
from pipeline.publish.base import REAL_TARGET, when_problem


def register(app: typer.Typer) -> None:
    """Add ``publish`` and ``sandbox`` to the clipcart Typer app."""
    app.command("publish")(publish_command)
    app.command("sandbox")(sandbox_command)


def publish_command(
    clip_dir: Annotated[
        Path | None, typer.Argument(help="Folder holding clip.mp4 and manifest.json.")
    ] = None,
    platform: Annotated[
        str | None, typer.Option(help=f"Where to post: {'|'.join(PLATFORMS)}.")
    ] = None,
    account: Annotated[str, typer.Option(help="Which configured account posts.")] = "default",
    at: Annotated[
        str | None, typer.Option(help="Schedule for this ISO 8601 time (UTC if no offset).")
    ] = None,
    sandbox: Annotated[
        str | None, typer.Option(help="Post to a local sandbox at this URL instead.")
    ] = None,
    due: Annotated[bool, typer.Option("--due", help="Post every scheduled clip now due.")] = False,
    status: Annotated[bool, typer.Option("--status", help="Show the publish ledger.")] = False,
    ledger: Annotated[
        str | None, typer.Option(help="SQLAlchemy URL of the ledger (default: CLIPCART_HOME).")
    ] = None,
) -> None:
    """Publish a rendered clip exactly once, post what is due, or show the ledger."""
    chosen = [
        name for name, on in (("CLIP_DIR", clip_dir), ("--due", due), ("--status", status)) if on
    ]
    if len(chosen) != 1:
        raise ConfigError(
            "publish needs exactly one of CLIP_DIR, --due or --status",
            hint="e.g. clipcart publish out/abc123 --platform tiktok",
        )
    if status:
        show_records(publish_status(ledger), "Publish ledger")
    elif due:
        with prefect_secrets():
            show_records(publish_due(ledger_url=ledger, sandbox_url=sandbox), "Published now")
    else:
        assert clip_dir is not None
        record = publish_dir(clip_dir, platform, account, at, sandbox, ledger)
        typer.echo(describe(record))


def publish_dir(
    clip_dir: Path,
    platform: str | None,
    account: str,
    at: str | None,
    sandbox: str | None,
    ledger: str | None,
) -> PublishRecord:
    """Publish (or schedule) the clip in ``clip_dir`` from its manifest."""
    if platform not in PLATFORMS:
        raise ConfigError(
            f"--platform must be one of {', '.join(PLATFORMS)}", hint="e.g. --platform tiktok"
        )
    manifest = read_manifest(clip_dir)
    product = manifest.get("product") or {}
    common: dict[str, Any] = {
        "clip_id": str(manifest["clip_id"]),
        "caption": manifest_caption(manifest, platform),
        "platform": platform,
        "account": account,
        "product_ids": manifest_product_ids(manifest),
        "product_title": str(product.get("title") or manifest.get("sku") or ""),
        "ledger_url": ledger,
    }
    video = clip_dir / "clip.mp4"
    if at is not None:
        return schedule_clip(video, at=parse_at(at), sandbox_url=sandbox, **common)
    with prefect_secrets():
        return publish_clip(video, sandbox_url=sandbox, **common)


def read_manifest(clip_dir: Path) -> dict[str, Any]:
    """manifest.json of a clip folder, with the keys publishing needs."""
    path = clip_dir / "manifest.json"
    if not path.is_file():
        raise ManifestError(f"{path} not found", hint="Pass a folder written by `clipcart make`")
    try:
        manifest = load_json(path.read_text(encoding="utf-8"))
    except (ValueError, OSError) as err:
        raise ManifestError(f"{path} is not valid JSON ({excerpt(str(err), 120)})",
                            hint="Pass a folder written by `clipcart make`") from None
    if not isinstance(manifest, dict):
        raise ManifestError(f"{path} must hold a JSON object")
    missing = [key for key in ("clip_id", "caption_text") if not manifest.get(key)]
    if missing:
        raise ManifestError(f"{path} lacks {', '.join(missing)}", hint="Re-run `clipcart make`")
    clip_id = str(manifest["clip_id"])
    if len(clip_id) > 128 or clean_text(clip_id) != clip_id or not clip_id.strip():
        raise ManifestError(f"{path}: clip_id {excerpt(clip_id, 40)} holds control characters "
                            "or is over 128 characters", hint="Re-run `clipcart make`")
    return manifest


def parse_at(text: str) -> datetime:
    """An ISO 8601 time; one without an offset is taken as UTC."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(
            f"--at {excerpt(text, 40)} is not an ISO 8601 time",
            hint="e.g. --at 2026-05-01T18:00:00+02:00",
        ) from None
    if problem := when_problem(when):
        raise ConfigError(f"--at {excerpt(text, 40)}: {problem}",
                          hint="e.g. --at 2026-05-01T18:00:00+02:00")
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def describe(record: PublishRecord) -> str:
    """One line saying where a clip stands on one target (data printed as text)."""
    target = f"{record.clip_id} → {record.platform}/{record.account}"
    where = "" if record.target == REAL_TARGET else f" (sandbox {record.target})"
    if record.state == "published":
        line = f"published {target}: post {record.post_id}{where}"
    else:
        line = f"{record.state} {target}{where}" + (f": {record.reason}" if record.reason else "")
    return terminal_safe(line)


def show_records(records: list[PublishRecord], title: str) -> None:
    # nine columns fit an 80-column terminal without rules between them; headers and
    # short values stay whole, the long ones (a sandbox URL, ids, reasons) fold
    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for column in ("clip", "platform", "account", "target", "state", "post id", "tries",
                   "updated", "reason"):
        short = column in ("platform", "state", "tries")
        table.add_column(column, overflow="fold", no_wrap=short, min_width=len(column))
    for r in records:
        table.add_row(
            r.clip_id[:16], r.platform, r.account, r.target, r.state, r.post_id,
            str(r.attempts), r.updated_at.strftime("%Y-%m-%d %H:%M:%S"), r.reason[:60],
        )
    out.print(table)


def sandbox_command(
    port: Annotated[int, typer.Option(help="Port to listen on (0 = any free port).")] = 8765,
    faults: Annotated[
        str, typer.Option(help="Fault rates, e.g. 5xx=0.2,drop=0.1,429=0.1,slow=0.1.")
    ] = "",
    seed: Annotated[int, typer.Option(help="Seed for the fault dice and ids.")] = 0,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
) -> None:
    """Run the local platform sandbox (all five contracts) until interrupted."""
    from sandbox.server import parse_faults, run_sandbox

    try:
        parse_faults(faults)
    except ValueError as err:
        raise ConfigError(f"--faults: {err}", hint="e.g. --faults 5xx=0.2,drop=0.1") from None
    run_sandbox(host=host, port=port, faults=faults, seed=seed)

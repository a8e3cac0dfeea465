"""CLI commands that close the loop: ``stats``, ``report`` and ``links serve``.

Thin calls into ``pipeline.publish.metrics``, ``pipeline.ops.report`` and the short-link
server (``flows.links_server``); errors become one line and exit 2 for bad input.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer
from rich.console import Console
from rich.table import Table

from flows.secrets import prefect_secrets
from pipeline.core.errors import ConfigError

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)
links_app = typer.Typer(no_args_is_help=True, help="Counted short links.")


def register(app: typer.Typer) -> None:
    """Add ``stats``, ``report`` and ``links`` to the clipcart Typer app."""
    app.command("stats")(stats_command)
    app.command("report")(report_command)
    links_app.command("serve")(links_serve_command)
    app.add_typer(links_app, name="links")


LedgerOption = Annotated[
    str | None, typer.Option(help="SQLAlchemy URL of the ledger (default: CLIPCART_HOME).")
]


def stats_command(
    sandbox: Annotated[
        str | None, typer.Option(help="Read counters from a local sandbox at this URL.")
    ] = None,
    ledger: LedgerOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the stored snapshots.")] = False,
) -> None:
    """Read every published post's views, likes, comments and shares; store a snapshot."""
    from pipeline.publish.metrics import collect_stats

    with prefect_secrets():
        run = collect_stats(ledger_url=ledger, sandbox_url=sandbox)
    for problem in run.problems:
        err.print(f"clipcart: {problem}", markup=False, soft_wrap=True)
    if as_json:
        rows = [s.model_dump(mode="json") for s in run.snapshots]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False) + "\n")
    else:
        table = Table("clip", "platform", "account", "views", "likes", "comments", "shares")
        for s in run.snapshots:
            table.add_row(s.clip_id[:12], s.platform, s.account, f"{s.views:,}",
                          *(f"{v:,}" if v is not None else "-" for v in
                            (s.likes, s.comments, s.shares)))
        out.print(table)
        out.print(f"{len(run.snapshots)} snapshot(s) stored")
    if run.problems and not run.snapshots:
        raise typer.Exit(1)


def report_command(
    since: Annotated[str | None, typer.Option(help="Only what was earned since this ISO date.")
                     ] = None,
    as_json: Annotated[bool, typer.Option("--json", help='Print {"rows": [...]}.')] = False,
    html: Annotated[Path | None, typer.Option("--html", metavar="FILE",
                                              help="Also write the HTML report here.")] = None,
    ledger: LedgerOption = None,
) -> None:
    """Per clip and platform: views, engagement, clicks, CTR with its interval, variant calls."""
    from pipeline.ops.report import load_report, parse_since, report_json
    from pipeline.ops.report_html import write_report_html

    report = load_report(ledger, parse_since(since))
    if html is not None:
        write_report_html(report, html)
    if as_json:
        sys.stdout.write(json.dumps(report_json(report), ensure_ascii=False) + "\n")
        return
    table = Table("clip", "sku", "variant", "platform", "views", "clicks", "CTR (95 %)", "call")
    for r in report.rows:
        ctr = "-" if r.ctr is None else (
            f"{r.ctr:.2%} ({r.ctr_low or 0:.2%}-{r.ctr_high or 0:.2%})")
        table.add_row(r.clip_id[:12], r.sku, r.variant, r.platform, f"{r.views:,}",
                      f"{r.clicks:,}", ctr, r.variant_call)
    out.print(table)
    if html is not None:
        out.print(f"html: {html.resolve()}", markup=False, soft_wrap=True)


def default_links_port() -> int:
    """The port of links.base_url when it names one, else the server's default."""
    from flows.links_server import DEFAULT_PORT
    from pipeline.ops.slots import load_slots

    base = load_slots().links.base_url
    return (urlsplit(base).port or DEFAULT_PORT) if base else DEFAULT_PORT


def links_serve_command(
    port: Annotated[int | None, typer.Option(help="Port (default: links.base_url's, or 8780).")
                    ] = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    ledger: LedgerOption = None,
) -> None:
    """Answer /l/<code> with a redirect to the clip's tagged URL and count the click."""
    from flows.links_server import run_links

    chosen = default_links_port() if port is None else port
    if not 0 < chosen < 65536:
        raise ConfigError(f"--port {chosen} is not a TCP port", hint="Use 1-65535")
    try:
        run_links(chosen, host, ledger)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{chosen} ({exc.strerror})",
                          hint="Pick a free port with --port") from None
    except KeyboardInterrupt:
        pass

"""CLI command ``slice``: long live-selling recordings in, one clip per product pitch out."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipeline.core.errors import BadInput, ConfigError

err = Console(stderr=True, highlight=False)
out = Console(highlight=False)
LAYOUTS = ("auto", "crop")


def register(app: typer.Typer) -> None:
    """Add ``slice`` to the clipcart Typer app."""
    app.command("slice")(slice_command)


def slice_command(
    recordings: Annotated[list[Path], typer.Argument(
        metavar="RECORDING...", help="Live-selling recordings (any length).")],
    catalog: Annotated[Path, typer.Option(help="Catalog of the products pitched.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("out"),
    per_product: Annotated[int, typer.Option(help="Clips per product at most.")] = 1,
    duration: Annotated[float, typer.Option(help="Clip length in seconds (5-60).")] = 15.0,
    template: Annotated[str, typer.Option(help="Brand template name or YAML path.")] = "bold",
    layout: Annotated[str, typer.Option(
        help="auto or crop: the 9:16 crop follows the host (the framing this build has).")
                      ] = "auto",
    platforms: Annotated[str, typer.Option(
        help="Schedule the clips' posts, e.g. 'tiktok;instagram' (like batch); captions "
             "and card keep clear of these platforms' interfaces.")] = "",
    account: Annotated[str, typer.Option(help="Account that posts.")] = "default",
    ledger: Annotated[str | None, typer.Option(help="Publish ledger SQLAlchemy URL.")] = None,
    config: Annotated[Path | None, typer.Option(help="Publish slots YAML.")] = None,
    workers: Annotated[int, typer.Option(help="Clips made at once (default: cores).")] = 0,
    dask: Annotated[str | None, typer.Option(help="Dask scheduler address to fan out on.")
                    ] = None,
    lang: Annotated[str, typer.Option(help="Spoken language, or auto.")] = "auto",
    variants: Annotated[int, typer.Option(
        help="A/B variants: N clips of every pitch, each differing from the first on one "
             "axis.")] = 1,
    vary: Annotated[str, typer.Option(
        help="Axes the variants differ on, in turn: template, music, captions (a pitch "
             "is its own window).")] = "template,music,captions",
    as_json: Annotated[bool, typer.Option("--json", help="Print only a JSON array of the "
                                          "clip manifests.")] = False,
) -> None:
    """Find every product pitch in the recordings and make a clip of each.

    The report (product, where, score, clip id, why) is printed and written to
    OUT/slice.json; `clipcart linkpage OUT` makes the link page of the clips.
    """
    made_of_each = _variants(template, variants, vary)
    params = _params(recordings, catalog, out_dir, per_product, duration, template, layout,
                     platforms, account, ledger, config, workers, lang)
    params.variants = made_of_each
    # No Whisper preload: a recording is transcribed in a child process of its own
    # (pipeline/speech/stream.py), so the model is never resident in this one.
    from flows.slice import on_progress, run_slice  # Prefect: slow to import

    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[n]}"),
                  TimeElapsedColumn(), console=err, transient=as_json) as progress:
        bars: dict[str, TaskID] = {}

        def advance(what: str, done: int, total: int) -> None:
            if what not in bars:
                bars[what] = progress.add_task(what, total=max(total, 1), n="")
            shown = f"{done // 60000} of {total // 60000} min" if what == "transcribed" \
                else f"{done} of {total}"
            progress.update(bars[what], completed=min(done, total), n=shown)

        with on_progress.calling(advance):
            reports = run_slice(params, dask)
    _finish(reports, out_dir, as_json)


def _finish(reports: list[dict[str, Any]], out_dir: Path, as_json: bool) -> None:
    manifests = [m for r in reports for m in r["manifests"]]
    for report in reports:
        for warning in report["warnings"]:
            err.print(f"clipcart: warning: {warning}", markup=False, soft_wrap=True)
        if "message" in report:
            err.print(f"clipcart: {report['message']}", markup=False, soft_wrap=True)
    if as_json:
        sys.stdout.write(json.dumps(manifests, ensure_ascii=False) + "\n")
    else:
        show_reports(reports, out_dir)
    errors = [e for r in reports for e in r["errors"]]
    for error in errors:
        err.print(f"clipcart: clip failed: {error}", markup=False, soft_wrap=True)
    if errors:
        raise typer.Exit(1)


def _params(recordings: list[Path], catalog: Path, out_dir: Path, per_product: int,
            duration: float, template: str, layout: str, platforms: str, account: str,
            ledger: str | None, config: Path | None, workers: int, lang: str) -> Any:
    """Checked parameters; bad input fails here, before Prefect starts."""
    from pipeline.ops.slice import probe_recording
    from pipeline.products.catalog import load_catalog
    from pipeline.publish.platforms import PLATFORMS

    if not 5 <= duration <= 60:
        raise BadInput(f"--duration {duration:g} is outside 5-60 seconds",
                       hint="Pick a clip length between 5 and 60 seconds")
    if not 1 <= per_product <= 20:
        raise BadInput(f"--per-product {per_product} is outside 1-20",
                       hint="Ask for 1 to 20 clips per product")
    if layout not in LAYOUTS:
        raise ConfigError(f"--layout {layout!r} is not available for slice",
                          hint=f"Use one of: {', '.join(LAYOUTS)}")
    chosen = tuple(p for p in platforms.replace("|", ";").replace(",", ";").split(";")
                   if p.strip())
    unknown = [p for p in chosen if p.strip() not in PLATFORMS]
    if unknown:
        raise ConfigError(f"--platforms: {unknown[0]!r} is not a platform",
                          hint=f"Use {', '.join(PLATFORMS)}")
    for path in recordings:
        probe_recording(path)
    if not load_catalog(catalog):
        raise BadInput(f"{catalog}: the catalog has no products", hint="Add products")
    from pipeline.brand.templates import load_template

    load_template(template)
    from flows.slice import SliceParams

    return SliceParams(recordings=recordings, catalog=catalog, out_dir=out_dir,
                       per_product=per_product, duration_ms=round(duration * 1000),
                       template=template, platforms=tuple(p.strip() for p in chosen),
                       account=account, ledger_url=ledger, slots_config=config,
                       workers=workers or os.cpu_count() or 1, language=lang)


def _variants(template: str, count: int, vary: str) -> tuple[Any, ...]:
    """The variants made of every pitch (none for ``--variants 1``); bad input fails here."""
    from pipeline.ops.variants import SLICE_AXES, load_alternatives, parse_axes, plan_variants

    if count == 1:
        return ()
    specs = plan_variants(template, count, load_alternatives(template),
                          parse_axes(vary, SLICE_AXES))
    return tuple(specs)


def show_reports(reports: list[dict[str, Any]], out_dir: Path) -> None:
    """The report table of each recording, then where the report file is."""
    for report in reports:
        table = Table(title=f"{Path(report['recording']).name}: {len(report['pitches'])} "
                            f"pitches", title_justify="left")
        for column in ("product", "where", "score", "clip id", "why"):
            table.add_column(column, overflow="fold")
        for p in report["pitches"]:
            variant = f" [{p['variant']}]" if p.get("variant") else ""
            table.add_row(f"{p['title']} ({p['sku']}){variant}", p["where"], f"{p['score']:.1f}",
                          p["clip_id"] + ("" if p["status"] == "made" else " (kept)"),
                          "; ".join(p["why"][:3]))
        out.print(table)
    out.print(f"report: {(out_dir / 'slice.json').resolve()}", markup=False, soft_wrap=True)

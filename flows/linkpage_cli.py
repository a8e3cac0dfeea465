"""CLI command ``linkpage``: the link-in-bio page for a folder of clips."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flows.console import out
from pipeline.ops.linkpage import DEFAULT_TITLE, write_linkpage


def register(app: typer.Typer) -> None:
    """Add ``linkpage`` to the clipcart Typer app."""
    app.command("linkpage")(linkpage_command)


def linkpage_command(
    folder: Annotated[Path, typer.Argument(metavar="DIR",
                                           help="Output folder of make/batch (clip folders).")],
    title: Annotated[str, typer.Option(help="Heading of the page.")] = DEFAULT_TITLE,
) -> None:
    """Write DIR/index.html: a phone page for a bio link (links carry utm_source=linkpage)."""
    page = write_linkpage(folder, title)
    out.print(str(page.resolve()), markup=False, soft_wrap=True)

"""`clipcart bench [--json] [--quick]`: thin wrapper over bench.run."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add the bench command to ``app``."""

    @app.command()
    def bench(as_json: Annotated[bool, typer.Option("--json", help="Last stdout line is one "
                                                    "JSON object.")] = False,
              quick: Annotated[bool, typer.Option(help="Short smoke run on small inputs.")]
              = False) -> None:
        """Measure render vs its floor, vs MoviePy, memory (also 4K60) and analysis time."""
        from bench.run import run_bench, table

        result = run_bench(quick=quick)
        sys.stderr.write(table(result) + "\n")
        if as_json:
            sys.stdout.write(json.dumps(result) + "\n")

"""Render one plan in its own process (so its memory can be measured alone).

Usage: ``python -m bench.render_once PLAN_JSON OUT.mp4 [ffmpeg|moviepy]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pipeline.core.models import ClipPlan
from pipeline.render import render


def main(argv: list[str]) -> int:
    plan = ClipPlan.model_validate_json(Path(argv[0]).read_text("utf-8"))
    engine = argv[2] if len(argv) > 2 else "ffmpeg"
    if engine == "moviepy":
        from pipeline.render.moviepy_engine import render_moviepy

        render_moviepy(plan, Path(argv[1]))
    else:
        render(plan, Path(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

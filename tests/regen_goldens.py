"""Regenerate the JSON goldens: `python -m tests.regen_goldens`, then review the diff."""

from __future__ import annotations

import json

from pipeline.captions.cues import build_cues, to_ass
from pipeline.render.files import RenderFiles
from pipeline.render.graph import measure_args, render_args
from tests.support.paths import GOLDENS
from tests.support.plans import STYLE, ZH_KEYWORDS, ZH_WORDS, plan

FILES = RenderFiles(card_png="/tmp/r/card.png", ass="/tmp/r/captions.ass")


def goldens() -> dict[str, object]:
    p = plan()
    return {
        "render_args.json": render_args(p, FILES, 3.25, "/out/clip.mp4"),
        "measure_args.json": measure_args(p),
        "captions.ass.json": to_ass(p.captions, STYLE).splitlines(),
        "captions_cjk.ass.json": to_ass(build_cues(ZH_WORDS, STYLE, keywords=ZH_KEYWORDS),
                                        STYLE).splitlines(),
    }


if __name__ == "__main__":
    for name, value in goldens().items():
        (GOLDENS / name).write_text(json.dumps(value, indent=1, ensure_ascii=False) + "\n")
        print("wrote", GOLDENS / name)

"""`clipcart bench --quick --json`: a short smoke run of the real benchmark.

Checks the contract (the last stdout line is one JSON object with every figure,
all positive), not the targets: those need the full run on an idle machine.
"""

from __future__ import annotations

import json

import pytest

from flows.cli import main

pytestmark = pytest.mark.slow

FIGURES = ("floor_s", "render_s", "moviepy_s", "ratio_render_vs_floor", "speedup_vs_moviepy",
           "transcribe_rtf", "make_s", "peak_rss_mb", "peak_rss_4k60_mb", "analysis_s",
           "analysis_share_of_render", "floor_cpu_s", "render_cpu_s")


def test_quick_bench_prints_one_json_object_last(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["bench", "--quick", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["quick"] is True
    for key in FIGURES:
        assert result[key] > 0, key
    assert "ratio_render_vs_floor" in err and "target <= 1.15" in err

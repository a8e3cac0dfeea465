"""Layering rules the design relies on, checked on the source itself."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_library_never_imports_prefect() -> None:
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "pipeline").rglob("*.py")
                 if any(n == "prefect" or n.startswith("prefect.") for n in _imports(p))]
    assert offenders == []


def test_only_the_runner_starts_ffmpeg() -> None:
    pattern = re.compile(r"subprocess\.(run|Popen|call|check_output)\(")
    starters = [str(p.relative_to(ROOT)) for p in (ROOT / "pipeline").rglob("*.py")
                if pattern.search(p.read_text("utf-8")) and "ffmpeg" in p.read_text("utf-8")]
    assert starters == ["pipeline/media/ffmpeg.py"]

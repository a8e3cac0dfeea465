"""Layering rules the design relies on, checked on the source itself."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.support.paths import REPO


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
    offenders = [str(p.relative_to(REPO)) for p in (REPO / "pipeline").rglob("*.py")
                 if any(n == "prefect" or n.startswith("prefect.") for n in _imports(p))]
    assert offenders == []


def test_only_the_runner_starts_ffmpeg() -> None:
    pattern = re.compile(r"subprocess\.(run|Popen|call|check_output)\(")
    starters = [str(p.relative_to(REPO)) for p in (REPO / "pipeline").rglob("*.py")
                if pattern.search(p.read_text("utf-8")) and "ffmpeg" in p.read_text("utf-8")]
    assert starters == ["pipeline/media/ffmpeg.py"]


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _library_graph() -> dict[str, set[str]]:
    """pipeline's modules and the pipeline modules each imports (lazy imports included)."""
    modules = {_module_name(p): p for p in (REPO / "pipeline").rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text("utf-8"))
        found: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                found.update(f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules
                             else node.module for a in node.names)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def _stage(module: str) -> str:
    return ".".join(module.split(".")[:2])


def _depth(graph: dict[str, set[str]], node: str, seen: tuple[str, ...] = ()) -> int:
    assert node not in seen, f"import cycle: {' -> '.join((*seen, node))}"
    return 1 + max((_depth(graph, d, (*seen, node)) for d in graph[node]), default=0)


def test_library_never_imports_the_web_stack_or_the_sandbox() -> None:
    banned = ("fastapi", "uvicorn", "starlette", "sandbox", "flows")
    offenders = [str(p.relative_to(REPO)) for p in (REPO / "pipeline").rglob("*.py")
                 if any(n.split(".")[0] in banned for n in _imports(p))]
    assert offenders == []


def test_library_modules_have_no_import_cycle() -> None:
    graph = _library_graph()
    for module in graph:
        _depth(graph, module)


def test_stages_import_downwards_in_at_most_six_layers() -> None:
    stages: dict[str, set[str]] = {}
    for module, deps in _library_graph().items():
        stages.setdefault(_stage(module), set()).update(
            _stage(d) for d in deps if _stage(d) != _stage(module))
    assert max(_depth(stages, stage) for stage in stages) <= 6


def test_top_level_of_the_library_stays_small() -> None:
    modules = [p.name for p in (REPO / "pipeline").glob("*.py")]
    assert len(modules) <= 12, modules

"""Parsing users' YAML and JSON with bounded time and memory.

YAML aliases are refused (nested ``*refs`` expand exponentially: a 552-byte file
reached a 152 MB value) and JSON nested deeper than Python's recursion limit is a
``ValueError`` like any other malformed document, not a ``RecursionError``.
"""

from __future__ import annotations

import json
from typing import Any

import yaml


class NoAliasLoader(yaml.SafeLoader):
    """PyYAML's safe loader without aliases; a file using one is a ``MarkedYAMLError``."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise yaml.MarkedYAMLError(problem="aliases (*name) are not allowed",
                                       problem_mark=self.peek_event().start_mark)  # type: ignore[no-untyped-call]
        return super().compose_node(parent, index)


def load_yaml(text: str) -> Any:
    """``text`` parsed as YAML without aliases; raises ``yaml.YAMLError``."""
    try:
        return yaml.load(text, Loader=NoAliasLoader)
    except RecursionError:
        raise yaml.YAMLError("nested too deeply") from None


def load_json(text: str | bytes, **kwargs: Any) -> Any:
    """``json.loads`` whose too-deep nesting is a ``ValueError`` ("nested too deeply")."""
    try:
        return json.loads(text, **kwargs)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def yaml_problem(exc: yaml.YAMLError) -> str:
    """'line L, column C: invalid YAML (what)' from PyYAML's error, without its
    quote of the file's lines."""
    from pipeline.core.safe_text import shorten, terminal_safe

    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    return f"{where}invalid YAML ({terminal_safe(shorten(str(problem), 120))})"

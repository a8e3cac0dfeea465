"""Callbacks a CLI command hands to the flow it runs in its own process.

A hook's callback lives in a context variable for the length of a ``with`` block: the
flow called inside the block sees it, and so do its task threads (Prefect's thread pool
runs each task in a copy of the submitting context). Nothing is shared between callers:
two commands in one process (tests, a notebook) each see only their own callback, and a
callback that raised does not stay registered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Generic, ParamSpec

P = ParamSpec("P")


class Hook(Generic[P]):
    """A named call point: ``hook(...)`` calls the callback set by the innermost
    ``with hook.calling(fn)`` around it, or does nothing."""

    def __init__(self, name: str) -> None:
        self._current: ContextVar[Callable[P, None] | None] = ContextVar(name, default=None)

    @contextmanager
    def calling(self, callback: Callable[P, None]) -> Iterator[None]:
        token = self._current.set(callback)
        try:
            yield
        finally:
            self._current.reset(token)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> None:
        callback = self._current.get()
        if callback is not None:
            callback(*args, **kwargs)

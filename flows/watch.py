"""Following an in-process batch from the terminal: progress per item and Ctrl-C.

The watch lives in a context variable, not in module state: Prefect copies the context
into the threads that run tasks, so ``make_item`` sees the CLI's watch, and a deployment
run (or a Dask worker) simply has none. Functions here are module-level so a task that
refers to them still pickles for a Dask worker.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

ProgressHook = Callable[[Any], None]
"""Called with each item's ``ItemResult`` as it finishes."""


@dataclass
class BatchWatch:
    """How the terminal follows an in-process batch: a hook called as each item finishes
    (the progress bar) and the stop request Ctrl-C sets.

    A Ctrl-C raises KeyboardInterrupt in the main thread, but Prefect's engine swallows a
    BaseException that lands after a flow's user code has finished, and renders already
    running in worker threads cannot be interrupted; the stop request is what makes sure
    no new clip starts and the command still ends interrupted (exit 130)."""

    on_item: ProgressHook | None = None
    stop: threading.Event = field(default_factory=threading.Event)


_WATCH: ContextVar[BatchWatch | None] = ContextVar("clipcart_batch_watch", default=None)
"""The watch of the batch run in this context; Prefect copies the context into the
threads that run tasks, so ``make_item`` sees the CLI's watch (a deployment run has none)."""


@contextmanager
def watched(on_item: ProgressHook | None = None) -> Iterator[BatchWatch]:
    """Follow the batch runs started inside: progress per item, and Ctrl-C (SIGINT) or
    SIGTERM asks every item not yet started to stay unmade."""
    watch = BatchWatch(on_item)
    token = _WATCH.set(watch)

    def interrupt(_signum: int, _frame: object) -> None:
        watch.stop.set()
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield watch
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _WATCH.reset(token)


def current_watch() -> BatchWatch | None:
    """The watch of the batch run in this context (None under a deployment or on Dask)."""
    return _WATCH.get()

"""Render fan-out on a Dask cluster: each clip is one plain function call on a worker.

What crosses the wire is a module-level function (pickled by reference, so the worker
imports it from its own clipcart install) and frozen values: the batch item, the shared
output folder, the settings; an ``ItemResult`` comes back. No Prefect task, client, lock
or open file travels. The worker keeps its own caches under its own CLIPCART_HOME
(transcripts) and writes the clip into the shared output folder by rename, so a clip made
twice lands once under its id.

Prefect still shows one ``make-clip`` task per item: it runs in the flow's process and
waits on its Dask future. A worker that dies mid-clip loses nothing: the scheduler runs
the call again on another worker (distributed's ``allowed-failures``), and the half-made
clip's staging folder is never renamed into place.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from pipeline.core.errors import ConfigError

T = TypeVar("T")
CONNECT_TIMEOUT_S = 30
"""How long to wait for the scheduler to answer before the batch gives up."""

_clients: dict[str, Any] = {}
_lock = threading.Lock()


def connect(address: str) -> Any:
    """The ``distributed.Client`` for ``address`` (one per address and process)."""
    with _lock:
        client = _clients.get(address)
        if client is None or client.status in ("closed", "closing"):
            client = _clients[address] = _open(address)
        return client


def _open(address: str) -> Any:
    from distributed import Client

    try:
        return Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ConfigError(f"no Dask scheduler answers at {address} ({exc})",
                          hint="Start one (dask scheduler --port 8786) and its workers, or "
                          "drop --dask to make the clips here") from exc


def disconnect(address: str) -> None:
    """Close this process's client for ``address``, if open."""
    with _lock:
        client = _clients.pop(address, None)
    if client is not None:
        client.close()


def job_key(fn: Callable[..., Any], *args: Any) -> str:
    """A Dask key naming the call by its content: the same clip asked for twice at once
    (two batches on one cluster) is made by one call."""
    digest = hashlib.sha256(repr((fn.__module__, fn.__qualname__, args)).encode()).hexdigest()
    return f"{fn.__name__}-{digest[:16]}"


def run_remote(address: str, fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` on a worker of the cluster at ``address``; its result, here."""
    client = connect(address)
    future = client.submit(fn, *args, key=job_key(fn, *args), pure=False)
    try:
        return future.result()  # type: ignore[no-any-return]
    finally:
        future.release()

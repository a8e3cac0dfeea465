"""Prefect flows wrapping pipeline/, and the clipcart CLI.

Importing this package points Prefect at CLIPCART_HOME (its own home, embedded
SQLite API unless PREFECT_API_URL names a server) and turns analytics off: there
is no network to send them to.
"""

from __future__ import annotations

import os
from pathlib import Path

RECORDER_BATCHING = {"BATCH_SIZE": "100", "READ_BATCH_SIZE": "100", "FLUSH_INTERVAL": "1"}


def configure_prefect_env() -> None:
    """Defaults for Prefect's settings, set before Prefect is imported; env wins."""
    home = Path(os.environ.get("CLIPCART_HOME", "~/.clipcart")).expanduser()
    os.environ.setdefault("PREFECT_HOME", str(home / "prefect"))
    try:
        Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
        probe = Path(os.environ["PREFECT_HOME"]) / f".write-test-{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError as exc:
        _unusable_home(home, exc)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO")
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")
    if not os.environ.get("CLIPCART_DEBUG"):
        # run logs still reach the Prefect API (and UI); the terminal gets clipcart's
        # own one-line messages instead of Prefect's tracebacks
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "240")
    # the API server writes task runs in batches (up to 100, flushed every second)
    # rather than one transaction per state event: 24-31 ms of server CPU per task run
    # became 7-9 (bench: a clip's ten task runs cost ~0.3 CPU s before)
    for name, value in RECORDER_BATCHING.items():
        os.environ.setdefault(f"PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_{name}", value)
    # cached stage results (content-keyed) live with the rest of clipcart's state
    os.environ.setdefault("PREFECT_RESULTS_LOCAL_STORAGE_PATH", str(home / "results"))



def _unusable_home(home: Path, exc: OSError) -> None:
    """One line naming the variable, exit 1: every command needs a writable home."""
    import sys

    from pipeline.core.safe_text import terminal_safe

    sys.stderr.write(terminal_safe(
        f"clipcart: CLIPCART_HOME={home} is not a usable folder ({exc.strerror or exc}). "
        "Point CLIPCART_HOME at a writable folder, e.g. export CLIPCART_HOME=~/.clipcart")
        + "\n")
    raise SystemExit(1)


configure_prefect_env()

"""``clipcart deploy``: register the deployments on a Prefect server for process workers.

Against the server in PREFECT_API_URL, on a ``process`` work pool (created if missing):

    batch/batch                  on demand: prefect deployment run batch/batch --param ...
    slice/slice                  on demand, when this release has the slice flow
    watch-inbox/watch-inbox      every 30 s when an inbox is given (else on demand)
    publish-due/publish-due      cron */5 * * * *
    collect-stats/collect-stats  hourly

Each is loaded by the worker from ``source``: a checkout at the same path on every
worker host (the default: this checkout) or a git URL the worker clones. Then
``prefect worker start --pool NAME`` on any host runs them. Parameters are flat: the
ones given here become the deployment's defaults, a run overrides any one of them.
State shared between hosts comes from each worker's environment (CLIPCART_DATABASE_URL,
see ``pipeline.core.database``) unless given here.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from pipeline.core.errors import ConfigError
from pipeline.core.home import PROJECT_ROOT

POOL_TYPE = "process"


@dataclass(frozen=True)
class DeploymentSpec:
    """One deployment to register: where its flow is, its defaults and when it runs."""

    entrypoint: str
    """``path/to/file.py:flow_function`` inside the source."""
    name: str
    parameters: dict[str, Any] = field(default_factory=dict)
    schedule: dict[str, Any] = field(default_factory=dict)
    """``cron=...`` or ``interval=timedelta``; empty: on demand."""
    concurrency_limit: int | None = None


@dataclass(frozen=True)
class Defaults:
    """Deployment parameters given on the command line (None: the flow's own default)."""

    out_dir: str | None = None
    catalog: str | None = None
    inbox: str | None = None
    ledger: str | None = None
    review: str | None = None
    sandbox: str | None = None

    def given(self, *names: str) -> dict[str, Any]:
        """The named parameters that were given, as a flow-parameter dict."""
        return {n: getattr(self, n) for n in names if getattr(self, n) is not None}


def specs(defaults: Defaults, watch_every_s: int) -> list[DeploymentSpec]:
    """The deployments clipcart registers, in the order they are listed."""
    from flows.serve import PUBLISH_CRON
    from flows.stats import STATS_EVERY_S

    made = [
        DeploymentSpec("flows/batch.py:batch", "batch", defaults.given(
            "catalog", "out_dir", "ledger", "review", "sandbox")),
        DeploymentSpec("flows/inbox.py:watch_inbox", "watch-inbox",
                       defaults.given("inbox", "catalog", "out_dir"),
                       {"interval": timedelta(seconds=watch_every_s)} if defaults.inbox else {},
                       concurrency_limit=1),
        DeploymentSpec("flows/publishing.py:publish_due_flow", "publish-due",
                       defaults.given("ledger", "sandbox"), {"cron": PUBLISH_CRON},
                       concurrency_limit=1),
        DeploymentSpec("flows/stats.py:collect_stats_flow", "collect-stats",
                       defaults.given("ledger", "sandbox"),
                       {"interval": timedelta(seconds=STATS_EVERY_S)}, concurrency_limit=1),
    ]
    slice_entry = slice_entrypoint()
    if slice_entry:
        made.insert(1, DeploymentSpec(slice_entry, "slice", defaults.given(
            "catalog", "out_dir")))
    return made


def slice_entrypoint() -> str | None:
    """``flows/slice.py:<flow>`` when this release has a flow named ``slice``."""
    if importlib.util.find_spec("flows.slice") is None:
        return None
    from prefect import Flow

    import flows.slice as module

    for attr, value in vars(module).items():
        if isinstance(value, Flow) and value.name == "slice":
            return f"flows/slice.py:{attr}"
    return None


def ensure_pool(pool: str) -> bool:
    """Create the process work pool ``pool`` if missing; True when it was created. A pool
    of another type is refused (its workers would not run clipcart's flows as processes)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            found = client.read_work_pool(pool)
        except ObjectNotFound:
            client.create_work_pool(WorkPoolCreate(name=pool, type=POOL_TYPE))
            return True
    if found.type != POOL_TYPE:
        raise ConfigError(f"work pool {pool!r} is of type {found.type!r}, not {POOL_TYPE!r}",
                          hint="Pick another --pool name (it is created as a process pool)")
    return False


def register(spec: DeploymentSpec, pool: str, source: str) -> str:
    """Register one deployment from ``source``; its ``flow/deployment`` name."""
    from prefect import Flow

    loaded = Flow.from_source(source=source, entrypoint=spec.entrypoint)
    deployment = loaded.to_deployment(name=spec.name, parameters=spec.parameters,
                                      concurrency_limit=spec.concurrency_limit,
                                      paused=False, **spec.schedule)
    deployment.apply(work_pool_name=pool)
    return f"{loaded.name}/{spec.name}"


def describe(spec: DeploymentSpec) -> str:
    """When it runs: ``cron ...``, ``every N s`` or ``on demand``."""
    if "cron" in spec.schedule:
        return f"cron {spec.schedule['cron']}"
    if "interval" in spec.schedule:
        return f"every {spec.schedule['interval'].total_seconds():g} s"
    return "on demand"


def default_source() -> str:
    """This checkout: the same path must hold the same release on every worker host."""
    return str(PROJECT_ROOT)


def check_source(source: str) -> str:
    """A local source must be a clipcart checkout (an absolute path); a URL is passed on."""
    if "://" in source or source.endswith(".git") or source.startswith("git@"):
        return source
    path = Path(source).expanduser().absolute()
    if not (path / "flows" / "batch.py").is_file():
        raise ConfigError(f"--source {source} is not a clipcart checkout (no flows/batch.py)",
                          hint="Pass the checkout's path (the same on every worker) or a "
                          "git URL")
    return str(path)

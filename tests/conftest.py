"""Shared fixtures. Media is generated with ffmpeg's lavfi sources, never downloaded.

CLIPCART_HOME points at a temporary folder for the whole session, set before
anything imports Prefect, so tests never touch the user's state.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property tests check what happens, not how fast: a loaded 2-core CI machine must not
# fail them on Hypothesis's 200 ms deadline or its too-slow health check. The examples
# are derandomized so a run is repeatable.
settings.register_profile("clipcart", deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("clipcart")

_HOME = Path(tempfile.mkdtemp(prefix="clipcart-test-home-"))
os.environ["CLIPCART_HOME"] = str(_HOME)
os.environ["PREFECT_HOME"] = str(_HOME / "prefect")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from pipeline.media.samples import make_scene  # noqa: E402
from tests.support import prefect_api  # noqa: E402
from tests.support.processes import stop_group  # noqa: E402

_PREFECT_SERVER = pytest.StashKey[tuple[subprocess.Popen[bytes], Path]]()

LONGEST_FIRST = (
    "tests/e2e/test_overlays_off_faces.py",
    "tests/e2e/test_slice_e2e.py",
    "tests/e2e/test_flows_serve.py",
    "tests/unit/bench/test_bench.py",
    "tests/catalogue/test_footage.py",
    "tests/e2e/test_templates_e2e.py",
    "tests/unit/publish/test_publish_chaos.py",
    "tests/e2e/test_audio_e2e.py",
    "tests/catalogue/test_scripts.py",
    "tests/e2e/test_prefect_worker.py",
    "tests/unit/ops/test_inbox.py",
    "tests/e2e/test_e2e.py",
    "tests/unit/flows/test_flows_batch.py",
    "tests/unit/render/test_render_inputs.py",
)
"""Test files by their time in a full run (CLIPCART_TEST_CPU_LOG, 35-155 s each under
`make test`), the longest first. `make test` hands out whole files (--dist loadfile) in
collection order (--no-loadscope-reorder; xdist's own order, most tests first, leaves
these few-test files to the end, where one runs on while the other workers sit idle)."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    rank = {path: i for i, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def speech_scene(media_dir: Path) -> Path:
    """18 s 1280x720 30 fps: flat background, product drifting around x=27 %,
    the bundled TTS speech from 1.5 s. Made by::

        ffmpeg -f lavfi -i color=c=0x2b1f4f:s=1280x720:r=30:d=18 -loop 1 -i product.png
               -i speech.wav -filter_complex "[1:v]scale=-2:432[p];[0:v][p]overlay=..."
    """
    return make_scene(media_dir / "speech_scene.mp4", seconds=18.0, size="1280x720",
                      speech_at_s=1.5, plain=True)


@pytest.fixture(scope="session")
def short_scene(media_dir: Path) -> Path:
    """8 s 960x540 with speech from 0.5 s (the speech is cut by the end of the file)."""
    return make_scene(media_dir / "short_scene.mp4", seconds=8.0, size="960x540",
                      speech_at_s=0.5, plain=True)


def pytest_configure(config: pytest.Config) -> None:
    """The controlling process (or a lone pytest) starts the session's Prefect API
    server; pytest-xdist workers inherit its URL (tests/support/prefect_api.py)."""
    if os.environ.get("PYTEST_XDIST_WORKER") or os.environ.get(prefect_api.URL_VARIABLE):
        return
    folder = Path(tempfile.mkdtemp(prefix="clipcart-test-prefect-"))
    config.stash[_PREFECT_SERVER] = (prefect_api.start(folder), folder)


def pytest_unconfigure(config: pytest.Config) -> None:
    started = config.stash.get(_PREFECT_SERVER, None)
    if started is not None:
        process, folder = started
        stop_group(process, grace_s=10)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def prefect_harness() -> Iterator[None]:
    """Every flow a test runs in this process uses the session's one Prefect API server.
    Without it, the first flow run in a process starts an ephemeral server of its own:
    each start on a fresh database costs about 14 CPU-s and 15 s (migrations, uvicorn)."""
    with prefect_api.used(os.environ[prefect_api.URL_VARIABLE]):
        yield


@pytest.fixture(scope="session")
def prefect_api_env(prefect_harness: None) -> dict[str, str]:
    """The environment a CLI subprocess needs to use the session's Prefect server rather
    than start an ephemeral one of its own, as a user with a Prefect server (or a running
    `clipcart serve`) has. tests/e2e/test_e2e.py and the signal tests keep the ephemeral
    server, as `clipcart make` runs on a machine with none."""
    return {"PREFECT_API_URL": os.environ[prefect_api.URL_VARIABLE]}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """With CLIPCART_TEST_CPU_LOG=FILE, append each test's CPU seconds (this process plus
    the children it reaped, setup to teardown) and wall seconds to FILE: what to trim when
    the suite nears its 10 minutes."""
    log = os.environ.get("CLIPCART_TEST_CPU_LOG")
    if not log:
        yield
        return
    import resource
    import time

    def cpu() -> float:
        me, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF,
                                                     resource.RUSAGE_CHILDREN))
        return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime

    cpu0, wall0, start = cpu(), time.monotonic(), time.time()
    yield
    worker = os.environ.get("PYTEST_XDIST_WORKER", "-")
    with open(log, "a", encoding="utf-8") as fh:
        fh.write(f"{cpu() - cpu0:.1f}\t{time.monotonic() - wall0:.1f}\t{item.nodeid}\t"
                 f"{worker}\t{start:.1f}\n")

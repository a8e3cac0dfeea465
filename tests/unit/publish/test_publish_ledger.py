"""The ledger: one row per target, an atomic claim, crash recovery, no-op re-runs."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from pipeline.core.errors import PublishError
from pipeline.publish.base import PublishRequest
from pipeline.publish.ledger import Ledger, new_owner
from tests.support.paths import REPO
from tests.support.publish_support import fake_mp4

KEY = ("clip-1", "tiktok", "default", "platform")


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    led = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    video = fake_mp4(tmp_path / "clip.mp4", 1000)
    led.ensure(PublishRequest(clip_id="clip-1", video=video, title="hi", platform="tiktok"))
    return led


def test_ensure_keeps_one_row_per_target(ledger: Ledger, tmp_path: Path) -> None:
    video = tmp_path / "clip.mp4"
    again = PublishRequest(clip_id="clip-1", video=video, title="new caption", platform="tiktok")
    ledger.ensure(again)
    other = PublishRequest(clip_id="clip-1", video=video, title="x", platform="youtube")
    ledger.ensure(other)
    assert len(ledger.records()) == 2
    assert ledger.due()[0].title == "new caption"


def test_only_one_of_two_threads_claims(ledger: Ledger) -> None:
    for _ in range(15):
        barrier, wins = threading.Barrier(2), []

        def race(owner: str, barrier: threading.Barrier, wins: list[str]) -> None:
            barrier.wait()
            if ledger.claim(KEY, owner):
                wins.append(owner)

        threads = [
            threading.Thread(target=race, args=(f"h:1:{i}", barrier, wins)) for i in range(2)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(wins) == 1
        ledger.release(KEY, wins[0])


CLAIM_SCRIPT = """
import sys, time
from pathlib import Path
from pipeline.publish.ledger import Ledger, new_owner
led = Ledger(sys.argv[1])
barrier, me = Path(sys.argv[2]), sys.argv[3]
(barrier / me).touch()
deadline = time.time() + 60
while len(list(barrier.iterdir())) < 4 and time.time() < deadline:
    time.sleep(0.002)
key = ("clip-1", "tiktok", "default", "platform")
print("WIN" if led.claim(key, new_owner()) else "LOSE", flush=True)
time.sleep(1.5)  # keep the lease held (and this pid alive) while the others try
"""


def test_only_one_of_four_processes_claims(ledger: Ledger, tmp_path: Path) -> None:
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CLAIM_SCRIPT, ledger.url, str(barrier), str(i)],
            stdout=subprocess.PIPE,
            text=True,
            env=_env(),
        )
        for i in range(4)
    ]
    results = [p.communicate(timeout=60)[0].strip() for p in procs]
    assert sorted(results) == ["LOSE", "LOSE", "LOSE", "WIN"]


def _env() -> dict[str, str]:
    import os

    return {**os.environ, "PYTHONPATH": str(REPO)}


def test_live_holder_blocks_and_dead_holder_is_taken_over(ledger: Ledger) -> None:
    assert ledger.claim(KEY, new_owner()) is not None
    assert ledger.claim(KEY, new_owner()) is None  # this process is alive
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    ledger.release(KEY, ledger_owner(ledger))
    crashed = f"{new_owner().split(':')[0]}:{dead.pid}:abcd"
    assert ledger.claim(KEY, crashed) is not None
    ledger.checkpoint(KEY, crashed, "uploading", "p_1")
    taken = ledger.claim(KEY, new_owner())
    assert taken is not None and taken.state == "uploading" and taken.publish_id == "p_1"
    assert taken.attempts == 3
    with pytest.raises(PublishError):
        ledger.checkpoint(KEY, crashed, "processing", "p_1")  # the crashed owner is fenced off


def ledger_owner(ledger: Ledger) -> str:
    from sqlalchemy import select

    from pipeline.publish.ledger import PublishRow

    with ledger._sessions() as session:
        return session.scalars(select(PublishRow.lease_owner)).one()


def test_published_row_cannot_be_claimed(ledger: Ledger) -> None:
    owner = new_owner()
    ledger.claim(KEY, owner)
    record = ledger.finish(KEY, owner, "published", post_id="42")
    assert record.state == "published" and record.post_id == "42"
    assert ledger.claim(KEY, new_owner()) is None
    assert ledger.due() == []


def test_expired_lease_can_be_taken(tmp_path: Path) -> None:
    led = Ledger(f"sqlite:///{tmp_path / 'l.db'}", lease_s=0.0)
    video = fake_mp4(tmp_path / "clip.mp4", 1000)
    led.ensure(PublishRequest(clip_id="clip-1", video=video, title="hi", platform="tiktok"))
    assert led.claim(KEY, "otherhost:1:x") is not None
    assert led.claim(KEY, "otherhost:2:y") is not None

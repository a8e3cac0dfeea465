"""Shared state by URL: two hosts (here: two CLIPCART_HOMEs) on one database share the
review book, the inbox registry and the publish ledger. Runs on a SQLite file always, and
on PostgreSQL too when CLIPCART_TEST_POSTGRES_URL names an empty database
(e.g. postgresql+psycopg://postgres@127.0.0.1:5432/clipcart_test) and psycopg is installed
(pip install 'clipcart[postgres]')."""

from __future__ import annotations

import importlib.util
import json
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.core.database import store_url
from pipeline.media.samples import make_scene
from pipeline.ops.inbox import InboxRegistry
from pipeline.ops.review import ReviewBook, Target
from pipeline.publish.base import PublishRequest
from pipeline.publish.ledger import Ledger, key_of

POSTGRES = os.environ.get("CLIPCART_TEST_POSTGRES_URL", "")


def _postgres_param() -> object:
    missing = ("CLIPCART_TEST_POSTGRES_URL is not set" if not POSTGRES else
               "psycopg is not installed (pip install 'clipcart[postgres]')"
               if importlib.util.find_spec("psycopg") is None else "")
    return pytest.param(POSTGRES, id="postgresql", marks=pytest.mark.skipif(
        bool(missing), reason=missing or "runs"))


@pytest.fixture(params=["sqlite", _postgres_param()])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL shared by the 'hosts' of one test."""
    return (f"sqlite:///{tmp_path / 'shared.db'}" if request.param == "sqlite"
            else str(request.param))


@pytest.fixture
def hosts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Path]]:
    """Two CLIPCART_HOMEs; the test switches between them."""
    for name in ("CLIPCART_DATABASE_URL", "CLIPCART_LEDGER_URL", "CLIPCART_REVIEW_URL",
                 "CLIPCART_INBOX_URL"):
        monkeypatch.delenv(name, raising=False)
    yield tmp_path / "host-a", tmp_path / "host-b"


def test_store_url_prefers_the_argument_then_its_variable_then_the_shared_one(
        hosts: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLIPCART_HOME", str(hosts[0]))
    assert store_url("review") == f"sqlite:///{hosts[0] / 'review.db'}"
    monkeypatch.setenv("CLIPCART_DATABASE_URL", "sqlite:///shared.db")
    assert store_url("inbox") == "sqlite:///shared.db"
    monkeypatch.setenv("CLIPCART_INBOX_URL", "sqlite:///inbox.db")
    assert store_url("inbox") == "sqlite:///inbox.db"
    assert store_url("inbox", "sqlite:///given.db") == "sqlite:///given.db"


def test_a_clip_held_on_one_host_is_approved_from_another(
        database: str, hosts: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from flows.cli import main

    clip_id = f"clip-{uuid.uuid4().hex[:8]}"
    clip = hosts[0] / "out" / clip_id
    clip.mkdir(parents=True)
    make_scene(clip / "clip.mp4", seconds=1, size="320x240", plain=True)
    (clip / "manifest.json").write_text(json.dumps(
        {"clip_id": clip_id, "caption_text": "Held", "sku": "S"}), "utf-8")
    monkeypatch.setenv("CLIPCART_HOME", str(hosts[0]))
    monkeypatch.setenv("CLIPCART_REVIEW_URL", database)  # host A: by variable
    book = ReviewBook()
    book.request(clip_id, clip, (Target(platform="tiktok", at=datetime(2030, 1, 1, tzinfo=UTC)),))
    book.close()

    monkeypatch.delenv("CLIPCART_REVIEW_URL")
    monkeypatch.setenv("CLIPCART_HOME", str(hosts[1]))  # host B: by option
    ledger = f"sqlite:///{hosts[1].parent / 'ledger.db'}"
    assert main(["approve", clip_id, "--review", database, "--ledger", ledger]) == 0
    said = capsys.readouterr().out
    assert f"approved {clip_id}" in said and "scheduled tiktok/default" in said
    assert main(["approve", clip_id]) == 2  # host B's own book does not hold it
    assert "is held for review" in capsys.readouterr().err


def test_two_hosts_take_a_dropped_file_once(
        database: str, hosts: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    digest = uuid.uuid4().hex
    monkeypatch.setenv("CLIPCART_INBOX_URL", database)
    monkeypatch.setenv("CLIPCART_HOME", str(hosts[0]))
    first = InboxRegistry()
    first.record(digest, "SKU", Path("a.mp4"), "clip-1")
    monkeypatch.setenv("CLIPCART_HOME", str(hosts[1]))
    second = InboxRegistry()
    assert second.clip_for(digest, "SKU") == "clip-1" and second.clip_for(digest, "X") is None
    second.record(digest, "SKU", Path("b.mp4"), "clip-2")  # recorded again: updated, no error
    assert first.clip_for(digest, "SKU") == "clip-2"
    first.close()
    second.close()


def test_two_hosts_never_claim_one_post_twice(
        database: str, hosts: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLIPCART_DATABASE_URL", database)
    ledgers = []
    for home in hosts:
        monkeypatch.setenv("CLIPCART_HOME", str(home))
        ledgers.append(Ledger())
    request = PublishRequest(clip_id=f"clip-{uuid.uuid4().hex[:8]}", platform="tiktok",
                             video=hosts[0] / "clip.mp4", title="c")
    ledgers[1].ensure(request)
    key = key_of(request)
    claims = [ledger.claim(key, f"host-{n}:1:x") for n, ledger in enumerate(ledgers)]
    assert sum(claim is not None for claim in claims) == 1
    for ledger in ledgers:
        ledger.close()

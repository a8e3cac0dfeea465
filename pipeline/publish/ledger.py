"""The publish ledger: one row per (clip_id, platform, account, target), so nothing posts
twice. The target is ``platform`` (the real API) or a sandbox's base URL, so a sandbox
post never stands in for a real one; a ledger written before targets existed gains the
column on first open, its rows becoming ``platform`` rows.

SQLite at ``clipcart_home()/ledger.db`` by default; any SQLAlchemy URL works (e.g.
PostgreSQL shared by several hosts). A publisher must *claim* a row before touching
the platform. The claim is a compare-and-swap on ``lease_owner``, so of two processes
racing for one row exactly one wins on any database. A lease ends when its holder
finishes, when it expires, or at once when its holder was a process on this host that
no longer exists (a crash): the next run then resumes from the stored publish id.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    DateTime,
    Integer,
    String,
    Text,
    UniqueConstraint,
    inspect,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker
from sqlalchemy.schema import CreateTable

from pipeline.core.database import engine_for, store_url
from pipeline.core.errors import PublishError
from pipeline.core.stores import ClosingStore
from pipeline.publish.base import REAL_TARGET, PublishRecord, PublishRequest, PublishState

Key = tuple[str, str, str, str]
"""(clip_id, platform, account, target): what the ledger keeps exactly one row for."""

CLAIMABLE: tuple[PublishState, ...] = ("scheduled", "uploading", "processing", "failed", "blocked")
RESUMABLE: tuple[PublishState, ...] = ("scheduled", "uploading", "processing")


class _Base(DeclarativeBase):
    pass


class PublishRow(_Base):
    """A ledger row: the request to replay, where it stands, and who holds it."""

    __tablename__ = "publish_records"
    __table_args__ = (
        UniqueConstraint("clip_id", "platform", "account", "target", name="uq_clip_post_target"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clip_id: Mapped[str] = mapped_column(String(128))
    platform: Mapped[str] = mapped_column(String(32))
    account: Mapped[str] = mapped_column(String(128))
    target: Mapped[str] = mapped_column(String(512), default=REAL_TARGET)
    state: Mapped[str] = mapped_column(String(16), default="scheduled")
    post_id: Mapped[str] = mapped_column(String(256), default="")
    publish_id: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    video: Mapped[str] = mapped_column(Text, default="")
    caption: Mapped[str] = mapped_column(Text, default="")
    product_ids: Mapped[str] = mapped_column(Text, default="{}")
    product_title: Mapped[str] = mapped_column(Text, default="")
    scheduled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    lease_owner: Mapped[str] = mapped_column(String(256), default="")
    lease_until: Mapped[float] = mapped_column(default=0.0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def default_url() -> str:
    """``CLIPCART_LEDGER_URL``, ``CLIPCART_DATABASE_URL`` or
    ``sqlite:///<CLIPCART_HOME>/ledger.db`` (see ``pipeline.core.database``)."""
    return store_url("ledger")


def new_owner() -> str:
    """A lease holder id: host, pid and a nonce (the pid lets a crash be noticed at once)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def owner_is_dead(owner: str) -> bool:
    """True when ``owner`` was a process on this host that has exited."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _now() -> datetime:
    return datetime.now(UTC)


class Ledger(ClosingStore):
    """Publish records in a SQL database; see the module docstring for the claim rule."""

    def __init__(self, url: str | None = None, *, lease_s: float = 1800.0) -> None:
        self.url = url or default_url()
        self.lease_s = lease_s
        self.engine = engine_for(self.url)
        self._create_tables()
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def _create_tables(self) -> None:
        """Create the table once; another process creating it at the same moment is fine."""
        for attempt in range(5):
            try:
                _Base.metadata.create_all(self.engine)
                _migrate_targets(self.engine)
                return
            except OperationalError:
                if attempt == 4:
                    raise
                time.sleep(0.05 * (attempt + 1))

    def close(self) -> None:
        self.engine.dispose()

    # -- reading ------------------------------------------------------------------
    def get(self, key: Key) -> PublishRecord | None:
        with self._sessions() as session:
            row = session.scalars(_where(select(PublishRow), key)).first()
            return to_record(row) if row else None

    def records(self, states: Iterable[str] | None = None) -> list[PublishRecord]:
        query = select(PublishRow).order_by(PublishRow.updated_at)
        if states is not None:
            query = query.where(PublishRow.state.in_(list(states)))
        with self._sessions() as session:
            return [to_record(row) for row in session.scalars(query)]

    def due(self, now: datetime | None = None) -> list[PublishRequest]:
        """Requests whose slot has come and that are not finished (crashed ones included)."""
        now = now or _now()
        query = select(PublishRow).where(PublishRow.state.in_(RESUMABLE))
        with self._sessions() as session:
            rows = list(session.scalars(query))
        due = [r for r in rows if (_utc(r.scheduled_at) or now) <= now]
        return [to_request(r) for r in due]

    def published(self) -> list[tuple[PublishRecord, Path]]:
        """Every published row with the clip file it posted (stats reads the manifest beside it)."""
        query = select(PublishRow).where(PublishRow.state == "published").order_by(PublishRow.id)
        with self._sessions() as session:
            return [(to_record(row), Path(row.video)) for row in session.scalars(query)]

    def account_blocked(self, platform: str, account: str, target: str = REAL_TARGET) -> bool:
        query = select(PublishRow.id).where(
            PublishRow.platform == platform,
            PublishRow.account == account,
            PublishRow.target == target,
            PublishRow.state == "blocked",
        )
        with self._sessions() as session:
            return session.scalars(query).first() is not None

    # -- writing ------------------------------------------------------------------
    def ensure(self, request: PublishRequest) -> PublishRecord:
        """The row for ``request``, created as scheduled if new; an unfinished row takes
        the request's current file, caption and slot."""
        key = key_of(request)
        fields = _request_fields(request)
        try:
            with self._sessions.begin() as session:
                session.add(PublishRow(clip_id=key[0], platform=key[1], account=key[2],
                                       target=key[3], **fields))
        except IntegrityError:
            with self._sessions.begin() as session:
                session.execute(
                    _where(update(PublishRow), key)
                    .where(PublishRow.state.in_(("scheduled", "failed")))
                    .where(PublishRow.lease_owner == "")
                    .values(**fields)
                )
        record = self.get(key)
        assert record is not None
        return record

    def claim(
        self, key: Key, owner: str, states: Iterable[str] = CLAIMABLE
    ) -> PublishRecord | None:
        """Take the row for ``owner`` if it is in ``states`` and nobody live holds it."""
        wanted = tuple(states)
        for attempt in range(20):
            try:
                return self._claim_once(key, owner, wanted)
            except OperationalError:  # SQLite: a racing writer won the lock; look again
                time.sleep(0.01 * (attempt + 1))
        raise PublishError(f"ledger busy: could not claim {key}")

    def _claim_once(self, key: Key, owner: str, states: tuple[str, ...]) -> PublishRecord | None:
        now = time.time()
        with self._sessions.begin() as session:
            row = session.scalars(_where(select(PublishRow), key)).first()
            if row is None or row.state not in states:
                return None
            held = row.lease_owner and row.lease_until > now and not owner_is_dead(row.lease_owner)
            if held:
                return None
            result = session.execute(
                _where(update(PublishRow), key)
                .where(PublishRow.lease_owner == row.lease_owner, PublishRow.state == row.state)
                .values(
                    lease_owner=owner,
                    lease_until=now + self.lease_s,
                    attempts=PublishRow.attempts + 1,
                    updated_at=_now(),
                )
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                return None
        return self.get(key)

    def checkpoint(self, key: Key, owner: str, state: PublishState, publish_id: str) -> None:
        """Store progress and renew the lease; fails if ``owner`` no longer holds the row."""
        self._update_held(
            key,
            owner,
            state=state,
            publish_id=publish_id,
            lease_until=time.time() + self.lease_s,
        )

    def finish(
        self, key: Key, owner: str, state: PublishState, *, post_id: str = "", reason: str = ""
    ) -> PublishRecord:
        """Record the outcome and let go of the row."""
        values: dict[str, Any] = {
            "state": state,
            "reason": reason,
            "lease_owner": "",
            "lease_until": 0.0,
        }
        if post_id:
            values["post_id"] = post_id
        self._update_held(key, owner, **values)
        record = self.get(key)
        assert record is not None
        return record

    def attempts(self, key: Key) -> int:
        record = self.get(key)
        return record.attempts if record else 0

    def defer(self, key: Key, owner: str, *, reason: str) -> None:
        """Let go after a transient failure, leaving the row due (scheduled or resumable)."""
        record = self.get(key)
        in_flight = record is not None and record.state in ("uploading", "processing")
        state = record.state if record is not None and in_flight else "scheduled"
        self._update_held(key, owner, state=state, reason=reason, lease_owner="", lease_until=0.0)

    def release(self, key: Key, owner: str) -> None:
        """Let go of the row without changing its state (interrupted run)."""
        with self._sessions.begin() as session:
            session.execute(
                _where(update(PublishRow), key)
                .where(PublishRow.lease_owner == owner)
                .values(lease_owner="", lease_until=0.0)
            )

    def _update_held(self, key: Key, owner: str, **values: Any) -> None:
        with self._sessions.begin() as session:
            result = session.execute(
                _where(update(PublishRow), key)
                .where(PublishRow.lease_owner == owner)
                .values(updated_at=_now(), **values)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise PublishError(f"ledger row {key} is no longer held by this process")


def key_of(request: PublishRequest) -> Key:
    """The ledger key of a request."""
    return (request.clip_id, request.platform, request.account, request.target)


def _where(statement: Any, key: Key) -> Any:
    return statement.where(
        PublishRow.clip_id == key[0], PublishRow.platform == key[1],
        PublishRow.account == key[2], PublishRow.target == key[3],
    )


_COLUMNS_V1 = ("id", "clip_id", "platform", "account", "state", "post_id", "publish_id",
               "reason", "attempts", "video", "caption", "product_ids", "product_title",
               "scheduled_at", "lease_owner", "lease_until", "updated_at")
"""The columns of a ledger written before targets: copied as is into the new table."""


def _migrate_targets(engine: Any) -> None:
    """Give a ledger from before targets its target column and four-part key.

    Inside one transaction holding the write lock, so racing processes migrate it once.
    SQLite cannot change a unique constraint in place: there the table is rebuilt.
    """
    if "target" in _columns(engine):
        return
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif engine.dialect.name == "postgresql":
            conn.exec_driver_sql("LOCK TABLE publish_records IN ACCESS EXCLUSIVE MODE")
        if "target" not in _columns(conn):
            (_rebuild if sqlite else _alter)(conn)
        conn.commit()


def _columns(bind: Any) -> set[str]:
    return {column["name"] for column in inspect(bind).get_columns(PublishRow.__tablename__)}


def _rebuild(conn: Connection) -> None:
    names = ", ".join(_COLUMNS_V1)
    conn.exec_driver_sql("ALTER TABLE publish_records RENAME TO publish_records_v1")
    conn.execute(CreateTable(PublishRow.__table__))  # type: ignore[arg-type]
    conn.exec_driver_sql(f"INSERT INTO publish_records ({names}, target) "
                         f"SELECT {names}, '{REAL_TARGET}' FROM publish_records_v1")
    conn.exec_driver_sql("DROP TABLE publish_records_v1")


def _alter(conn: Connection) -> None:
    conn.exec_driver_sql("ALTER TABLE publish_records ADD COLUMN target VARCHAR(512) "
                         f"NOT NULL DEFAULT '{REAL_TARGET}'")
    conn.exec_driver_sql("ALTER TABLE publish_records DROP CONSTRAINT uq_clip_target")
    conn.exec_driver_sql("ALTER TABLE publish_records ADD CONSTRAINT uq_clip_post_target "
                         "UNIQUE (clip_id, platform, account, target)")


def _request_fields(request: PublishRequest) -> dict[str, Any]:
    return {
        "video": str(request.video),
        "caption": request.title,
        "product_ids": json.dumps(request.product_ids, sort_keys=True),
        "product_title": request.product_title,
        "scheduled_at": request.scheduled_at,
        "updated_at": _now(),
    }


def to_record(row: PublishRow) -> PublishRecord:
    """The public view of a row (no request fields, no lease)."""
    return PublishRecord.model_validate(
        {
            "clip_id": row.clip_id,
            "platform": row.platform,
            "account": row.account,
            "target": row.target,
            "state": row.state,
            "post_id": row.post_id,
            "publish_id": row.publish_id,
            "reason": row.reason,
            "attempts": row.attempts,
            "updated_at": _utc(row.updated_at) or _now(),
        }
    )


def to_request(row: PublishRow) -> PublishRequest:
    """The request a row was made from, to replay it (publish --due, resume)."""
    return PublishRequest.model_validate(
        {
            "clip_id": row.clip_id,
            "video": Path(row.video),
            "title": row.caption,
            "platform": row.platform,
            "account": row.account,
            "target": row.target,
            "product_ids": json.loads(row.product_ids or "{}"),
            "product_title": row.product_title,
            "scheduled_at": _utc(row.scheduled_at),
        }
    )

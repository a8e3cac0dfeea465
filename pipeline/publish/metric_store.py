"""Post-metric snapshots in the ledger's database: one row per post per ``clipcart stats`` run.

Rows are only ever added, each with the time it was taken, so growth over days is kept
and a report can take the difference between any two moments. The table lives beside
the publish ledger's (same SQLAlchemy URL; SQLite under CLIPCART_HOME by default) but
has its own metadata, so the ledger's schema can change without touching it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import Field
from sqlalchemy import DateTime, Index, Integer, String, create_engine, event, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from pipeline.core.models import Frozen
from pipeline.core.stores import ClosingStore
from pipeline.publish.ledger import default_url


class PostMetrics(Frozen):
    """A post's own counters as its platform reports them; None where it has no such count."""

    post_id: str = Field(description="The platform's id of the post.")
    views: int = Field(description="Plays or views, as the platform counts them.")
    likes: int | None = None
    comments: int | None = None
    shares: int | None = Field(default=None, description="None on YouTube (no share count).")


def in_pages(post_ids: Sequence[str], size: int,
             query: Callable[[list[str]], dict[str, PostMetrics]]) -> dict[str, PostMetrics]:
    """``query`` asked about ``post_ids`` at most ``size`` at a time (the platform's limit
    per call), the answers merged; ids the platform does not return are left out."""
    found: dict[str, PostMetrics] = {}
    for start in range(0, len(post_ids), size):
        found.update(query(list(post_ids[start:start + size])))
    return found


class MetricSnapshot(Frozen):
    """One post's counters at one moment, with the clip facts a report groups by."""

    clip_id: str
    platform: str
    account: str
    post_id: str
    taken_at: datetime = Field(description="When the counters were read (UTC).")
    views: int
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    sku: str = ""
    template: str = ""
    variant: str = Field(default="", description="The clip's variant label ('' if none).")


class _Base(DeclarativeBase):
    pass


class SnapshotRow(_Base):
    """A stored snapshot."""

    __tablename__ = "metric_snapshots"
    __table_args__ = (Index("ix_snapshot_post", "clip_id", "platform", "account", "taken_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clip_id: Mapped[str] = mapped_column(String(128))
    platform: Mapped[str] = mapped_column(String(32))
    account: Mapped[str] = mapped_column(String(128))
    post_id: Mapped[str] = mapped_column(String(256))
    taken_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    views: Mapped[int] = mapped_column(Integer)
    likes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    comments: Mapped[int | None] = mapped_column(Integer, nullable=True)
    shares: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sku: Mapped[str] = mapped_column(String(128), default="")
    template: Mapped[str] = mapped_column(String(128), default="")
    variant: Mapped[str] = mapped_column(String(64), default="")


def utc(value: datetime) -> datetime:
    """``value`` as an aware UTC time (SQLite gives naive ones back)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def make_engine(url: str | None) -> Any:
    """An engine on ``url`` (default: the ledger's), with SQLite waiting on busy locks."""
    url = url or default_url()
    args: dict[str, Any] = {"timeout": 30} if url.startswith("sqlite") else {}
    engine = create_engine(url, connect_args=args)
    if url.startswith("sqlite"):
        event.listen(engine, "connect", _busy_timeout)
    return engine


def create_tables(engine: Any, metadata: Any) -> None:
    """Create ``metadata``'s tables; another process creating them at the same time is fine."""
    for attempt in range(5):
        try:
            metadata.create_all(engine)
            return
        except OperationalError:
            if attempt == 4:
                raise
            time.sleep(0.05 * (attempt + 1))


def _busy_timeout(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout = 30000")
    cursor.close()


class MetricStore(ClosingStore):
    """Snapshots in a SQL database; add and read, never update."""

    def __init__(self, url: str | None = None) -> None:
        self.engine = make_engine(url)
        create_tables(self.engine, _Base.metadata)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()


    def add(self, snapshots: Iterable[MetricSnapshot]) -> None:
        with self._sessions.begin() as session:
            session.add_all(SnapshotRow(**s.model_dump()) for s in snapshots)

    def snapshots(self, until: datetime | None = None) -> list[MetricSnapshot]:
        """Every snapshot (taken at or before ``until`` when given), oldest first."""
        query = select(SnapshotRow).order_by(SnapshotRow.taken_at, SnapshotRow.id)
        if until is not None:
            query = query.where(SnapshotRow.taken_at <= until)
        with self._sessions() as session:
            return [_snapshot(row) for row in session.scalars(query)]


def _snapshot(row: SnapshotRow) -> MetricSnapshot:
    values = {c.name: getattr(row, c.name) for c in SnapshotRow.__table__.columns if c.name != "id"}
    values["taken_at"] = utc(row.taken_at)
    return MetricSnapshot.model_validate(values)

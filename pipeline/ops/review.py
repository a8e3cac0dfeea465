"""The review book: clips held for approval before they may be published.

One row per clip id in ``CLIPCART_HOME/review.db``, or on any SQLAlchemy URL (passed in,
``CLIPCART_REVIEW_URL`` or ``CLIPCART_DATABASE_URL``: the PostgreSQL database several
hosts share, so a clip held on one host is approved from any other). A row starts
``pending`` and is decided once: ``approved`` (its publish targets are then scheduled) or
``rejected``. The flow that asked for the review is kept (``flow_run_id``) so a decision
made on the command line can resume it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import Field
from sqlalchemy import DateTime, String, Text, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from pipeline.core.database import engine_for, store_url
from pipeline.core.errors import ConfigError
from pipeline.core.models import Frozen
from pipeline.core.stores import ClosingStore

ReviewState = Literal["pending", "approved", "rejected"]


class Target(Frozen):
    """One place to post a clip: platform, account and when (aware UTC)."""

    platform: str
    account: str = "default"
    at: datetime


class ReviewRecord(Frozen):
    """Where one clip stands in review."""

    clip_id: str
    state: ReviewState
    clip_dir: Path = Field(description="The finished clip folder (OUT/<clip_id>).")
    targets: tuple[Target, ...] = ()
    flow_run_id: str = Field(default="", description="Prefect flow run waiting on this, if any.")
    note: str = Field(default="", description="The reviewer's note with the decision.")
    updated_at: datetime


class _Base(DeclarativeBase):
    pass


class ReviewRow(_Base):
    __tablename__ = "reviews"

    clip_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    clip_dir: Mapped[str] = mapped_column(Text)
    targets: Mapped[str] = mapped_column(Text, default="[]")
    flow_run_id: Mapped[str] = mapped_column(String(64), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def default_url() -> str:
    """``CLIPCART_REVIEW_URL``, ``CLIPCART_DATABASE_URL`` or
    ``sqlite:///<CLIPCART_HOME>/review.db``."""
    return store_url("review")


class ReviewBook(ClosingStore):
    """Review rows in a SQL database."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or default_url()
        self.engine = engine_for(self.url)
        _Base.metadata.create_all(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()

    def get(self, clip_id: str) -> ReviewRecord | None:
        with self._sessions() as session:
            row = session.get(ReviewRow, clip_id)
            return _record(row) if row else None

    def pending(self) -> list[ReviewRecord]:
        query = select(ReviewRow).where(ReviewRow.state == "pending").order_by(
            ReviewRow.updated_at)
        with self._sessions() as session:
            return [_record(r) for r in session.scalars(query)]

    def request(self, clip_id: str, clip_dir: Path, targets: tuple[Target, ...],
                flow_run_id: str = "") -> ReviewRecord:
        """Hold the clip for review; a clip already decided keeps its decision."""
        with self._sessions.begin() as session:
            row = session.get(ReviewRow, clip_id)
            if row is None:
                row = ReviewRow(clip_id=clip_id, state="pending")
                session.add(row)
            if row.state == "pending":
                row.clip_dir = str(clip_dir)
                row.targets = json.dumps([t.model_dump(mode="json") for t in targets])
                row.flow_run_id = flow_run_id or row.flow_run_id or ""
                row.updated_at = datetime.now(UTC)
        record = self.get(clip_id)
        assert record is not None
        return record

    def decide(self, clip_id: str, approved: bool, note: str = "") -> tuple[ReviewRecord, bool]:
        """Record the decision; returns (record, changed). Deciding twice the same way is a
        no-op; reversing a decision is refused."""
        state: ReviewState = "approved" if approved else "rejected"
        with self._sessions.begin() as session:
            row = session.get(ReviewRow, clip_id)
            if row is None:
                raise ConfigError(f"no clip {clip_id!r} is held for review",
                                  hint="See `clipcart review` for the clips waiting")
            changed = row.state == "pending"
            if not changed and row.state != state:
                raise ConfigError(f"clip {clip_id} was already {row.state}",
                                  hint="A review decision is final; make the clip again to "
                                  "review it anew")
            if changed:
                row.state, row.note, row.updated_at = state, note, datetime.now(UTC)
        record = self.get(clip_id)
        assert record is not None
        return record, changed


def _record(row: ReviewRow) -> ReviewRecord:
    updated = row.updated_at if row.updated_at.tzinfo else row.updated_at.replace(tzinfo=UTC)
    return ReviewRecord.model_validate({
        "clip_id": row.clip_id, "state": row.state, "clip_dir": row.clip_dir,
        "targets": json.loads(row.targets or "[]"), "flow_run_id": row.flow_run_id,
        "note": row.note, "updated_at": updated})

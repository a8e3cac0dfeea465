"""The watched inbox: footage dropped into a folder becomes clips, each file once.

Layout: ``INBOX/<SKU>/<any name>.mp4`` or ``INBOX/<SKU>__<name>.mp4``; a caption script
``<name>.txt`` or ``<name>.srt`` beside the footage is used as ``--script``. A file is
taken only when it looks fully written: no process has it open for writing (where the
platform shows it: Linux /proc) and it has not changed for ``settle_s``. A creator's
slow copy is normal: a file that then turns out unreadable is tried again on later
passes and only set aside once it has been still for a long while. Files are remembered
by content hash and SKU in ``CLIPCART_HOME/inbox.db`` (or a shared database, see
``InboxRegistry``), so a restart or a second copy of the same bytes makes nothing twice.

A file that cannot become a clip (unknown SKU, not a video, corrupt) and has not changed
for ``reject_after_s`` is *moved* to
``INBOX/_rejected/`` with ``<name>.error.txt`` beside it saying why: that is the one
change clipcart makes inside the inbox. Its bytes are never altered, and good files are
never moved, modified or deleted.

A recording dropped into ``INBOX/_live/`` is sliced (``clipcart slice``): a clip per
product pitch, with the inbox's catalog.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from sqlalchemy import Column, MetaData, String, Table, Text, insert, select, update
from sqlalchemy.exc import IntegrityError

from pipeline.core.database import engine_for, store_url
from pipeline.core.stores import ClosingStore
from pipeline.speech.script_file import script_beside

VIDEO_SUFFIXES = {".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi", ".3gp"}
REJECTED = "_rejected"
SEPARATOR = "__"
LIVE_FOLDER = "_live"
"""``INBOX/_live/<name>.mkv``: a live-selling recording, sliced into a clip per pitch."""


@dataclass(frozen=True)
class Drop:
    """A footage file found in the inbox and the SKU its place names."""

    path: Path
    sku: str
    script: Path | None = None
    """``<footage name>.txt`` or ``.srt`` beside the footage, if there is one."""


def scan(inbox: Path) -> list[Drop]:
    """Footage files in the inbox, oldest first; hidden and rejected files are skipped."""
    drops = []
    for path in sorted(inbox.rglob("*"), key=_mtime):
        rel = path.relative_to(inbox)
        if not path.is_file() or rel.parts[0] == REJECTED or _hidden(rel):
            continue
        sku = sku_for(rel)
        if sku and path.suffix.lower() in VIDEO_SUFFIXES:
            drops.append(Drop(path=path, sku=sku, script=script_beside(path)))
    return drops


def sku_for(rel: Path) -> str:
    """The SKU a file's place names: its folder, or the part before ``__`` in its name."""
    if len(rel.parts) == 2:
        return rel.parts[0]
    if len(rel.parts) == 1 and SEPARATOR in rel.stem:
        return rel.stem.split(SEPARATOR, 1)[0].strip()
    return ""


def unplaced(inbox: Path) -> list[Path]:
    """Video files whose place names no SKU (top level without ``SKU__``, or too deep)."""
    return [p for p in inbox.rglob("*") if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES
            and p.relative_to(inbox).parts[0] != REJECTED and not _hidden(p.relative_to(inbox))
            and not sku_for(p.relative_to(inbox))]


def _hidden(rel: Path) -> bool:
    return any(part.startswith(".") for part in rel.parts)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


DropState = Literal["ready", "settling", "writing", "gone"]
"""Whether a file can be taken: ready; still changing (settling); open for writing by a
process (writing); or gone since it was listed."""


def still_for(path: Path, now: float | None = None) -> float:
    """Seconds since the file last changed (its data or, when moved in, its inode)."""
    st = path.stat()
    return (time.time() if now is None else now) - max(st.st_mtime, st.st_ctime)


def drop_state(path: Path, settle_s: float, writers: frozenset[Path] = frozenset(),
               now: float | None = None) -> DropState:
    """``ready`` once no process has the file open for writing (where ``writers`` can
    tell) and it has not changed for ``settle_s`` seconds; an empty file is never ready."""
    try:
        if path.resolve() in writers:
            return "writing"
        if path.stat().st_size == 0 or still_for(path, now) < settle_s:
            return "settling"
    except OSError:
        return "gone"
    return "ready"


def open_for_writing(proc: Path = Path("/proc")) -> frozenset[Path]:
    """Files some process has open for writing, as far as this platform shows it (Linux
    /proc for the processes this user may inspect; elsewhere nothing is known)."""
    found: set[Path] = set()
    if not proc.is_dir():
        return frozenset()
    for fd_dir in proc.glob("[0-9]*/fd"):
        with suppress(OSError):
            for fd in fd_dir.iterdir():
                with suppress(OSError, ValueError):
                    target = Path(os.readlink(fd))
                    if target.is_absolute() and _writing(fd_dir.parent / "fdinfo" / fd.name):
                        found.add(target)
    return frozenset(found)


def _writing(fdinfo: Path) -> bool:
    for line in fdinfo.read_text().splitlines():
        if line.startswith("flags:"):
            return int(line.split()[1], 8) & os.O_ACCMODE in (os.O_WRONLY, os.O_RDWR)
    return False


def reject(inbox: Path, path: Path, reason: str) -> Path:
    """Move ``path`` to ``INBOX/_rejected/`` (unique name) with ``.error.txt`` beside it."""
    folder = inbox / REJECTED
    folder.mkdir(exist_ok=True)
    target = folder / path.name
    n = 1
    while target.exists():
        target = folder / f"{path.stem}.{n}{path.suffix}"
        n += 1
    note = target.with_name(target.name + ".error.txt")
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    note.write_text(f"{path.relative_to(inbox)} was set aside at {stamp}\nreason: {reason}\n",
                    "utf-8")
    os.replace(path, target)
    return target


PROCESSED = Table(
    "processed", MetaData(),
    Column("digest", String(64), primary_key=True),
    Column("sku", String(128), primary_key=True),
    Column("source", Text),
    Column("clip_id", String(128)),
    Column("at", String(32)),
)
"""One row per (content hash, SKU) that became a clip (the table of inbox.db since 0.1)."""


class InboxRegistry(ClosingStore):
    """Which (content hash, SKU) pairs already became clips: ``CLIPCART_HOME/inbox.db``, or
    any SQLAlchemy URL (``CLIPCART_INBOX_URL``, ``CLIPCART_DATABASE_URL``)."""

    def __init__(self, where: str | Path | None = None) -> None:
        self.url = f"sqlite:///{where}" if isinstance(where, Path) else store_url("inbox", where)
        self.engine = engine_for(self.url)
        PROCESSED.metadata.create_all(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def clip_for(self, digest: str, sku: str) -> str | None:
        """The clip id made from these bytes for this SKU, if any."""
        query = select(PROCESSED.c.clip_id).where(PROCESSED.c.digest == digest,
                                                  PROCESSED.c.sku == sku)
        with self.engine.connect() as db:
            found = db.execute(query).scalar_one_or_none()
        return str(found) if found is not None else None

    def record(self, digest: str, sku: str, source: Path, clip_id: str) -> None:
        """Remember (or update) which clip these bytes made for this SKU."""
        values = {"source": str(source), "clip_id": clip_id,
                  "at": datetime.now(UTC).isoformat(timespec="seconds")}
        key = (PROCESSED.c.digest == digest) & (PROCESSED.c.sku == sku)
        with self.engine.begin() as db:
            if db.execute(update(PROCESSED).where(key).values(**values)).rowcount:
                return
            try:
                with db.begin_nested():
                    db.execute(insert(PROCESSED).values(digest=digest, sku=sku, **values))
            except IntegrityError:  # another host recorded it a moment ago
                db.execute(update(PROCESSED).where(key).values(**values))


def watch_changes(inbox: Path, stop: Callable[[], bool], tick_s: float = 5.0
                  ) -> Iterator[None]:
    """Yield whenever something in the inbox changed, and every ``tick_s`` regardless
    (files still being written are looked at again); ends when ``stop()`` is true."""
    from watchfiles import watch

    for _changes in watch(inbox, yield_on_timeout=True, rust_timeout=int(tick_s * 1000),
                          stop_event=_StopFlag(stop), recursive=True):
        yield


class _StopFlag:
    """Adapts a ``stop()`` callable to the ``is_set()`` watchfiles polls."""

    def __init__(self, stop: Callable[[], bool]) -> None:
        self._stop = stop

    def is_set(self) -> bool:
        return self._stop()

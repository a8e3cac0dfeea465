"""Where clipcart's shared state lives: one SQLAlchemy URL per store.

Three stores can be shared by every host of a team: the publish ledger (``ledger``), the
review book (``review``) and the inbox registry (``inbox``). Each is found, first match
wins, from the URL passed in (a CLI option or flow parameter), ``CLIPCART_<STORE>_URL``,
``CLIPCART_DATABASE_URL`` (one database for all three: their tables do not collide), or
a SQLite file under CLIPCART_HOME (one host). PostgreSQL needs a driver:
``pip install 'clipcart[postgres]'`` and ``postgresql+psycopg://user:pw@host/db``.
"""

from __future__ import annotations

import os
from typing import Any, Literal

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine

from pipeline.core.errors import ConfigError
from pipeline.core.home import clipcart_home

Store = Literal["ledger", "review", "inbox"]
SHARED_ENV = "CLIPCART_DATABASE_URL"
"""One database URL for every store not given its own."""
SQLITE_BUSY_MS = 30000
"""How long a SQLite writer waits for another process's lock (milliseconds)."""


def store_env(store: Store) -> str:
    """The environment variable naming ``store``'s URL, e.g. ``CLIPCART_REVIEW_URL``."""
    return f"CLIPCART_{store.upper()}_URL"


def store_url(store: Store, url: str | None = None) -> str:
    """``url``, else the store's variable, else ``CLIPCART_DATABASE_URL``, else
    ``sqlite:///<CLIPCART_HOME>/<store>.db``."""
    found = url or os.environ.get(store_env(store)) or os.environ.get(SHARED_ENV)
    return found or f"sqlite:///{clipcart_home() / f'{store}.db'}"


def engine_for(url: str) -> Engine:
    """An engine on ``url``; SQLite waits on another process's lock rather than failing.
    A URL whose driver is not installed fails with what to install."""
    sqlite = url.startswith("sqlite")
    args: dict[str, Any] = {"timeout": SQLITE_BUSY_MS / 1000} if sqlite else {}
    try:
        engine = create_engine(url, connect_args=args, pool_pre_ping=not sqlite)
    except ModuleNotFoundError as exc:
        raise ConfigError(f"no database driver for {redacted(url)} ({exc})",
                          hint="For PostgreSQL: pip install 'clipcart[postgres]' and use "
                          "postgresql+psycopg://USER:PASSWORD@HOST/DB") from exc
    if sqlite:
        event.listen(engine, "connect", _busy_timeout)
    return engine


def redacted(url: str) -> str:
    """``url`` without its password, for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is shown only by its scheme
        return url.split(":", 1)[0] + ":..."


def _busy_timeout(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_MS}")
    cursor.close()

"""Counted short links: ``<base_url>/l/<code>`` answers 302 to a clip's tagged URL and
counts the click.

With ``links.base_url`` set in ``CLIPCART_HOME/publishing.yaml``::

    links:
      base_url: https://go.example.com

every clip's manifest gains ``short_links`` {platform: short URL} (and ``linkpage``,
the link-in-bio page's own), the post captions carry the short URL instead of the long
tagged one, and the codes are registered in the ledger's database. The code is a hash
of (clip id, platform), so re-making a clip gives the same links.

A click stores its time, the link's clip and platform, and the source page: the
``src`` query value if it is a short plain word, else the Referer's host and path
(never its query). No IP address or user agent string is ever stored.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from pipeline.core.errors import ConfigError
from pipeline.core.models import Frozen
from pipeline.core.stores import ClosingStore
from pipeline.ops.linkpage import page_link
from pipeline.products.links import check_link
from pipeline.publish.metric_store import create_tables, make_engine, utc
from pipeline.publish.platforms import PLATFORMS

LINKPAGE = "linkpage"
"""The short link of the link-in-bio page (its target carries utm_source=linkpage)."""
LINK_TARGETS: tuple[str, ...] = (*PLATFORMS, LINKPAGE)
CODE_CHARS = 10
"""Length of a code: 50 bits of a SHA-256, base32."""
CODE = re.compile(r"[a-z2-7]{10}")
SOURCE_WORD = re.compile(r"[A-Za-z0-9_.-]{1,40}")
MAX_SOURCE = 200


class LinkSettings(Frozen):
    """The ``links`` section of publishing.yaml."""

    base_url: str = Field(default="", description="Public URL the short-link server answers "
                                                  "at, e.g. https://go.example.com ('' = off).")

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
                raise ValueError(f"{value!r} is not an http(s) base URL "
                                 "(e.g. https://go.example.com)")
        return value


class ShortLink(Frozen):
    """One counted link: where it leads and which clip and platform it counts for."""

    code: str
    clip_id: str
    platform: str = Field(description="A publishing platform, or 'linkpage'.")
    target: str = Field(description="The tagged URL the link redirects to.")
    sku: str = ""
    template: str = ""
    variant: str = ""


class Click(Frozen):
    """One counted click: no IP address, no user agent."""

    code: str
    clip_id: str
    platform: str
    source: str = Field(description="The page the click came from ('' if unknown).")
    clicked_at: datetime


def short_code(clip_id: str, platform: str) -> str:
    """The stable code of (clip, platform)."""
    digest = hashlib.sha256(f"{clip_id}|{platform}".encode()).digest()
    return base64.b32encode(digest).decode().lower()[:CODE_CHARS]


def short_url(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/l/{code}"


def click_source(src: str, referer: str) -> str:
    """Where a click came from: a plain ``src`` word, else the Referer without its query."""
    if SOURCE_WORD.fullmatch(src):
        return src
    parts = urlsplit(referer)
    if parts.scheme in ("http", "https") and parts.hostname:
        return f"{parts.hostname}{parts.path}"[:MAX_SOURCE]
    return ""


def links_for(manifest: Mapping[str, Any], path: Path) -> list[ShortLink]:
    """The short links of the clip whose manifest (at ``path``) this is."""
    links = manifest.get("links")
    if not isinstance(links, Mapping):
        raise ConfigError(f"{path}: field 'links' is missing", hint="Re-make the clip")
    clip_id = str(manifest["clip_id"])
    facts = {key: str(manifest.get(key) or "") for key in ("sku", "template", "variant")}
    targets: dict[str, str] = {p: str(links[p]) for p in PLATFORMS if links.get(p)}
    targets[LINKPAGE] = page_link(path, links)
    return [ShortLink(code=short_code(clip_id, p), clip_id=clip_id, platform=p,
                      target=check_link(url), **facts) for p, url in targets.items()]


def with_short_links(manifest: Mapping[str, Any], links: Iterable[ShortLink], base_url: str
                     ) -> dict[str, Any]:
    """A copy of ``manifest`` with ``short_links``, and captions carrying the short URLs."""
    urls = {link.platform: short_url(base_url, link.code) for link in links}
    long_urls = manifest.get("links") or {}
    out = dict(manifest)
    out["short_links"] = urls
    captions = manifest.get("captions")
    if isinstance(captions, Mapping):
        out["captions"] = {p: _swap(str(text), long_urls.get(p), urls.get(p))
                           for p, text in captions.items()}
    if "caption_text" in manifest:
        out["caption_text"] = _swap(str(manifest["caption_text"]), long_urls.get("tiktok"),
                                    urls.get("tiktok"))
    return out


def _swap(text: str, long_url: object, short: str | None) -> str:
    return text.replace(long_url, short) if isinstance(long_url, str) and long_url and short \
        else text


class _Base(DeclarativeBase):
    pass


class LinkRow(_Base):
    __tablename__ = "short_links"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    clip_id: Mapped[str] = mapped_column(String(128))
    platform: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(Text)
    sku: Mapped[str] = mapped_column(String(128), default="")
    template: Mapped[str] = mapped_column(String(128), default="")
    variant: Mapped[str] = mapped_column(String(64), default="")


class ClickRow(_Base):
    __tablename__ = "link_clicks"
    __table_args__ = (Index("ix_click_clip", "clip_id", "platform", "clicked_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(ForeignKey("short_links.code"))
    clip_id: Mapped[str] = mapped_column(String(128))
    platform: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(MAX_SOURCE), default="")
    clicked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LinkStore(ClosingStore):
    """Short links and their clicks, in the ledger's database (or any SQLAlchemy URL)."""

    def __init__(self, url: str | None = None) -> None:
        self.engine = make_engine(url)
        create_tables(self.engine, _Base.metadata)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()


    def register(self, links: Iterable[ShortLink]) -> None:
        """Add or update links (a re-made clip keeps its codes)."""
        for link in links:
            try:
                with self._sessions.begin() as session:
                    session.merge(LinkRow(**link.model_dump()))
            except IntegrityError:  # another process added it first: same content
                continue

    def resolve(self, code: str) -> ShortLink | None:
        if not CODE.fullmatch(code):
            return None
        with self._sessions() as session:
            row = session.get(LinkRow, code)
            return ShortLink.model_validate(_columns(row)) if row else None

    def links(self) -> list[ShortLink]:
        with self._sessions() as session:
            return [ShortLink.model_validate(_columns(r)) for r in session.scalars(
                select(LinkRow).order_by(LinkRow.clip_id, LinkRow.platform))]

    def count(self, link: ShortLink, source: str, at: datetime | None = None) -> Click:
        """Store one click on ``link``."""
        click = Click(code=link.code, clip_id=link.clip_id, platform=link.platform,
                      source=source[:MAX_SOURCE], clicked_at=(at or datetime.now(UTC)))
        with self._sessions.begin() as session:
            session.add(ClickRow(**click.model_dump()))
        return click

    def clicks(self, since: datetime | None = None) -> list[Click]:
        query = select(ClickRow).order_by(ClickRow.clicked_at, ClickRow.id)
        if since is not None:
            query = query.where(ClickRow.clicked_at >= since)
        with self._sessions() as session:
            return [Click.model_validate({**_columns(r), "clicked_at": utc(r.clicked_at)})
                    for r in session.scalars(query)]


def _columns(row: Any) -> dict[str, Any]:
    return {c.name: getattr(row, c.name) for c in row.__table__.columns if c.name != "id"}


def apply_short_links(clip_dir: Path, base_url: str, ledger_url: str | None = None
                      ) -> dict[str, Any]:
    """Register the clip's short links and rewrite its manifest.json with them."""
    path = Path(clip_dir) / "manifest.json"
    manifest = json.loads(path.read_text("utf-8"))
    links = links_for(manifest, path)
    with LinkStore(ledger_url) as store:
        store.register(links)
    updated = with_short_links(manifest, links, base_url)
    if updated != manifest:
        _write_atomic(path, json.dumps(updated, ensure_ascii=False, indent=2))
    return updated


def _write_atomic(path: Path, text: str) -> None:
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".manifest-", suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(temp, path)

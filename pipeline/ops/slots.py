"""Publish slots per account: the times of day an account posts, in its own time zone.

Read from ``CLIPCART_HOME/publishing.yaml`` (or a file given with ``--config``)::

    accounts:
      default:
        timezone: America/New_York
        slots: ["09:00", "12:30", "18:00"]
      brand-b:
        timezone: Europe/Berlin
        slots: ["08:00", "19:00"]
        days: [mon, tue, wed, thu, fri]
    links:
      base_url: https://go.example.com   # optional: counted short links (ops/shortlinks.py)

An account without an entry posts in UTC at 09:00, 13:00 and 18:00 every day. A clip
with no ``publish_at`` takes the account's next slot not already taken on that platform.
The A/B variants of one product compete fairly: variant k posts at the first variant's
local time of day, k posting days later (``variant_slot``), not in the next free slot of
the same day, where a lunchtime or evening audience would decide the contest.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import Field, ValidationError, field_validator

from pipeline.core.errors import ConfigError
from pipeline.core.home import clipcart_home
from pipeline.core.models import Frozen
from pipeline.core.safe_parse import load_yaml, yaml_problem
from pipeline.ops.shortlinks import LinkSettings

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class AccountSlots(Frozen):
    """When one account posts."""

    timezone: str = Field(default="UTC", description="IANA zone name, e.g. Europe/Berlin.")
    slots: tuple[time, ...] = Field(default=(time(9), time(13), time(18)),
                                    description="Local times of day to post at.")
    days: tuple[str, ...] = Field(default=DAYS, description="Weekdays to post on (mon..sun).")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone (e.g. Europe/Berlin)") from None
        return value

    @field_validator("days")
    @classmethod
    def _days(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [d for d in value if d.lower()[:3] not in DAYS]
        if bad or not value:
            raise ValueError(f"days must be some of {', '.join(DAYS)}")
        return tuple(d.lower()[:3] for d in value)

    @property
    def zone(self) -> tzinfo:
        """The account's time zone."""
        return ZoneInfo(self.timezone)


class SlotConfig(Frozen):
    """Every account's publish slots."""

    accounts: dict[str, AccountSlots] = Field(default_factory=dict)
    links: LinkSettings = Field(default_factory=LinkSettings,
                                description="Counted short links (ops.shortlinks).")

    def for_account(self, account: str) -> AccountSlots:
        """The account's slots, or the defaults."""
        return self.accounts.get(account) or AccountSlots()


def default_config_path() -> Path:
    """``CLIPCART_HOME/publishing.yaml``."""
    return clipcart_home() / "publishing.yaml"


def load_slots(path: Path | None = None) -> SlotConfig:
    """The slot config; a missing default file means defaults for every account."""
    path = path or default_config_path()
    if not path.exists():
        if path != default_config_path():
            raise ConfigError(f"{path} not found", hint="Pass an existing publishing YAML file")
        return SlotConfig()
    try:
        data = load_yaml(path.read_text(encoding="utf-8")) or {}
        return SlotConfig.model_validate(data)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: {yaml_problem(exc)}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{path}: {where}: {first['msg']}",
                          hint="See pipeline/ops/slots.py for the layout") from None


def next_slot(slots: AccountSlots, after: datetime, taken: Iterable[datetime] = ()
              ) -> datetime:
    """The first slot strictly after ``after`` that is not taken, as an aware UTC time."""
    used = {t.astimezone(UTC) for t in taken}
    local = after.astimezone(slots.zone)
    for offset in range(366):
        day = local.date() + timedelta(days=offset)
        if DAYS[day.weekday()] not in slots.days:
            continue
        for moment in _day_slots(slots, day):
            if moment > after and moment.astimezone(UTC) not in used:
                return moment.astimezone(UTC)
    raise ConfigError("no free publish slot within a year", hint="Add slots to the account")


def _day_slots(slots: AccountSlots, day: date) -> list[datetime]:
    return sorted(datetime.combine(day, t, tzinfo=slots.zone) for t in slots.slots)


def variant_slot(slots: AccountSlots, first: datetime, k: int, taken: Iterable[datetime] = ()
                 ) -> datetime:
    """Where variant ``k`` (1 for b) of a product posts when its first variant posts at
    ``first``: the same local time of day on the k-th posting day after, or the next
    posting day where that time is free; an aware UTC time."""
    used = {t.astimezone(UTC) for t in taken}
    local = first.astimezone(slots.zone)
    day, moved = local.date(), 0
    for _ in range(366 + 7 * k):
        day += timedelta(days=1)
        if DAYS[day.weekday()] not in slots.days:
            continue
        moved += 1
        moment = datetime.combine(day, local.time(), tzinfo=slots.zone).astimezone(UTC)
        if moved >= k and moment not in used:
            return moment
    raise ConfigError("no free publish slot within a year", hint="Add slots to the account")

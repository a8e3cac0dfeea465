"""The loop's report: what each clip earned per platform, and which variant leads.

Views, likes, comments and shares are the growth of the stored snapshots
(``publish.metric_store``) over the period: the newest snapshot minus the last one
taken before ``since`` (nothing before it: the whole count). Clicks are the counted
short-link clicks (``ops.shortlinks``) in the period. CTR is clicks / views with a 95 %
Wilson score interval; engagement rate is (likes + comments + shares) / views.

A variant call compares the clips of one product on one platform: the clip with the
best CTR *leads* only when its interval's lower bound is above every other clip's
upper bound; otherwise the call is "too close". One clip alone gets no call.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from typing import Literal

from pydantic import Field

from pipeline.core.errors import ConfigError
from pipeline.core.models import Frozen
from pipeline.ops.shortlinks import Click, ShortLink
from pipeline.publish.metric_store import MetricSnapshot

Z_95 = 1.959964
"""Normal quantile of a two-sided 95 % interval."""
COUNTERS = ("views", "likes", "comments", "shares")
VariantCall = Literal["leads", "behind", "too close", ""]
"""leads / behind: the intervals allow the call; too close: they overlap; '' no rivals."""
RowKey = tuple[str, str]
"""(clip_id, platform)."""


class ReportRow(Frozen):
    """One clip on one platform over the period (accounts summed)."""

    clip_id: str
    sku: str = ""
    template: str = ""
    variant: str = ""
    platform: str
    views: int = 0
    likes: int = 0
    comments: int = 0
    shares: int = 0
    clicks: int = 0
    ctr: float | None = Field(default=None, description="clicks / views; None without views.")
    ctr_low: float | None = Field(default=None, description="95 % Wilson lower bound.")
    ctr_high: float | None = Field(default=None, description="95 % Wilson upper bound.")
    engagement_rate: float | None = Field(default=None,
                                          description="(likes+comments+shares) / views.")
    variant_call: VariantCall = ""


class SeriesPoint(Frozen):
    """One point of a chart line: a time and a running total."""

    at: datetime
    value: int


class Report(Frozen):
    """Everything ``clipcart report`` prints or draws."""

    since: datetime | None = None
    rows: list[ReportRow]
    views_over_time: dict[str, list[SeriesPoint]] = Field(
        description="'clip_id platform' → views at each stats run.")
    clicks_over_time: dict[str, list[SeriesPoint]] = Field(
        description="clip_id → running total of clicks at each click.")


def parse_since(text: str | None) -> datetime | None:
    """``--since``: an ISO date (midnight UTC) or date-time (UTC if no offset)."""
    if not text:
        return None
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(0), tzinfo=UTC)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"--since {text!r} is not a date",
                          hint="Use an ISO date such as 2026-05-01 or 2026-05-01T09:00") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def wilson(successes: int, trials: int, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion; None without trials."""
    if trials <= 0:
        return None
    k = min(max(successes, 0), trials)
    p = k / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def growth(snapshots: list[MetricSnapshot], since: datetime | None) -> dict[str, int]:
    """One post's counters over the period, from its snapshots (oldest first)."""
    before = [s for s in snapshots if since is not None and s.taken_at < since]
    base, last = (before[-1] if before else None), snapshots[-1]
    return {name: max(0, (getattr(last, name) or 0) - ((getattr(base, name) or 0) if base else 0))
            for name in COUNTERS}


def build_report(snapshots: Iterable[MetricSnapshot], clicks: Iterable[Click],
                 links: Iterable[ShortLink], since: datetime | None = None) -> Report:
    """The report over ``since`` → now; see the module docstring."""
    shots = sorted(snapshots, key=lambda s: s.taken_at)
    counted = [c for c in clicks if since is None or c.clicked_at >= since]
    rows = called(_rows(shots, counted, list(links), since))
    return Report(since=since, rows=rows, views_over_time=views_series(shots, since),
                  clicks_over_time=clicks_series(counted))


def _rows(shots: list[MetricSnapshot], clicks: list[Click], links: list[ShortLink],
          since: datetime | None) -> list[ReportRow]:
    per_post: dict[tuple[str, str, str], list[MetricSnapshot]] = defaultdict(list)
    for shot in shots:
        per_post[(shot.clip_id, shot.platform, shot.account)].append(shot)
    totals: dict[RowKey, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTERS, 0))
    facts: dict[str, dict[str, str]] = {}
    for (clip_id, platform, _), posts in per_post.items():
        for name, value in growth(posts, since).items():
            totals[(clip_id, platform)][name] += value
        last = posts[-1]
        facts[clip_id] = {"sku": last.sku, "template": last.template, "variant": last.variant}
    for link in links:
        facts.setdefault(link.clip_id, {"sku": link.sku, "template": link.template,
                                        "variant": link.variant})
    click_counts: dict[RowKey, int] = defaultdict(int)
    for click in clicks:
        click_counts[(click.clip_id, click.platform)] += 1
    keys = sorted(set(totals) | set(click_counts))
    return [row(key, totals.get(key, dict.fromkeys(COUNTERS, 0)), click_counts.get(key, 0),
                facts.get(key[0], {})) for key in keys]


def row(key: RowKey, counts: dict[str, int], clicks: int, facts: dict[str, str]) -> ReportRow:
    """One report row with its rates."""
    views = counts["views"]
    interval = wilson(clicks, views)
    engaged = counts["likes"] + counts["comments"] + counts["shares"]
    return ReportRow(
        clip_id=key[0], platform=key[1], **facts, **counts, clicks=clicks,
        ctr=round(clicks / views, 6) if views else None,
        ctr_low=round(interval[0], 6) if interval else None,
        ctr_high=round(interval[1], 6) if interval else None,
        engagement_rate=round(engaged / views, 6) if views else None,
    )


def called(rows: list[ReportRow]) -> list[ReportRow]:
    """Rows with their variant calls, clips of one product on one platform compared."""
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, r in enumerate(rows):
        if r.sku and r.views:
            groups[(r.sku, r.platform)].append(index)
    calls: dict[int, VariantCall] = {}
    for members in groups.values():
        calls.update(variant_calls([rows[i] for i in members], members))
    return [r.model_copy(update={"variant_call": calls.get(i, "")}) for i, r in enumerate(rows)]


def variant_calls(rivals: list[ReportRow], indexes: list[int]) -> dict[int, VariantCall]:
    """leads/behind when the best CTR's interval clears every other's; else too close."""
    if len(rivals) < 2:
        return {}
    best = max(range(len(rivals)), key=lambda i: rivals[i].ctr or 0.0)
    low = rivals[best].ctr_low or 0.0
    clear = all(low > (r.ctr_high or 0.0) for i, r in enumerate(rivals) if i != best)
    if not clear:
        return dict.fromkeys(indexes, "too close")
    return {index: ("leads" if i == best else "behind") for i, index in enumerate(indexes)}


def views_series(shots: list[MetricSnapshot], since: datetime | None
                 ) -> dict[str, list[SeriesPoint]]:
    """Views of each clip on each platform at each stats run in the period."""
    at_time: dict[str, dict[datetime, int]] = defaultdict(lambda: defaultdict(int))
    for shot in shots:
        if since is None or shot.taken_at >= since:
            at_time[f"{shot.clip_id} {shot.platform}"][shot.taken_at] += shot.views
    return {name: [SeriesPoint(at=t, value=v) for t, v in sorted(points.items())]
            for name, points in sorted(at_time.items())}


def clicks_series(clicks: list[Click]) -> dict[str, list[SeriesPoint]]:
    """Running click totals of each clip, one point per click."""
    series: dict[str, list[SeriesPoint]] = defaultdict(list)
    for click in sorted(clicks, key=lambda c: c.clicked_at):
        points = series[click.clip_id]
        points.append(SeriesPoint(at=click.clicked_at, value=len(points) + 1))
    return dict(sorted(series.items()))


def report_json(report: Report) -> dict[str, object]:
    """``report --json``: {"rows": [...]} (docs/design.md's contract)."""
    return {"rows": [r.model_dump() for r in report.rows]}


def load_report(ledger_url: str | None = None, since: datetime | None = None) -> Report:
    """The report from the snapshots, links and clicks stored in the ledger's database."""
    from pipeline.ops.shortlinks import LinkStore
    from pipeline.publish.metric_store import MetricStore

    with MetricStore(ledger_url) as metrics, LinkStore(ledger_url) as links:
        return build_report(metrics.snapshots(), links.clicks(since), links.links(), since)

"""The report's arithmetic: growth since a date, Wilson intervals, variant calls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pipeline.ops.report import build_report, parse_since, wilson
from pipeline.ops.shortlinks import Click, click_source
from pipeline.publish.metric_store import MetricSnapshot

T0 = datetime(2026, 5, 1, tzinfo=UTC)


def shot(clip: str, views: int, day: int, variant: str = "a") -> MetricSnapshot:
    return MetricSnapshot(clip_id=clip, platform="tiktok", account="default", post_id=clip,
                          taken_at=T0 + timedelta(days=day), views=views, likes=views // 10,
                          comments=1, shares=None, sku="S1", template="bold", variant=variant)


def clicks(clip: str, n: int, day: int = 0) -> list[Click]:
    return [Click(code="x", clip_id=clip, platform="tiktok", source="",
                  clicked_at=T0 + timedelta(days=day, minutes=i)) for i in range(n)]


def test_wilson_matches_the_textbook_figures() -> None:
    low, high = wilson(10, 100)  # type: ignore[misc]
    assert low == pytest.approx(0.0552, abs=1e-4) and high == pytest.approx(0.1744, abs=1e-4)
    assert wilson(0, 0) is None
    assert wilson(0, 50)[0] == 0.0  # type: ignore[index]


def test_growth_since_a_date_subtracts_the_earlier_snapshot() -> None:
    report = build_report([shot("c1", 100, 0), shot("c1", 400, 2)], clicks("c1", 3, 1),
                          [], since=T0 + timedelta(days=1))
    (row,) = report.rows
    assert row.views == 300 and row.clicks == 3 and row.ctr == pytest.approx(0.01)
    assert row.shares == 0 and row.engagement_rate == pytest.approx((30 + 0) / 300)


def test_variant_call_needs_separated_intervals() -> None:
    clear = build_report([shot("a", 5000, 0, "a"), shot("b", 5000, 0, "b")],
                         clicks("a", 150) + clicks("b", 20), [])
    assert {r.variant: r.variant_call for r in clear.rows} == {"a": "leads", "b": "behind"}
    close = build_report([shot("a", 500, 0, "a"), shot("b", 500, 0, "b")],
                         clicks("a", 6) + clicks("b", 4), [])
    assert {r.variant_call for r in close.rows} == {"too close"}
    alone = build_report([shot("a", 500, 0)], clicks("a", 6), [])
    assert alone.rows[0].variant_call == ""


def test_since_and_sources() -> None:
    assert parse_since("2026-05-01") == T0
    assert parse_since("2026-05-01T02:00+02:00") == T0
    assert click_source("bio", "") == "bio"
    assert click_source("<script>", "https://a.test/page?token=1") == "a.test/page"
    assert click_source("", "javascript:alert(1)") == ""

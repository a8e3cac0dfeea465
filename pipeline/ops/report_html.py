"""The report as one self-contained HTML file: headline figures, charts, then the table.

Charts are inline SVG drawn here (no scripts, no external files, so it opens anywhere
and passes a strict Content-Security-Policy): views over time per clip and platform,
clicks over time per clip, and the clips of each product side by side by CTR with
their 95 % intervals. Every string from a manifest or catalog is escaped.
"""

from __future__ import annotations

import html
import os
import tempfile
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

from pipeline.core.errors import ConfigError
from pipeline.ops.report import Report, ReportRow, SeriesPoint

PALETTE = ("#e4572e", "#17bebb", "#ffc914", "#2e282a", "#76b041", "#7d5ba6", "#3c91e6",
           "#f08cae")
WIDTH, HEIGHT, PAD = 640, 240, 44
MAX_LINES = 8
"""Lines per time chart (the largest by final value); more would be unreadable."""
MAX_DOTS = 40
"""A line with more points than this is drawn without a dot per point."""


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def percent(value: float | None, digits: int = 2) -> str:
    return "&ndash;" if value is None else f"{value * 100:.{digits}f} %"


def time_chart(title: str, series: dict[str, list[SeriesPoint]], unit: str) -> str:
    """A line chart of running totals over time, one coloured line per series."""
    chosen = sorted(series.items(), key=lambda kv: -kv[1][-1].value)[:MAX_LINES]
    if not chosen:
        return _figure(title, f'<text x="{PAD}" y="{HEIGHT // 2}">no {unit} yet</text>', "")
    times = [p.at for _, pts in chosen for p in pts]
    t0, t1 = min(times), max(times)
    top = max(p.value for _, pts in chosen for p in pts) or 1
    lines, legend = [], []
    for index, (name, points) in enumerate(chosen):
        colour = PALETTE[index % len(PALETTE)]
        xy = " ".join(f"{_x(p.at, t0, t1):.1f},{_y(p.value, top):.1f}" for p in points)
        dots = points if len(points) <= MAX_DOTS else []
        lines.append(f'<polyline points="{xy}" fill="none" stroke="{colour}" stroke-width="2.5"/>'
                     + "".join(f'<circle cx="{_x(p.at, t0, t1):.1f}" cy="{_y(p.value, top):.1f}"'
                               f' r="3" fill="{colour}"/>' for p in dots))
        legend.append(f'<li><span class="key" style="background:{colour}"></span>'
                      f'{esc(name)}: {points[-1].value:,} {unit}</li>')
    axes = _axes(top, t0, t1)
    return _figure(title, axes + "".join(lines), f'<ul class="legend">{"".join(legend)}</ul>')


def _x(at: datetime, t0: datetime, t1: datetime) -> float:
    span = (t1 - t0).total_seconds() or 1.0
    return PAD + (WIDTH - 2 * PAD) * (at - t0).total_seconds() / span


def _y(value: float, top: float) -> float:
    return HEIGHT - PAD + (2 * PAD - HEIGHT) * value / top


def _axes(top: int, t0: datetime, t1: datetime) -> str:
    base = HEIGHT - PAD
    return (f'<line x1="{PAD}" y1="{base}" x2="{WIDTH - PAD}" y2="{base}" class="axis"/>'
            f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{base}" class="axis"/>'
            f'<text x="{PAD - 6}" y="{PAD + 4}" text-anchor="end">{top:,}</text>'
            f'<text x="{PAD - 6}" y="{base + 4}" text-anchor="end">0</text>'
            f'<text x="{PAD}" y="{base + 18}">{t0:%d %b %H:%M}</text>'
            f'<text x="{WIDTH - PAD}" y="{base + 18}" text-anchor="end">{t1:%d %b %H:%M}</text>')


def variants_chart(rows: list[ReportRow]) -> str:
    """Clips of each product on each platform side by side: CTR bars with interval whiskers."""
    groups: dict[tuple[str, str], list[ReportRow]] = defaultdict(list)
    for r in rows:
        if r.views:
            groups[(r.sku or r.clip_id, r.platform)].append(r)
    if not groups:
        return _figure("Variants side by side", f'<text x="{PAD}" y="40">no views yet</text>', "")
    bars: list[str] = []
    top = max((r.ctr_high or 0.0) for members in groups.values() for r in members) or 0.01
    y = 24
    for (sku, platform), members in sorted(groups.items()):
        bars.append(f'<text x="8" y="{y}" class="group">{esc(sku)} · {esc(platform)}</text>')
        y += 8
        for index, r in enumerate(sorted(members, key=lambda m: -(m.ctr or 0.0))):
            bars.append(_bar(r, y, top, PALETTE[index % len(PALETTE)]))
            y += 26
        y += 14
    body = "".join(bars)
    return _figure("Variants side by side (click-through rate, 95 % interval)", body, "",
                   height=y)


def _bar(r: ReportRow, y: int, top: float, colour: str) -> str:
    left, span = 180, WIDTH - 330
    width = span * (r.ctr or 0.0) / top
    lo, hi = left + span * (r.ctr_low or 0.0) / top, left + span * (r.ctr_high or 0.0) / top
    label = r.variant or r.clip_id[:10]
    call = f" — {r.variant_call}" if r.variant_call else ""
    return (f'<text x="16" y="{y + 14}">{esc(label)} ({esc(r.template)})</text>'
            f'<rect x="{left}" y="{y}" width="{width:.1f}" height="18" rx="3" fill="{colour}"/>'
            f'<line x1="{lo:.1f}" y1="{y + 9}" x2="{hi:.1f}" y2="{y + 9}" class="whisker"/>'
            f'<line x1="{lo:.1f}" y1="{y + 3}" x2="{lo:.1f}" y2="{y + 15}" class="whisker"/>'
            f'<line x1="{hi:.1f}" y1="{y + 3}" x2="{hi:.1f}" y2="{y + 15}" class="whisker"/>'
            f'<text x="{min(hi, left + span) + 6:.1f}" y="{y + 14}">{percent(r.ctr)}'
            f'{esc(call)}</text>')


def _figure(title: str, svg_body: str, after: str, height: int = HEIGHT) -> str:
    return (f'<figure><figcaption>{esc(title)}</figcaption>'
            f'<svg viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
            f'role="img" aria-label="{esc(title)}">{svg_body}</svg>{after}</figure>')


def headline(report: Report) -> str:
    """The three numbers a person looks for first."""
    views = sum(r.views for r in report.rows)
    clicks = sum(r.clicks for r in report.rows)
    ctr = clicks / views if views else None
    tiles = [("views", f"{views:,}"), ("clicks", f"{clicks:,}"), ("click-through", percent(ctr))]
    return '<section class="tiles">' + "".join(
        f'<div class="tile"><b>{value}</b><span>{name}</span></div>' for name, value in tiles
    ) + "</section>"


def interval(r: ReportRow) -> str:
    if r.ctr_low is None:
        return "&ndash;"
    return f"{percent(r.ctr_low)} &ndash; {percent(r.ctr_high)}"


def table(rows: list[ReportRow]) -> str:
    head = ("clip", "product", "template", "variant", "platform", "views", "engagement",
            "clicks", "CTR", "95 % interval", "call")
    body = "".join(
        "<tr>" + "".join(f"<td>{cell}</td>" for cell in (
            esc(r.clip_id[:12]), esc(r.sku), esc(r.template), esc(r.variant), esc(r.platform),
            f"{r.views:,}", percent(r.engagement_rate, 1), f"{r.clicks:,}", percent(r.ctr),
            interval(r),
            esc(r.variant_call))) + "</tr>" for r in rows)
    return (f'<table><thead><tr>{"".join(f"<th>{h}</th>" for h in head)}</tr></thead>'
            f"<tbody>{body}</tbody></table>")


STYLE = """
body{font:15px/1.4 system-ui,sans-serif;margin:24px auto;max-width:1000px;color:#2e282a;
background:#faf7f2;padding:0 16px}
h1{font-size:26px;margin:0 0 4px}.sub{color:#6b6466;margin:0 0 18px}
.tiles{display:flex;gap:12px;margin-bottom:18px}.tile{background:#fff;border-radius:10px;
padding:12px 18px;box-shadow:0 1px 3px #0002;min-width:140px}.tile b{display:block;font-size:28px}
.tile span{color:#6b6466}.charts{display:flex;flex-wrap:wrap;gap:16px}
figure{background:#fff;border-radius:10px;padding:12px;margin:0;box-shadow:0 1px 3px #0002}
figcaption{font-weight:600;margin-bottom:6px}svg text{font-size:11px;fill:#444}
svg text.group{font-weight:700;font-size:12px}.axis{stroke:#999}.whisker{stroke:#2e282a;
stroke-width:1.5}.legend{list-style:none;padding:0;margin:6px 0 0;font-size:13px}
.key{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px}
table{border-collapse:collapse;width:100%;margin-top:18px;background:#fff;font-size:13px}
th,td{padding:6px 8px;border-bottom:1px solid #eee;text-align:left}th{background:#f1ece4}
"""


def render_report(report: Report, generated: datetime) -> str:
    """The whole HTML document."""
    period = f"since {report.since:%Y-%m-%d %H:%M} UTC" if report.since else "all time"
    charts = "".join([
        time_chart("Views over time", report.views_over_time, "views"),
        time_chart("Clicks over time", report.clicks_over_time, "clicks"),
        variants_chart(report.rows),
    ])
    csp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>clipcart report</title><style>{STYLE}</style></head><body>"
            f"<h1>What the clips earned</h1><p class=\"sub\">{esc(period)} · generated "
            f"{generated:%Y-%m-%d %H:%M} UTC · {len(report.rows)} clip &times; platform rows</p>"
            f'{headline(report)}<section class="charts">{charts}</section>'
            f"{table(report.rows)}</body></html>")


def write_report_html(report: Report, path: Path, generated: datetime | None = None) -> Path:
    """Write the HTML report to ``path`` (atomically); returns the path."""
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"--html {path} is a folder", hint="Give a file name, e.g. report.html")
    if not path.parent.is_dir():
        raise ConfigError(f"--html {path}: folder {path.parent} does not exist",
                          hint="Create the folder or pick another path")
    text = render_report(report, generated or datetime.now(UTC))
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".report-", suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(temp, path)
    return path

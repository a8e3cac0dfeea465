"""The collect-stats flow: store every post's counters, then publish the report as artifacts.

Served hourly by ``clipcart serve``. The HTML report is written to
``CLIPCART_HOME/reports/report.html``; the Prefect UI gets the report's rows as a table
artifact, the variant calls as markdown, and a link artifact to the HTML file (the UI
does not render arbitrary HTML or SVG).
"""

from __future__ import annotations

from prefect import flow, task
from prefect.artifacts import (
    create_link_artifact,
    create_markdown_artifact,
    create_table_artifact,
)
from prefect.cache_policies import NO_CACHE

from flows.markdown import md_text
from flows.produce import retry_transient
from flows.secrets import prefect_secrets
from pipeline.core.home import home_subdir
from pipeline.ops.report import Report, load_report
from pipeline.ops.report_html import write_report_html
from pipeline.publish.metrics import StatsRun, collect_stats

STATS_EVERY_S = 3600


@task(name="collect-stats", cache_policy=NO_CACHE, persist_result=False, retries=2,
      retry_delay_seconds=30, retry_condition_fn=retry_transient)
def read_counters(ledger: str | None, sandbox: str | None) -> StatsRun:
    """One snapshot of every published post (snapshots are only added, so a retry is safe)."""
    with prefect_secrets():
        return collect_stats(ledger_url=ledger, sandbox_url=sandbox)


def publish_report(report: Report) -> str:
    """Write the HTML report and record it, its rows and its calls as Prefect artifacts."""
    page = write_report_html(report, home_subdir("reports") / "report.html")
    create_link_artifact(key="clip-report-html", link=page.as_uri(),
                         link_text="clipcart report (HTML)",
                         description="Views, clicks and variants, with charts")
    rows = [r.model_dump(include={"clip_id", "sku", "variant", "platform", "views", "clicks",
                                  "ctr", "ctr_low", "ctr_high", "variant_call"})
            for r in report.rows]
    if rows:
        create_table_artifact(rows, key="clip-report", description="Per clip and platform")
    calls = [f"- **{md_text(r.sku)}** on {r.platform}: variant "
             f"{md_text(r.variant or r.clip_id)} {r.variant_call}"
             for r in report.rows if r.variant_call in ("leads",)]
    create_markdown_artifact("\n".join(calls) or "No variant leads yet: too little data.",
                             key="variant-calls", description="Which variant leads")
    return str(page)


@flow(name="collect-stats")
def collect_stats_flow(ledger: str | None = None, sandbox: str | None = None) -> int:
    """Store a snapshot of every published post's counters and refresh the report.

    Args:
        ledger: SQLAlchemy URL of the publish ledger (default: CLIPCART_HOME/ledger.db).
        sandbox: Read the counters from this sandbox platform URL instead.
    """
    run = read_counters(ledger, sandbox)
    publish_report(load_report(ledger))
    return len(run.snapshots)

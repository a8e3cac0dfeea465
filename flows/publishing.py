"""The publish-due flow: post every scheduled clip whose slot has come, exactly once."""

from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from flows.produce import retry_transient
from flows.secrets import prefect_secrets
from pipeline.publish import PublishRecord, publish_due


@task(name="publish-due", cache_policy=NO_CACHE, persist_result=False, retries=2,
      retry_delay_seconds=10, retry_condition_fn=retry_transient)
def post_due(ledger: str | None, sandbox: str | None) -> list[PublishRecord]:
    """One pass over the ledger (the ledger makes a retry safe: nothing posts twice)."""
    with prefect_secrets():
        return publish_due(ledger_url=ledger, sandbox_url=sandbox)


@flow(name="publish-due", task_runner=ThreadPoolTaskRunner(max_workers=1))
def publish_due_flow(ledger: str | None = None, sandbox: str | None = None
                     ) -> list[PublishRecord]:
    """Post every scheduled clip whose slot has come, and record a table of the outcomes.

    Args:
        ledger: SQLAlchemy URL of the publish ledger (default: CLIPCART_HOME/ledger.db).
        sandbox: Post to this sandbox platform URL instead of the real platforms.
    """
    records = post_due(ledger, sandbox)
    get_run_logger().info("%d post(s) due: %s", len(records),
                          ", ".join(f"{r.clip_id} {r.platform} {r.state}" for r in records)
                          or "nothing")
    if records:
        create_table_artifact([{"clip": r.clip_id, "platform": r.platform,
                                "account": r.account, "state": r.state,
                                "post": r.post_id, "reason": r.reason} for r in records],
                              key="published-now", description="Posts made by this run")
    return records

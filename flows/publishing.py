"""The publish_due flow: post every scheduled clip whose slot has come, exactly once."""

from __future__ import annotations

from prefect import flow, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner
from pydantic import BaseModel, Field

import flows.secrets  # noqa: F401  (credentials also from Prefect Secret blocks)
from flows.produce import retry_transient
from pipeline.publish import PublishRecord, publish_due


class PublishDueParams(BaseModel):
    """Where the ledger is and (for tests and demos) a sandbox to post to."""

    ledger_url: str | None = Field(default=None, description="SQLAlchemy URL of the ledger.")
    sandbox_url: str | None = Field(default=None, description="Post to this sandbox instead.")


@task(name="publish-due", cache_policy=NO_CACHE, persist_result=False, retries=2,
      retry_delay_seconds=10, retry_condition_fn=retry_transient)
def post_due(params: PublishDueParams) -> list[PublishRecord]:
    """One pass over the ledger (the ledger makes a retry safe: nothing posts twice)."""
    return publish_due(ledger_url=params.ledger_url, sandbox_url=params.sandbox_url)


@flow(name="publish_due", task_runner=ThreadPoolTaskRunner(max_workers=1))
def publish_due_flow(params: PublishDueParams | None = None) -> list[PublishRecord]:
    """Post what is due and record a table of the outcomes."""
    records = post_due(params or PublishDueParams())
    if records:
        create_table_artifact([{"clip": r.clip_id, "platform": r.platform,
                                "account": r.account, "state": r.state,
                                "post": r.post_id, "reason": r.reason} for r in records],
                              key="published-now", description="Posts made by this run")
    return records

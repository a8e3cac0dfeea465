"""Review: clips wait for approval before publishing.

``hold_for_review`` writes the clip into the review book (with the flow run asking);
``wait_for_reviews`` waits once per pending clip for a typed input (``ReviewDecision``)
that the Prefect UI shows as a form. ``clipcart approve CLIP_ID`` decides from the
command line and resumes the run if it waits on that clip.

A deployment's run *suspends* (``suspend_flow_run``): its process exits and, once
resumed, the run is scheduled again and runs from the top (made clips are found, decided
clips keep their decision), so a wait of hours survives a restart of ``clipcart serve``.
A run with no deployment (``clipcart batch`` in-process) cannot be rescheduled, so it
pauses in place (``pause_flow_run``).
"""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

from prefect.context import FlowRunContext
from prefect.exceptions import FlowPauseTimeout
from prefect.flow_runs import pause_flow_run, suspend_flow_run
from prefect.input import RunInput

from pipeline.ops.release import decide
from pipeline.ops.review import ReviewBook, ReviewRecord, Target


class ReviewDecision(RunInput):
    """The reviewer's answer for one clip."""

    approved: bool = False
    note: str = ""


def pause_key(clip_id: str) -> str:
    """The pause a flow run waits on for ``clip_id`` (one per clip)."""
    return f"review-{clip_id}"


def hold_for_review(clip_id: str, clip_dir: Path, targets: tuple[Target, ...],
                    review_url: str | None = None) -> ReviewRecord:
    """Put the clip in the review book, noting the flow run (if any) that waits on it."""
    ctx = FlowRunContext.get()
    run_id = str(ctx.flow_run.id) if ctx and ctx.flow_run else ""
    with ReviewBook(review_url) as book:
        return book.request(clip_id, clip_dir, targets, flow_run_id=run_id)


def wait_for_reviews(clip_ids: list[str], ledger_url: str | None, timeout_s: int,
                     review_url: str | None = None) -> dict[str, str]:
    """Pause for each clip still pending; apply each decision. Returns clip id → outcome."""
    outcomes: dict[str, str] = {}
    for clip_id in clip_ids:
        record = _current(clip_id, review_url)
        if record is not None and record.state == "pending":
            description = (f"Approve clip {clip_id} ({record.clip_dir}) for "
                           f"{', '.join(t.platform for t in record.targets)}?")
            try:
                answer = _wait(ReviewDecision.with_initial_data(description=description),
                               timeout_s, pause_key(clip_id))
            except FlowPauseTimeout:  # still pending: `clipcart approve` can decide later
                outcomes[clip_id] = "awaiting review (timed out waiting)"
                continue
            if answer is None:  # resumed without the form: still undecided
                outcomes[clip_id] = "awaiting review"
                continue
            record, _ = decide(clip_id, answer.approved, answer.note, ledger_url=ledger_url,
                               review_url=review_url)
        if record is not None:
            outcomes[clip_id] = record.state
    return outcomes


def _wait(form: type[ReviewDecision], timeout_s: int, key: str) -> ReviewDecision | None:
    ctx = FlowRunContext.get()
    if ctx and ctx.flow_run and ctx.flow_run.deployment_id:
        # exits this process (Pause) until resumed; returns the answer on the re-run
        answer = suspend_flow_run(wait_for_input=form, timeout=timeout_s, key=key)
    else:
        answer = pause_flow_run(wait_for_input=form, timeout=timeout_s, poll_interval=2,
                                key=key)
    return answer


def _current(clip_id: str, review_url: str | None) -> ReviewRecord | None:
    with ReviewBook(review_url) as book:
        return book.get(clip_id)


def resume_if_waiting(record: ReviewRecord) -> bool:
    """Resume the flow run paused on this clip with the recorded decision, if one waits."""
    if not record.flow_run_id:
        return False
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        run = client.read_flow_run(UUID(record.flow_run_id))
        state = run.state
        if state is None or not state.is_paused():
            return False
        if state.state_details.pause_key != pause_key(record.clip_id):
            return False
        client.resume_flow_run(run.id, run_input={"approved": record.state == "approved",
                                                  "note": record.note})
    return True

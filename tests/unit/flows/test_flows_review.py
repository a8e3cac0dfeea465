"""Review: a flow run pauses with a typed input per clip; `approve` resumes it."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.media.samples import make_scene
from pipeline.ops.review import ReviewBook, Target

pytestmark = pytest.mark.slow


def test_a_paused_run_resumes_on_cli_approval(tmp_path: Path) -> None:
    from prefect import flow

    from flows.review import hold_for_review, resume_if_waiting, wait_for_reviews
    from pipeline.ops.release import decide

    clip = tmp_path / "clip-r1"
    clip.mkdir()
    make_scene(clip / "clip.mp4", seconds=2, size="320x240", plain=True)
    (clip / "manifest.json").write_text(json.dumps(
        {"clip_id": "clip-r1", "caption_text": "Review me", "sku": "S"}), "utf-8")
    ledger = f"sqlite:///{tmp_path / 'ledger.db'}"
    target = Target(platform="tiktok", at=datetime(2030, 1, 1, tzinfo=UTC))

    @flow
    def campaign() -> dict[str, str]:
        hold_for_review("clip-r1", clip, (target,))
        return wait_for_reviews(["clip-r1"], ledger, timeout_s=300)

    def approve_when_paused() -> None:
        for _ in range(300):
            book = ReviewBook()
            record = book.get("clip-r1")
            book.close()
            if record and record.flow_run_id:
                approved, posts = decide("clip-r1", True, "ok", ledger_url=ledger)
                assert [p.state for p in posts] == ["scheduled"]
                while not resume_if_waiting(approved):
                    time.sleep(0.5)
                return
            time.sleep(0.5)

    helper = threading.Thread(target=approve_when_paused, daemon=True)
    helper.start()
    assert campaign() == {"clip-r1": "approved"}
    helper.join(timeout=30)
    book = ReviewBook()
    assert book.get("clip-r1").state == "approved"  # type: ignore[union-attr]
    book.close()

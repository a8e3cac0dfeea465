"""The batch flow end to end: 3 rows make 3 clips, a re-run makes none; review.
(Dask fan-out: tests/e2e/test_dask_cluster.py, with the cluster in separate processes.)"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pipeline.media.samples import CATALOG_CSV, make_scene

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three 6 s 640x360 scenes (make_scene, plain) beside a catalog and a manifest."""
    folder = tmp_path_factory.mktemp("campaign")
    shutil.copy(CATALOG_CSV, folder / "catalog.csv")
    shutil.copy(CATALOG_CSV.parent / "product.png", folder / "product.png")
    for n, x in enumerate((0.3, 0.5, 0.7)):
        make_scene(folder / f"s{n}.mp4", seconds=6, size="640x360", plain=True, subject_x=x)
    (folder / "manifest.csv").write_text(
        "footage,sku,template,platforms,publish_at,review,variants,vary\n"
        "s0.mp4,TRAIL-BOTTLE-24,bold,tiktok,2030-01-01T10:00Z,,2,music\n"
        "s1.mp4,TRAIL-MUG-12,minimal,,,,,\n"
        "s2.mp4,TRAIL-BOTTLE-24,luxe,youtube,,yes,,\n", "utf-8")
    return folder


def test_three_rows_make_three_clips_and_a_rerun_makes_none(
        campaign: Path, tmp_path: Path) -> None:
    from flows.batch import BatchParams, run_batch
    from pipeline.ops.release import FAR_FUTURE, decide
    from pipeline.ops.review import ReviewBook
    from pipeline.publish.ledger import Ledger

    ledger = f"sqlite:///{tmp_path / 'ledger.db'}"
    params = BatchParams(manifest=campaign / "manifest.csv", out_dir=tmp_path / "out",
                         catalog=campaign / "catalog.csv", workers=2, ledger=ledger)
    first = run_batch(params)
    assert [(r.status, r.variant) for r in first] == [("made", "a"), ("made", "b"),
                                                      ("made", ""), ("made", "")]
    assert all((tmp_path / "out" / r.clip_id / "clip.mp4").is_file() for r in first)
    assert "data:image/jpeg;base64," in _artifact("batch-thumbnails", first[3].clip_id)
    assert held_row(_artifact("batch-summary", first[3].clip_id))
    held = first[3]
    assert held.publishing == "awaiting review"
    variant_b = json.loads((tmp_path / "out" / first[1].clip_id / "manifest.json").read_text())
    assert variant_b["variant_of"] == {"sku": "TRAIL-BOTTLE-24", "axis": "music",
                                       "value": "chill"}
    assert first[1].clip_id != first[0].clip_id and "utm_content=" + first[1].clip_id in \
        variant_b["links"]["tiktok"]
    # both variants asked for 10:00 on the 1st: b posts at 10:00 a day later, not on top
    assert [r.publishing for r in first[:2]] == ["tiktok 2030-01-01 10:00Z",
                                                 "tiktok 2030-01-02 10:00Z"]

    again = run_batch(params)
    assert [r.status for r in again] == ["existing"] * 4
    assert [r.clip_id for r in again] == [r.clip_id for r in first]

    book = ReviewBook()
    assert [r.clip_id for r in book.pending()] == [held.clip_id]
    book.close()
    _, posts = decide(held.clip_id, True, "looks good", ledger_url=ledger)
    assert [(p.platform, p.state) for p in posts] == [("youtube", "scheduled")]
    rows = Ledger(ledger).due(FAR_FUTURE)
    assert sorted(r.clip_id for r in rows) == sorted([first[0].clip_id, first[1].clip_id,
                                                      held.clip_id])


def _artifact(key: str, clip_id: str) -> str:
    """The newest ``key`` artifact that names ``clip_id``: every test process shares the
    session's Prefect server, and batches in other tests make these artifacts too."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])),
            sort=ArtifactSort.CREATED_DESC)
    return next(str(a.data) for a in found if clip_id in str(a.data))


def held_row(table: str) -> bool:
    return "awaiting review" in table


def test_a_batch_whose_rows_all_fail_ends_failed(
        campaign: Path, tmp_path: Path) -> None:
    from flows.batch import BatchParams, batch, run_batch

    (campaign / "junk.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 99)
    (campaign / "bad.csv").write_text("footage,sku\njunk.mp4,TRAIL-MUG-12\n", "utf-8")
    params = BatchParams(manifest=campaign / "bad.csv", out_dir=tmp_path / "out",
                         catalog=campaign / "catalog.csv", workers=1)
    state = batch(**params.model_dump(), return_state=True)
    assert state.is_failed() and "all 1 row(s) failed" in str(state.message)
    assert [r.status for r in run_batch(params)] == ["failed"]  # the CLI still gets the rows


def test_a_rows_platforms_decide_the_area_its_overlays_keep_to(tmp_path: Path) -> None:
    """A row posting only to YouTube is placed in YouTube's area; a row for every platform
    (or none) keeps the default, so its clip id is what it was."""
    from flows.batch import item_settings
    from pipeline.ops.batch import BatchItem
    from pipeline.plan import Settings

    def row(platforms: tuple[str, ...], layout: str = "") -> BatchItem:
        return BatchItem(row="row 2", footage=tmp_path / "a.mp4", sku="SKU-1",
                         catalog=CATALOG_CSV, platforms=platforms, layout=layout)

    base = Settings(layout="crop")
    assert item_settings(row(("youtube",)), base).platforms == ("youtube",)
    assert item_settings(row(("tiktok", "instagram")), base) == base
    assert item_settings(row((), "fit"), base) == Settings(layout="fit")

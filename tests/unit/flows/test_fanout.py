"""What a batch sends to a Dask worker pickles by value and by reference, with no Prefect
object, lock or client inside (the cluster test runs it for real)."""

from __future__ import annotations

import pickle
from pathlib import Path

from flows.batch import ItemResult, make_one
from flows.fanout import job_key
from pipeline.ops.batch import BatchItem
from pipeline.plan import Settings


def test_a_clip_job_pickles_and_names_a_module_level_function(tmp_path: Path) -> None:
    from flows.watch import watched

    item = BatchItem(row="row 2", footage=tmp_path / "a.mp4", sku="SKU-1",
                     catalog=tmp_path / "c.csv")
    with watched(lambda _r: None):  # the CLI's watch (a rich bar, a lock) must not travel
        fn, *args = pickle.loads(pickle.dumps((make_one, item, tmp_path, Settings(), False)))
    assert fn is make_one and args == [item, tmp_path, Settings(), False]
    result = ItemResult(row="row 2", footage="a.mp4", sku="SKU-1", status="made")
    assert pickle.loads(pickle.dumps(result)) == result


def test_the_same_job_has_the_same_key_and_another_job_another(tmp_path: Path) -> None:
    item = BatchItem(row="row 2", footage=tmp_path / "a.mp4", sku="SKU-1",
                     catalog=tmp_path / "c.csv")
    other = item.model_copy(update={"row": "row 3"})
    assert job_key(make_one, item, tmp_path) == job_key(make_one, item, tmp_path)
    assert job_key(make_one, item, tmp_path) != job_key(make_one, other, tmp_path)
    assert job_key(make_one, item, tmp_path).startswith("make_one-")

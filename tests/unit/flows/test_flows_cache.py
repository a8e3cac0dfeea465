"""Stage caching is keyed on content: a renamed copy hits, a changed byte misses."""

from __future__ import annotations

import shutil
from pathlib import Path

from flows.fingerprint import fingerprint
from pipeline.core.models import Window
from pipeline.media.probe import probe
from pipeline.media.samples import make_scene


def test_fingerprints_follow_content_not_paths(tmp_path: Path) -> None:
    from flows.produce import is_transient
    from pipeline.core.errors import FootageError, TransientPublishError

    original = make_scene(tmp_path / "a.mp4", seconds=2, size="320x240", plain=True)
    renamed = shutil.copy(original, tmp_path / "elsewhere.mp4")
    window = Window(start_ms=0, end_ms=1500)
    key = fingerprint("reframe/v1", probe(original), window)
    assert fingerprint("reframe/v1", probe(Path(renamed)), window) == key
    assert fingerprint("reframe/v1", probe(original), Window(start_ms=0, end_ms=1400)) != key
    assert fingerprint("select/v1", probe(original), window) != key

    changed = bytearray(original.read_bytes())
    changed[len(changed) // 2] ^= 0xFF  # inside the media data
    (tmp_path / "changed.mp4").write_bytes(bytes(changed))
    assert fingerprint("reframe/v1", probe(tmp_path / "changed.mp4"), window) != key

    assert is_transient(TimeoutError()) and is_transient(TransientPublishError("503"))
    assert not is_transient(FootageError("bad")) and not is_transient(ValueError("x"))


def test_analysis_fingerprint_ignores_how_long_it_took() -> None:
    import dataclasses

    import numpy as np

    from pipeline.footage.analysis import Analysis

    frame = np.zeros((4, 4), dtype=np.uint8)
    one = Analysis(duration_ms=1000, mode="sparse", scores=(), cuts=(), frames=((0, frame),),
                   seconds=1.5)
    assert fingerprint("s", one) == fingerprint("s", dataclasses.replace(one, seconds=9.0))
    other = dataclasses.replace(one, frames=((0, frame + 1),))
    assert fingerprint("s", one) != fingerprint("s", other)


def test_a_batch_item_failing_at_render_keeps_its_decided_stages(
        tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from prefect import flow

    from flows.batch import make_item
    from pipeline import produce as stages
    from pipeline.core.errors import FootageError
    from pipeline.media.samples import CATALOG_CSV
    from pipeline.ops.batch import BatchItem
    from pipeline.plan import Settings

    footage = make_scene(tmp_path / "take.mp4", seconds=4, size="320x240", plain=True,
                         speech_at_s=0.2)
    item = BatchItem(row="row 2", footage=footage, sku="TRAIL-BOTTLE-24", catalog=CATALOG_CSV)
    settings = Settings(duration_ms=5000)

    @flow
    def one() -> str:
        return make_item(item, tmp_path / "out", settings).status

    def broken_render(*_: object, **__: object) -> Path:
        raise FootageError("the render broke")

    transcribed: list[object] = []
    real_transcribe = stages.transcribe
    monkeypatch.setattr(stages, "transcribe", lambda *a: transcribed.append(a)
                        or real_transcribe(*a))
    monkeypatch.setattr(stages, "render", broken_render)
    assert one() == "failed" and len(transcribed) == 1
    monkeypatch.undo()
    monkeypatch.setattr(stages, "transcribe", lambda *a: transcribed.append(a)
                        or real_transcribe(*a))
    assert one() == "made"
    assert len(transcribed) == 1, "the re-run transcribed again: the cached stage was lost"

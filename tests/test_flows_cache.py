"""Stage caching is keyed on content: a renamed copy hits, a changed byte misses."""

from __future__ import annotations

import shutil
from pathlib import Path

from pipeline.fingerprint import fingerprint
from pipeline.media.probe import probe
from pipeline.models import Window
from pipeline.samples import make_scene


def test_fingerprints_follow_content_not_paths(tmp_path: Path) -> None:
    from flows.produce import is_transient
    from pipeline.errors import FootageError, TransientPublishError

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

    from pipeline.analysis import Analysis

    frame = np.zeros((4, 4), dtype=np.uint8)
    one = Analysis(duration_ms=1000, mode="sparse", scores=(), cuts=(), frames=((0, frame),),
                   seconds=1.5)
    assert fingerprint("s", one) == fingerprint("s", dataclasses.replace(one, seconds=9.0))
    other = dataclasses.replace(one, frames=((0, frame + 1),))
    assert fingerprint("s", one) != fingerprint("s", other)

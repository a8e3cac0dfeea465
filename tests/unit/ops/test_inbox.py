"""The watched inbox: layout, readiness (slow copies, writers), rejection, the registry;
real passes, one over a file still being written."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from pipeline.media.samples import CATALOG_CSV, make_scene
from pipeline.ops.inbox import (
    InboxRegistry,
    drop_state,
    open_for_writing,
    reject,
    scan,
    sku_for,
    still_for,
)


def test_sku_comes_from_the_folder_or_the_name() -> None:
    assert sku_for(Path("TRAIL-MUG-12/any name.mp4")) == "TRAIL-MUG-12"
    assert sku_for(Path("TRAIL-MUG-12__take3.mp4")) == "TRAIL-MUG-12"
    assert sku_for(Path("loose.mp4")) == ""
    assert sku_for(Path("a/b/c.mp4")) == ""


def test_scan_skips_hidden_rejected_and_non_video(tmp_path: Path) -> None:
    for rel in ("SKU-1/a.mp4", "SKU-1/.partial.mp4", "SKU-2__b.MOV", "_rejected/c.mp4",
                "SKU-1/notes.txt", "loose.mp4"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"x")
    assert sorted((d.path.name, d.sku) for d in scan(tmp_path)) == [
        ("SKU-2__b.MOV", "SKU-2"), ("a.mp4", "SKU-1")]


def test_a_script_beside_the_footage_goes_with_it(tmp_path: Path) -> None:
    for rel in ("SKU-1/a.mp4", "SKU-1/a.srt", "SKU-1/b.mp4", "SKU-2__c.mp4", "SKU-2__c.txt"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"x")
    scripts = {d.path.name: d.script for d in scan(tmp_path)}
    assert scripts == {"a.mp4": tmp_path / "SKU-1" / "a.srt", "b.mp4": None,
                       "SKU-2__c.mp4": tmp_path / "SKU-2__c.txt"}


def test_a_file_is_ready_only_once_unchanged_for_the_settle_time(tmp_path: Path) -> None:
    path = tmp_path / "f.mp4"
    path.write_bytes(b"x" * 10)
    now = time.time()
    assert drop_state(path, 10.0, now=now) == "settling"  # just written
    assert drop_state(path, 10.0, now=now + 11) == "ready"
    assert 10.5 < still_for(path, now + 11) < 11.5
    with path.open("ab") as fh:  # a copy that paused, then went on
        fh.write(b"more")
    assert drop_state(path, 10.0, now=time.time()) == "settling"
    (tmp_path / "empty.mp4").touch()
    assert drop_state(tmp_path / "empty.mp4", 0.0, now=now + 60) == "settling"
    assert drop_state(tmp_path / "gone.mp4", 0.0) == "gone"


def test_a_file_open_for_writing_is_never_ready(tmp_path: Path) -> None:
    path = tmp_path / "f.mp4"
    with path.open("wb") as fh:
        fh.write(b"x" * 10)
        fh.flush()
        writers = open_for_writing()
        assert path.resolve() in writers
        assert drop_state(path, 0.0, writers, now=time.time() + 3600) == "writing"
    with path.open("rb"):  # a reader is no writer
        assert path.resolve() not in open_for_writing()
    assert drop_state(path, 0.0, open_for_writing(), now=time.time() + 1) == "ready"


def test_without_proc_no_writer_is_known(tmp_path: Path) -> None:
    assert open_for_writing(tmp_path / "no-proc") == frozenset()


def test_reject_moves_aside_with_the_reason(tmp_path: Path) -> None:
    (tmp_path / "SKU").mkdir()
    bad = tmp_path / "SKU" / "x.mp4"
    bad.write_bytes(b"junk")
    moved = reject(tmp_path, bad, "not a video")
    assert not bad.exists() and moved == tmp_path / "_rejected" / "x.mp4"
    assert moved.read_bytes() == b"junk"
    assert "reason: not a video" in (tmp_path / "_rejected" / "x.mp4.error.txt").read_text()


def test_registry_remembers_across_instances(tmp_path: Path) -> None:
    first = InboxRegistry(tmp_path / "r.db")
    first.record("abc", "SKU", Path("a.mp4"), "clip1")
    first.close()
    again = InboxRegistry(tmp_path / "r.db")
    assert again.clip_for("abc", "SKU") == "clip1" and again.clip_for("abc", "OTHER") is None
    again.close()


@pytest.mark.slow
def test_a_dropped_file_becomes_one_clip_and_a_corrupt_one_is_set_aside(
        tmp_path: Path) -> None:
    from flows.inbox import watch_inbox

    inbox, out = tmp_path / "inbox", tmp_path / "out"
    (inbox / "TRAIL-MUG-12").mkdir(parents=True)
    shutil.copy(CATALOG_CSV, inbox / "catalog.csv")
    shutil.copy(CATALOG_CSV.parent / "product.png", inbox / "product.png")
    make_scene(inbox / "TRAIL-MUG-12" / "take 1.mp4", seconds=6, size="640x360", plain=True)
    (inbox / "TRAIL-BOTTLE-24__broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 99)
    # settled at once: this test is about a broken file waiting, not about settling
    params = {"inbox": inbox, "out_dir": out, "once": True, "settle_s": 0}

    waiting = {o.status for o in watch_inbox(**params, reject_after_s=3600)}
    assert waiting == {"made", "waiting"}  # the broken file is not yet set aside
    assert (inbox / "TRAIL-BOTTLE-24__broken.mp4").is_file()

    second = make_scene(tmp_path / "take 2.mp4", seconds=6, size="640x360", plain=True,
                        subject_x=0.7).read_bytes()
    copying = inbox / "TRAIL-MUG-12" / "take 2.mp4"
    with copying.open("wb") as writer:  # a copy under way: a third of the bytes so far
        writer.write(second[: len(second) // 3])
        writer.flush()
        outcomes = {Path(o.source).name: o for o in watch_inbox(**params, reject_after_s=0)}
    assert outcomes["take 2.mp4"].status == "waiting"  # never taken while open for writing
    assert outcomes["take 1.mp4"].status == "seen"
    assert outcomes["TRAIL-BOTTLE-24__broken.mp4"].status == "rejected"
    note = (inbox / "_rejected" / "TRAIL-BOTTLE-24__broken.mp4.error.txt").read_text()
    assert "reason:" in note and "broken.mp4" in note

    with copying.open("ab") as writer:
        writer.write(second[len(second) // 3:])
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:  # ready once unchanged for settle_s
        made = [o for o in watch_inbox(**params) if o.status == "made"]
        if made:
            break
    assert [Path(o.source).name for o in made] == ["take 2.mp4"]
    assert (out / made[0].clip_id / "clip.mp4").is_file()
    assert (inbox / "TRAIL-MUG-12" / "take 1.mp4").is_file()  # originals stay
    assert not (inbox / "_rejected" / "take 2.mp4").exists()

    again = watch_inbox(**params)  # a restart makes nothing twice
    assert [o.status for o in again] == ["seen", "seen"]

"""Batch manifests and watched inboxes (issue 9's `clipcart batch` and `clipcart watch`).

Written against the documented contract (docs/design.md's CLI, issue 9): all rows are
validated before any work and errors name the row; footage paths may not escape
the manifest's folder; a file still being copied into the inbox is left alone.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path

import pytest

from tests.catalogue.support import CATALOG_CSV, SKU, Untouched, cli, no_output, rejected


def _campaign(tmp_path: Path, rows: list[str]) -> Path:
    folder = tmp_path / "campaign"
    folder.mkdir(exist_ok=True)
    manifest = folder / "manifest.csv"
    manifest.write_text("footage,sku,template\n" + "".join(f"{r}\n" for r in rows), "utf-8")
    return manifest


def test_path_escaping_the_manifest_folder_is_rejected(capsys: pytest.CaptureFixture[str],
                                                       tmp_path: Path,
                                                       short_scene: Path) -> None:
    """`../../x.mp4` points outside the campaign folder: refused before any work, by row."""
    outside = tmp_path / "private.mp4"
    shutil.copy(short_scene, outside)
    inside = tmp_path / "campaign" / "take.mp4"
    inside.parent.mkdir()
    shutil.copy(short_scene, inside)
    manifest = _campaign(tmp_path, [f"take.mp4,{SKU},bold", f"../../{tmp_path.name}/private.mp4,"
                                    f"{SKU},bold"])
    guard = Untouched(tmp_path)
    result = cli(capsys, "batch", manifest, "--catalog", CATALOG_CSV, "--out", tmp_path / "out")
    rejected(result, "manifest.csv", "row 3", "footage", "outside")
    guard.check()
    no_output(tmp_path / "out")


def test_unknown_sku_in_a_row_is_rejected_before_any_work(capsys: pytest.CaptureFixture[str],
                                                          tmp_path: Path,
                                                          short_scene: Path) -> None:
    take = tmp_path / "campaign" / "take.mp4"
    take.parent.mkdir()
    shutil.copy(short_scene, take)
    manifest = _campaign(tmp_path, [f"take.mp4,{SKU},bold", "take.mp4,NOPE-1,bold"])
    result = cli(capsys, "batch", manifest, "--catalog", CATALOG_CSV, "--out", tmp_path / "out")
    rejected(result, "manifest.csv", "row 3", "NOPE-1")
    no_output(tmp_path / "out")


@pytest.mark.slow
def test_duplicate_rows_make_one_clip(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                      short_scene: Path) -> None:
    take = tmp_path / "campaign" / "take.mp4"
    take.parent.mkdir()
    shutil.copy(short_scene, take)
    manifest = _campaign(tmp_path, [f"take.mp4,{SKU},bold", f"take.mp4,{SKU},bold"])
    guard = Untouched(take.parent)
    result = cli(capsys, "batch", manifest, "--catalog", CATALOG_CSV, "--out", tmp_path / "out")
    assert result.code == 0, result.err
    assert len(list((tmp_path / "out").glob("*/clip.mp4"))) == 1
    assert "row 3" in result.out + result.err and "duplicate" in (result.out + result.err)
    guard.check()


@pytest.mark.slow
def test_file_still_being_copied_waits_until_complete(capsys: pytest.CaptureFixture[str],
                                                      tmp_path: Path, short_scene: Path) -> None:
    """The file grows for ~3 s while `watch --once` runs: it is never rejected, and if a
    clip is made it is made from the whole file (the plan's source has every byte)."""
    inbox = tmp_path / "inbox" / SKU
    inbox.mkdir(parents=True)
    data = short_scene.read_bytes()
    growing = inbox / "take.mp4"
    growing.write_bytes(data[:1000])

    def copy_slowly() -> None:
        step = len(data) // 6
        for start in range(1000, len(data), step):
            time.sleep(0.5)
            with growing.open("ab") as handle:
                handle.write(data[start:start + step])

    writer = threading.Thread(target=copy_slowly)
    writer.start()
    result = cli(capsys, "watch", tmp_path / "inbox", "--catalog", CATALOG_CSV,
                 "--out", tmp_path / "out", "--once")
    writer.join()
    assert result.code == 0, result.err
    assert growing.read_bytes() == data
    assert not (tmp_path / "inbox" / "_rejected").exists()
    for plan in (tmp_path / "out").glob("*/plan.json"):
        assert json.loads(plan.read_text("utf-8"))["source"]["size_bytes"] == len(data)

"""Batch manifests, publish slots and slot booking: fast checks, no rendering."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.core.errors import ManifestError
from pipeline.media.samples import CATALOG_CSV
from pipeline.ops.batch import read_manifest
from pipeline.ops.release import targets_for
from pipeline.ops.slots import AccountSlots, SlotConfig, next_slot, variant_slot


@pytest.fixture()
def campaign(tmp_path: Path) -> Path:
    """A folder with a catalog and three (empty, never probed here) footage files."""
    shutil.copy(CATALOG_CSV, tmp_path / "catalog.csv")
    (tmp_path / "footage").mkdir()
    for name in ("a.mp4", "b.mp4", "c.mov"):
        (tmp_path / "footage" / name).write_bytes(b"x")
    return tmp_path


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, "utf-8")
    return path


def test_csv_rows_become_items_and_globs_expand(campaign: Path) -> None:
    manifest = write(campaign, "m.csv", "footage,sku,template,platforms,publish_at,review\n"
                     "footage/*.mp4,TRAIL-BOTTLE-24,minimal,tiktok;youtube,,yes\n"
                     "footage/c.mov,TRAIL-MUG-12,,,2030-01-01T10:00+02:00,\n")
    plan = read_manifest(manifest, catalog=campaign / "catalog.csv")
    assert plan.problems == ()
    assert [(i.row, i.footage.name, i.sku) for i in plan.items] == [
        ("row 2", "a.mp4", "TRAIL-BOTTLE-24"), ("row 2", "b.mp4", "TRAIL-BOTTLE-24"),
        ("row 3", "c.mov", "TRAIL-MUG-12")]
    first, _, last = plan.items
    assert first.platforms == ("tiktok", "youtube") and first.review and first.template == "minimal"
    assert last.template == "bold" and last.platforms == ()
    assert last.publish_at == datetime(2030, 1, 1, 8, tzinfo=UTC)


def test_every_bad_row_is_named_with_its_field(campaign: Path) -> None:
    manifest = write(campaign, "m.csv", "footage,sku,template,platforms,publish_at\n"
                     "footage/a.mp4,NOPE,bold,,\n"
                     "../../etc/passwd,TRAIL-BOTTLE-24,bold,,\n"
                     "footage/none*.mp4,TRAIL-BOTTLE-24,bold,,\n"
                     "footage/a.mp4,TRAIL-BOTTLE-24,glossy,myspace,tomorrow\n"
                     "footage/b.mp4,TRAIL-BOTTLE-24,bold,tiktok,\n")
    plan = read_manifest(manifest, catalog=campaign / "catalog.csv")
    found = {(p.row, p.field) for p in plan.problems}
    assert found == {("row 2", "sku"), ("row 3", "footage"), ("row 4", "footage"),
                     ("row 5", "template"), ("row 5", "platforms"), ("row 5", "publish_at")}
    assert "outside" in str(next(p for p in plan.problems if p.row == "row 3"))
    assert [i.footage.name for i in plan.items] == ["b.mp4"]


def test_yaml_defaults_and_naive_times_in_the_account_zone(campaign: Path) -> None:
    manifest = write(campaign, "m.yaml", "defaults: {catalog: catalog.csv, account: brand-b}\n"
                     "rows:\n  - {footage: footage/a.mp4, sku: TRAIL-MUG-12,"
                     " platforms: [instagram], publish_at: '2030-06-01T09:00'}\n")
    slots = SlotConfig.model_validate({"accounts": {"brand-b": {"timezone": "Europe/Berlin"}}})
    plan = read_manifest(manifest, zone_for=lambda a: slots.for_account(a).zone)
    (item,) = plan.items
    assert item.row == "item 1" and item.account == "brand-b"
    assert item.publish_at is not None
    assert item.publish_at.astimezone(UTC) == datetime(2030, 6, 1, 7, tzinfo=UTC)


def test_a_broken_manifest_file_is_bad_input(campaign: Path) -> None:
    with pytest.raises(ManifestError, match="unknown column 'colour'"):
        read_manifest(write(campaign, "m.csv", "footage,sku,colour\na,b,c\n"))
    with pytest.raises(ManifestError, match="no rows"):
        read_manifest(write(campaign, "e.csv", "footage,sku\n"))
    plan = read_manifest(write(campaign, "n.csv", "footage,sku\nfootage/a.mp4,X\n"))
    assert [(p.row, p.field) for p in plan.problems] == [("row 2", "catalog")]


def test_next_slot_respects_zone_days_and_taken() -> None:
    berlin = AccountSlots(timezone="Europe/Berlin", slots=("09:00", "18:00"),
                          days=("mon", "tue", "wed", "thu", "fri"))
    friday_evening = datetime(2030, 3, 1, 17, 30, tzinfo=UTC)  # 18:30 in Berlin, a Friday
    monday_nine = datetime(2030, 3, 4, 8, tzinfo=UTC)
    assert next_slot(berlin, friday_evening) == monday_nine
    assert next_slot(berlin, friday_evening, [monday_nine]) == datetime(2030, 3, 4, 17,
                                                                         tzinfo=UTC)


def test_targets_book_distinct_slots_per_platform_and_keep_their_own(tmp_path: Path) -> None:
    ledger = f"sqlite:///{tmp_path / 'ledger.db'}"
    now = datetime(2030, 3, 1, 0, 0, tzinfo=UTC)
    slots = SlotConfig()
    booked: list = []
    a = targets_for("clip-a", ("tiktok", "youtube"), "default", None, slots, ledger_url=ledger,
                    now=now, booked=booked)
    b = targets_for("clip-b", ("tiktok",), "default", None, slots, ledger_url=ledger, now=now,
                    booked=booked)
    again = targets_for("clip-a", ("tiktok",), "default", None, slots, ledger_url=ledger,
                        now=now, booked=booked)
    assert [t.at.hour for t in a] == [9, 9] and b[0].at.hour == 13
    assert again[0].at == a[0].at


def test_cli_refuses_a_manifest_with_no_good_row(campaign: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from flows.cli import main

    manifest = write(campaign, "m.csv", "footage,sku\nfootage/a.mp4,NOPE\n../x.mp4,NOPE\n")
    assert main(["batch", str(manifest), "--catalog", str(campaign / "catalog.csv")]) == 2
    said = capsys.readouterr().err
    assert "row 2, sku:" in said and "row 3, footage:" in said and "Nothing was made" in said


def test_slice_rows_need_no_sku(tmp_path: Path) -> None:
    from pipeline.media.samples import CATALOG_CSV

    (tmp_path / "live.mkv").write_bytes(b"x")
    manifest = tmp_path / "m.csv"
    manifest.write_text("footage,mode,sku\nlive.mkv,slice,\nlive.mkv,slice,TRAIL-BOTTLE-24\n"
                        "live.mkv,cut,\n")
    checked = read_manifest(manifest, catalog=CATALOG_CSV)
    assert [(i.row, i.mode, i.sku) for i in checked.items] == [("row 2", "slice", "")]
    assert [(p.row, p.field) for p in checked.problems] == [("row 3", "sku"), ("row 4", "mode")]


def test_a_script_column_names_a_text_or_srt_beside_the_manifest(campaign: Path) -> None:
    write(campaign, "footage/a.txt", "This is the Trailhead bottle.")
    manifest = write(campaign, "m.csv", "footage,sku,script\n"
                     "footage/a.mp4,TRAIL-BOTTLE-24,footage/a.txt\n"
                     "footage/b.mp4,TRAIL-BOTTLE-24,\n")
    plan = read_manifest(manifest, catalog=campaign / "catalog.csv")
    assert plan.problems == ()
    assert [i.script for i in plan.items] == [(campaign / "footage" / "a.txt").resolve(), None]


def test_bad_scripts_are_row_problems_before_any_work(campaign: Path) -> None:
    write(campaign, "empty.srt", "")
    (campaign.parent / "outside.txt").write_text("Hello there.", "utf-8")
    manifest = write(campaign, "m.yaml", "- {footage: footage/a.mp4, sku: TRAIL-BOTTLE-24, "
                     "script: ../outside.txt}\n"
                     "- {footage: footage/b.mp4, sku: TRAIL-BOTTLE-24, script: gone.txt}\n"
                     "- {footage: footage/c.mov, sku: TRAIL-BOTTLE-24, script: empty.srt}\n")
    plan = read_manifest(manifest, catalog=campaign / "catalog.csv")
    assert plan.items == ()
    problems = [str(p) for p in plan.problems]
    assert problems[0].startswith("item 1, script: '../outside.txt' points outside")
    assert problems[1].startswith("item 2, script: script ") and "gone.txt: file not found" \
        in problems[1]
    assert problems[2].startswith("item 3, script: ") and "empty.srt: file is empty" in problems[2]


def test_a_variants_column_makes_one_item_per_variant(campaign: Path) -> None:
    manifest = write(campaign, "m.csv", "footage,sku,variants,vary\n"
                     "footage/a.mp4,TRAIL-BOTTLE-24,3,music;captions\n"
                     "footage/b.mp4,TRAIL-BOTTLE-24,2,\n"
                     "footage/c.mov,TRAIL-MUG-12,1,\n")
    plan = read_manifest(manifest, catalog=campaign / "catalog.csv")
    assert plan.problems == ()
    found = [(i.footage.name, i.variant.label if i.variant else "", i.variant.axis
              if i.variant else "") for i in plan.items]
    assert found == [("a.mp4", "a", "base"), ("a.mp4", "b", "music"),
                     ("a.mp4", "c", "captions"), ("b.mp4", "a", "base"),
                     ("b.mp4", "b", "window"), ("c.mov", "", "")]
    assert plan.items[1].variant is not None and plan.items[1].variant.music == "chill"
    assert all(i.template == "bold" for i in plan.items)


@pytest.mark.parametrize(("cells", "field", "said"), [
    ("lots,", "variants", "'lots' is not a number of clips"),
    ("0,", "variants", "0: between 1 and"),
    ("40,", "variants", "40: between 1 and 10"),
    ("2,colour", "vary", "'colour' is not an axis"),
    ("2,music;music", "vary", "named twice"),
    (",music", "variants", "'' is not a number of clips"),
])
def test_bad_variant_cells_are_one_problem_naming_row_and_field(
        campaign: Path, cells: str, field: str, said: str) -> None:
    manifest = write(campaign, "m.csv", "footage,sku,variants,vary\n"
                     f"footage/a.mp4,TRAIL-BOTTLE-24,{cells}\n")
    plan = read_manifest(manifest, catalog=campaign / "catalog.csv")
    assert [(p.row, p.field) for p in plan.problems] == [("row 2", field)]
    assert said in str(plan.problems[0]) and "\n" not in str(plan.problems[0])
    assert plan.items == ()


def test_a_slice_row_cannot_vary_the_window_and_keeps_its_variants_whole(
        tmp_path: Path) -> None:
    shutil.copy(CATALOG_CSV, tmp_path / "catalog.csv")
    (tmp_path / "live.mp4").write_bytes(b"x")
    bad = write(tmp_path, "m.yaml", "- {footage: live.mp4, mode: slice, variants: 2, "
                "vary: window}\n")
    problems = read_manifest(bad, catalog=tmp_path / "catalog.csv").problems
    assert [(p.field, "not offered here" in p.message) for p in problems] == [("vary", True)]
    good = write(tmp_path, "n.yaml", "- {footage: live.mp4, mode: slice, variants: 3}\n")
    (item,) = read_manifest(good, catalog=tmp_path / "catalog.csv").items
    assert item.variant is None
    assert [v.axis for v in item.slice_variants] == ["base", "template", "music"]


def test_the_cli_names_a_bad_variants_cell_and_exits_2(
        campaign: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from flows.cli import main

    manifest = write(campaign, "m.csv", "footage,sku,variants\nfootage/a.mp4,TRAIL-BOTTLE-24,x\n")
    assert main(["batch", str(manifest), "--catalog", str(campaign / "catalog.csv")]) == 2
    said = capsys.readouterr().err
    assert f"{manifest}: row 2, variants: 'x' is not a number of clips" in said


def test_variants_post_at_the_same_time_of_day_on_successive_days() -> None:
    berlin = AccountSlots(timezone="Europe/Berlin", slots=("09:00", "18:00"),
                          days=("mon", "tue", "wed", "thu", "fri"))
    thursday_nine = datetime(2030, 2, 28, 8, tzinfo=UTC)
    friday, monday = datetime(2030, 3, 1, 8, tzinfo=UTC), datetime(2030, 3, 4, 8, tzinfo=UTC)
    assert variant_slot(berlin, thursday_nine, 1) == friday
    assert variant_slot(berlin, thursday_nine, 2) == monday  # the weekend is not a posting day
    assert variant_slot(berlin, thursday_nine, 1, [friday]) == monday


def test_variant_targets_spread_over_days_instead_of_colliding(tmp_path: Path) -> None:
    ledger = f"sqlite:///{tmp_path / 'ledger.db'}"
    now = datetime(2030, 3, 1, 0, 0, tzinfo=UTC)
    slots, booked = SlotConfig(), []
    asked = datetime(2030, 3, 2, 18, tzinfo=UTC)
    a = targets_for("v-a", ("tiktok", "douyin"), "default", asked, slots, ledger_url=ledger,
                    now=now, booked=booked)
    b = targets_for("v-b", ("tiktok", "douyin"), "default", asked, slots, ledger_url=ledger,
                    now=now, booked=booked, first=a, variant_index=1)
    c = targets_for("v-c", ("tiktok",), "default", None, slots, ledger_url=ledger, now=now,
                    booked=booked, first=a, variant_index=2)
    assert [t.at for t in a] == [asked, asked]
    assert [t.at for t in b] == [datetime(2030, 3, 3, 18, tzinfo=UTC)] * 2
    assert c[0].at == datetime(2030, 3, 4, 18, tzinfo=UTC)
    again = targets_for("v-b", ("tiktok",), "default", asked, slots, ledger_url=ledger,
                        now=now, booked=booked, first=a, variant_index=1)
    assert again[0].at == b[0].at  # a re-run keeps the slot it holds


def test_a_variant_that_is_another_rows_clip_is_made_once(campaign: Path) -> None:
    manifest = write(campaign, "m.csv", "footage,sku,template,variants,vary\n"
                     "footage/a.mp4,TRAIL-BOTTLE-24,luxe,,\n"
                     "footage/a.mp4,TRAIL-BOTTLE-24,bold,2,template\n")
    plan = read_manifest(manifest, catalog=campaign / "catalog.csv")
    assert [(i.row, i.template, i.variant.label if i.variant else "") for i in plan.items] \
        == [("row 2", "luxe", ""), ("row 3", "bold", "a")]
    assert plan.notes == ("row 3 duplicates row 2 (a.mp4, TRAIL-BOTTLE-24); it is made once",)

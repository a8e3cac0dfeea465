"""make --variants N: which clips are planned and what their manifests say."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from flows.cli import main
from pipeline.core.errors import ConfigError
from pipeline.ops.variants import (
    AXES,
    Alternatives,
    VariantSpec,
    label_variant,
    load_alternatives,
    parse_axes,
    plan_variants,
)

NAMES = ["bold", "luxe", "minimal"]


def test_variants_start_with_the_asked_template_then_the_others() -> None:
    specs = plan_variants("luxe", 3, NAMES, ["template"])
    assert [(s.label, s.template) for s in specs] == [("a", "luxe"), ("b", "bold"),
                                                      ("c", "minimal")]
    assert [s.template for s in plan_variants("bold", 2, NAMES, ["template"])] == ["bold",
                                                                                 "luxe"]


@pytest.mark.parametrize("count", [0, 4, -1])
def test_impossible_counts_are_bad_input(count: int) -> None:
    with pytest.raises(ConfigError, match="between 1 and 3"):
        plan_variants("bold", count, NAMES, ["template"])


def test_cli_refuses_too_many_variants_in_one_line(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["make", str(tmp_path / "f.mp4"), "--catalog", str(tmp_path / "c.csv"),
                 "--sku", "S", "--variants", "9", "--vary", "template"])
    said = capsys.readouterr().err.strip()
    assert code == 2 and "--variants 9" in said and "\n" not in said


def test_cli_refuses_an_unknown_axis_in_one_line(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["make", str(tmp_path / "f.mp4"), "--catalog", str(tmp_path / "c.csv"),
                 "--sku", "S", "--variants", "2", "--vary", "window,colour"])
    said = capsys.readouterr().err.strip()
    assert code == 2 and "'colour' is not an axis" in said and "\n" not in said


ALTERNATIVES = Alternatives(templates=("luxe", "minimal"), moods=("chill", "energetic"),
                            captions=("luxe",), windows=2)


def test_each_variant_differs_from_a_on_one_axis_taken_in_turn() -> None:
    specs = plan_variants("bold", 7, ALTERNATIVES)
    assert [(s.label, s.axis, s.value) for s in specs] == [
        ("a", "base", ""), ("b", "window", "2"), ("c", "template", "luxe"),
        ("d", "music", "chill"), ("e", "captions", "luxe"), ("f", "window", "3"),
        ("g", "template", "minimal")]
    base = specs[0]
    assert (base.template, base.changes()) == ("bold", {"window_rank": 0, "music": "",
                                                        "captions": ""})
    assert specs[1].changes() == {"window_rank": 1, "music": "", "captions": ""}
    assert specs[1].template == specs[3].template == specs[4].template == "bold"
    assert specs[3].changes()["music"] == "chill"
    assert specs[4].changes()["captions"] == "luxe"


def test_the_order_of_axes_is_the_users() -> None:
    specs = plan_variants("bold", 4, ALTERNATIVES, parse_axes("music, captions"))
    assert [(s.axis, s.value) for s in specs] == [("base", ""), ("music", "chill"),
                                                  ("captions", "luxe"),
                                                  ("music", "energetic")]
    with pytest.raises(ConfigError, match="between 1 and 4"):
        plan_variants("bold", 5, ALTERNATIVES, ["music", "captions"])


@pytest.mark.parametrize(("text", "problem"), [("window,window", "twice"),
                                               ("card", "not an axis")])
def test_bad_axes_are_bad_input(text: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        parse_axes(text)
    with pytest.raises(ConfigError, match="not offered here"):
        parse_axes("window", allowed=("template", "music"))
    assert parse_axes("") == ("window", "template", "music", "captions")


def test_alternatives_keep_to_the_language_and_put_contrast_first() -> None:
    found = load_alternatives("bold")
    assert found.templates == ("luxe", "minimal")  # guochao is Chinese: not a variant here
    assert found.moods[0] == "chill" and "upbeat" not in found.moods
    assert "guochao" not in found.captions and found.captions
    assert load_alternatives("guochao").templates == ()


def test_a_variant_setting_changes_the_clip_id_only_when_set() -> None:
    from pipeline.plan import Settings, _settings_identity

    assert _settings_identity(Settings()) == _settings_identity(
        Settings(window_rank=0, music="", captions=""))
    assert "music" in _settings_identity(Settings(music="chill"))


def test_styled_template_takes_the_variant_mood_and_caption_style() -> None:
    from pipeline.brand.templates import load_template
    from pipeline.plan import Settings, styled

    bold, luxe = load_template("bold"), load_template("luxe")
    assert styled(bold, Settings()) is bold
    changed = styled(bold, Settings(music="chill", captions="luxe"))
    assert changed.music.mood == "chill" and changed.caption == luxe.caption
    assert changed.card == bold.card and changed.name == "bold"


def test_label_is_written_and_read_back_by_the_report(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps({"clip_id": "c1", "sku": "S1"}))
    manifest = label_variant(tmp_path, VariantSpec(label="b", template="luxe"))
    stored = json.loads((tmp_path / "manifest.json").read_text())
    assert stored == manifest
    assert stored["variant"] == "b"
    assert stored["variant_of"] == {"sku": "S1", "axis": "template", "value": "luxe"}
    assert stored["variant_settings"] == {"template": "luxe", "window": 1, "music": "",
                                          "captions": "luxe"}
    music = label_variant(tmp_path, VariantSpec(label="d", axis="music", value="chill",
                                                template="bold", music="chill"))
    assert music["variant_of"]["axis"] == "music" and music["clip_id"] == "c1"
    assert music["variant_settings"]["music"] == "chill"


def test_slice_refuses_to_vary_the_window_in_one_line(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["slice", str(tmp_path / "live.mp4"), "--catalog", str(tmp_path / "c.csv"),
                 "--variants", "2", "--vary", "window"])
    said = capsys.readouterr().err.strip()
    assert code == 2 and "window is not offered here" in said and "\n" not in said


def test_slice_schedules_each_pitchs_variants_on_successive_days(tmp_path: Path) -> None:
    from datetime import timedelta

    from flows.slice import PitchResult, SliceParams, release
    from pipeline.publish.ledger import Ledger
    from tests.support.publish_support import fake_mp4

    ledger = f"sqlite:///{tmp_path / 'ledger.db'}"
    specs = plan_variants("bold", 2, ALTERNATIVES, ["music"])
    results = []
    for n, spec in enumerate([*specs, *specs]):  # two pitches, variants a and b of each
        folder = tmp_path / f"clip{n}"
        folder.mkdir()
        fake_mp4(folder / "clip.mp4", 2000, seed=n)
        manifest = {"clip_id": f"clip{n}", "sku": "S1", "caption_text": "Serum",
                    "outputs": {"video": str(folder / "clip.mp4")}}
        (folder / "manifest.json").write_text(json.dumps(manifest))
        results.append(PitchResult(manifest=manifest, variant=spec))
    params = SliceParams(recordings=[], catalog=tmp_path / "c.csv", platforms=("tiktok",),
                         ledger_url=ledger, variants=tuple(specs))
    release(results, params)
    with Ledger(ledger) as book:
        at = {r.clip_id: r.scheduled_at for r in book.due(datetime.max.replace(tzinfo=UTC))}
    assert at["clip1"] - at["clip0"] == timedelta(days=1)
    assert at["clip3"] - at["clip2"] == timedelta(days=1)
    assert len(set(at.values())) == 4


def test_without_a_second_opening_the_other_axes_take_its_place() -> None:
    from pipeline.ops.variants import with_fewer_openings

    specs = plan_variants("bold", 6, ALTERNATIVES)
    third = with_fewer_openings("bold", 6, ALTERNATIVES, AXES, specs[5])  # no 3rd opening
    assert third[:5] == specs[:5] and (third[5].axis, third[5].value) == ("template",
                                                                          "minimal")
    none = with_fewer_openings("bold", 6, ALTERNATIVES, AXES, specs[1])
    assert [(s.label, s.axis, s.value) for s in none] == [
        ("a", "base", ""), ("b", "template", "luxe"), ("c", "music", "chill"),
        ("d", "captions", "luxe"), ("e", "template", "minimal"), ("f", "music", "energetic")]
    only = with_fewer_openings("bold", 3, ALTERNATIVES, ["window"], specs[1])
    assert [s.label for s in only] == ["a"]

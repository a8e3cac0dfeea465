"""The CLI in-process: bad input is one line on stderr and exit 2, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.cli import main
from pipeline.media.samples import CATALOG_CSV


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _one_line_error(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture
def no_flow(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bad input must be refused before any flow run (and Prefect's start) begins."""
    def started(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a flow run started for bad input")
    monkeypatch.setattr("flows.produce.produce_clip", started)


@pytest.mark.usefixtures("no_flow")
def test_missing_footage(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = _run(capsys, "make", str(tmp_path / "nope.mp4"), "--catalog",
                          str(CATALOG_CSV), "--sku", "TRAIL-BOTTLE-24", "--out", str(tmp_path))
    assert code == 2 and out == ""
    assert "nope.mp4: file not found" in _one_line_error(err)


@pytest.mark.usefixtures("no_flow")
def test_unknown_sku(capsys: pytest.CaptureFixture[str], short_scene: Path,
                     tmp_path: Path) -> None:
    code, _, err = _run(capsys, "make", str(short_scene), "--catalog", str(CATALOG_CSV),
                        "--sku", "TRAIL-BOTTLE-2", "--out", str(tmp_path / "out"))
    assert code == 2
    assert "TRAIL-BOTTLE-2" in _one_line_error(err)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_duration_out_of_range(capsys: pytest.CaptureFixture[str], short_scene: Path) -> None:
    code, _, err = _run(capsys, "make", str(short_scene), "--catalog", str(CATALOG_CSV),
                        "--sku", "TRAIL-BOTTLE-24", "--duration", "90")
    assert code == 2 and "outside 5-60 seconds" in _one_line_error(err)


def test_usage_error_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "make")
    assert code == 2 and "clipcart --help" in _one_line_error(err)


def test_check_on_non_video(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bogus = tmp_path / "notes.mp4"
    bogus.write_text("hello")
    code, _, err = _run(capsys, "check", str(bogus))
    assert code == 2 and "not a readable video" in _one_line_error(err)


def test_templates_lists_three(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "templates")
    assert code == 0 and all(name in out for name in ("bold", "minimal", "luxe"))


def test_commands_are_registered_once_however_often_main_runs(
        capsys: pytest.CaptureFixture[str]) -> None:
    """A process that runs many commands (a test worker, a notebook) keeps one copy of
    each: every call of main used to add the optional commands again, and building the
    command line grew with every earlier call."""
    from flows.cli import app

    for _ in range(3):
        assert main(["templates"]) == 0
    names = [info.name or info.callback.__name__ for info in app.registered_commands
             if info.callback is not None]
    assert len(names) == len(set(names)) == len(app.registered_commands)
    assert {"publish", "slice", "serve"} <= set(names)


def test_check_reports_overlays_under_each_asked_platforms_interface(
        capsys: pytest.CaptureFixture[str], short_scene: Path, tmp_path: Path) -> None:
    """With the clip's plan.json beside the video, check reads where the overlays went and
    names those a platform's own interface covers (UI_ZONES), for the platforms asked."""
    import json
    import shutil

    from pipeline.core.models import OverlayPlacement
    from tests.support.plans import plan

    video = tmp_path / "clip.mp4"
    shutil.copy(short_scene, video)
    low = OverlayPlacement(overlay="card", start_ms=0, end_ms=3000, slot="bottom", x=120,
                           y=1140, width=744, height=300, reason="")
    (tmp_path / "plan.json").write_text(
        plan().model_copy(update={"placements": (low,)}).model_dump_json(), "utf-8")
    code, out, _ = _run(capsys, "check", str(video), "--json", "--platforms", "youtube,tiktok")
    zones = json.loads(out)["interface_zones"]
    assert code == 1 and set(zones) == {"youtube", "tiktok"}
    assert zones["youtube"] == {"passed": True, "problems": []}
    assert zones["tiktok"]["problems"] == [
        "card 0.0-3.0 s at x 120, y 1140, 744x300: under the bottom interface"]
    code, _, err = _run(capsys, "check", str(video), "--platforms", "myspace")
    assert code == 2 and "myspace" in _one_line_error(err)


def test_make_refuses_an_unknown_platform(capsys: pytest.CaptureFixture[str],
                                          short_scene: Path) -> None:
    code, _, err = _run(capsys, "make", str(short_scene), "--catalog", str(CATALOG_CSV),
                        "--sku", "TRAIL-BOTTLE-24", "--platforms", "youtube,myspace")
    assert code == 2 and "--platforms: 'myspace' is not a platform" in _one_line_error(err)

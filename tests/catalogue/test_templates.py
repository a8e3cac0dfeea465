"""Brand templates people write by hand: a typo is one line naming file and key;
a font clipcart does not ship falls back to Lato with a warning."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipeline.brand.templates import TEMPLATES_DIR, load_template
from pipeline.core.errors import TemplateError
from pipeline.media.samples import CATALOG_CSV
from pipeline.produce import MakeRequest, load_inputs
from tests.catalogue.support import SKU, Untouched, cli, make_args, no_output, rejected


def _template(tmp_path: Path, change: dict[str, dict[str, object]]) -> Path:
    data = yaml.safe_load((TEMPLATES_DIR / "bold.yaml").read_text("utf-8"))
    for section, values in change.items():
        data[section].update(values)
    path = tmp_path / "brand.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return path


def test_unknown_key_through_the_cli(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                     short_scene: Path) -> None:
    path = _template(tmp_path, {"card": {"colour": "#FFFFFF"}})
    guard = Untouched(tmp_path)
    result = cli(capsys, *make_args(short_scene, tmp_path / "out", "--template", path))
    rejected(result, "brand.yaml", "card.colour: unknown key", "background", "Fix the key")
    guard.check()
    no_output(tmp_path / "out")


@pytest.mark.parametrize("colour", ["yellow", "#FFF", "#GG0000", "FF3B5C"])
def test_bad_colours(tmp_path: Path, colour: str) -> None:
    path = _template(tmp_path, {"card": {"accent": colour}})
    with pytest.raises(TemplateError) as info:
        load_template(str(path))
    line = info.value.one_line()
    assert "brand.yaml" in line and "card.accent" in line and "#RRGGBB" in line


def test_missing_font_falls_back_with_a_warning(tmp_path: Path, short_scene: Path) -> None:
    path = _template(tmp_path, {"caption": {"font": "Helvetica Neue Condensed"}})
    guard = Untouched(path)
    inputs = load_inputs(MakeRequest(footage=short_scene, catalog=CATALOG_CSV, sku=SKU,
                                     out_dir=tmp_path / "out", template=str(path)))
    guard.check()
    assert inputs.template.caption.font == "Lato Black"
    assert any("'Helvetica Neue Condensed' is not a shipped font; using Lato Black" in w
               for w in inputs.warnings)


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "brand.yaml"
    path.write_text("name: brand\ncaption:\n  font: [Lato\n", "utf-8")
    with pytest.raises(TemplateError) as info:
        load_template(str(path))
    assert "brand.yaml: line" in info.value.one_line() and "Fix the YAML" in info.value.hint


def test_unknown_template_name(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                               short_scene: Path) -> None:
    result = cli(capsys, *make_args(short_scene, tmp_path / "out", "--template", "bolld"))
    rejected(result, "template 'bolld' not found", "bold", "minimal", "luxe")
    no_output(tmp_path / "out")

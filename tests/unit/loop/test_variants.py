"""make --variants N: which clips are planned and what their manifests say."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flows.cli import main
from pipeline.core.errors import ConfigError
from pipeline.ops.variants import VariantSpec, label_variant, plan_variants

NAMES = ["bold", "luxe", "minimal"]


def test_variants_start_with_the_asked_template_then_the_others() -> None:
    specs = plan_variants("luxe", 3, NAMES)
    assert [(s.label, s.template) for s in specs] == [("a", "luxe"), ("b", "bold"),
                                                      ("c", "minimal")]
    assert [s.template for s in plan_variants("bold", 2, NAMES)] == ["bold", "luxe"]


@pytest.mark.parametrize("count", [0, 4, -1])
def test_impossible_counts_are_bad_input(count: int) -> None:
    with pytest.raises(ConfigError, match="between 1 and 3"):
        plan_variants("bold", count, NAMES)


def test_cli_refuses_too_many_variants_in_one_line(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["make", str(tmp_path / "f.mp4"), "--catalog", str(tmp_path / "c.csv"),
                 "--sku", "S", "--variants", "9"])
    said = capsys.readouterr().err.strip()
    assert code == 2 and "--variants 9" in said and "\n" not in said


def test_label_is_written_and_read_back_by_the_report(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps({"clip_id": "c1", "sku": "S1"}))
    manifest = label_variant(tmp_path, VariantSpec(label="b", template="luxe"))
    stored = json.loads((tmp_path / "manifest.json").read_text())
    assert stored == manifest
    assert stored["variant"] == "b"
    assert stored["variant_of"] == {"sku": "S1", "axis": "template", "value": "luxe"}

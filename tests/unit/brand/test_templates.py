"""Brand templates: the bundled looks load, and every mistake names file, key and fix."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipeline.brand.templates import (
    SAFE_X,
    SAFE_Y,
    Template,
    caption_band,
    list_templates,
    load_template,
    load_template_noting,
)
from pipeline.core.errors import TemplateError
from tests.support.paths import REPO


def bold_data() -> dict[str, object]:
    """The bold template as plain data, to break in tests."""
    data = yaml.safe_load((REPO / "templates" / "bold.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def error_for(tmp_path: Path, data: object) -> str:
    """The one-line message for a template file holding ``data``."""
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(TemplateError) as caught:
        load_template(str(path))
    assert caught.value.exit_code == 2
    return caught.value.one_line()


def test_three_distinct_templates() -> None:
    templates = {t.name: t for t in list_templates()}
    assert {"bold", "minimal", "luxe"} <= set(templates)
    looks = {(t.card.background, t.card.accent, t.caption.size, t.music.mood)
             for t in templates.values()}
    assert len(looks) == len(templates)
    assert {t.music.mood for t in templates.values()} >= {"upbeat", "chill", "luxe"}


@pytest.mark.parametrize("name", ["bold", "minimal", "luxe"])
def test_card_and_captions_fit_the_safe_zone_one_above_the_other(name: str) -> None:
    """Placement (per clip) needs room for both: the card fits the safe zone's width, and
    card plus a two-line caption block fit its height."""
    template = load_template(name)
    card = template.card
    assert card.width <= SAFE_X[1] - SAFE_X[0]
    top, bottom = caption_band(template.caption)
    assert bottom - top + card.height <= SAFE_Y[1] - SAFE_Y[0]
    assert template.placement.captions and template.placement.card


def test_load_by_path_and_platform_overrides() -> None:
    template = load_template(str(REPO / "templates" / "bold.yaml"))
    assert template.cta_for("tiktok") == template.cta
    assert template.cta_for("tiktok-shop") == "Tap the cart"
    assert template.utm_medium_for("youtube") == "video"
    assert "shorts" in template.hashtags_for("youtube")
    assert template.hashtags_for("tiktok") == template.hashtags


def test_unknown_name_lists_available() -> None:
    with pytest.raises(TemplateError) as caught:
        load_template("neon")
    assert "neon" in caught.value.message
    assert all(name in caught.value.hint for name in ("bold", "minimal", "luxe"))


def test_bad_colour_names_key(tmp_path: Path) -> None:
    data = bold_data()
    data["card"]["background"] = "red"  # type: ignore[index]
    message = error_for(tmp_path, data)
    assert "broken.yaml: card.background: 'red' is not a #RRGGBB colour" in message


def test_bad_caption_colour(tmp_path: Path) -> None:
    data = bold_data()
    data["caption"]["highlight"] = "yellow"  # type: ignore[index]
    assert "caption: highlight: 'yellow' is not a #RRGGBB colour" in error_for(tmp_path, data)


def test_unknown_caption_font_falls_back_with_a_warning(tmp_path: Path) -> None:
    data = bold_data()
    data["caption"]["font"] = "Comic Sans"  # type: ignore[index]
    path = tmp_path / "brand.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    warnings: list[str] = []
    assert load_template_noting(str(path), warnings).caption.font == "Lato Black"
    assert "caption.font 'Comic Sans' is not a shipped font; using Lato Black" in warnings[0]


def test_unknown_key_lists_allowed(tmp_path: Path) -> None:
    data = bold_data()
    data["card"]["colour"] = "#FFFFFF"  # type: ignore[index]
    message = error_for(tmp_path, data)
    assert "card.colour: unknown key" in message and "background" in message


def test_unknown_platform(tmp_path: Path) -> None:
    data = bold_data()
    data["platforms"] = {"snapchat": {"cta": "x"}}
    assert "platforms.snapchat" in error_for(tmp_path, data)


def test_card_wider_than_the_safe_zone(tmp_path: Path) -> None:
    data = bold_data()
    data["card"]["width"] = 800  # type: ignore[index]
    message = error_for(tmp_path, data)
    assert "card:" in message and "safe zone x 120-888" in message


def test_card_too_tall_to_share_the_safe_zone(tmp_path: Path) -> None:
    data = bold_data()
    data["card"]["height"] = 800  # type: ignore[index]
    assert "do not fit one above the other" in error_for(tmp_path, data)


def test_unknown_slot_and_layout(tmp_path: Path) -> None:
    data = bold_data()
    data["placement"] = {"card": ["middle"]}
    assert "placement.card" in error_for(tmp_path, data)
    data = bold_data()
    data["layout"] = "stretch"
    assert "layout" in error_for(tmp_path, data)


def test_min_on_screen_and_animation(tmp_path: Path) -> None:
    data = bold_data()
    data["card"]["min_on_screen_ms"] = 1000  # type: ignore[index]
    assert "card.min_on_screen_ms" in error_for(tmp_path, data)
    data = bold_data()
    data["card"]["animation"] = "spin"  # type: ignore[index]
    assert "card.animation" in error_for(tmp_path, data)


def test_bad_hashtag_and_locale(tmp_path: Path) -> None:
    data = bold_data()
    data["hashtags"] = ["two words"]
    assert "hashtags" in error_for(tmp_path, data)
    data = bold_data()
    data["locale"] = "xx_QQ"
    assert "locale" in error_for(tmp_path, data)


def test_invalid_yaml_names_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\ncard: [unclosed\n", encoding="utf-8")
    with pytest.raises(TemplateError, match=r"bad.yaml: line \d+"):
        load_template(str(path))


def test_not_a_mapping(tmp_path: Path) -> None:
    assert "expected a mapping" in error_for(tmp_path, ["a", "b"])


def test_defaults_are_valid() -> None:
    template = Template(name="plain")
    assert template.card.min_on_screen_ms >= 3000


def test_a_template_with_card_coordinates_still_loads(tmp_path: Path) -> None:
    """Templates from before per-clip placement gave the card x/y: y becomes a preference."""
    old = tmp_path / "old.yaml"
    old.write_text("name: old\ncard:\n  x: 150\n  y: 1100\n  width: 700\n", "utf-8")
    template = load_template(str(old))
    assert template.card.width == 700 and template.placement.card[0] == "bottom"

"""Product cards: the spec from product + template, and the PNG drawn from it."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageChops, ImageDraw

from pipeline.brand.templates import load_template
from pipeline.captions import fonts
from pipeline.captions.typeset import Typesetter, has_glyph, load_font
from pipeline.core.errors import CatalogError
from pipeline.core.models import CardSpec, Product
from pipeline.products.card import card_spec, draw_card, rgba
from pipeline.products.prices import format_price
from tests.support.paths import REPO

SAMPLE_IMAGE = REPO / "assets" / "samples" / "product.png"
LINK = "https://shop.example.com/products/trailhead-bottle?utm_source=tiktok"


def product(**changes: object) -> Product:
    """The sample bottle, with ``changes``."""
    base = Product(sku="TRAIL-BOTTLE-24", title="Trailhead Insulated Bottle",
                   price=Decimal("24.00"), currency="USD",
                   url="https://shop.example.com/products/trailhead-bottle",
                   image=str(SAMPLE_IMAGE), brand="Trailhead",
                   compare_at_price=Decimal("32.00"))
    return base.model_copy(update=changes)


def spec_for(name: str = "bold", **changes: object) -> CardSpec:
    """A card spec for the sample bottle and template ``name``."""
    return card_spec(product(**changes), load_template(name), start_ms=2000, end_ms=4000,
                     image=SAMPLE_IMAGE, link=LINK)


def test_prices() -> None:
    assert format_price(Decimal("24"), "USD") == "$24.00"
    assert format_price(Decimal("24"), "EUR", "de_DE") == "24,00 €"
    assert format_price(Decimal("2400"), "JPY") == "¥2,400"


def test_card_spec_from_template() -> None:
    template = load_template("bold")
    spec = spec_for("bold")
    assert spec.price_text == "$24.00" and spec.compare_at_text == "$32.00"
    # placement moves it later; until then, top centre of the safe zone
    assert (spec.x, spec.y, spec.width, spec.height) == (
        120 + (768 - template.card.width) // 2, 288, template.card.width, template.card.height)
    assert spec.accent == template.card.accent and spec.animation == "pop"
    assert spec.end_ms - spec.start_ms >= template.card.min_on_screen_ms
    assert Path(spec.font_path).is_file()
    assert spec.cta == template.cta


def test_card_spec_hides_compare_at_not_above_price() -> None:
    assert spec_for(compare_at_price=Decimal("24.00")).compare_at_text == ""
    assert spec_for(compare_at_price=None).compare_at_text == ""


def test_card_spec_rejects_bad_link() -> None:
    with pytest.raises(CatalogError):
        card_spec(product(), load_template("bold"), start_ms=0, end_ms=5000, image=None,
                  link="javascript:alert(1)")


@pytest.mark.parametrize("name", ["bold", "minimal", "luxe"])
def test_card_png_size_and_accent(tmp_path: Path, name: str) -> None:
    spec = spec_for(name)
    out = draw_card(spec, tmp_path / f"{name}.png")
    with Image.open(out) as image:
        assert image.mode == "RGBA" and image.size == (spec.width, spec.height)
        assert image.getpixel((0, 0))[3] < 255  # rounded corner shows through
        pixels = np.asarray(image).reshape(-1, 4).astype(int)
        close = np.abs(pixels[:, :3] - np.array(rgba(spec.accent)[:3])).max(axis=1) <= 12
        assert int((close & (pixels[:, 3] > 200)).sum()) > 500
    assert not list(tmp_path.glob(".*"))  # no temp files left behind


def test_cjk_title_renders_real_glyphs() -> None:
    title = "保温ボトル"
    setter = Typesetter(fonts.latin_font_path("Bold"), 48)
    lato = load_font(str(fonts.latin_font_path("Bold")), 0, 48)

    def render(draw_fn: object) -> list[bytes]:
        shots = []
        for ch in title:
            image = Image.new("RGBA", (80, 80), (0, 0, 0, 255))
            draw = ImageDraw.Draw(image)
            if draw_fn == "tofu":
                draw.text((10, 60), ch, font=lato, fill=(255, 255, 255, 255), anchor="ls")
            else:
                setter.draw(draw, 10, 60, ch, (255, 255, 255, 255))
            shots.append(image.tobytes())
        return shots

    tofu, real = render("tofu"), render("real")
    assert len(set(tofu)) == 1  # Lato alone draws the same box for every character
    assert len(set(real)) == len(title)  # each character its own glyph
    assert not set(real) & set(tofu)


def test_cjk_card_draws_title(tmp_path: Path) -> None:
    with_title = draw_card(spec_for("luxe", title="トレイルヘッド 保温ボトル"), tmp_path / "a.png")
    without = draw_card(spec_for("luxe", title=" "), tmp_path / "b.png")
    with Image.open(with_title) as a, Image.open(without) as b:
        assert ImageChops.difference(a.convert("RGB"), b.convert("RGB")).getbbox() is not None


def test_emoji_is_dropped_not_boxed(tmp_path: Path) -> None:
    setter = Typesetter(fonts.latin_font_path("Bold"), 40)
    assert setter.visible("Bottle 🔥 🏕️ now") == "Bottle now"
    assert not has_glyph(str(fonts.latin_font_path("Bold")), 0, "🔥")
    plain = draw_card(spec_for(title="Bottle now"), tmp_path / "plain.png")
    emoji = draw_card(spec_for(title="Bottle 🔥 now"), tmp_path / "emoji.png")
    with Image.open(plain) as a, Image.open(emoji) as b:
        assert ImageChops.difference(a.convert("RGB"), b.convert("RGB")).getbbox() is None


def test_long_title_is_ellipsised_to_two_lines() -> None:
    setter = Typesetter(fonts.latin_font_path("Bold"), 30)
    lines = setter.wrap("An extremely long product title " * 6, 300)
    assert len(lines) == 2 and lines[-1].endswith("…")
    assert all(setter.width(line) <= 300 for line in lines)
    cjk = setter.wrap("保温ボトル" * 20, 200)
    assert len(cjk) == 2 and cjk[-1].endswith("…")


def test_missing_image_still_draws(tmp_path: Path) -> None:
    spec = spec_for().model_copy(update={"image": str(tmp_path / "gone.png")})
    with Image.open(draw_card(spec, tmp_path / "c.png")) as image:
        assert image.size == (spec.width, spec.height)


def test_qr_code_decodes(tmp_path: Path) -> None:
    cv2 = pytest.importorskip("cv2")
    spec = spec_for("luxe")
    out = draw_card(spec.model_copy(update={"qr_link": LINK}), tmp_path / "qr.png")
    with Image.open(out) as image:
        flat = Image.new("RGB", image.size, (255, 255, 255))
        flat.paste(image, mask=image.getchannel("A"))
        big = flat.resize((flat.width * 2, flat.height * 2), Image.Resampling.NEAREST)
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(np.asarray(big)[:, :, ::-1].copy())
    assert text == LINK


@pytest.mark.parametrize("name", ["bold", "minimal", "luxe"])
def test_card_is_solid_and_title_readable_on_a_phone(name: str, tmp_path: Path) -> None:
    """On a 1080-wide frame shown 390 points wide, a 28 px cap height is about 10 pt."""
    spec = spec_for(name, title="HHHH", compare_at_price=None)
    with Image.open(draw_card(spec, tmp_path / "card.png")) as card:
        pixels = np.asarray(card)
    assert pixels[spec.height // 2, spec.width // 2, 3] == 255  # no footage ghosting through
    ink = np.all(pixels == np.array(rgba(spec.foreground)), axis=2)
    rows = np.flatnonzero(ink.any(axis=1))
    assert rows.size and rows[-1] - rows[0] + 1 >= 28


def test_a_short_bracketed_group_is_not_broken_across_lines() -> None:
    setter = Typesetter(fonts.latin_font_path("Bold"), 40)
    title = "Trailhead Insulated Bottle (Forest 24 oz)"
    width = setter.width("Trailhead Insulated Bottle (Forest") + 1
    assert setter.wrap(title, width) == ["Trailhead Insulated Bottle", "(Forest 24 oz)"]
    # a long aside still breaks where it must
    long_aside = "Bottle (limited edition forest green colourway)"
    lines = setter.wrap(long_aside, setter.width("Bottle (limited edition") + 1)
    assert lines[0] == "Bottle (limited edition"

"""Products in their own language: the word table, locales, prices, cards and captions."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from pipeline.brand.templates import Template, load_template
from pipeline.core.errors import CatalogError, ConfigError
from pipeline.core.locale import (
    WORD_KEYS,
    WORDS,
    cjk_face,
    effective_locale,
    has_words,
    language_key,
)
from pipeline.core.models import Product
from pipeline.plan import clip_id_for
from pipeline.products.card import card_spec
from pipeline.products.catalog import load_catalog
from pipeline.products.links import post_caption
from pipeline.products.prices import format_price
from pipeline.publish.platforms import CAPTION_RULES, caption_problem

URL = "https://shop.example.com/cn/products/trailhead-cup"
REQUIRED = ("en", "zh-Hans", "zh-Hant", "ja", "ko", "es", "fr", "de", "pt", "id")


def cup(**changes: object) -> Product:
    """A Chinese product: zh-CN, CNY 168."""
    base = Product(sku="TRAIL-CUP-CN", title="Trailhead 便携保温杯 350ml", price=Decimal("168"),
                   currency="CNY", url=URL, brand="Trailhead", keywords=("保温杯",),
                   locale="zh-CN")
    return base.model_copy(update=changes)


def spec(product: Product, template: str = "bold") -> tuple[str, str, int]:
    card = card_spec(product, load_template(template), start_ms=0, end_ms=4000, image=None,
                     link=URL)
    return card.cta, card.price_text, card.cjk_face


def test_the_table_has_every_word_for_the_required_languages() -> None:
    assert set(REQUIRED) <= set(WORDS)
    for language in REQUIRED:
        words = WORDS[language]
        assert all(getattr(words, key).strip() for key in WORD_KEYS), language
        assert len(words.shop_now) <= 24  # the card's pill, as Template.cta


@pytest.mark.parametrize(("tag", "key", "face"), [
    ("zh-CN", "zh-Hans", 2), ("zh-TW", "zh-Hant", 3), ("zh-HK", "zh-Hant", 3),
    ("zh_CN", "zh-Hans", 2), ("ja-JP", "ja", 0), ("ko-KR", "ko", 1), ("es-MX", "es", 2),
    ("pt-BR", "pt", 2), ("id-ID", "id", 2), ("de-DE", "de", 2),
])
def test_language_keys_and_cjk_faces(tag: str, key: str, face: int) -> None:
    assert language_key(tag) == key and cjk_face(tag) == face and has_words(tag)


def test_unknown_locale_is_bad_input_and_missing_language_falls_back() -> None:
    with pytest.raises(ConfigError, match="BCP 47"):
        language_key("xx-QQ-nope")
    assert not has_words("it-IT")
    assert effective_locale("", "en_US") == "en-US"
    assert effective_locale("ja-JP", "en_US") == "ja-JP"


def test_prices_follow_the_products_locale() -> None:
    assert format_price(Decimal("168"), "CNY", "zh-CN") == "¥168.00"
    assert format_price(Decimal("2400"), "JPY", "ja-JP") == "￥2,400"
    assert format_price(Decimal("168"), "CNY", "en_US") == "CN¥168.00"


def test_card_speaks_the_products_language() -> None:
    assert spec(cup()) == ("立即购买", "¥168.00", 2)
    assert spec(cup(locale="zh-TW", currency="TWD")) == ("立即購買", "$168.00", 3)
    jp = cup(locale="ja-JP", currency="JPY", price=Decimal("2400"))
    assert spec(jp) == ("今すぐ購入", "￥2,400", 0)
    # no locale: the template's (bold is en_US, and its own CTA)
    assert spec(cup(locale="", currency="USD", price=Decimal("24"))) == ("Shop now", "$24.00", 2)
    # an English product on the Chinese template gets the table's English words
    assert spec(cup(locale="en-US", currency="USD", price=Decimal("24")), "guochao")[0] == \
        "Shop now"
    assert spec(cup(locale=""), "guochao")[:2] == ("立即购买", "¥168.00")


def test_a_template_overrides_words_per_language() -> None:
    data = yaml.safe_load((Path("templates") / "bold.yaml").read_text())
    data["words"] = {"zh-Hans": {"shop_now": "马上抢", "link_in_bio": "主页下单"}}
    template = Template.model_validate(data)
    assert template.card_call("zh-CN") == "马上抢"
    assert template.word("link_in_bio", "zh-CN") == "主页下单"
    assert template.word("tap_to_shop", "zh-CN") == "点击购买"
    with pytest.raises(ValueError, match="not a language"):
        Template.model_validate({**data, "words": {"klingon": {"shop_now": "x"}}})


def test_captions_use_the_products_words() -> None:
    bold = load_template("bold")
    text = post_caption(cup(), bold, URL, "instagram", "¥168.00")
    assert f"点击购买: {URL}" in text and "Tap to shop" not in text
    english = post_caption(cup(locale="en-US"), bold, URL, "instagram", "$24.00")
    assert f"Tap to shop: {URL}" in english  # the template's own word, same language


def test_douyin_caption_has_no_link_and_fits() -> None:
    title = "便携保温杯 https://evil.example.com/x 350ml"
    for name in ("bold", "guochao", "minimal", "luxe"):
        text = post_caption(cup(title=title), load_template(name), URL, "douyin", "¥168.00")
        assert "http" not in text and "链接见主页" in text and "¥168.00" in text
        assert len(text) <= CAPTION_RULES["douyin"].max_units
        assert caption_problem(text, "douyin") == ""
    english = post_caption(cup(locale="en-US"), load_template("bold"), URL, "douyin", "$24")
    assert english.endswith("Link in bio") or "Link in bio\n" in english


def test_catalog_locale_column() -> None:
    catalog = load_catalog(Path("assets/samples/catalog.csv"))
    assert catalog["TRAIL-FLASK-JP"].locale == "ja-JP"
    assert catalog["TRAIL-CUP-CN"].locale == "zh-CN"
    assert catalog["TRAIL-BOTTLE-24"].locale == ""


def test_bad_catalog_locale_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("sku,title,price,url,locale\nA,Cup,1,https://x.example.com/a,zz-ZZ-bad\n")
    with pytest.raises(CatalogError, match=r"row 2, field 'locale'") as caught:
        load_catalog(path)
    assert caught.value.exit_code == 2 and "zh-CN" in caught.value.hint


def test_clip_ids_of_products_without_a_locale_do_not_change() -> None:
    """Ids as computed before the locale fields existed: old clips are not posted again."""
    import hashlib
    import json

    from pipeline.produce import Settings

    plain = cup(locale="")
    template = load_template("bold")
    settings = Settings()
    old_product = plain.model_dump(mode="json", exclude={"locale", "douyin_micro_app_url"})
    old_template = template.model_dump(mode="json", exclude={"review", "words"})
    later = ("layout", "platforms", "window_rank", "music", "captions")  # settings added since
    old_settings = {k: v for k, v in settings.__dict__.items() if k not in later}
    raw = json.dumps(["f", old_product | {"image": ""}, old_template, old_settings],
                     sort_keys=True)
    assert clip_id_for("f", plain, template, settings, "") == \
        hashlib.sha256(raw.encode()).hexdigest()[:16]
    assert clip_id_for("f", cup(), template, settings, "") != \
        clip_id_for("f", plain, template, settings, "")

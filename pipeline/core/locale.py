"""Products in their own language: locales, and the fixed words of cards and posts.

A product's locale is a BCP 47 tag (``zh-CN``, ``ja-JP``, ``pt-BR``...): the catalog's
``locale`` column, else the template's ``locale``, else ``en-US``. It decides the card's
call to action, the price format (Babel), the post captions' fixed words and which
Noto Sans CJK face draws Han characters (Japanese and Chinese glyphs differ).

``WORDS`` is the one reviewed table of fixed words; nothing is machine-translated at
run time. Languages without a row fall back to English (``has_words`` tells). A template
overrides any word per language (``Template.words``).
"""

from __future__ import annotations

from functools import cache
from typing import Literal, get_args

from babel.core import Locale, UnknownLocaleError
from pydantic import Field

from pipeline.core.errors import ConfigError
from pipeline.core.models import Frozen

WordKey = Literal["shop_now", "tap_the_cart", "tap_to_shop", "link_below", "link_in_bio"]
"""A fixed word: the card's call to action (shop_now) and each platform's caption call."""
WORD_KEYS: tuple[WordKey, ...] = get_args(WordKey)
DEFAULT_LOCALE = "en-US"


class LocaleWords(Frozen):
    """The fixed words of one language."""

    shop_now: str = Field(description="Card call to action; caption call on TikTok.")
    tap_the_cart: str = Field(description="Caption call on TikTok Shop (product anchor).")
    tap_to_shop: str = Field(description="Caption call on Instagram (product tags).")
    link_below: str = Field(description="Caption call on YouTube (link in the description).")
    link_in_bio: str = Field(description="Where to buy when the post may carry no link "
                                         "(Douyin).")


def _row(*words: str) -> LocaleWords:
    return LocaleWords(**dict(zip(WORD_KEYS, words, strict=True)))


WORDS: dict[str, LocaleWords] = {
    # language: shop now | tap the cart | tap to shop | link below | link in bio
    "en": _row("Shop now", "Tap the cart", "Tap to shop", "Link below", "Link in bio"),
    "zh-Hans": _row("立即购买", "点击购物车", "点击购买", "链接见下方", "链接见主页"),
    "zh-Hant": _row("立即購買", "點擊購物車", "點擊購買", "連結見下方", "連結見個人簡介"),
    "ja": _row("今すぐ購入", "カートをタップ", "タップして購入", "リンクは概要欄",
               "リンクはプロフィール"),
    "ko": _row("지금 구매", "장바구니 탭", "탭하여 쇼핑", "링크는 설명란에", "링크는 프로필에"),
    "es": _row("Comprar ahora", "Toca el carrito", "Toca para comprar", "Enlace abajo",
               "Enlace en la bio"),
    "fr": _row("Acheter", "Touchez le panier", "Touchez pour acheter", "Lien ci-dessous",
               "Lien dans la bio"),
    "de": _row("Jetzt kaufen", "Warenkorb antippen", "Tippen zum Shoppen", "Link unten",
               "Link in der Bio"),
    "pt": _row("Compre agora", "Toque no carrinho", "Toque para comprar", "Link abaixo",
               "Link na bio"),
    "id": _row("Beli sekarang", "Ketuk keranjang", "Ketuk untuk belanja", "Tautan di bawah",
               "Tautan di bio"),
}

CJK_FACES = {"ja": 0, "ko": 1, "zh-Hans": 2, "zh-Hant": 3}
"""Face index in NotoSansCJK-Regular.ttc per language: JP, KR, SC, TC."""
DEFAULT_CJK_FACE = 2


@cache
def parse_locale(tag: str) -> Locale:
    """``tag`` (BCP 47 ``zh-CN`` or Babel ``zh_CN``) as a Babel Locale; ConfigError if unknown."""
    text = tag.strip().replace("_", "-")
    try:
        return Locale.parse(text, sep="-")
    except (ValueError, TypeError, UnknownLocaleError):
        raise ConfigError(f"locale {tag!r} is not a BCP 47 locale Babel knows",
                          hint="Use a tag such as zh-CN, zh-TW, ja-JP, ko-KR, es-MX or de-DE"
                          ) from None


def bcp47(tag: str) -> str:
    """``tag`` checked and written the BCP 47 way: ``zh_CN`` → ``zh-CN``."""
    parse_locale(tag)
    return tag.strip().replace("_", "-")


def babel_name(tag: str) -> str:
    """The Babel identifier for price formatting: ``zh-CN`` → ``zh_CN``."""
    return str(parse_locale(tag))


def effective_locale(product_locale: str, template_locale: str) -> str:
    """The product's own locale, else the template's, else en-US (BCP 47)."""
    return bcp47(product_locale or template_locale or DEFAULT_LOCALE)


def language_key(tag: str) -> str:
    """The WORDS row a locale reads: ``zh-TW`` → ``zh-Hant``, ``zh-CN`` → ``zh-Hans``,
    ``pt-BR`` → ``pt``. Chinese goes by script (Babel fills it in from the region)."""
    locale = parse_locale(tag)
    if locale.language == "zh":
        return "zh-Hant" if locale.script == "Hant" else "zh-Hans"
    return str(locale.language)


def has_words(tag: str) -> bool:
    """True when the table has the locale's language (else English is used)."""
    return language_key(tag) in WORDS


def words_for(tag: str) -> LocaleWords:
    """The fixed words of ``tag``'s language, English when the table lacks it."""
    return WORDS.get(language_key(tag), WORDS["en"])


def cjk_face(tag: str) -> int:
    """Which Noto Sans CJK face draws Han characters for ``tag`` (SC for non-CJK text)."""
    return CJK_FACES.get(language_key(tag), DEFAULT_CJK_FACE)

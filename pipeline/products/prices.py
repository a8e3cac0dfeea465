"""Prices as shoppers read them, in the product's locale (else the template's)."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency

from pipeline.core.locale import babel_name


def format_price(amount: Decimal, currency: str, locale: str = "en_US") -> str:
    """'$24.00' (en_US USD), '24,00 €' (de-DE EUR), '¥2,400' (en_US JPY), '¥168.00'
    (zh-CN CNY), '￥2,400' (ja-JP JPY). ``locale`` is BCP 47 or Babel style.

    Babel's non-breaking spaces become plain spaces so captions and cards match
    what people type.
    """
    text = format_currency(amount, currency, locale=babel_name(locale))
    return text.replace("\u00a0", " ").replace("\u202f", " ")

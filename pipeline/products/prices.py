"""Prices as shoppers read them, in the template's locale."""

from __future__ import annotations

from decimal import Decimal

from babel.core import Locale, UnknownLocaleError
from babel.numbers import format_currency

from pipeline.core.errors import ConfigError


def format_price(amount: Decimal, currency: str, locale: str = "en_US") -> str:
    """'$24.00' (en_US USD), '24,00 €' (de_DE EUR), '¥2,400' (en_US JPY).

    Babel's non-breaking spaces become plain spaces so captions and cards match
    what people type.
    """
    try:
        Locale.parse(locale)
    except (ValueError, UnknownLocaleError) as exc:
        raise ConfigError(f"locale {locale!r} is not known",
                          hint="Use a locale such as en_US, de_DE or ja_JP") from exc
    text = format_currency(amount, currency, locale=locale)
    return text.replace("\u00a0", " ").replace("\u202f", " ")

"""What a page shows of its product in a finished video; light enough for a host's models to import."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from babel.numbers import format_currency

from video_plugin.jobs.languages import babel_locale


@dataclass(frozen=True)
class ProductFacts:
    """What a page shows of its product in a finished video: name, price as displayed, pictures (main first).

    A page model offers them with ``VideoPageMixin.video_product()``, whose default is the title alone.
    """

    name: str
    price: str = ""
    images: Sequence[Any] = ()


def shown_price(price: Decimal, currency: str, language: str) -> str:
    """``price`` in ``currency`` as a shop in ``language`` prints it ("$19.90", "19,90 €", "￥2,400"), a whole
    amount without its zero cents ("$24", "24 €"): the shorter figure fits the video's price tag."""
    locale = babel_locale(language)
    if price != price.to_integral_value():
        return format_currency(price, currency, locale=locale)
    pattern = locale.currency_formats["standard"].pattern.replace("0.00", "0")
    return format_currency(price, currency, format=pattern, locale=locale, currency_digits=False)

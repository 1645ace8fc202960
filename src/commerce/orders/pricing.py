"""Shipping and tax strategies, chosen by import string in ``COMMERCE``.

A strategy is a class whose instances are called with the priced lines, the
shipping address and the currency, and return a :class:`~djmoney.money.Money`
in that currency::

    class MyShipping:
        def __call__(self, *, lines, shipping_address, currency, subtotal) -> Money: ...

``lines`` is a list of :class:`PricedLine`. Set ``COMMERCE["SHIPPING_CALCULATOR"]``
and ``COMMERCE["TAX_CALCULATOR"]`` to the dotted path of your class.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from djmoney.money import Money

from commerce.conf import commerce_settings


@dataclass(frozen=True)
class PricedLine:
    """A cart line priced at checkout, as shipping and tax strategies receive it."""

    variant_id: Any
    sku: str
    quantity: int
    unit_price: Money
    line_total: Money


class FlatRateShipping:
    """One flat charge per order, per currency, from ``COMMERCE["SHIPPING_FLAT_RATES"]``.

    A currency missing from the table ships free.
    """

    def __call__(self, *, lines, shipping_address, currency: str, subtotal: Money) -> Money:
        rate = commerce_settings.SHIPPING_FLAT_RATES.get(currency, "0")
        return Money(Decimal(str(rate)), currency)


class NoTax:
    """No tax: prices are tax-inclusive, or tax is someone else's business."""

    def __call__(self, *, lines, shipping_address, currency: str, subtotal: Money) -> Money:
        return Money(0, currency)


def shipping_calculator():
    return commerce_settings.SHIPPING_CALCULATOR()


def tax_calculator():
    return commerce_settings.TAX_CALCULATOR()

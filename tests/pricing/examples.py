"""The examples of the how-to guides, tested in ``test_examples.py``.

docs/howto/write-a-rate-strategy.rst and write-a-tax-strategy.rst include this file.
"""

from __future__ import annotations

from decimal import Decimal

from commerce.core.money import percentage_of, to_minor_units
from commerce.pricing.shipping import ShippingRateStrategy
from commerce.pricing.tax import TaxStrategy
from commerce.pricing.types import ShippingRequest, TaxLine, TaxRequest, TaxResult


class PerParcelRate(ShippingRateStrategy):
    """The method's price for every parcel of up to 10 kg; nothing to weigh, no parcel."""

    parcel_grams = 10_000

    def price(self, method, request: ShippingRequest) -> int | None:
        if method.price is None or request.weight <= 0:
            return None  # this method cannot ship this cart
        parcels = -(-request.weight // self.parcel_grams)  # round up, in integers
        return parcels * to_minor_units(method.price)


class StateSalesTax(TaxStrategy):
    """US sales tax from a table of state rates, added to prices, rounded per line."""

    rates = {"CA": Decimal("7.25"), "NY": Decimal("4"), "TX": Decimal("6.25")}

    def calculate(self, request: TaxRequest) -> TaxResult:
        destination = request.destination
        if destination is None or destination.country != "US":
            return TaxResult()
        state = destination.region.upper()
        rate = self.rates.get(state)
        if rate is None:
            return TaxResult()
        return TaxResult(
            lines=tuple(
                TaxLine(
                    key=item.key,  # a line's key, or "shipping"
                    name=f"{state} sales tax",
                    rate=rate,
                    amount=percentage_of(item.amount, rate),  # half up, whole minor units
                    included=False,
                )
                for item in request.items
            )
        )

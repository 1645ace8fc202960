"""Tax strategies: ``COMMERCE["TAX_STRATEGY"]`` names the class, the pipeline calls it.

A strategy's :meth:`TaxStrategy.calculate` gets a
:class:`~commerce.pricing.types.TaxRequest` (the items after discounts, the
address, whether prices include tax, the rounding) and returns a
:class:`~commerce.pricing.types.TaxResult` of tax lines in whole minor units.
External tax services plug in the same way: call the service in ``calculate``.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from math import lcm
from typing import Any

from commerce.conf import commerce_settings
from commerce.core.money import allocate, round_half_up
from commerce.pricing.types import TaxableItem, TaxLine, TaxRequest, TaxResult

__all__ = ["FlatRates", "NoTax", "TaxStrategy", "tax_strategy"]


class TaxStrategy:
    """Base class of tax strategies. Subclasses implement :meth:`calculate`."""

    def calculate(self, request: TaxRequest) -> TaxResult:
        raise NotImplementedError


class NoTax(TaxStrategy):
    """No tax: prices are final, or tax is someone else's business."""

    def calculate(self, request: TaxRequest) -> TaxResult:
        return TaxResult()


class FlatRates(TaxStrategy):
    """Rates by tax class and zone, from :class:`~commerce.pricing.models.TaxRate` rows.

    For each item, the best-matching zone (see
    :func:`~commerce.pricing.zones.match_zones`) that has rates for the item's
    class gives them; several rates add up, each computed on the item's amount
    (the amount after discounts, as the pipeline passes it). A rate is *included*
    when its ``prices_include_tax`` says so, or, left empty, when the request's
    ``prices_include_tax`` does. Exactly:

    * added tax = amount x rate / 100;
    * included tax = amount x rate / (100 + the sum of the item's included rates),
      so the included taxes of an item split what its price holds.

    Rounding is half up (:func:`~commerce.core.money.round_half_up`) where
    ``request.rounding`` says: ``"line"`` rounds each item's tax at each rate;
    ``"unit"`` splits the item's amount over its units (largest remainder), rounds
    each unit's tax and adds them up; ``"document"`` adds up the exact tax at each
    rate over all items, rounds that once, and gives it back to the items in
    proportion to their exact tax (largest remainder, ties by item key), so the
    items' tax lines add up to the rounded total.

    No destination, no country or no matching zone: no tax lines. Three queries
    whatever the number of items, zones and rates (zones, their members, rates).
    """

    def calculate(self, request: TaxRequest) -> TaxResult:
        from commerce.pricing.models import TaxRate
        from commerce.pricing.zones import match_zones

        destination = request.destination
        if destination is None or not destination.country or not request.items:
            return TaxResult()
        zones = request.zones if request.zones is not None else match_zones(destination)
        if not zones:
            return TaxResult()
        rates: dict[tuple[Any, str | None], list[Any]] = {}
        for rate in TaxRate.objects.filter(zone__in=[zone.pk for zone in zones]).order_by(
            "name", "pk"
        ):
            rates.setdefault((rate.zone_id, _class_key(rate.tax_class_id)), []).append(rate)

        # (item, [(rate, included, exact)]) for every item some zone taxes.
        taxed = []
        for item in request.items:
            item_rates = next(
                (
                    rates[(zone.pk, _class_key(item.tax_class_id))]
                    for zone in zones
                    if (zone.pk, _class_key(item.tax_class_id)) in rates
                ),
                [],
            )
            if item_rates:
                taxed.append((item, self._exact(item, item_rates, request.prices_include_tax)))

        rounded = _ROUNDINGS.get(request.rounding, _round_per_line)(taxed)
        return TaxResult(
            lines=tuple(
                TaxLine(
                    key=item.key,
                    name=rate.name,
                    rate=rate.rate,
                    amount=rounded[(item.key, rate.pk)],
                    included=included,
                )
                for item, parts in taxed
                for rate, included, _exact in parts
            )
        )

    @staticmethod
    def _exact(item: TaxableItem, item_rates, prices_include_tax: bool):
        parts = []
        for rate in item_rates:
            included = (
                prices_include_tax if rate.prices_include_tax is None else rate.prices_include_tax
            )
            parts.append((rate, bool(included)))
        included_sum = sum(
            (Fraction(rate.rate) for rate, included in parts if included), Fraction(0)
        )
        return [
            (rate, included, tax_on(item.amount, rate.rate, included_sum if included else None))
            for rate, included in parts
        ]


def tax_on(
    amount: int, rate: Decimal, included_rates: Fraction | Decimal | None = None
) -> Fraction:
    """The exact tax at ``rate`` percent on ``amount`` minor units.

    Added (``included_rates`` is ``None``): ``amount x rate / 100``. Included:
    ``amount x rate / (100 + included_rates)``, where ``included_rates`` is the
    sum of every rate included in the amount (``rate`` among them).
    """
    base = Fraction(100) if included_rates is None else 100 + Fraction(included_rates)
    return Fraction(amount) * Fraction(rate) / base


def round_fraction(value: Fraction) -> int:
    """``value`` rounded half up to a whole minor unit."""
    return round_half_up(Decimal(value.numerator) / Decimal(value.denominator))


def _class_key(tax_class_id: Any) -> str | None:
    return None if tax_class_id is None else str(tax_class_id)


def _round_per_line(taxed) -> dict[tuple[str, Any], int]:
    return {
        (item.key, rate.pk): round_fraction(exact)
        for item, parts in taxed
        for rate, _included, exact in parts
    }


def _round_per_unit(taxed) -> dict[tuple[str, Any], int]:
    result = {}
    for item, parts in taxed:
        units = max(item.quantity, 1)
        # Equal unit prices, the odd minor units on the first units: at most two sizes.
        sizes: dict[int, int] = {}
        for part in allocate(item.amount, [1] * units):
            sizes[part] = sizes.get(part, 0) + 1
        for rate, _included, exact in parts:
            if exact == 0:
                result[(item.key, rate.pk)] = 0
                continue
            # The unit's tax at this rate is the item's, scaled by the unit's share.
            result[(item.key, rate.pk)] = sum(
                count * round_fraction(exact * size / item.amount) for size, count in sizes.items()
            )
    return result


def _round_per_document(taxed) -> dict[tuple[str, Any], int]:
    by_rate: dict[Any, list[tuple[str, Fraction]]] = {}
    for item, parts in taxed:
        for rate, _included, exact in parts:
            by_rate.setdefault(rate.pk, []).append((item.key, exact))
    result = {}
    for rate_pk, shares in by_rate.items():
        total = round_fraction(sum((exact for _key, exact in shares), Fraction(0)))
        # allocate() takes whole weights: the exact amounts over a common denominator.
        scale = lcm(*(exact.denominator for _key, exact in shares))
        weights = [int(exact * scale) for _key, exact in shares]
        keys = [key for key, _exact in shares]
        for key, amount in zip(keys, allocate(total, weights, keys=keys), strict=True):
            result[(key, rate_pk)] = amount
    return result


_ROUNDINGS = {"line": _round_per_line, "unit": _round_per_unit, "document": _round_per_document}


def tax_strategy() -> TaxStrategy:
    return commerce_settings.TAX_STRATEGY()

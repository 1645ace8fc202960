"""Tax strategies: ``COMMERCE["TAX_STRATEGY"]`` names the class, the pipeline calls it.

A strategy's :meth:`TaxStrategy.calculate` gets a
:class:`~commerce.pricing.types.TaxRequest` (the items after discounts, the
address, whether prices include tax, the rounding) and returns a
:class:`~commerce.pricing.types.TaxResult` of tax lines in whole minor units.
External tax services plug in the same way: call the service in ``calculate``.
"""

from __future__ import annotations

from commerce.conf import commerce_settings
from commerce.pricing.types import TaxRequest, TaxResult

__all__ = ["NoTax", "TaxStrategy", "tax_strategy"]


class TaxStrategy:
    """Base class of tax strategies. Subclasses implement :meth:`calculate`."""

    def calculate(self, request: TaxRequest) -> TaxResult:
        raise NotImplementedError


class NoTax(TaxStrategy):
    """No tax: prices are final, or tax is someone else's business."""

    def calculate(self, request: TaxRequest) -> TaxResult:
        return TaxResult()


def tax_strategy() -> TaxStrategy:
    return commerce_settings.TAX_STRATEGY()

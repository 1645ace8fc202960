"""Plain helpers for the promotions tests: catalog lines, contexts, promotions."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from djmoney.money import Money

from commerce.catalog.models import Variant
from commerce.core.money import to_minor_units
from commerce.pricing.types import Customer, PricingContext, PricingLine
from commerce.promotions import services
from commerce.promotions.discounts import PromotionDiscountSource
from commerce.testing.factories import ProductFactory, VariantFactory

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
SOURCE = PromotionDiscountSource()


def variant(price: str = "10.00", currency: str = "USD", **product) -> Variant:
    """A variant of a new product (``product`` passes category/brand/vendor), read back
    with the relations the pipeline selects."""
    made = VariantFactory(product=ProductFactory(**product), price=Money(Decimal(price), currency))
    return Variant.objects.select_related(
        "product__vendor", "product__category", "product__brand"
    ).get(pk=made.pk)


def line(key: str, item: Variant, quantity: int = 1) -> PricingLine:
    # The pipeline's tax and shipping steps read a weight and a tax class, which the
    # catalog may not have yet on this branch: give plain defaults when missing.
    if not hasattr(item, "weight"):
        item.weight = 0
    if not hasattr(item.product, "tax_class_id"):
        item.product.tax_class_id = None
    return PricingLine(
        key=key, variant=item, quantity=quantity, unit_price=to_minor_units(item.price)
    )


def context(
    *lines: PricingLine,
    codes=(),
    customer: Customer | None = None,
    currency: str = "USD",
    now: datetime = NOW,
    discounted: dict | None = None,
) -> PricingContext:
    from commerce.core.money import currency_exponent
    from commerce.pricing.pipeline import normalize_codes

    return PricingContext(
        currency=currency,
        exponent=currency_exponent(currency),
        lines=tuple(lines),
        customer=customer or Customer(),
        codes=normalize_codes(codes),
        now=now,
        discounted=discounted or {},
    )


def promotion(name: str = "Promo", *, benefit: dict, **fields):
    """A promotion made through the services (``benefit`` holds the benefit's fields)."""
    return services.create_promotion(name=name, benefit=benefit, **fields)


def percent_off(percent, **benefit) -> dict:
    return {"kind": "percentage_off", "percent": Decimal(str(percent)), **benefit}


def amount_off(amount: str, currency: str = "USD", **benefit) -> dict:
    return {"kind": "amount_off", "amount": Money(Decimal(amount), currency), **benefit}


def evaluate(ctx: PricingContext):
    return SOURCE.evaluate(ctx)


def off(result) -> dict[str, int]:
    """What the result takes off each line (line adjustments only)."""
    taken: dict[str, int] = {}
    for adjustment in result.line_adjustments:
        taken[adjustment.line_key] = taken.get(adjustment.line_key, 0) + adjustment.amount
    return taken


def reasons(result) -> dict[str, str]:
    """Reason codes by promotion name (or code, for codes)."""
    return {
        (r.discount.code or r.discount.name) if r.discount else "?": r.code
        for r in result.not_applied
    }

"""Plain helpers for the promotions tests: catalog lines, contexts, promotions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from djmoney.money import Money

from commerce.catalog.models import Variant
from commerce.core.money import to_minor_units
from commerce.pricing.exceptions import DiscountUnavailableError
from commerce.pricing.types import Claim, Customer, Discount, PricingContext, PricingLine
from commerce.promotions import services
from commerce.promotions.discounts import PromotionDiscountSource
from commerce.promotions.models import Benefit, Promotion, PromotionTarget, VoucherCode
from commerce.promotions.rules import ID_LEAVES, rule_ids
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


def noise_promotions(count: int, *, now: datetime = NOW) -> list[Promotion]:
    """``count`` promotions that cannot apply to a cart of new products, in bulk (a
    thousand in a fraction of a second): most target other products, categories or
    brands (catalog and order lanes), some require a code nobody enters, and the
    untargeted ones run for nobody (inactive, expired at ``now``, another currency).

    Their :class:`PromotionTarget` rows are derived from each target as
    :func:`~commerce.promotions.services.sync_targets` derives them.
    """
    promotions, targets, codes = [], [], []
    for n in range(count):
        kind = n % 10
        target = {
            7: {"categories": [str(uuid.uuid4())]},
            8: {"brands": [str(uuid.uuid4())]},
        }.get(kind, {"products": [str(uuid.uuid4())]} if kind in (0, 4, 5, 6) else None)
        promotion = Promotion(
            name=f"Noise {n}",
            lane="order" if kind in (5, 8, 9) else "catalog",
            priority=n % 7,
            is_active=kind != 1,
            ends_at=now - timedelta(days=1) if kind == 2 else None,
            starts_at=now - timedelta(days=30) if kind == 2 else None,
            currency="EUR" if kind == 3 else "",
            requires_code=kind == 9,
        )
        promotions.append(promotion)
        targets.append(target)
        if kind == 9:
            codes.append(VoucherCode(promotion=promotion, code=f"NOISE{n}"))
    Promotion.objects.bulk_create(promotions, batch_size=500)
    Benefit.objects.bulk_create(
        [
            Benefit(promotion=p, kind="percentage_off", percent=10, target=target)
            for p, target in zip(promotions, targets, strict=True)
        ],
        batch_size=500,
    )
    PromotionTarget.objects.bulk_create(
        [
            PromotionTarget(promotion=p, kind=kind, object_id=object_id)
            for p, ids in zip(promotions, map(rule_ids, targets), strict=True)
            for kind in ID_LEAVES
            for object_id in sorted(ids.get(kind, ()))
        ],
        batch_size=500,
    )
    VoucherCode.objects.bulk_create(codes, batch_size=500)
    return promotions


def spend_automatic(p: Promotion, reference: str) -> str:
    """Spend 1.00 USD of automatic promotion ``p`` for order ``reference`` (inside the
    caller's transaction): ``"spent"``, or the reason it was refused."""
    claim = Claim(Discount("promotion", str(p.pk), "", p.name, "order"), 100, "USD")
    try:
        SOURCE.spend([claim], order_reference=reference, customer=Customer())
    except DiscountUnavailableError as error:
        return error.details["reason"]
    return "spent"

"""The pricing pipeline: :func:`price_cart` and :func:`explain`.

One function prices a cart for the cart API, the checkout and the shipping-method
list, so the shopper is shown what checkout will charge. It writes nothing; it
reads the cart's lines, the rules of the discount sources, the shipping methods
and the tax rates, in a number of queries that depends on neither the number of
lines nor the number of promotions.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from commerce.conf import commerce_settings
from commerce.core.money import allocate, currency_exponent, percentage_of, to_minor_units
from commerce.pricing.discounts import discount_sources
from commerce.pricing.exceptions import (
    ShippingAddressRequiredError,
    ShippingMethodUnavailableError,
)
from commerce.pricing.tax import tax_strategy
from commerce.pricing.types import (
    SHIPPING_KEY,
    CodeStatus,
    Customer,
    Destination,
    DiscountResult,
    LineAdjustment,
    OrderDiscount,
    PricedCart,
    PricedLine,
    PricingContext,
    PricingLine,
    Reason,
    ShippingCharge,
    ShippingDiscount,
    ShippingOption,
    ShippingRequest,
    TaxableItem,
    TaxLine,
    TaxRequest,
)

__all__ = ["LINE_RELATIONS", "explain", "normalize_codes", "price_cart", "price_lines"]

#: What :func:`price_cart` selects with each cart line: rules and strategies read
#: these without further queries.
LINE_RELATIONS = (
    "variant__product__vendor",
    "variant__product__category",
    "variant__product__brand",
    "variant__stock",
)

#: Rounding of tax, ``COMMERCE["TAX_ROUNDING"]``.
TAX_ROUNDINGS = ("unit", "line", "document")


def normalize_codes(codes: Iterable[str]) -> tuple[str, ...]:
    """Voucher codes as the pipeline compares them: stripped, upper-cased, in order,
    each once."""
    seen: dict[str, None] = {}
    for code in codes:
        seen.setdefault(str(code).strip().upper(), None)
    return tuple(code for code in seen if code)


def price_cart(
    cart: Any,
    shipping_address: Any = None,
    shipping_method: str | None = None,
    codes: Iterable[str] = (),
    *,
    customer: Customer | None = None,
    lines: Sequence[Any] | None = None,
    now=None,
) -> PricedCart:
    """Price ``cart`` now: discounts, shipping and tax, in minor units of its currency.

    ``cart`` is a :class:`~commerce.cart.models.Cart` (or anything with its
    ``currency``, ``user`` and ``lines``); ``lines`` are its lines when the caller
    already holds them (checkout, under its lock), selected with
    :data:`LINE_RELATIONS`. Lines priced in another currency than the cart's are
    left out (the cart shows them as unavailable). ``shipping_method`` is a
    method's code; ``codes`` are voucher codes as the shopper typed them.

    Raises :class:`~commerce.pricing.exceptions.ShippingAddressRequiredError`
    when a method is asked for without an address with a country, and
    :class:`~commerce.pricing.exceptions.ShippingMethodUnavailableError` when the
    method does not serve this address and cart.
    """
    if lines is None:
        lines = list(cart.lines.select_related(*LINE_RELATIONS).order_by("created_at", "pk"))
    currency = cart.currency or (
        str(lines[0].variant.price.currency) if lines else commerce_settings.DEFAULT_CURRENCY
    )
    pricing_lines = [
        PricingLine(
            key=str(line.pk),
            variant=line.variant,
            quantity=line.quantity,
            unit_price=to_minor_units(line.variant.price),
        )
        for line in lines
        if str(line.variant.price.currency) == currency
    ]
    if customer is None:
        # The cart's user is read only for a signed-in cart (a query the caller
        # saves by passing ``customer``).
        user = cart.user if getattr(cart, "user_id", None) else None
        customer = Customer(user=user, email=getattr(user, "email", "") or "")
    return price_lines(
        pricing_lines,
        currency=currency,
        customer=customer,
        shipping_address=shipping_address,
        shipping_method=shipping_method,
        codes=codes,
        now=now,
    )


def price_lines(
    lines: Sequence[PricingLine],
    *,
    currency: str,
    customer: Customer,
    shipping_address: Any = None,
    shipping_method: str | None = None,
    codes: Iterable[str] = (),
    now=None,
) -> PricedCart:
    """The pipeline itself, over lines already read: see :func:`price_cart`."""
    exponent = currency_exponent(currency)
    destination = Destination.of(shipping_address)
    context = PricingContext(
        currency=currency,
        exponent=exponent,
        lines=tuple(lines),
        customer=customer,
        codes=normalize_codes(codes),
        now=now or timezone.now(),
        destination=destination,
    )

    # 2 and 3: discounts, each source after the ones before it.
    adjustments: dict[str, list[LineAdjustment]] = {line.key: [] for line in lines}
    order_discounts: list[OrderDiscount] = []
    shipping_discounts: list[ShippingDiscount] = []
    not_applied: list[Reason] = []
    code_statuses: dict[str, CodeStatus] = {}
    for source in discount_sources():
        result = source.evaluate(context)
        _check_discounts(source, result, context)
        for adjustment in result.line_adjustments:
            adjustments[adjustment.line_key].append(adjustment)
        order_discounts.extend(result.order_discounts)
        shipping_discounts.extend(result.shipping_discounts)
        not_applied.extend(result.not_applied)
        for status in result.codes:
            # A code one source applied is applied, whatever another said of it.
            if status.code not in code_statuses or status.applied:
                code_statuses[status.code] = status
        discounted = dict(context.discounted)
        for adjustment in result.line_adjustments:
            discounted[adjustment.line_key] = (
                discounted.get(adjustment.line_key, 0) + adjustment.amount
            )
        context = dataclasses.replace(context, discounted=discounted)

    # 4: order-level discounts, allocated to the lines at once.
    order_discounts = _cap(order_discounts, sum(context.line_total(line) for line in lines))
    for adjustment in allocate_order_discounts(order_discounts, lines, context.line_total):
        adjustments[adjustment.line_key].append(adjustment)

    def net(line: PricingLine) -> int:
        return line.base_total - sum(a.amount for a in adjustments[line.key])

    # 5: shipping. The destination's zones are matched once, for shipping and tax.
    shipping_methods: tuple[ShippingOption, ...] = ()
    zones: tuple[Any, ...] | None = None
    if destination is not None and destination.country:
        from commerce.pricing.shipping import shipping_options
        from commerce.pricing.zones import match_zones

        zones = tuple(match_zones(destination))

        shipping_methods = tuple(
            shipping_options(
                ShippingRequest(
                    currency=currency,
                    exponent=exponent,
                    destination=destination,
                    lines=tuple(lines),
                    subtotal=sum(net(line) for line in lines),
                    weight=sum(line.weight * line.quantity for line in lines),
                    zones=zones,
                )
            )
        )
    shipping = None
    if shipping_method:
        if destination is None or not destination.country:
            raise ShippingAddressRequiredError()
        option = next((o for o in shipping_methods if o.code == shipping_method), None)
        if option is None:
            raise ShippingMethodUnavailableError(
                details={
                    "shipping_method": shipping_method,
                    "available": [o.code for o in shipping_methods],
                }
            )
        shipping = _charge_shipping(option, shipping_discounts)

    # 6: tax, on what each line and the shipping cost after discounts.
    items = [TaxableItem(line.key, line.tax_class_id, line.quantity, net(line)) for line in lines]
    if shipping is not None:
        items.append(TaxableItem(SHIPPING_KEY, shipping.option.tax_class_id, 1, shipping.net))
    prices_include_tax = bool(commerce_settings.PRICES_INCLUDE_TAX)
    tax_lines = _calculate_tax(
        TaxRequest(
            currency=currency,
            exponent=exponent,
            destination=destination,
            items=tuple(items),
            prices_include_tax=prices_include_tax,
            rounding=tax_rounding(),
            customer=customer,
            zones=zones,
        )
    )
    if shipping is not None:
        shipping = dataclasses.replace(shipping, tax_lines=tuple(tax_lines.get(SHIPPING_KEY, ())))

    # 7: totals are properties of the result, so each is the sum of its parts.
    return PricedCart(
        currency=currency,
        exponent=exponent,
        lines=tuple(
            PricedLine(
                line=line,
                adjustments=tuple(adjustments[line.key]),
                tax_lines=tuple(tax_lines.get(line.key, ())),
            )
            for line in lines
        ),
        customer=customer,
        prices_include_tax=prices_include_tax,
        shipping=shipping,
        shipping_methods=shipping_methods,
        order_discounts=tuple(order_discounts),
        not_applied=tuple(not_applied),
        codes=tuple(
            code_statuses.get(code)
            or CodeStatus(code, False, Reason(None, "unknown_code", "This code does not exist."))
            for code in context.codes
        ),
    )


def explain(cart: Any, **kwargs: Any) -> tuple[Reason, ...]:
    """Why each promotion and code that exists did not apply to ``cart`` now.

    Takes :func:`price_cart`'s arguments; the codes the shopper entered are
    explained too (``unknown_code`` for one that does not exist).
    """
    return price_cart(cart, **kwargs).reasons


def tax_rounding() -> str:
    rounding = commerce_settings.TAX_ROUNDING
    if rounding not in TAX_ROUNDINGS:
        raise ImproperlyConfigured(
            f"COMMERCE['TAX_ROUNDING'] is {rounding!r}; use one of {', '.join(TAX_ROUNDINGS)}."
        )
    return rounding


# --- steps ------------------------------------------------------------------------------


def allocate_order_discounts(
    discounts: Sequence[OrderDiscount], lines: Sequence[PricingLine], line_total
) -> list[LineAdjustment]:
    """Spread order-level ``discounts`` over ``lines`` at once, by largest remainder.

    Their sum is first split in proportion to each line's total after line
    discounts (``line_total(line)``), so a line's share does not depend on how many
    discounts there are; then each discount is split over what is left of the
    lines' shares, so every discount's adjustments add up to it exactly and no line
    gives more than its share. Lines are taken in key order: the result does not
    depend on the order the cart lists them in. The sum must not exceed the lines'
    total (see :func:`_cap`).
    """
    ordered = sorted(lines, key=lambda line: line.key)
    keys = [line.key for line in ordered]
    shares = allocate(
        sum(d.amount for d in discounts), [line_total(line) for line in ordered], keys=keys
    )
    result = []
    for discount in discounts:
        parts = allocate(discount.amount, shares, keys=keys)
        for line, part in zip(ordered, parts, strict=True):
            if part:
                result.append(LineAdjustment(line.key, discount.discount, part))
        shares = [share - part for share, part in zip(shares, parts, strict=True)]
    return result


def _cap(discounts: Sequence[OrderDiscount], available: int) -> list[OrderDiscount]:
    """Trim order discounts so together they never exceed ``available``: the later
    ones give way first, and an order is never discounted below zero."""
    capped = []
    for discount in discounts:
        amount = min(discount.amount, available)
        available -= amount
        if amount:
            capped.append(dataclasses.replace(discount, amount=amount))
    return capped


def _charge_shipping(
    option: ShippingOption, discounts: Sequence[ShippingDiscount]
) -> ShippingCharge:
    remaining = option.price
    adjustments = []
    for discount in discounts:
        if discount.percent is not None:
            amount = min(percentage_of(remaining, discount.percent), remaining)
        else:
            amount = min(discount.amount or 0, remaining)
        if amount:
            adjustments.append(LineAdjustment(SHIPPING_KEY, discount.discount, amount))
            remaining -= amount
    return ShippingCharge(
        option=option,
        adjustments=tuple(adjustments),
        discount=option.price - remaining,
        tax_lines=(),
    )


def _check_discounts(source: Any, result: DiscountResult, context: PricingContext) -> None:
    """A source's answer must be payable: whole, non-negative amounts on known lines,
    never more off a line than it costs. A wrong answer is the source's bug, raised
    rather than charged."""
    totals = {line.key: context.line_total(line) for line in context.lines}
    taken: dict[str, int] = {}
    problems = []
    for adjustment in result.line_adjustments:
        if adjustment.line_key not in totals:
            problems.append(f"an adjustment on unknown line {adjustment.line_key!r}")
        elif not _is_amount(adjustment.amount):
            problems.append(f"a line adjustment of {adjustment.amount!r}")
        else:
            taken[adjustment.line_key] = taken.get(adjustment.line_key, 0) + adjustment.amount
    problems += [
        f"{amount} off line {key!r}, which costs {totals[key]}"
        for key, amount in taken.items()
        if amount > totals[key]
    ]
    problems += [
        f"an order discount of {d.amount!r}"
        for d in result.order_discounts
        if not _is_amount(d.amount)
    ]
    for d in result.shipping_discounts:
        if (d.percent is None) == (d.amount is None):
            problems.append("a shipping discount needs a percent or an amount, not both")
        elif d.amount is not None and not _is_amount(d.amount):
            problems.append(f"a shipping discount of {d.amount!r}")
        elif d.percent is not None and not 0 <= d.percent <= 100:
            problems.append(f"a shipping discount of {d.percent}%")
    if problems:
        raise ImproperlyConfigured(
            f"Discount source {type(source).__name__} answered {'; '.join(problems)}."
        )


def _is_amount(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _calculate_tax(request: TaxRequest) -> dict[str, list[TaxLine]]:
    strategy = tax_strategy()
    result = strategy.calculate(request)
    amounts = {item.key: item.amount for item in request.items}
    by_key: dict[str, list[TaxLine]] = {}
    problems = []
    for line in result.lines:
        if line.key not in amounts:
            problems.append(f"tax on unknown item {line.key!r}")
        elif not _is_amount(line.amount):
            problems.append(f"a tax amount of {line.amount!r}")
        else:
            by_key.setdefault(line.key, []).append(line)
    for key, lines in by_key.items():
        included = sum(line.amount for line in lines if line.included)
        if included > amounts[key]:
            problems.append(f"{included} of included tax in {key!r}, which costs {amounts[key]}")
    if problems:
        raise ImproperlyConfigured(
            f"COMMERCE['TAX_STRATEGY'] ({type(strategy).__name__}) answered {'; '.join(problems)}."
        )
    return by_key

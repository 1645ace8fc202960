"""Refunds by lines over random orders, through the real services and the dummy gateway.

Each example places an order (random lines, quantities and prices, random
promotions and vouchers, tax included in prices or added, with or without
shipping: the strategies of ``tests/pricing/test_properties.py``), pays it
through the dummy gateway (captured at once, or authorized then captured), and
refunds it by lines in a random sequence of refunds (random units of random
lines, the shipping at some point), trying over-refunds on the way, until
nothing is left. Everything happens in a transaction the example rolls back.

What must hold whatever the figures:

(a) each refund gives back the sum of the parts :func:`line_refund_parts` gives for
    its units (and the shipping), each line's units their shares of the line's cost;
(b) the total refunded never exceeds what was captured, nor any line's refunds its cost;
(c) refunding everything gives back exactly the order's total, each line its cost;
(d) the invariant checker finds nothing after every refund;
(e) an over-refund (more units than are left, the shipping twice, an amount past what
    is left) is refused with its typed error, and changes nothing.
"""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import transaction
from hypothesis import assume, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from commerce.cart.exceptions import CodeNotAppliedError
from commerce.core.exceptions import CommerceError, CommerceValidationError
from commerce.core.invariants import check_invariants
from commerce.core.money import allocate, currency_exponent, from_minor_units, to_minor_units
from commerce.orders.exceptions import InvalidTransitionError
from commerce.payments import services
from commerce.payments.exceptions import RefundExceedsCapturedError
from commerce.payments.gateways.registry import get_gateway
from commerce.payments.models import Payment, Refund, RefundLine
from commerce.payments.services.refund_lines import shipping_cost
from commerce.pricing.exceptions import DiscountUnavailableError
from commerce.testing.factories import ProductFactory, VariantFactory
from tests.orders.helpers import ADDRESS, place
from tests.payments.flows import deliver
from tests.pricing.helpers import method, rate, zone
from tests.pricing.strategies import (
    CURRENCIES,
    HYPOTHESIS,
    RATES,
    create_promotions,
    price_text,
    promotion_specs,
)

pytestmark = pytest.mark.django_db

SHIPPING = "shipping"


@st.composite
def orders(draw):
    """What to sell, at what prices and discounts, with what tax and shipping."""
    currency = draw(st.sampled_from(CURRENCIES))
    scale = 10 ** currency_exponent(currency)
    lines = draw(
        st.lists(st.tuples(st.integers(0, 80 * scale), st.integers(1, 4)), min_size=1, max_size=4)
    )
    specs = [draw(promotion_specs(currency, len(lines), n)) for n in range(draw(st.integers(0, 2)))]
    return {
        "currency": currency,
        "lines": lines,
        "promotions": specs,
        "rates": draw(
            st.lists(
                st.tuples(st.sampled_from(RATES), st.sampled_from([None, None, True, False])),
                max_size=2,
            )
        ),
        "include": draw(st.booleans()),
        "rounding": draw(st.sampled_from(["unit", "line", "document"])),
        "shipping": draw(st.none() | st.integers(0, 20 * scale)),
        "gateway": draw(st.sampled_from(["dummy", "dummy_manual"])),
    }


def place_order(scenario, customer):
    """The order of ``scenario``, placed with its vouchers (without them if one does not
    apply to this cart)."""
    currency = scenario["currency"]
    nigeria = zone("Nigeria", (ADDRESS["country"],))
    for n, (percent, included) in enumerate(scenario["rates"]):
        rate(nigeria, f"Tax {n}", percent, included=included)
    if scenario["shipping"] is not None:
        method(
            nigeria, "standard", price=price_text(scenario["shipping"], currency), currency=currency
        )
    variants = [
        VariantFactory(
            product=ProductFactory(), price=from_minor_units(price, currency), quantity=100
        )
        for price, _quantity in scenario["lines"]
    ]
    create_promotions(scenario["promotions"], variants)
    cart = {
        variant: quantity
        for variant, (_price, quantity) in zip(variants, scenario["lines"], strict=True)
    }
    shipping_method = "standard" if scenario["shipping"] is not None else None
    codes = [code for spec in scenario["promotions"] for code in spec.get("codes", ())]
    try:
        with transaction.atomic():
            return place(customer, cart, shipping_method=shipping_method, codes=codes).order
    except (CodeNotAppliedError, DiscountUnavailableError):
        return place(customer, cart, shipping_method=shipping_method, codes=[]).order


def pay(order, alias: str) -> Payment:
    """``order`` paid in full through the dummy gateway ``alias``."""
    gateway = get_gateway(alias)
    payment = services.start_payment(order, alias).payment
    deliver(gateway, gateway.confirm(payment.gateway_reference, "succeed"))
    payment.refresh_from_db()
    if payment.status == Payment.Status.AUTHORIZED:
        payment = services.capture_payment(payment)
    assert payment.status == Payment.Status.CAPTURED, payment.status
    return payment


def snapshot(payment: Payment):
    """What a refused refund must leave as it was."""
    payment.refresh_from_db()
    return (
        payment.status,
        payment.refunded_amount,
        list(Refund.objects.order_by("pk").values_list("pk", "status", "amount")),
        list(RefundLine.objects.order_by("pk").values_list("pk", "quantity", "amount")),
    )


def refused(
    payment: Payment, error: type[CommerceError] | tuple[type[CommerceError], ...], **refund
) -> CommerceError:
    """Assert ``refund`` is refused with ``error`` and changes nothing; return the error."""
    before = snapshot(payment)
    with pytest.raises(error) as caught:
        services.refund_payment(payment, reason="Too much", **refund)
    assert snapshot(payment) == before
    return caught.value


def try_an_over_refund(data, payment, lines, remaining, shipping_done) -> None:
    """(e): ask for one unit more than a line has left, the shipping again, or an
    amount past what is left."""
    kinds = ["units", "amount"] + (["shipping"] if shipping_done else [])
    kind = data.draw(st.sampled_from(kinds), label="over-refund")
    payment.refresh_from_db()
    if payment.status == Payment.Status.REFUNDED:
        one = from_minor_units(1, str(payment.amount.currency))
        refused(payment, InvalidTransitionError, amount=one)
        return
    if kind == "units":
        line = data.draw(st.sampled_from(lines), label="over-refunded line")
        error = refused(payment, CommerceValidationError, lines={line.pk: remaining[line.pk] + 1})
        assert error.code == "invalid_refund_lines"
        assert error.details["lines"][str(line.pk)] == [
            f"Only {remaining[line.pk]} of {line.quantity} left to refund."
        ]
    elif kind == "shipping":
        error = refused(payment, CommerceValidationError, shipping=True)
        assert error.details["lines"][SHIPPING] == ["The shipping is refunded already."]
    else:
        left = to_minor_units(payment.refundable_amount)
        extra = data.draw(st.integers(1, 1000), label="past what is left")
        currency = str(payment.amount.currency)
        refused(
            payment,
            RefundExceedsCapturedError,
            amount=from_minor_units(left + extra, currency),
        )


# Each example places, pays and refunds an order several times over: fewer examples than
# the pipeline's properties, each exercising more.
@hypothesis_settings(HYPOTHESIS, max_examples=20)
@given(data=st.data())
def test_refunds_by_lines_give_back_what_the_lines_cost(data, customer, settings):
    scenario = data.draw(orders(), label="order")
    settings.COMMERCE = {
        **settings.COMMERCE,
        "TAX_STRATEGY": "commerce.pricing.tax.FlatRates",
        "PRICES_INCLUDE_TAX": scenario["include"],
        "TAX_ROUNDING": scenario["rounding"],
    }
    with transaction.atomic():
        order = place_order(scenario, customer)
        # A free order takes no payment, so it has nothing to refund.
        assume(order.total.amount > 0)
        payment = pay(order, scenario["gateway"])
        captured = to_minor_units(payment.captured_amount)
        assert captured == to_minor_units(order.total)

        lines = list(order.lines.all())
        cost = {line.pk: to_minor_units(line.total) for line in lines}
        shares = {line.pk: allocate(cost[line.pk], [1] * line.quantity) for line in lines}
        remaining = {line.pk: line.quantity for line in lines}
        worthless = set()  # lines whose units left give back nothing
        given_back = Counter()  # order line id (or SHIPPING) -> minor units
        shipping_left = shipping_cost(order) > 0
        shipping_done = False
        refunded = 0
        while any(remaining[pk] for pk in remaining if pk not in worthless) or shipping_left:
            if data.draw(st.integers(0, 3), label="over-refund first?") == 0:
                try_an_over_refund(data, payment, lines, remaining, shipping_done)
            choices = [pk for pk, left in remaining.items() if left and pk not in worthless] + (
                [SHIPPING] if shipping_left else []
            )
            picked = data.draw(
                st.lists(st.sampled_from(choices), min_size=1, unique=True), label="refund"
            )
            units = {
                pk: data.draw(st.integers(1, remaining[pk]), label="units")
                for pk in picked
                if pk != SHIPPING
            }
            with_shipping = SHIPPING in picked
            expected = sum(
                sum(shares[pk][len(shares[pk]) - remaining[pk] :][:quantity])
                for pk, quantity in units.items()
            ) + (shipping_cost(order) if with_shipping else 0)
            if expected == 0:
                # Units whose shares are all 0 (a free line, or the last units of a line
                # costing less than one minor unit each) give nothing back: refused as
                # lines that cost nothing, or as any refund once the payment is refunded
                # in full.
                with pytest.raises(CommerceValidationError) as caught:
                    services.line_refund_parts(order, units, shipping=with_shipping)
                assert caught.value.code == "invalid_refund_lines"
                refused(
                    payment,
                    (CommerceValidationError, InvalidTransitionError),
                    lines=units,
                    shipping=with_shipping,
                )
                for pk in units:
                    done = len(shares[pk]) - remaining[pk]
                    assert not any(shares[pk][done:])  # the shares only shrink
                    worthless.add(pk)
                continue
            parts = services.line_refund_parts(order, units, shipping=with_shipping)
            assert sum(part.amount for part in parts) == expected
            # (a) Each line's units give back their shares of its cost, the next ones first.
            for part in parts:
                if part.order_line is None:
                    assert part.amount == shipping_cost(order)
                    continue
                pk = part.order_line.pk
                done = part.order_line.quantity - remaining[pk]
                assert part.amount == sum(shares[pk][done : done + part.quantity])
            refund = services.refund_payment(
                payment, lines=units, shipping=with_shipping, reason="Returned"
            )
            assert refund.status == Refund.Status.SUCCEEDED
            assert to_minor_units(refund.amount) == expected
            refunded += expected
            for part in parts:
                key = part.order_line.pk if part.order_line is not None else SHIPPING
                given_back[key] += part.amount
            # (d) The shop stays consistent after every refund.
            assert check_invariants() == []
            for pk, quantity in units.items():
                remaining[pk] -= quantity
            if with_shipping:
                shipping_left = False
                shipping_done = True
            # (b) Never more than was captured, nor more than a line cost.
            payment.refresh_from_db()
            assert to_minor_units(payment.refunded_amount or payment.zero) == refunded
            assert refunded <= captured
            assert all(given_back[pk] <= cost[pk] for pk in cost)
        # (c) Everything refunded: the order's total, each line its cost.
        assert refunded == captured == to_minor_units(order.total)
        assert all(given_back[pk] == cost[pk] for pk in cost)
        assert given_back[SHIPPING] == shipping_cost(order)
        assert payment.status == Payment.Status.REFUNDED
        try_an_over_refund(data, payment, lines, remaining, shipping_done)
        assert check_invariants() == []
        transaction.set_rollback(True)

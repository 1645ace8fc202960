"""Refunds by order lines: each unit gives back its share of what its line cost (after
discounts, with its tax), and refunding every line and the shipping gives back the total."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import override_settings

from commerce.core.exceptions import CommerceValidationError
from commerce.core.invariants import check_invariants
from commerce.core.money import to_minor_units
from commerce.orders.models import Order
from commerce.payments import services
from commerce.payments.models import Payment, Refund, RefundLine
from tests.helpers import assert_error, client_for, money
from tests.payments.helpers import TAXED

pytestmark = pytest.mark.django_db


def test_refunding_every_unit_one_by_one_gives_back_the_total(paid):
    order, payment, small, large = paid
    assert order.discount_total == money("5.00")
    given = []
    for line in (small, small, small, large):
        refund = services.refund_payment(payment, lines={line.pk: 1}, reason="One by one")
        assert refund.status == Refund.Status.SUCCEEDED
        given.append(to_minor_units(refund.amount))
    refund = services.refund_payment(payment, shipping=True, reason="Shipping")
    given.append(to_minor_units(refund.amount))
    # The small line's cost split over its three units, exactly.
    assert sum(given[:3]) == to_minor_units(small.total)
    assert given[3] == to_minor_units(large.total)
    assert sum(given) == to_minor_units(order.total)
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == Payment.Status.REFUNDED
    assert order.status == Order.Status.REFUNDED
    assert check_invariants() == []


def test_a_refund_of_some_lines_gives_back_what_they_cost(paid):
    _order, payment, small, large = paid
    refund = services.refund_payment(payment, lines={large.pk: 1, small.pk: 2}, reason="Return")
    assert refund.amount.amount == large.total.amount + sum(
        Decimal(s) / 100 for s in _shares(small)[:2]
    )
    assert sorted(
        (line.order_line_id == large.pk, line.quantity) for line in refund.lines.all()
    ) == [(False, 2), (True, 1)]
    # The rest of the small line is its last unit.
    last = services.refund_payment(payment, lines={small.pk: 1}, reason="Last")
    assert to_minor_units(last.amount) == _shares(small)[2]


def _shares(line):
    from commerce.core.money import allocate

    return allocate(to_minor_units(line.total), [1] * line.quantity)


@pytest.mark.parametrize(
    ("lines", "shipping", "problem"),
    [
        ("unknown", False, "Not a line of this order."),
        ("too_many", False, "Only 3 of 3 left to refund."),
        ("zero", False, "A whole number of units, at least 1."),
    ],
)
def test_bad_lines_are_refused_and_nothing_is_sent(paid, lines, shipping, problem):
    _order, payment, small, _large = paid
    key = {
        "unknown": "00000000-0000-0000-0000-000000000000",
        "too_many": str(small.pk),
        "zero": str(small.pk),
    }[lines]
    quantity = {"unknown": 1, "too_many": 4, "zero": 0}[lines]
    with pytest.raises(CommerceValidationError) as caught:
        services.refund_payment(payment, lines={key: quantity}, reason="Bad")
    assert caught.value.code == "invalid_refund_lines"
    assert caught.value.details["lines"][key] == [problem]
    assert not Refund.objects.exists()


def test_the_shipping_is_refunded_once_and_an_amount_is_not_mixed_with_lines(paid):
    _order, payment, small, _large = paid
    services.refund_payment(payment, shipping=True, reason="Late")
    with pytest.raises(CommerceValidationError) as caught:
        services.refund_payment(payment, shipping=True, reason="Again")
    assert caught.value.details["lines"]["shipping"] == ["The shipping is refunded already."]
    with pytest.raises(CommerceValidationError) as caught:
        services.refund_payment(payment, money("1.00"), lines={small.pk: 1}, reason="Both")
    assert "amount" in caught.value.details
    assert RefundLine.objects.count() == 1


def test_a_failed_refunds_lines_can_be_refunded_again(paid, dummy):
    order, payment, small, _large = paid
    refund = services.refund_payment(payment, lines={small.pk: 3}, reason="All")
    Refund.objects.filter(pk=refund.pk).update(status=Refund.Status.FAILED)
    assert services.line_refund_parts(order, {small.pk: 3})[0].quantity == 3


def test_staff_refund_lines_through_the_api(paid, staff_user):
    order, payment, _small, large = paid
    client = client_for(staff_user)
    url = f"/api/v1/payments/{payment.reference}/refunds/"
    response = client.post(
        url,
        {"lines": [{"line": str(large.pk), "quantity": 1}], "shipping": True, "reason": "Return"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="refund-lines-1",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert {line["line"] for line in body["lines"]} == {str(large.pk), None}
    expected = (
        to_minor_units(large.total)
        + to_minor_units(order.total)
        - sum(to_minor_units(line.total) for line in order.lines.all())
    )
    assert to_minor_units(money(body["amount"]["amount"])) == expected
    bad = client.post(
        url,
        {"lines": [{"line": str(large.pk), "quantity": 1}], "reason": "Again"},
        format="json",
    )
    assert_error(bad, 400, "invalid_refund_lines")
    with override_settings(COMMERCE={**TAXED}):
        assert check_invariants() == []


def test_a_line_refunded_past_its_cost_is_reported(paid):
    order, payment, small, _large = paid
    refund = services.refund_payment(payment, lines={small.pk: 1}, reason="One")
    assert check_invariants() == []
    RefundLine.objects.filter(refund=refund).update(quantity=4)
    (violation,) = check_invariants()
    assert (violation.code, violation.object) == ("refund.line_exceeds_cost", order.number)
    RefundLine.objects.filter(refund=refund).update(quantity=1, amount=money("99.00"))
    assert [v.code for v in check_invariants()] == ["refund.line_exceeds_cost"]


def test_refund_options_list_what_is_left_as_line_refund_parts_would_give_it(paid):
    order, payment, small, large = paid
    options = services.refund_options(order)
    assert [(o.order_line, o.refunded, o.unit_amounts) for o in options.lines] == [
        (small, 0, tuple(_shares(small))),
        (large, 0, (to_minor_units(large.total),)),
    ]
    assert options.shipping == services.line_refund_parts(order, {}, shipping=True)[0].amount
    services.refund_payment(payment, lines={small.pk: 1}, shipping=True, reason="One")
    failed = services.refund_payment(payment, lines={large.pk: 1}, reason="Failed")
    Refund.objects.filter(pk=failed.pk).update(status=Refund.Status.FAILED)
    options = services.refund_options(order)
    by_line = {o.order_line.pk: o for o in options.lines}
    assert (by_line[small.pk].refunded, by_line[small.pk].refundable) == (1, 2)
    assert by_line[small.pk].unit_amounts == tuple(_shares(small)[1:])
    assert (by_line[large.pk].refunded, by_line[large.pk].refundable) == (0, 1)
    assert options.shipping == 0
    # Each unit left gives back what the service will refund for it.
    assert services.line_refund_parts(order, {small.pk: 1})[0].amount == _shares(small)[1]


@pytest.mark.parametrize("restock", [True, False])
def test_a_full_refund_restocks_in_one_move_only_when_asked(paid, settings, monkeypatch, restock):
    from commerce.catalog import services as catalog_services
    from commerce.catalog.models import StockMovement, StockRecord

    settings.COMMERCE = {**settings.COMMERCE, "RESTOCK_ON_REFUND": restock}
    order, payment, small, large = paid
    before = {
        record.variant_id: record.quantity
        for record in StockRecord.objects.filter(variant__in=[small.variant, large.variant])
    }
    moves = []
    restock_service = catalog_services.restock

    def spy(lines, **kwargs):
        moves.append(sorted(lines))
        return restock_service(lines, **kwargs)

    monkeypatch.setattr(catalog_services, "restock", spy)
    services.refund_payment(payment, reason="Everything back")
    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED
    after = {
        record.variant_id: record.quantity
        for record in StockRecord.objects.filter(variant__in=[small.variant, large.variant])
    }
    if restock:
        # One move: every stock row is locked (in variant order) before any product.
        assert moves == [sorted([(small.variant_id, 3), (large.variant_id, 1)])]
        assert after == {
            small.variant_id: before[small.variant_id] + 3,
            large.variant_id: before[large.variant_id] + 1,
        }
        restocked = StockMovement.objects.filter(reference=order.number, kind="adjustment")
        assert set(restocked.values_list("reason", flat=True)) == {"Restocked after a full refund"}
    else:
        assert (moves, after) == ([], before)
    assert check_invariants() == []


def test_units_that_cost_nothing_are_refused_as_lines_not_as_an_amount(customer, vendor, dummy):
    from commerce.testing.factories import ProductFactory, VariantFactory
    from tests.orders.helpers import place
    from tests.payments.flows import deliver

    free = VariantFactory(product=ProductFactory(vendor=vendor), price=money("0.00"))
    paid_for = VariantFactory(product=ProductFactory(vendor=vendor), price=money("10.00"))
    order = place(customer, {free: 1, paid_for: 1}).order
    payment = services.start_payment(order, "dummy").payment
    deliver(dummy, dummy.confirm(payment.gateway_reference, "succeed"))
    payment.refresh_from_db()
    lines = {line.sku: line for line in order.lines.all()}
    gift = lines[free.sku]
    with pytest.raises(CommerceValidationError) as caught:
        services.refund_payment(payment, lines={gift.pk: 1}, reason="Gift back")
    assert caught.value.code == "invalid_refund_lines"
    assert caught.value.details == {"lines": {str(gift.pk): ["Costs nothing."]}}
    assert not payment.refunds.exists()
    # Together with a unit that costs something, it is refunded and recorded.
    refund = services.refund_payment(
        payment, lines={gift.pk: 1, lines[paid_for.sku].pk: 1}, reason="Both back"
    )
    assert refund.amount == money("10.00")
    assert RefundLine.objects.filter(refund=refund).count() == 2

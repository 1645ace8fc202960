"""The invariant checker on orders and payments: it catches each violation it claims to.

Every test builds a correct state through the services (checkout, the dummy
gateway's signed webhooks, refunds), corrupts it with a raw queryset call
that bypasses them, and asserts that the checker reports exactly that
violation code for that object and nothing else. Two corruptions are refused
by the database itself (a second active payment for an order, a webhook
event stored twice): those tests prove the refusal, then drop the constraint
inside the test's transaction to prove the checker catches it anyway. The
stock checks are in ``tests/test_invariants.py``, which also runs on the
catalog-only host.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from commerce.catalog.models import StockRecord
from commerce.core.invariants import check_invariants, codes
from commerce.orders import services as order_services
from commerce.orders.models import Order, OrderLine
from commerce.payments import services
from commerce.payments.gateways.registry import get_gateway
from commerce.payments.models import Payment, PaymentEvent, Refund, WebhookEvent
from commerce.testing.factories import ProductFactory, VariantFactory
from tests.helpers import money
from tests.invariant_helpers import constraint_dropped, documented_codes, found
from tests.orders.helpers import place
from tests.payments.flows import deliver

pytestmark = pytest.mark.django_db

#: Upper bound on the checker's queries with every app installed: one per check.
MAX_QUERIES = 11


def pay(order: Order, alias: str = "dummy") -> tuple[Payment, list[bytes]]:
    """Pay ``order`` as a shopper would: start, confirm at the dummy provider, webhook."""
    payment = services.start_payment(order, alias).payment
    gateway = get_gateway(alias)
    bodies = gateway.confirm(payment.gateway_reference, "succeed")
    deliver(gateway, bodies)
    payment.refresh_from_db()
    order.refresh_from_db()
    return payment, bodies


@pytest.fixture
def mug(vendor):
    product = ProductFactory(vendor=vendor, name="Mug", slug="mug")
    return VariantFactory(product=product, sku="MUG-1", price=money("8.00"), quantity=50)


@pytest.fixture
def paid(order) -> Payment:
    """Customer A's 25.00 order, paid through the dummy gateway's webhook."""
    payment, _ = pay(order)
    assert order.status == Order.Status.PAID
    return payment


@pytest.fixture
def refunded_10(paid) -> Payment:
    """``paid`` with 10.00 of its 25.00 refunded."""
    services.refund_payment(paid, money("10.00"), reason="Damaged")
    paid.refresh_from_db()
    assert paid.status == Payment.Status.PARTIALLY_REFUNDED
    return paid


def make_shop(customer, shirt, mug) -> dict[str, Order]:
    """A shop in every state the services produce, all of it consistent."""
    shop = {}
    # Expired first, while it is the only pending order.
    shop["expired"] = place(None, {mug: 1}).order
    assert order_services.expire_orders(now=timezone.now() + timedelta(days=1)) == 1
    shop["pending"] = place(customer, {shirt: 1, mug: 2}).order
    services.start_payment(shop["pending"], "dummy")
    services.start_payment(shop["pending"], "dummy")  # supersedes the first
    shop["cancelled"] = order_services.cancel_order(place(customer, {mug: 1}).order)
    shop["authorized"] = place(None, {mug: 1}).order
    pay(shop["authorized"], "dummy_manual")
    shop["captured_manually"] = place(None, {mug: 1}).order
    pay(shop["captured_manually"], "dummy_manual")
    services.capture_payment(shop["captured_manually"].payments.get())
    # A failed attempt, then a successful one; the webhook delivered twice.
    shop["paid"] = place(customer, {shirt: 2}).order
    failed = services.start_payment(shop["paid"], "dummy").payment
    deliver(get_gateway("dummy"), get_gateway("dummy").confirm(failed.gateway_reference, "fail"))
    _, bodies = pay(shop["paid"])
    replays = deliver(get_gateway("dummy"), bodies)
    assert [record.duplicate for record in replays] == [True]
    shop["delivered"] = place(None, {shirt: 1}).order
    pay(shop["delivered"])
    order_services.ship_order(shop["delivered"], carrier="Post", tracking_number="T1")
    order_services.deliver_order(shop["delivered"])
    shop["partly_refunded"] = place(None, {mug: 3}).order
    payment, _ = pay(shop["partly_refunded"])
    services.refund_payment(payment, money("5.00"))
    shop["refunded"] = place(customer, {shirt: 1, mug: 1}).order
    payment, _ = pay(shop["refunded"])
    services.refund_payment(payment, money("0.50"))
    services.refund_payment(payment)
    for order in shop.values():
        order.refresh_from_db()
    return shop


# --- a consistent shop ------------------------------------------------------------------


def test_a_shop_the_services_built_reports_nothing(customer, shirt, mug):
    shop = make_shop(customer, shirt, mug)
    statuses = {name: order.status for name, order in shop.items()}
    assert statuses == {
        "expired": "cancelled",
        "pending": "pending",
        "cancelled": "cancelled",
        "authorized": "pending",
        "captured_manually": "paid",
        "paid": "paid",
        "delivered": "delivered",
        "partly_refunded": "paid",
        "refunded": "refunded",
    }
    assert check_invariants() == []


def test_the_query_count_does_not_grow_with_the_shop(
    customer, shirt, mug, django_assert_max_num_queries
):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert check_invariants() == []
        return len(captured)

    pay(place(customer, {shirt: 1}).order)
    few = queries()
    make_shop(customer, shirt, mug)
    for _ in range(5):
        payment, _ = pay(place(None, {mug: 1}).order)
        services.refund_payment(payment, money("1.00"))
    assert Order.objects.count() > 10
    assert queries() == few
    with django_assert_max_num_queries(MAX_QUERIES):
        check_invariants()


def test_the_invariants_page_documents_exactly_the_codes():
    # Every commerce app is installed here, so every code is registered.
    assert sorted(documented_codes()) == sorted(codes())


# --- stock against pending orders -------------------------------------------------------


@pytest.mark.parametrize("change", [-1, 1], ids=["fewer", "more"])
def test_a_reservation_pending_orders_do_not_hold_is_reported(order, shirt, change):
    StockRecord.objects.filter(variant=shirt).update(reserved=F("reserved") + change)
    (violation,) = check_invariants()
    assert (violation.code, violation.object) == ("stock.reserved_mismatch", "SHIRT-M")
    assert violation.message == f"reserved {2 + change}, but pending orders hold 2"


def test_an_order_cancelled_without_releasing_its_stock_is_reported(order, shirt):
    Order.objects.filter(pk=order.pk).update(status=Order.Status.CANCELLED)
    assert found() == [("stock.reserved_mismatch", "SHIRT-M")]


# --- orders -----------------------------------------------------------------------------


def test_an_order_without_lines_is_reported(paid, order):
    # A raw delete: no update can take an order's lines away from it alone.
    OrderLine.objects.filter(order=order).delete()
    assert found() == [("order.no_lines", order.number)]


def test_a_line_total_that_is_not_price_times_quantity_is_reported(order):
    OrderLine.objects.filter(order=order).update(unit_price=money("12.00"))
    (violation,) = check_invariants()
    assert (violation.code, violation.object) == ("order.line_total_mismatch", order.number)
    assert violation.message == "line SHIRT-M: total 25.00 USD, but 2 x 12.00 USD is 24.00 USD"


def test_a_subtotal_that_is_not_the_sum_of_the_lines_is_reported(order):
    Order.objects.filter(pk=order.pk).update(subtotal=money("20.00"), total=money("20.00"))
    (violation,) = check_invariants()
    assert (violation.code, violation.object) == ("order.subtotal_mismatch", order.number)
    assert violation.message == "subtotal 20.00 USD, but its lines add up to 25.00 USD"


def test_a_total_that_does_not_add_up_is_reported(order):
    Order.objects.filter(pk=order.pk).update(total=money("30.00"))
    (violation,) = check_invariants()
    assert (violation.code, violation.object) == ("order.total_mismatch", order.number)
    assert violation.message == (
        "total 30.00 USD, but subtotal - discount + shipping + added tax is 25.00 USD"
    )


def test_a_discount_or_tax_that_is_not_the_sum_of_its_parts_is_reported(order):
    line = order.lines.get()
    Order.objects.filter(pk=order.pk).update(discount_total=money("1.00"), total=money("24.00"))
    assert {(v.code, v.object) for v in check_invariants()} == {
        ("order.discount_mismatch", order.number)
    }
    Order.objects.filter(pk=order.pk).update(
        discount_total=money("0.00"), total=money("25.00"), tax_total=money("2.00")
    )
    assert {(v.code, v.object) for v in check_invariants()} == {
        ("order.tax_mismatch", order.number)
    }
    Order.objects.filter(pk=order.pk).update(tax_total=money("0.00"))
    OrderLine.objects.filter(pk=line.pk).update(discount_total=money("30.00"))
    codes = {v.code for v in check_invariants()}
    assert {"order.line_discount_mismatch", "order.discount_mismatch"} <= codes


def test_shipping_that_is_not_its_price_less_its_discounts_is_reported(order):
    Order.objects.filter(pk=order.pk).update(
        shipping_price=money("5.00"), shipping_total=money("5.00"), total=money("30.00")
    )
    assert check_invariants() == []
    Order.objects.filter(pk=order.pk).update(shipping_total=money("4.00"), total=money("29.00"))
    (violation,) = check_invariants()
    assert (violation.code, violation.object) == ("order.shipping_mismatch", order.number)


def test_an_order_amount_in_another_currency_is_reported(order):
    Order.objects.filter(pk=order.pk).update(shipping_total=money("0.00", "EUR"))
    (violation,) = check_invariants()
    assert (violation.code, violation.object) == ("order.currency_mismatch", order.number)
    assert violation.message == "the order is in USD, but shipping_total in EUR"


def test_a_line_in_another_currency_is_reported(order):
    OrderLine.objects.filter(order=order).update(line_total_currency="EUR")
    (violation,) = check_invariants()
    assert (violation.code, violation.object) == ("order.currency_mismatch", order.number)
    assert violation.message == "the order is in USD, but line SHIRT-M has line_total in EUR"


# --- payments ---------------------------------------------------------------------------


def test_a_paid_order_whose_capture_falls_short_is_reported(paid, order):
    Payment.objects.filter(pk=paid.pk).update(captured_amount=money("20.00"))
    (violation,) = check_invariants()
    assert (violation.code, violation.object) == ("payment.capture_shortfall", order.number)
    assert violation.message == (
        "the order is paid with a total of 25.00 USD, but its payments captured 20.00 USD"
    )


@pytest.mark.parametrize("status", ["shipped", "delivered", "refunded"])
def test_a_settled_order_without_a_captured_payment_is_reported(paid, order, status):
    Order.objects.filter(pk=order.pk).update(status=status)
    Payment.objects.filter(pk=paid.pk).update(status=Payment.Status.FAILED)
    assert found() == [("payment.capture_shortfall", order.number)]


def test_a_refund_beyond_the_capture_is_reported(refunded_10):
    # The refund row and the payment agree (30.00), so only the capture is exceeded.
    Payment.objects.filter(pk=refunded_10.pk).update(refunded_amount=money("30.00"))
    Refund.objects.filter(payment=refunded_10).update(amount=money("30.00"))
    (violation,) = check_invariants()
    assert (violation.code, violation.object) == (
        "payment.refund_exceeds_capture",
        refunded_10.reference,
    )
    assert violation.message == "refunded 30.00 USD, but captured 25.00 USD"


def test_a_refunded_amount_its_refunds_do_not_add_up_to_is_reported(refunded_10):
    Refund.objects.filter(payment=refunded_10).update(amount=money("5.00"))
    (violation,) = check_invariants()
    assert (violation.code, violation.object) == ("payment.refund_mismatch", refunded_10.reference)
    assert violation.message == "refunded 10.00 USD, but its succeeded refunds add up to 5.00 USD"


def test_a_failed_refund_still_counted_as_refunded_is_reported(refunded_10):
    Refund.objects.filter(payment=refunded_10).update(status=Refund.Status.FAILED)
    assert found() == [("payment.refund_mismatch", refunded_10.reference)]


@pytest.mark.parametrize(
    "field", ["captured_amount_currency", "refunded_amount_currency", "amount_currency"]
)
def test_a_payment_amount_in_another_currency_is_reported(refunded_10, field):
    Payment.objects.filter(pk=refunded_10.pk).update(**{field: "EUR"})
    (violation,) = check_invariants()
    assert (violation.code, violation.object) == (
        "payment.currency_mismatch",
        refunded_10.reference,
    )
    assert violation.message == f"the order is in USD, but {field.removesuffix('_currency')} in EUR"


def test_a_refund_in_another_currency_is_reported(refunded_10):
    Refund.objects.filter(payment=refunded_10).update(amount_currency="EUR")
    (violation,) = check_invariants()
    assert (violation.code, violation.object) == (
        "payment.currency_mismatch",
        refunded_10.reference,
    )
    assert violation.message == "the order is in USD, but a refund in another currency"


@pytest.fixture
def superseded(order) -> Payment:
    """A payment a second start cancelled; the second one is processing."""
    first = services.start_payment(order, "dummy").payment
    services.start_payment(order, "dummy")
    first.refresh_from_db()
    assert first.status == Payment.Status.CANCELLED
    return first


def test_the_database_refuses_a_second_active_payment(superseded):
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.filter(pk=superseded.pk).update(status=Payment.Status.PROCESSING)


def test_two_active_payments_for_one_order_are_reported(superseded, order):
    with constraint_dropped(Payment, "commerce_payment_one_active_per_order"):
        Payment.objects.filter(pk=superseded.pk).update(status=Payment.Status.AUTHORIZED)
    (violation,) = check_invariants()
    assert (violation.code, violation.object) == ("payment.multiple_active", order.number)
    assert violation.message == "2 payments are pending, processing or authorized at once"


# --- webhooks ---------------------------------------------------------------------------


def capture_event(payment: Payment) -> WebhookEvent:
    return WebhookEvent.objects.get(payment=payment, type="captured")


def test_the_database_refuses_a_webhook_event_stored_twice(paid, customer, shirt):
    other, _ = pay(place(customer, {shirt: 1}).order)
    with pytest.raises(IntegrityError), transaction.atomic():
        WebhookEvent.objects.filter(pk=capture_event(other).pk).update(
            event_id=capture_event(paid).event_id
        )


@pytest.mark.postgres  # SQLite keeps an unconditional unique constraint inside the table
def test_a_webhook_event_stored_twice_is_reported(paid, customer, shirt):
    other, _ = pay(place(customer, {shirt: 1}).order)
    event_id = capture_event(paid).event_id
    with constraint_dropped(WebhookEvent, "commerce_webhookevent_once"):
        WebhookEvent.objects.filter(pk=capture_event(other).pk).update(event_id=event_id)
    (violation,) = check_invariants()
    assert (violation.code, violation.object) == ("webhook.duplicate_event", f"dummy:{event_id}")
    assert violation.message == "stored 2 times"


def test_a_webhook_event_that_moved_a_payment_twice_is_reported(paid):
    event_id = capture_event(paid).event_id
    # The capture's own transition names its webhook event; make an earlier one name it too.
    key = PaymentEvent.WEBHOOK_EVENT_KEY
    assert paid.events.get(kind="capture").data[key] == event_id
    earlier = PaymentEvent.objects.get(payment=paid, kind="mark_processing")
    earlier.data = {**earlier.data, key: event_id}
    earlier.save(update_fields=["data"])
    (violation,) = check_invariants()
    assert (violation.code, violation.object) == ("webhook.applied_twice", f"dummy:{event_id}")
    assert violation.message == "drove 2 payment status changes"


def test_one_event_id_at_two_gateways_is_two_events(paid, customer, shirt):
    other_order = place(customer, {shirt: 1}).order
    other, _ = pay(other_order, "dummy_manual")
    event_id = capture_event(paid).event_id
    PaymentEvent.objects.filter(payment=other, kind="authorize").update(
        reason=f"webhook {event_id}"
    )
    assert check_invariants() == []


def test_events_that_moved_nothing_do_not_count(paid):
    # Flags and gateway calls carry the event's reason but no status change.
    event_id = capture_event(paid).event_id
    PaymentEvent.objects.filter(payment=paid, kind="initiate").update(
        reason=f"webhook {event_id}: flagged"
    )
    PaymentEvent.objects.filter(payment=paid, kind="created").update(reason=f"webhook {event_id}")
    assert check_invariants() == []


@pytest.mark.parametrize("suffix", ["", " (deferred)"], ids=["direct", "deferred"])
def test_the_backfill_migration_names_webhook_events_written_before_the_data_key(paid, suffix):
    from importlib import import_module

    from django.apps import apps

    backfill = import_module(
        "commerce.payments.migrations.0004_payment_event_webhook_event_id"
    ).backfill
    key = PaymentEvent.WEBHOOK_EVENT_KEY
    event_id = capture_event(paid).event_id
    capture = paid.events.get(kind="capture")
    # As 0003 left it: the id only in the reason.
    old_data = {k: v for k, v in capture.data.items() if k != key}
    PaymentEvent.objects.filter(pk=capture.pk).update(
        data=old_data, reason=f"webhook {event_id}{suffix}"
    )
    untouched = paid.events.get(kind="mark_processing")

    backfill(apps, None)

    capture.refresh_from_db()
    assert capture.data == {**old_data, key: event_id}
    untouched_after = PaymentEvent.objects.get(pk=untouched.pk)
    assert key not in untouched_after.data
    assert check_invariants() == []

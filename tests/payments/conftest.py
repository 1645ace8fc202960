"""Fixtures for the payment tests (helpers live in ``fakes.py`` and ``flows.py``)."""

from __future__ import annotations

import pytest

from tests.payments.fakes import FakePayment


@pytest.fixture
def payment() -> FakePayment:
    return FakePayment()


# --- database-backed fixtures for the payment services and endpoints -----------------

from commerce.orders.models import Order  # noqa: E402
from commerce.payments.gateways.registry import get_gateway  # noqa: E402
from tests.helpers import money  # noqa: E402
from tests.orders.helpers import place  # noqa: E402


@pytest.fixture
def shirt(vendor):
    """12.50, 10 in stock."""
    from commerce.testing.factories import ProductFactory, VariantFactory

    product = ProductFactory(vendor=vendor, name="Plain shirt", slug="plain-shirt")
    return VariantFactory(product=product, sku="SHIRT-M", price=money("12.50"))


@pytest.fixture
def order(customer, shirt) -> Order:
    """Customer A's pending order: 2 shirts, 25.00 (no shipping or tax configured)."""
    return place(customer, {shirt: 2}).order


@pytest.fixture
def guest_placed(shirt):
    """A guest's pending order (1 shirt) and its access token."""
    return place(None, {shirt: 1})


@pytest.fixture
def dummy():
    return get_gateway("dummy")


from tests.payments.helpers import TAXED  # noqa: E402


@pytest.fixture
def paid(customer, vendor, dummy, settings):
    """A paid order: 3 x 3.33 and 1 x 10.00, a 5.00 voucher spread over both lines,
    4.00 shipping, 7.5 % tax added to the lines and the shipping.

    Returns the order, its captured payment, the small line and the large line."""
    from commerce.catalog import services as catalog_services
    from commerce.payments import services
    from commerce.payments.models import Payment
    from commerce.promotions import services as promotion_services
    from commerce.testing.factories import ProductFactory, VariantFactory
    from tests.payments.flows import deliver
    from tests.pricing.helpers import method, rate, zone

    settings.COMMERCE = {**settings.COMMERCE, **TAXED}
    ng = zone("Nigeria", ("NG",))
    method(ng, "standard", price="4.00")
    rate(ng, "VAT", "7.5")
    promotion_services.create_promotion(
        name="Five off",
        lane="order",
        requires_code=True,
        currency="USD",
        benefit={"kind": "amount_off", "amount": money("5.00"), "allocation": "across"},
        codes=["FIVE"],
    )
    # The small line comes first in the order but has the larger variant id, so that
    # "in variant order" is a real choice for whatever walks the lines.
    first, second = sorted(
        (VariantFactory(product=ProductFactory(vendor=vendor), price=money("3.33")) for _ in "ab"),
        key=lambda variant: variant.pk.bytes,
    )
    small, large = second, catalog_services.update_variant(first, price=money("10.00"))
    order = place(customer, {small: 3, large: 1}, shipping_method="standard", codes=["FIVE"]).order
    payment = services.start_payment(order, "dummy").payment
    deliver(dummy, dummy.confirm(payment.gateway_reference, "succeed"))
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CAPTURED
    lines = {line.sku: line for line in order.lines.all()}
    return order, payment, lines[small.sku], lines[large.sku]

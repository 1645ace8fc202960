"""The machinery behind ``tests/test_authorization_matrix.py``: the routes, the world, the cast.

- :func:`routed_endpoints` walks the test URLconf (``tests.urls``) and answers
  ``"METHOD /path/{param}/"`` for every route and method outside the admin.
- :class:`World` builds, on first use and fresh for each test, what a request
  may need: customer A's order (with a line of vendor V's product), address,
  cart and payment, the product itself, the other shoppers' carts.
- :func:`client_for_actor` gives each member of :data:`ACTORS` a client.
- :func:`snapshot` and :meth:`World.secrets` let a test prove that a refusal
  changed nothing and that no response carries what its caller may not see.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import EndpointEnumerator
from rest_framework.test import APIClient
from rest_framework.views import APIView

from commerce.cart import services as cart_services
from commerce.cart.models import Cart, CartLine
from commerce.catalog import services as catalog_services
from commerce.catalog.models import (
    Product,
    ProductImage,
    StockRecord,
    TaxClass,
    Variant,
    Vendor,
)
from commerce.orders import services as order_services
from commerce.orders.models import Address, Order, OrderEvent
from commerce.payments import services as payment_services
from commerce.payments.gateways.registry import get_gateway
from commerce.payments.models import Payment, Refund, WebhookEvent
from commerce.pricing import services as pricing_services
from commerce.pricing.models import ShippingMethod, TaxRate, Zone
from commerce.promotions import services as promotion_services
from commerce.promotions.models import Promotion, VoucherCode
from commerce.testing.factories import (
    CategoryFactory,
    ProductFactory,
    StaffUserFactory,
    TaxClassFactory,
    UserFactory,
    VariantFactory,
    VendorFactory,
    VendorMembershipFactory,
)
from tests.helpers import money

#: Everyone the matrix asks about, in the order of its columns.
ACTORS = (
    "anonymous",  # no credentials at all
    "customer",  # customer A: owns the order, the cart, the address and the payment
    "customer_b",  # another signed-in shopper, with a cart of their own
    "guest_with_token",  # no account, but the X-Order-Token of A's order
    "guest_without_token",  # no account, a wrong X-Order-Token
    "vendor_member",  # a member of vendor V, whose product is in A's order
    "other_vendor_member",  # a member of vendor W, with nothing in A's order
    "staff_user",  # passes COMMERCE["STAFF_CHECK"]
)

#: Routes under these prefixes are not part of the API (Django's admin has its own auth).
OUTSIDE_THE_MATRIX = ("/admin/",)

#: Methods a plain (non-DRF) view is probed with; HEAD and OPTIONS follow GET and the framework.
PROBED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

SHIPPING = {
    "full_name": "Ada Lovelace",
    "line1": "12 Secret Street",
    "city": "Lagos",
    "postal_code": "100001",
    "country": "NG",
}
BOOK_ADDRESS = {
    "full_name": "Ada Lovelace",
    "line1": "7 Private Lane",
    "city": "Abuja",
    "postal_code": "900001",
    "country": "NG",
}
B_ADDRESS = {**BOOK_ADDRESS, "full_name": "Bob Other", "line1": "99 Elsewhere Road"}
RETURN_URL = "https://shop.example/paid"
SHIPMENT = {"carrier": "DHL", "tracking_number": "JD0123456789"}
PLACEHOLDER = re.compile(r"\{(?P<name>[^}]+)\}")


# --- the routes ----------------------------------------------------------------------------


def _patterns(patterns, prefix: str = ""):
    """``(regex-or-route string, URLPattern)`` for every leaf of the URLconf."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def _probe_methods(path: str) -> list[str]:
    """The methods a plain Django view answers with anything but a 405.

    Parameters are filled with ``probe``; a view that 404s on that answers every
    method here, so its rows must say so (or the probe learn a better value).
    """
    url = PLACEHOLDER.sub("probe", path)
    client = Client()
    return [method for method in PROBED_METHODS if client.generic(method, url).status_code != 405]


def routed_endpoints() -> set[str]:
    """``"METHOD /path/{param}/"`` for every route of the root URLconf outside the admin.

    DRF views are read like drf-spectacular reads them (a viewset's bound
    actions, an APIView's handlers), but without its schema filter, so a view
    excluded from the schema is still found. Plain Django views are probed.
    HEAD and OPTIONS are left out, as in the API reference.
    """
    enumerator = EndpointEnumerator()
    found = set()
    for route, pattern in _patterns(get_resolver().url_patterns):
        path = enumerator.get_path_from_regex(route)
        if path.startswith(OUTSIDE_THE_MATRIX):
            continue
        view_class = getattr(pattern.callback, "cls", None)
        if isinstance(view_class, type) and issubclass(view_class, APIView):
            methods = enumerator.get_allowed_methods(pattern.callback)
        else:
            methods = _probe_methods(path)
        found.update(f"{method} {path}" for method in methods)
    return found


# --- the world -----------------------------------------------------------------------------


class World:
    """Everything a route may need, built on first use so each test builds only its share.

    ``order_state`` (``pending``, ``paid``, ``shipped``) and ``payment_state``
    (``processing``, ``authorized``, ``captured``) say what the route needs to
    succeed for whoever may call it: shipping needs a paid order, a capture
    an authorized payment.
    """

    def __init__(self, *, order_state: str = "pending", payment_state: str = "processing"):
        self.order_state = order_state
        self.payment_state = payment_state

    # the cast
    @cached_property
    def customer(self):
        return UserFactory(email="ada.a@example.com")

    @cached_property
    def customer_b(self):
        return UserFactory(email="bob.b@example.com")

    @cached_property
    def staff_user(self):
        return StaffUserFactory(email="staff@example.com")

    @cached_property
    def vendor(self) -> Vendor:
        return VendorFactory(name="Acme", slug="acme")

    @cached_property
    def vendor_member(self):
        return VendorMembershipFactory(vendor=self.vendor, user__email="member@acme.example").user

    @cached_property
    def other_vendor(self) -> Vendor:
        return VendorFactory(name="Globex", slug="globex")

    @cached_property
    def other_vendor_member(self):
        return VendorMembershipFactory(
            vendor=self.other_vendor, user__email="member@globex.example"
        ).user

    # the catalog
    @cached_property
    def category(self):
        return CategoryFactory(name="Shirts", slug="shirts")

    @cached_property
    def tax_class(self) -> TaxClass:
        return TaxClassFactory(name="Reduced", slug="reduced")

    # pricing and promotions (staff configuration)
    @cached_property
    def zone(self) -> Zone:
        return pricing_services.create_zone(name="Germany", members=[{"country": "DE"}])

    @cached_property
    def shipping_method(self) -> ShippingMethod:
        return pricing_services.create_shipping_method(
            zone=self.zone, name="Standard", code="standard", currency="USD", price=money("5.00")
        )

    @cached_property
    def tax_rate(self) -> TaxRate:
        return pricing_services.create_tax_rate(zone=self.zone, name="VAT", rate=Decimal("19"))

    @cached_property
    def promotion(self) -> Promotion:
        """A code-only ten percent off, with the code WELCOME."""
        return promotion_services.create_promotion(
            name="Welcome",
            requires_code=True,
            benefit={"kind": "percentage_off", "percent": Decimal("10")},
            codes=["WELCOME"],
        )

    @cached_property
    def variant(self) -> Variant:
        """V's published shirt: 12.50, 10 in stock."""
        product = ProductFactory(
            vendor=self.vendor, category=self.category, name="Plain shirt", slug="plain-shirt"
        )
        return VariantFactory(
            product=product, sku="SHIRT-M", price=money("12.50"), cost_price=money("4.00")
        )

    @cached_property
    def product(self) -> Product:
        # Built with its variant: a product without one has no price and is not shown.
        return self.variant.product

    @cached_property
    def image(self) -> ProductImage:
        return catalog_services.add_product_image(
            self.product, image="commerce/products/front.png", alt_text="Front"
        )

    # customer A's things
    @cached_property
    def placed(self) -> order_services.PlacedOrder:
        """A's order of two of V's shirts, placed from a cart of its own (A's stays as it is)."""
        cart, _ = cart_services.get_or_create_cart(user=None)
        cart_services.add_line(cart, variant_id=self.variant.pk, quantity=2)
        placed = order_services.place_order(
            cart=cart, user=self.customer, shipping_address=SHIPPING
        )
        order = placed.order
        if self.order_state in ("paid", "shipped"):
            order = order_services.mark_order_paid(order)
        if self.order_state == "shipped":
            order_services.ship_order(order, actor=self.staff_user, **SHIPMENT)
        return placed

    @cached_property
    def order(self) -> Order:
        return self.placed.order

    @cached_property
    def order_token(self) -> str:
        return self.placed.access_token

    @cached_property
    def address(self) -> Address:
        return order_services.create_address(
            self.customer, **BOOK_ADDRESS, is_default_shipping=True
        )

    @cached_property
    def cart_line(self) -> CartLine:
        cart, _ = cart_services.get_or_create_cart(user=self.customer)
        cart_services.add_line(cart, variant_id=self.variant.pk, quantity=1)
        return cart.lines.get()

    @cached_property
    def payment(self) -> Payment:
        alias = "dummy_manual" if self.payment_state == "authorized" else "dummy"
        payment = payment_services.start_payment(self.order, alias, return_url=RETURN_URL).payment
        if self.payment_state in ("authorized", "captured"):
            gateway = get_gateway(alias)
            for body in gateway.confirm(payment.gateway_reference, "succeed"):
                payment_services.handle_webhook(alias, body, gateway.sign(body))
            payment.refresh_from_db()
        assert payment.status == self.payment_state, payment.status
        return payment

    @cached_property
    def webhook_body(self) -> bytes:
        """The dummy provider's signed word that A's payment succeeded."""
        (body,) = get_gateway(self.payment.gateway).confirm(
            self.payment.gateway_reference, "succeed"
        )
        return body

    def webhook_headers(self) -> dict[str, str]:
        gateway = get_gateway(self.payment.gateway)
        return {
            f"HTTP_{name.upper().replace('-', '_')}": value
            for name, value in gateway.sign(self.webhook_body).items()
        }

    # the others' things
    @cached_property
    def b_cart(self) -> Cart:
        cart, _ = cart_services.get_or_create_cart(user=self.customer_b)
        return cart_services.add_line(cart, variant_id=self.variant.pk, quantity=1)

    @cached_property
    def b_address(self) -> Address:
        return order_services.create_address(self.customer_b, **B_ADDRESS)

    @cached_property
    def guest_cart_token(self) -> str:
        """The token of someone's anonymous cart, for a signed-in user to merge."""
        cart, token = cart_services.get_or_create_cart(user=None)
        cart_services.add_line(cart, variant_id=self.variant.pk, quantity=1)
        return token

    def built(self, name: str) -> bool:
        return name in self.__dict__

    def secrets(self) -> dict[str, str]:
        """What only A (and whoever A's rows allow) may see, for each of A's things built."""
        found = {}
        if self.built("customer"):
            found["email"] = self.customer.email
        if self.built("placed"):
            found["order_number"] = self.order.number
            found["order_token"] = self.order_token
            found["shipping_line"] = SHIPPING["line1"]
        if self.built("address"):
            found["address_id"] = str(self.address.pk)
            found["address_line"] = BOOK_ADDRESS["line1"]
        if self.built("cart_line"):
            found["cart_line"] = str(self.cart_line.pk)
        if self.built("payment"):
            found["payment_reference"] = self.payment.reference
            found["gateway_reference"] = self.payment.gateway_reference
        return found


# --- the clients ---------------------------------------------------------------------------


def client_for_actor(actor: str, world: World) -> APIClient:
    """An API client for ``actor``; the guests are anonymous clients with a token header."""
    client = APIClient()
    if actor == "guest_with_token":
        client.credentials(HTTP_X_ORDER_TOKEN=world.order_token)
    elif actor == "guest_without_token":
        client.credentials(HTTP_X_ORDER_TOKEN="0" * 64)
    elif actor != "anonymous":
        client.force_authenticate(getattr(world, actor))
    return client


# --- what a request may change -------------------------------------------------------------


def snapshot(world: World) -> dict[str, Any]:
    """The state a refused request must leave alone; ``belongings`` is A's own part of it.

    One query per table; A's part is picked out in Python (this runs twice per test).
    """
    orders = sorted(Order.objects.values_list("number", "status", "user_id"))
    order_events = list(OrderEvent.objects.values_list("order__user_id", flat=True))
    payments = sorted(
        Payment.objects.values_list(
            "reference", "status", "captured_amount", "refunded_amount", "order__user_id"
        )
    )
    cart_lines = sorted(
        CartLine.objects.values_list("pk", "cart__user_id", "variant_id", "quantity")
    )
    addresses = sorted((str(row["id"]), sorted(row.items())) for row in Address.objects.values())
    everything = {
        "orders": orders,
        "order_events": len(order_events),
        "payments": payments,
        "refunds": Refund.objects.count(),
        "carts": sorted(Cart.objects.values_list("pk", "user_id", "revision")),
        "cart_lines": cart_lines,
        "addresses": addresses,
        "webhook_events": WebhookEvent.objects.count(),
        "vendors": sorted(Vendor.objects.values_list("slug", "is_verified")),
        "tax_classes": sorted(TaxClass.objects.values_list("slug", "name")),
        "zones": sorted(Zone.objects.values_list("name", "priority", "is_active")),
        "shipping_methods": sorted(ShippingMethod.objects.values_list("code", "name", "is_active")),
        "tax_rates": sorted(
            (name, str(rate)) for name, rate in TaxRate.objects.values_list("name", "rate")
        ),
        "promotions": sorted(Promotion.objects.values_list("name", "is_active")),
        "voucher_codes": sorted(VoucherCode.objects.values_list("code", "is_active")),
        "products": sorted(Product.objects.values_list("slug", "name", "status", "is_featured")),
        "variants": sorted(
            (sku, str(price), is_active)
            for sku, price, is_active in Variant.objects.values_list("sku", "price", "is_active")
        ),
        "stock": sorted(StockRecord.objects.values_list("variant__sku", "quantity", "reserved")),
        "images": sorted(
            (str(pk), alt, position, primary)
            for pk, alt, position, primary in ProductImage.objects.values_list(
                "pk", "alt_text", "position", "is_primary"
            )
        ),
    }
    # Nothing of A's exists until A is built (and ``user_id=None`` would match the guests').
    belongings = None
    if world.built("customer"):
        a = world.customer.pk
        belongings = {
            "orders": [row for row in orders if row[2] == a],
            "order_events": order_events.count(a),
            "payments": [row for row in payments if row[-1] == a],
            "cart_lines": [row for row in cart_lines if row[1] == a],
            "addresses": [row for row in addresses if dict(row[1])["user_id"] == a],
        }
    return {"belongings": belongings, "everything": everything}

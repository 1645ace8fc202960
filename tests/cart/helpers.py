"""Cart test helpers: the cast of shoppers, variants to put in carts, and token clients."""

from __future__ import annotations

from decimal import Decimal

from rest_framework.test import APIClient

from commerce.cart import services as cart_services
from commerce.promotions import services as promotion_services
from commerce.testing.factories import ProductFactory, VariantFactory
from tests.helpers import client_for, money

#: Everyone the cart API must answer correctly. "anonymous_with_token" owns ``anonymous_cart``.
CAST = [
    "anonymous",
    "anonymous_with_token",
    "customer",
    "customer_b",
    "vendor_member",
    "staff_user",
]

SIGNED_IN = ["customer", "customer_b", "vendor_member", "staff_user"]


def make_variant(sku: str, price: str = "12.50", *, currency: str = "USD", quantity=10, **kw):
    """A published product of a verified vendor with one variant ``sku``."""
    product = ProductFactory(slug=sku.lower(), name=f"Product {sku}", **kw)
    return VariantFactory(
        product=product,
        sku=sku,
        name=f"Variant {sku}",
        options={"size": "M"},
        price=money(price, currency),
        quantity=quantity,
    )


def token_client(token: str, user=None) -> APIClient:
    """A client that sends ``X-Cart-Token: token`` (signed in as ``user`` if given)."""
    client = client_for(user)
    client.credentials(HTTP_X_CART_TOKEN=token)
    return client


#: Fixture names of variants the cart must refuse as ``variant_unavailable``.
UNAVAILABLE = [
    "inactive_variant",
    "draft_variant",
    "archived_variant",
    "deleted_variant",
    "unverified_variant",
]


def fill_cart(user=None, lines=None):
    """A cart holding ``lines`` (``{variant: quantity}``); returns ``(cart, token)``.

    ``token`` is ``None`` for a signed-in user's cart.
    """
    cart, token = cart_services.get_or_create_cart(user=user)
    for variant, quantity in (lines or {}).items():
        cart = cart_services.add_line(cart, variant_id=variant.pk, quantity=quantity)
    return cart, token


def voucher(code="SAVE10", *, percent="10", **limits):
    """A 10%-off order voucher (``limits``: the code's ``max_uses``, ``per_customer_limit``)."""
    return promotion_services.create_promotion(
        name=f"{percent}% off with {code}",
        lane="order",
        requires_code=True,
        benefit={"kind": "percentage_off", "percent": Decimal(percent)},
        codes=[{"code": code, **limits}],
    )

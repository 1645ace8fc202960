# ruff: noqa: E501 - MATRIX is a table: one route per line, one column per actor.
"""Who may call what: every route and method of the API against every kind of caller.

:data:`MATRIX` is the whole answer, one line per route and method, as
``docs/reference/api.rst`` describes it. :func:`test_every_route_has_a_row`
walks the URL configuration: a new route (or method) without a row fails, and
so does a row for a route that is gone.

For every row and actor, :func:`test_authorization` builds a fresh world
(``tests/authz.py``), sends the row's minimal valid request (:data:`REQUESTS`)
and checks the status. A refusal must also be the error envelope with the
right code, carry nothing of what it refused (no order number, email, token or
id of A's), and change nothing. No response, refused or not, may show A's
things to someone who may not see them, or change them for someone who may not.

Someone who may not know an object exists gets 404, never 403. Staff-only and
member-only writes answer 401 (anonymous) or 403 (signed in) before looking
anything up, so they reveal nothing either.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile

from commerce.testing.factories import VendorFactory
from tests.authz import (
    ACTORS,
    B_ADDRESS,
    RETURN_URL,
    SHIPMENT,
    World,
    client_for_actor,
    routed_endpoints,
    snapshot,
)
from tests.helpers import png_bytes

#: ``"METHOD /path/"`` -> the status each actor gets, in the order of :data:`~tests.authz.ACTORS`:
#:   anon   = anonymous                 A      = customer A (owns the order, cart, address, payment)
#:   B      = another customer          g+/g-  = a guest with A's order token / with a wrong token
#:   V      = a member of vendor V (whose product is in A's order)
#:   W      = a member of another vendor                          staff = staff
#: A set such as ``{200, 201}`` means any of those.
# fmt: off
MATRIX: dict[str, tuple[Any, ...]] = {
    #                                                                      anon  A    B    g+   g-   V    W    staff
    # catalog: reads for anyone, writes for the product's (verified) vendor and staff
    "GET /api/v1/catalog/categories/":                                    (200, 200, 200, 200, 200, 200, 200, 200),
    "GET /api/v1/catalog/categories/{slug}/":                             (200, 200, 200, 200, 200, 200, 200, 200),
    "GET /api/v1/catalog/brands/":                                        (200, 200, 200, 200, 200, 200, 200, 200),
    "GET /api/v1/catalog/tax-classes/":                                   (200, 200, 200, 200, 200, 200, 200, 200),
    "POST /api/v1/catalog/tax-classes/":                                  (401, 403, 403, 401, 401, 403, 403, 201),
    "GET /api/v1/catalog/tax-classes/{slug}/":                            (200, 200, 200, 200, 200, 200, 200, 200),
    "PATCH /api/v1/catalog/tax-classes/{slug}/":                          (401, 403, 403, 401, 401, 403, 403, 200),
    "DELETE /api/v1/catalog/tax-classes/{slug}/":                         (401, 403, 403, 401, 401, 403, 403, 204),
    "GET /api/v1/catalog/vendors/":                                       (200, 200, 200, 200, 200, 200, 200, 200),
    "GET /api/v1/catalog/vendors/{slug}/":                                (200, 200, 200, 200, 200, 200, 200, 200),
    "POST /api/v1/catalog/vendors/{slug}/verify/":                        (401, 403, 403, 401, 401, 403, 403, 200),
    "GET /api/v1/catalog/products/":                                      (200, 200, 200, 200, 200, 200, 200, 200),
    "POST /api/v1/catalog/products/":                                     (401, 403, 403, 401, 401, 201, 403, 201),
    "GET /api/v1/catalog/products/{slug}/":                               (200, 200, 200, 200, 200, 200, 200, 200),
    "PATCH /api/v1/catalog/products/{slug}/":                             (401, 403, 403, 401, 401, 200, 403, 200),
    "POST /api/v1/catalog/products/{slug}/archive/":                      (401, 403, 403, 401, 401, 200, 403, 200),
    "POST /api/v1/catalog/products/{product_slug}/variants/":             (401, 403, 403, 401, 401, 201, 403, 201),
    "PATCH /api/v1/catalog/products/{product_slug}/variants/{sku}/":      (401, 403, 403, 401, 401, 200, 403, 200),
    "POST /api/v1/catalog/products/{product_slug}/variants/{sku}/stock/": (401, 403, 403, 401, 401, 200, 403, 200),
    "POST /api/v1/catalog/products/{product_slug}/images/":               (401, 403, 403, 401, 401, 201, 403, 201),
    "PATCH /api/v1/catalog/products/{product_slug}/images/{pk}/":         (401, 403, 403, 401, 401, 200, 403, 200),
    "DELETE /api/v1/catalog/products/{product_slug}/images/{pk}/":        (401, 403, 403, 401, 401, 204, 403, 204),
    # promotions and pricing configuration: staff only, every method
    "GET /api/v1/promotions/":                                            (401, 403, 403, 401, 401, 403, 403, 200),
    "POST /api/v1/promotions/":                                           (401, 403, 403, 401, 401, 403, 403, 201),
    "GET /api/v1/promotions/{pk}/":                                       (401, 403, 403, 401, 401, 403, 403, 200),
    "PATCH /api/v1/promotions/{pk}/":                                     (401, 403, 403, 401, 401, 403, 403, 200),
    "DELETE /api/v1/promotions/{pk}/":                                    (401, 403, 403, 401, 401, 403, 403, 204),
    "GET /api/v1/promotions/{promotion_pk}/codes/":                       (401, 403, 403, 401, 401, 403, 403, 200),
    "POST /api/v1/promotions/{promotion_pk}/codes/":                      (401, 403, 403, 401, 401, 403, 403, 201),
    "PATCH /api/v1/promotions/{promotion_pk}/codes/{code}/":              (401, 403, 403, 401, 401, 403, 403, 200),
    "GET /api/v1/pricing/zones/":                                         (401, 403, 403, 401, 401, 403, 403, 200),
    "POST /api/v1/pricing/zones/":                                        (401, 403, 403, 401, 401, 403, 403, 201),
    "GET /api/v1/pricing/zones/{pk}/":                                    (401, 403, 403, 401, 401, 403, 403, 200),
    "PATCH /api/v1/pricing/zones/{pk}/":                                  (401, 403, 403, 401, 401, 403, 403, 200),
    "DELETE /api/v1/pricing/zones/{pk}/":                                 (401, 403, 403, 401, 401, 403, 403, 204),
    "GET /api/v1/pricing/shipping-methods/":                              (401, 403, 403, 401, 401, 403, 403, 200),
    "POST /api/v1/pricing/shipping-methods/":                             (401, 403, 403, 401, 401, 403, 403, 201),
    "GET /api/v1/pricing/shipping-methods/{pk}/":                         (401, 403, 403, 401, 401, 403, 403, 200),
    "PATCH /api/v1/pricing/shipping-methods/{pk}/":                       (401, 403, 403, 401, 401, 403, 403, 200),
    "DELETE /api/v1/pricing/shipping-methods/{pk}/":                      (401, 403, 403, 401, 401, 403, 403, 204),
    "GET /api/v1/pricing/tax-rates/":                                     (401, 403, 403, 401, 401, 403, 403, 200),
    "POST /api/v1/pricing/tax-rates/":                                    (401, 403, 403, 401, 401, 403, 403, 201),
    "GET /api/v1/pricing/tax-rates/{pk}/":                                (401, 403, 403, 401, 401, 403, 403, 200),
    "PATCH /api/v1/pricing/tax-rates/{pk}/":                              (401, 403, 403, 401, 401, 403, 403, 200),
    "DELETE /api/v1/pricing/tax-rates/{pk}/":                             (401, 403, 403, 401, 401, 403, 403, 204),
    # cart: everyone has their own; A's lines are A's alone
    "GET /api/v1/cart/":                                                  (200, 200, 200, 200, 200, 200, 200, 200),
    "DELETE /api/v1/cart/":                                               (204, 204, 204, 204, 204, 204, 204, 204),
    "POST /api/v1/cart/lines/":                                           (201, 201, 201, 201, 201, 201, 201, 201),
    "PATCH /api/v1/cart/lines/{line_id}/":                                (404, 200, 404, 404, 404, 404, 404, 404),
    "DELETE /api/v1/cart/lines/{line_id}/":                               (404, 200, 404, 404, 404, 404, 404, 404),
    "POST /api/v1/cart/merge/":                                           (401, 200, 200, 401, 401, 200, 200, 200),
    # codes: only a cart's holder enters one (none exists here: A's is refused as unknown)
    "POST /api/v1/cart/codes/":                                           (404, 400, 404, 404, 404, 404, 404, 404),
    "DELETE /api/v1/cart/codes/{code}/":                                  (404, 404, 404, 404, 404, 404, 404, 404),
    "GET /api/v1/cart/shipping-methods/":                                 (200, 200, 200, 200, 200, 200, 200, 200),
    # checkout: only A has a cart to check out; nobody reaches A's
    "POST /api/v1/checkout/":                                             (400, 201, 400, 400, 400, 400, 400, 400),
    # orders: A's order opens to A, its token and staff; 404 for everyone else
    "GET /api/v1/orders/":                                                (401, 200, 200, 401, 401, 200, 200, 200),
    "GET /api/v1/orders/{number}/":                                       (404, 200, 404, 200, 404, 404, 404, 200),
    "POST /api/v1/orders/{number}/cancel/":                               (404, 200, 404, 200, 404, 404, 404, 200),
    "POST /api/v1/orders/{number}/ship/":                                 (401, 403, 403, 401, 401, 403, 403, 200),
    "POST /api/v1/orders/{number}/deliver/":                              (401, 403, 403, 401, 401, 403, 403, 200),
    "GET /api/v1/orders/{number}/events/":                                (404, 200, 404, 200, 404, 404, 404, 200),
    # vendor orders: V's members see A's order (their lines, the shipping address)
    "GET /api/v1/vendor/orders/":                                         (401, 200, 200, 401, 401, 200, 200, 200),
    "GET /api/v1/vendor/orders/{number}/":                                (401, 404, 404, 401, 401, 200, 404, 404),
    # address book: A's alone, not even staff
    "GET /api/v1/addresses/":                                             (401, 200, 200, 401, 401, 200, 200, 200),
    "POST /api/v1/addresses/":                                            (401, 201, 201, 401, 401, 201, 201, 201),
    "GET /api/v1/addresses/{pk}/":                                        (401, 200, 404, 401, 401, 404, 404, 404),
    "PATCH /api/v1/addresses/{pk}/":                                      (401, 200, 404, 401, 401, 404, 404, 404),
    "DELETE /api/v1/addresses/{pk}/":                                     (401, 204, 404, 401, 401, 404, 404, 404),
    # payments: A or the token pays; staff read and operate
    "GET /api/v1/payments/gateways/":                                     (200, 200, 200, 200, 200, 200, 200, 200),
    "POST /api/v1/orders/{number}/payments/":                             (404, 201, 404, 201, 404, 404, 404, 404),
    "GET /api/v1/payments/{reference}/":                                  (404, 200, 404, 200, 404, 404, 404, 200),
    "POST /api/v1/payments/{reference}/refresh/":                         (404, 200, 404, 200, 404, 404, 404, 200),
    "POST /api/v1/payments/{reference}/capture/":                         (401, 403, 403, 401, 401, 403, 403, 200),
    "POST /api/v1/payments/{reference}/cancel/":                          (401, 403, 403, 401, 401, 403, 403, 200),
    "POST /api/v1/payments/{reference}/refunds/":                         (401, 403, 403, 401, 401, 403, 403, 201),
    # the provider's side: the signature (or the gateway reference) is the credential
    "POST /api/v1/payments/webhooks/{alias}/":                            (200, 200, 200, 200, 200, 200, 200, 200),
    "GET /api/v1/payments/dummy/{gateway_reference}/confirm/":            (200, 200, 200, 200, 200, 200, 200, 200),
    "POST /api/v1/payments/dummy/{gateway_reference}/confirm/":           (200, 200, 200, 200, 200, 200, 200, 200),
    # health probes
    "GET /healthz":                                                       (200, 200, 200, 200, 200, 200, 200, 200),
    "GET /readyz":                                                        (200, 200, 200, 200, 200, 200, 200, 200),
}
# fmt: on

#: Which world value fills ``{param}`` after which path segment (or after which
#: path, where one segment name leads to two kinds of value).
PATH_VALUES = {
    ("codes", "code"): lambda w: "NOPE",
    ("categories", "slug"): lambda w: w.category.slug,
    ("vendors", "slug"): lambda w: w.vendor.slug,
    ("tax-classes", "slug"): lambda w: w.tax_class.slug,
    ("products", "slug"): lambda w: w.product.slug,
    ("products", "product_slug"): lambda w: w.product.slug,
    ("variants", "sku"): lambda w: w.variant.sku,
    ("images", "pk"): lambda w: w.image.pk,
    ("lines", "line_id"): lambda w: w.cart_line.pk,
    ("orders", "number"): lambda w: w.order.number,
    ("addresses", "pk"): lambda w: w.address.pk,
    ("payments", "reference"): lambda w: w.payment.reference,
    ("promotions", "pk"): lambda w: w.promotion.pk,
    ("promotions", "promotion_pk"): lambda w: w.promotion.pk,
    ("/api/v1/promotions/{promotion_pk}/codes", "code"): lambda w: "welcome",
    ("zones", "pk"): lambda w: w.zone.pk,
    ("shipping-methods", "pk"): lambda w: w.shipping_method.pk,
    ("tax-rates", "pk"): lambda w: w.tax_rate.pk,
    ("webhooks", "alias"): lambda w: w.payment.gateway,
    ("dummy", "gateway_reference"): lambda w: w.payment.gateway_reference,
}

EVERYONE = frozenset(ACTORS)
#: Who may see A's things in a successful response, and change them: A alone, unless a
#: row says otherwise. A's order and its payments also open to its token and to staff.
A_ALONE = frozenset({"customer"})
ORDER_READERS = frozenset({"customer", "guest_with_token", "staff_user"})


@dataclass(frozen=True)
class Call:
    """How to call a route so that whoever may call it succeeds."""

    #: The body: a value, or a function of the world.
    body: Any = None
    #: ``json``, ``multipart``, or ``raw`` (bytes sent as application/json, unparsed).
    format: str = "json"
    #: Extra headers (Django ``HTTP_*`` names), a function of the world.
    headers: Any = None
    #: World objects to build first, so that a list has something to leave out.
    given: tuple[str, ...] = ()
    order_state: str = "pending"
    payment_state: str = "processing"
    #: Who may see A's things in a successful response (and change them).
    may_see: frozenset[str] = A_ALONE
    #: Query parameters.
    query: dict[str, str] | None = None
    #: The error code of a refusal that is neither 401, 403 nor 404.
    error_code: str | None = None


def _new_product(w: World) -> dict:
    return {"vendor": w.vendor.slug, "category": w.category.slug, "name": "New hat"}


def _new_variant(w: World) -> dict:
    return {"sku": "SHIRT-L", "price": {"amount": "13.50", "currency": "USD"}, "quantity": 3}


def _upload(w: World) -> dict:
    return {"image": SimpleUploadedFile("back.png", png_bytes(), "image/png"), "alt_text": "Back"}


#: Rows that need a body, some state or other rules; the rest are plain calls without a body.
REQUESTS: dict[str, Call] = {
    "POST /api/v1/catalog/tax-classes/": Call(body={"name": "Books"}),
    "PATCH /api/v1/catalog/tax-classes/{slug}/": Call(body={"name": "Reduced rate"}),
    "POST /api/v1/catalog/products/": Call(body=_new_product),
    "POST /api/v1/promotions/": Call(
        body={"name": "Spring", "benefit": {"kind": "percentage_off", "percent": "5"}}
    ),
    "PATCH /api/v1/promotions/{pk}/": Call(body={"is_active": False}),
    "POST /api/v1/promotions/{promotion_pk}/codes/": Call(body={"code": "SPRING"}),
    "PATCH /api/v1/promotions/{promotion_pk}/codes/{code}/": Call(body={"max_uses": 5}),
    "POST /api/v1/pricing/zones/": Call(body={"name": "France", "members": [{"country": "FR"}]}),
    "PATCH /api/v1/pricing/zones/{pk}/": Call(body={"priority": 3}),
    "POST /api/v1/pricing/shipping-methods/": Call(
        body=lambda w: {
            "zone": str(w.zone.pk),
            "name": "Express",
            "code": "express",
            "currency": "USD",
            "price": {"amount": "9.00", "currency": "USD"},
        }
    ),
    "PATCH /api/v1/pricing/shipping-methods/{pk}/": Call(body={"position": 2}),
    "POST /api/v1/pricing/tax-rates/": Call(
        body=lambda w: {"zone": str(w.zone.pk), "name": "VAT", "rate": "19"}
    ),
    "PATCH /api/v1/pricing/tax-rates/{pk}/": Call(body={"rate": "7"}),
    "PATCH /api/v1/catalog/products/{slug}/": Call(body={"name": "Plainer shirt"}),
    "POST /api/v1/catalog/products/{product_slug}/variants/": Call(body=_new_variant),
    "PATCH /api/v1/catalog/products/{product_slug}/variants/{sku}/": Call(body={"name": "Mid"}),
    "POST /api/v1/catalog/products/{product_slug}/variants/{sku}/stock/": Call(
        body={"change": 5, "reason": "Restock"}
    ),
    "POST /api/v1/catalog/products/{product_slug}/images/": Call(body=_upload, format="multipart"),
    "PATCH /api/v1/catalog/products/{product_slug}/images/{pk}/": Call(body={"alt_text": "Side"}),
    # A has a cart with a line, B one of their own: nobody else's cart shows or changes A's.
    "GET /api/v1/cart/": Call(given=("cart_line", "b_cart")),
    "DELETE /api/v1/cart/": Call(given=("cart_line", "b_cart")),
    "POST /api/v1/cart/lines/": Call(
        body=lambda w: {"variant": str(w.variant.pk), "quantity": 1}, given=("cart_line",)
    ),
    "PATCH /api/v1/cart/lines/{line_id}/": Call(body={"quantity": 2}, given=("b_cart",)),
    "DELETE /api/v1/cart/lines/{line_id}/": Call(given=("b_cart",)),
    # Someone's anonymous cart, merged by whoever holds its token.
    "POST /api/v1/cart/merge/": Call(
        body=lambda w: {"token": w.guest_cart_token}, given=("cart_line",)
    ),
    "POST /api/v1/cart/codes/": Call(
        body={"code": "NOPE"}, given=("cart_line",), error_code="unknown_code"
    ),
    "GET /api/v1/cart/shipping-methods/": Call(query={"country": "NG"}, given=("cart_line",)),
    # Everyone checks out their own cart; only A has one (the rest: 400 empty_cart).
    "POST /api/v1/checkout/": Call(
        body={"shipping_address": B_ADDRESS}, given=("cart_line",), error_code="empty_cart"
    ),
    "GET /api/v1/orders/": Call(given=("placed",), may_see=ORDER_READERS),
    "GET /api/v1/orders/{number}/": Call(may_see=ORDER_READERS),
    "POST /api/v1/orders/{number}/cancel/": Call(
        body={"reason": "Changed my mind"}, may_see=ORDER_READERS
    ),
    "POST /api/v1/orders/{number}/ship/": Call(
        body=SHIPMENT, order_state="paid", may_see=ORDER_READERS
    ),
    "POST /api/v1/orders/{number}/deliver/": Call(order_state="shipped", may_see=ORDER_READERS),
    "GET /api/v1/orders/{number}/events/": Call(may_see=ORDER_READERS),
    # V's members see the order's number and shipping address (see NEVER_SHOWN for the rest).
    "GET /api/v1/vendor/orders/": Call(given=("placed",), may_see=A_ALONE | {"vendor_member"}),
    "GET /api/v1/vendor/orders/{number}/": Call(may_see=A_ALONE | {"vendor_member"}),
    "GET /api/v1/addresses/": Call(given=("address", "b_address")),
    "POST /api/v1/addresses/": Call(body=B_ADDRESS, given=("address",)),
    "PATCH /api/v1/addresses/{pk}/": Call(body={"city": "Ibadan"}),
    "POST /api/v1/orders/{number}/payments/": Call(
        body={"gateway": "dummy", "return_url": RETURN_URL}, may_see=ORDER_READERS
    ),
    "GET /api/v1/payments/{reference}/": Call(may_see=ORDER_READERS),
    "POST /api/v1/payments/{reference}/refresh/": Call(may_see=ORDER_READERS),
    "POST /api/v1/payments/{reference}/capture/": Call(
        body={}, payment_state="authorized", may_see=ORDER_READERS
    ),
    "POST /api/v1/payments/{reference}/cancel/": Call(may_see=ORDER_READERS),
    "POST /api/v1/payments/{reference}/refunds/": Call(
        body={"reason": "Damaged"}, payment_state="captured", may_see=ORDER_READERS
    ),
    # A signed "succeeded" event for A's payment; the signature is all that counts.
    "POST /api/v1/payments/webhooks/{alias}/": Call(
        body=lambda w: w.webhook_body,
        format="raw",
        headers=lambda w: w.webhook_headers(),
        may_see=EVERYONE,
    ),
    # The dummy provider's page: whoever holds the gateway reference (the redirect URL).
    "GET /api/v1/payments/dummy/{gateway_reference}/confirm/": Call(may_see=EVERYONE),
    "POST /api/v1/payments/dummy/{gateway_reference}/confirm/": Call(
        body={"choice": "succeed"}, may_see=EVERYONE
    ),
}

#: Which values of A's the ``may_see`` actors may still never see on a row.
NEVER_SHOWN = {
    "GET /api/v1/vendor/orders/": {"vendor_member": {"email", "order_token"}},
    "GET /api/v1/vendor/orders/{number}/": {"vendor_member": {"email", "order_token"}},
}

#: The error code of a 401, 403 or 404 refusal.
REFUSAL_CODES = {
    401: {"not_authenticated"},
    403: {"permission_denied"},
    404: {"not_found", "cart_not_found", "code_not_found"},
}


def _expected(route: str, actor: str) -> set[int]:
    status = MATRIX[route][ACTORS.index(actor)]
    return set(status) if isinstance(status, set | frozenset) else {status}


def _url(route: str, world: World) -> str:
    path = route.split(" ", 1)[1]
    segments = path.split("/")
    template = list(segments)
    for index, segment in enumerate(segments):
        if segment.startswith("{"):
            key = ("/".join(template[:index]), segment.strip("{}"))
            if key not in PATH_VALUES:
                key = (segments[index - 1], segment.strip("{}"))
            assert key in PATH_VALUES, f"{route}: add a PATH_VALUES entry for {key}"
            segments[index] = str(PATH_VALUES[key](world))
    return "/".join(segments)


def _send(client, route: str, call: Call, world: World):
    method, _ = route.split(" ", 1)
    url = _url(route, world)
    if call.query:
        url = f"{url}?{urlencode(call.query)}"
    body = call.body(world) if callable(call.body) else call.body
    headers = call.headers(world) if call.headers else {}
    for name in call.given:
        getattr(world, name)
    before = snapshot(world)
    if call.format == "raw":
        response = client.generic(method, url, body, content_type="application/json", **headers)
    elif body is None:
        response = client.generic(method, url, **headers)
    else:
        response = getattr(client, method.lower())(url, body, format=call.format, **headers)
    return response, before, snapshot(world)


def _check_refusal(response, route: str, call: Call) -> None:
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "details"}, error
    codes = REFUSAL_CODES.get(response.status_code, {call.error_code})
    assert error["code"] in codes, f"{route}: code {error['code']!r}, expected one of {codes}"


def _cases():
    for route in MATRIX:
        for actor in ACTORS:
            yield pytest.param(route, actor, id=f"{route} as {actor}")


@pytest.fixture(autouse=True)
def _fresh(settings, tmp_path):
    # Throttle counters, cached catalog pages and the dummy provider's state live in the cache.
    cache.clear()
    settings.MEDIA_ROOT = str(tmp_path / "media")
    yield
    cache.clear()


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "actor"), list(_cases()))
def test_authorization(route, actor):
    call = REQUESTS.get(route, Call())
    world = World(order_state=call.order_state, payment_state=call.payment_state)
    client = client_for_actor(actor, world)
    response, before, after = _send(client, route, call, world)
    statuses = _expected(route, actor)
    assert response.status_code in statuses, (
        f"{route} as {actor}: {response.status_code}, expected {statuses}: "
        f"{response.content[:500]!r}"
    )

    content = response.content.decode()
    secrets = world.secrets()
    if response.status_code >= 400:
        _check_refusal(response, route, call)
        leaked = {name for name, value in secrets.items() if value in content}
        assert not leaked, f"{route} as {actor}: the refusal shows A's {sorted(leaked)}"
        assert after == before, f"{route} as {actor}: a refusal changed something"
        return
    if actor in call.may_see:
        hidden = NEVER_SHOWN.get(route, {}).get(actor, set())
    else:
        hidden = set(secrets)
        assert after["belongings"] == before["belongings"], (
            f"{route} as {actor}: changed A's things"
        )
    leaked = {name for name in hidden if name in secrets and secrets[name] in content}
    assert not leaked, f"{route} as {actor}: the response shows A's {sorted(leaked)}"


@pytest.mark.django_db
def test_every_route_has_a_row():
    routed = routed_endpoints()
    assert "GET /api/v1/catalog/products/" in routed, "the URLconf walk found no API routes"
    assert "GET /healthz" in routed, "the URLconf walk missed the plain Django views"
    missing = sorted(routed - set(MATRIX))
    gone = sorted(set(MATRIX) - routed)
    assert not missing, f"routes without a row in MATRIX: {missing}"
    assert not gone, f"MATRIX rows for routes that do not exist: {gone}"


def test_the_table_is_well_formed():
    for route, statuses in MATRIX.items():
        assert len(statuses) == len(ACTORS), f"{route}: one status per actor, please"
        for status in statuses:
            for code in status if isinstance(status, set | frozenset) else {status}:
                assert 200 <= code < 500, f"{route}: {code} is not an outcome to expect"
    assert not set(REQUESTS) - set(MATRIX), f"calls without rows: {set(REQUESTS) - set(MATRIX)}"
    assert not set(NEVER_SHOWN) - set(MATRIX)


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ["customer", "other_vendor_member"])
def test_a_product_write_does_not_reveal_a_hidden_vendor(actor):
    """A vendor awaiting verification is 404 to the public; naming it in a write is no oracle."""
    world = World()
    VendorFactory(name="Initech", slug="initech", is_verified=False)
    client = client_for_actor(actor, world)
    answers = []
    for slug in ["initech", "no-such-vendor"]:
        body = {"vendor": slug, "category": world.category.slug, "name": "Hat"}
        response = client.post("/api/v1/catalog/products/", body, format="json")
        answers.append((response.status_code, response.content.decode().replace(slug, "<slug>")))
    assert client.get("/api/v1/catalog/vendors/initech/").status_code == 404
    assert answers[0] == answers[1]
    assert answers[0][0] == 400

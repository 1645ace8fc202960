"""The cart API for every kind of shopper: who sees and changes which cart, and bad input."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from commerce.cart import services
from commerce.cart.models import Cart, CartLine
from commerce.catalog import services as catalog
from tests.cart.helpers import CAST, SIGNED_IN, UNAVAILABLE, make_variant, token_client
from tests.helpers import assert_error, client_for, money

pytestmark = pytest.mark.django_db

CART = "/api/v1/cart/"
LINES = "/api/v1/cart/lines/"
MERGE = "/api/v1/cart/merge/"


def line_url(line_id) -> str:
    return f"{LINES}{line_id}/"


def snapshot() -> set[tuple]:
    """Every cart line in the database, to prove a refused request changed nothing."""
    return set(
        CartLine.objects.values_list("cart_id", "variant__sku", "quantity", "cart__revision")
    )


def quantities(body: dict) -> dict[str, int]:
    return {line["variant"]["sku"]: line["quantity"] for line in body["lines"]}


@pytest.fixture
def carts(anonymous_cart, customer_cart):
    """The two carts every access test starts with.

    The anonymous one (sent by ``anonymous_with_token``) holds 2 shirts;
    customer A's holds 1. Nobody else has a cart.
    """
    anonymous, _ = anonymous_cart
    return {"anonymous": anonymous, "customer": customer_cart}


# --- reading ---------------------------------------------------------------------------------

#: who -> the cart ``GET /cart/`` shows them (``None``: an empty cart that does not exist yet).
OWN_CART = {
    "anonymous": None,
    "anonymous_with_token": "anonymous",
    "customer": "customer",
    "customer_b": None,
    "vendor_member": None,
    "staff_user": None,
}


def current_version(cart) -> str:
    """The API ``version`` of ``cart`` as it is in the database now."""
    return services.view_cart(Cart.objects.get(pk=cart.pk)).version


EMPTY_CART = {
    "id": None,
    "currency": None,
    "version": services.cart_fingerprint([]),
    "lines": [],
    "subtotal": None,
    "discount_total": None,
    "shipping_total": None,
    "tax_total": None,
    "total": None,
    "codes": [],
    "shipping_methods": [],
    "shipping": None,
    "item_count": 0,
    "warnings": [],
}


@pytest.mark.parametrize("who", CAST)
def test_get_cart_shows_only_your_own(client_as, carts, who):
    response = client_as(who).get(CART)
    assert response.status_code == 200, response.content
    body = response.json()
    owned = OWN_CART[who]
    if owned is None:
        assert body == EMPTY_CART
        return
    assert body["id"] == str(carts[owned].pk)
    assert quantities(body) == {"SHIRT-M": 2 if owned == "anonymous" else 1}
    assert "token" not in body
    assert "X-Cart-Token" not in response


def test_cart_body(shirt, mug):
    cart, token = services.create_anonymous_cart()
    services.add_line(cart, variant_id=shirt.pk, quantity=2)
    services.add_line(cart, variant_id=mug.pk, quantity=3)
    catalog.update_variant(mug, price=money("7.50"))

    body = token_client(token).get(CART).json()

    shirt_line = CartLine.objects.get(variant=shirt)
    mug_line = CartLine.objects.get(variant=mug)
    price_warning = {
        "code": "price_changed",
        "message": "The price changed since this was added.",
        "previous": {"amount": "8.00", "currency": "USD"},
        "current": {"amount": "7.50", "currency": "USD"},
    }
    assert body == {
        "id": str(cart.pk),
        "currency": "USD",
        "version": current_version(cart),
        "lines": [
            {
                "id": str(shirt_line.pk),
                "variant": {
                    "id": str(shirt.pk),
                    "sku": "SHIRT-M",
                    "name": "Variant SHIRT-M",
                    "options": {"size": "M"},
                    "product_name": "Product SHIRT-M",
                    "product_slug": "shirt-m",
                },
                "quantity": 2,
                "unit_price": {"amount": "12.50", "currency": "USD"},
                "line_total": {"amount": "25.00", "currency": "USD"},
                "discount": {"amount": "0.00", "currency": "USD"},
                "total": {"amount": "25.00", "currency": "USD"},
                "adjustments": [],
                "tax_lines": [],
                "available": 10,
                "warnings": [],
            },
            {
                "id": str(mug_line.pk),
                "variant": {
                    "id": str(mug.pk),
                    "sku": "MUG",
                    "name": "Variant MUG",
                    "options": {"size": "M"},
                    "product_name": "Product MUG",
                    "product_slug": "mug",
                },
                "quantity": 3,
                "unit_price": {"amount": "7.50", "currency": "USD"},
                "line_total": {"amount": "22.50", "currency": "USD"},
                "discount": {"amount": "0.00", "currency": "USD"},
                "total": {"amount": "22.50", "currency": "USD"},
                "adjustments": [],
                "tax_lines": [],
                "available": 3,
                "warnings": [price_warning],
            },
        ],
        "subtotal": {"amount": "47.50", "currency": "USD"},
        "discount_total": {"amount": "0.00", "currency": "USD"},
        "shipping_total": {"amount": "0.00", "currency": "USD"},
        "tax_total": {"amount": "0.00", "currency": "USD"},
        "total": {"amount": "47.50", "currency": "USD"},
        "codes": [],
        "shipping_methods": [],
        "shipping": None,
        "item_count": 5,
        "warnings": [{**price_warning, "line": str(mug_line.pk), "sku": "MUG"}],
    }


def test_cart_warnings_for_stock_and_availability(shirt, mug):
    cart, token = services.create_anonymous_cart()
    services.add_line(cart, variant_id=shirt.pk, quantity=1)
    services.add_line(cart, variant_id=mug.pk, quantity=3)
    catalog.reserve({mug.pk: 2})
    catalog.update_variant(shirt, is_active=False)

    body = token_client(token).get(CART).json()

    assert [(w["sku"], w["code"]) for w in body["warnings"]] == [
        ("SHIRT-M", "unavailable"),
        ("MUG", "insufficient_stock"),
    ]
    assert body["warnings"][1]["available"] == 1
    assert [line["available"] for line in body["lines"]] == [10, 1]


def test_amounts_use_the_currency_exponent(db):
    variant = make_variant("KWD-1", "1.250", currency="KWD")
    client = client_for(None)
    body = client.post(LINES, {"variant": str(variant.pk), "quantity": 3}, format="json").json()
    assert body["currency"] == "KWD"
    assert body["subtotal"] == {"amount": "3.750", "currency": "KWD"}


@pytest.mark.parametrize("who", SIGNED_IN)
def test_a_cart_token_sent_by_a_signed_in_user_is_ignored(
    request, carts, anonymous_cart, shirt, who
):
    anonymous, token = anonymous_cart
    user = request.getfixturevalue(who)
    client = token_client(token, user=user)
    anonymous_line = CartLine.objects.get(cart=anonymous)

    assert client.get(CART).json()["id"] != str(anonymous.pk)
    response = client.post(LINES, {"variant": str(shirt.pk)}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["id"] == str(Cart.objects.get(user=user).pk)
    assert "token" not in response.json()
    assert_error(client.patch(line_url(anonymous_line.pk), {"quantity": 1}, format="json"), 404)
    assert_error(client.delete(line_url(anonymous_line.pk)), 404)
    assert client.delete(CART).status_code == 204

    anonymous_line.refresh_from_db()
    assert anonymous_line.quantity == 2
    assert Cart.objects.get(pk=anonymous.pk).revision == anonymous.revision


# --- adding lines ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", CAST)
def test_add_line(request, client_as, carts, shirt, mug, who):
    client = client_as(who)
    carts_before = Cart.objects.count()

    response = client.post(LINES, {"variant": str(mug.pk), "quantity": 2}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    if who == "anonymous":
        token = body["token"]
        assert response["X-Cart-Token"] == token
        cart = Cart.objects.get(pk=body["id"])
        assert cart.user is None
        assert cart.token_digest == services.digest_token(token)
        assert Cart.objects.count() == carts_before + 1
        # The token is the cart's key from now on.
        assert quantities(token_client(token).get(CART).json()) == {"MUG": 2}
        return
    assert "token" not in body
    assert "X-Cart-Token" not in response
    owned = OWN_CART[who]
    expected = {"MUG": 2}
    if owned == "anonymous":
        expected["SHIRT-M"] = 2
    elif owned == "customer":
        expected["SHIRT-M"] = 1
    assert quantities(body) == expected
    if owned is not None:
        assert body["id"] == str(carts[owned].pk)
        assert body["version"] == current_version(carts[owned])
    else:
        assert Cart.objects.get(pk=body["id"]).user == request.getfixturevalue(who)
    assert body["subtotal"] == {
        "amount": f"{16 + 12.5 * expected.get('SHIRT-M', 0):.2f}",
        "currency": "USD",
    }


def test_adding_the_same_variant_grows_the_line(api_client, shirt):
    first = api_client.post(LINES, {"variant": str(shirt.pk), "quantity": 1}, format="json")
    client = token_client(first.json()["token"])
    second = client.post(LINES, {"variant": str(shirt.pk), "quantity": 4}, format="json")
    assert second.status_code == 201
    assert quantities(second.json()) == {"SHIRT-M": 5}
    assert second.json()["version"] != first.json()["version"]
    assert CartLine.objects.count() == 1


def test_quantity_defaults_to_one(api_client, shirt):
    body = api_client.post(LINES, {"variant": str(shirt.pk)}, format="json").json()
    assert quantities(body) == {"SHIRT-M": 1}


def test_client_sent_prices_are_ignored(api_client, shirt):
    payload = {
        "variant": str(shirt.pk),
        "quantity": 2,
        "price": {"amount": "0.01", "currency": "USD"},
        "unit_price": "0.01",
        "line_total": "0.02",
        "price_when_added": "0.01",
        "currency": "EUR",
    }
    body = api_client.post(LINES, payload, format="json").json()
    assert body["currency"] == "USD"
    assert body["lines"][0]["unit_price"] == {"amount": "12.50", "currency": "USD"}
    assert body["subtotal"] == {"amount": "25.00", "currency": "USD"}
    line = CartLine.objects.get()
    assert line.price_when_added == money("12.50")


BAD_QUANTITIES = [0, -1, 1.5, "two", True, None, "", [1], 100]


@pytest.mark.parametrize("quantity", BAD_QUANTITIES)
@pytest.mark.parametrize("who", ["anonymous", "anonymous_with_token", "customer"])
def test_add_line_refuses_bad_quantities(client_as, carts, shirt, who, quantity):
    before, count = snapshot(), Cart.objects.count()
    response = client_as(who).post(
        LINES, {"variant": str(shirt.pk), "quantity": quantity}, format="json"
    )
    error = assert_error(response, 400, "invalid_quantity")
    assert "quantity" in error["details"]
    assert (snapshot(), Cart.objects.count()) == (before, count)


def test_add_line_refuses_more_than_the_configured_maximum(settings, api_client, shirt):
    settings.COMMERCE = {**settings.COMMERCE, "CART_MAX_LINE_QUANTITY": 3}
    response = api_client.post(LINES, {"variant": str(shirt.pk), "quantity": 4}, format="json")
    error = assert_error(response, 400, "invalid_quantity")
    assert error["details"] == {"quantity": 4, "maximum": 3}
    assert not Cart.objects.exists()


@pytest.mark.parametrize("who", ["anonymous_with_token", "customer"])
def test_add_line_refuses_a_line_past_the_cart_limit(settings, client_as, carts, mug, who):
    settings.COMMERCE = {**settings.COMMERCE, "CART_MAX_LINES": 1}
    before = snapshot()
    response = client_as(who).post(LINES, {"variant": str(mug.pk)}, format="json")
    error = assert_error(response, 400, "cart_full")
    assert error["details"] == {"lines": 1, "maximum": 1, "setting": "CART_MAX_LINES"}
    assert snapshot() == before


@pytest.mark.parametrize("who", ["anonymous", "anonymous_with_token", "customer"])
def test_add_line_refuses_more_than_is_available(client_as, carts, mug, who):
    before, count = snapshot(), Cart.objects.count()
    response = client_as(who).post(LINES, {"variant": str(mug.pk), "quantity": 4}, format="json")
    error = assert_error(response, 400, "insufficient_stock")
    assert error["details"] == {"sku": "MUG", "requested": 4, "available": 3}
    assert (snapshot(), Cart.objects.count()) == (before, count)


@pytest.mark.parametrize("which", UNAVAILABLE)
@pytest.mark.parametrize("who", ["anonymous", "anonymous_with_token", "customer"])
def test_add_line_refuses_variants_not_for_sale(request, client_as, carts, who, which):
    variant = request.getfixturevalue(which)
    before, count = snapshot(), Cart.objects.count()
    response = client_as(who).post(LINES, {"variant": str(variant.pk)}, format="json")
    error = assert_error(response, 400, "variant_unavailable")
    assert error["details"] == {"sku": variant.sku}
    assert (snapshot(), Cart.objects.count()) == (before, count)


def test_unverified_vendors_sell_when_verification_is_off(settings, api_client, unverified_variant):
    settings.COMMERCE = {**settings.COMMERCE, "REQUIRE_VERIFIED_VENDOR": False}
    response = api_client.post(LINES, {"variant": str(unverified_variant.pk)}, format="json")
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    ("payload", "status_code", "code", "field"),
    [
        ({"variant": "not-a-uuid"}, 400, "invalid", "variant"),
        ({"variant": ["x"]}, 400, "invalid", "variant"),
        ({"quantity": 1}, 400, "invalid", "variant"),
        ({"variant": "not-a-uuid", "quantity": 0}, 400, "invalid", "variant"),
        ({"variant": str(uuid.UUID(int=1))}, 404, "not_found", None),
    ],
    ids=["malformed-uuid", "list", "missing", "malformed-and-zero", "unknown"],
)
@pytest.mark.parametrize("who", ["anonymous", "customer"])
def test_add_line_refuses_bad_variants(client_as, carts, who, payload, status_code, code, field):
    before, count = snapshot(), Cart.objects.count()
    error = assert_error(client_as(who).post(LINES, payload, format="json"), status_code, code)
    if field:
        assert field in error["details"]
    assert (snapshot(), Cart.objects.count()) == (before, count)


def test_add_line_refuses_a_body_that_is_not_an_object(api_client):
    assert_error(api_client.post(LINES, [1, 2], format="json"), 400, "invalid")
    assert_error(api_client.post(LINES, "{", content_type="application/json"), 400, "parse_error")
    assert not Cart.objects.exists()


@pytest.mark.parametrize("who", ["anonymous_with_token", "customer"])
def test_add_line_refuses_another_currency(client_as, carts, euro_book, who):
    before = snapshot()
    response = client_as(who).post(LINES, {"variant": str(euro_book.pk)}, format="json")
    error = assert_error(response, 400, "currency_mismatch")
    assert error["details"] == {"cart_currency": "USD", "currency": "EUR", "sku": "BOOK-EUR"}
    assert snapshot() == before


def test_an_emptied_cart_takes_another_currency(client_as, carts, euro_book):
    client = client_as("customer")
    assert client.delete(CART).status_code == 204
    body = client.post(LINES, {"variant": str(euro_book.pk)}, format="json").json()
    assert body["currency"] == "EUR"
    assert body["subtotal"] == {"amount": "9.00", "currency": "EUR"}


# --- changing and removing lines -------------------------------------------------------------

#: (who, whose line) -> status. Only a cart's owner reaches its lines; everyone else gets 404,
#: ``cart_not_found`` when they have no cart at all.
LINE_ACCESS = {
    ("anonymous", "anonymous"): (404, "cart_not_found"),
    ("anonymous", "customer"): (404, "cart_not_found"),
    ("anonymous_with_token", "anonymous"): 200,
    ("anonymous_with_token", "customer"): (404, "not_found"),
    ("customer", "anonymous"): (404, "not_found"),
    ("customer", "customer"): 200,
    ("customer_b", "anonymous"): (404, "cart_not_found"),
    ("customer_b", "customer"): (404, "cart_not_found"),
    ("vendor_member", "customer"): (404, "cart_not_found"),
    ("staff_user", "customer"): (404, "cart_not_found"),
}


@pytest.mark.parametrize(("who", "whose"), list(LINE_ACCESS))
def test_patch_line_access(client_as, carts, who, whose):
    line = CartLine.objects.get(cart=carts[whose])
    before = snapshot()
    version_before = current_version(carts[whose])
    response = client_as(who).patch(line_url(line.pk), {"quantity": 4}, format="json")
    expected = LINE_ACCESS[(who, whose)]
    if expected == 200:
        assert response.status_code == 200, response.content
        assert quantities(response.json()) == {"SHIRT-M": 4}
        assert response.json()["version"] == current_version(carts[whose]) != version_before
        return
    assert_error(response, *expected)
    assert snapshot() == before


@pytest.mark.parametrize(("who", "whose"), list(LINE_ACCESS))
def test_delete_line_access(client_as, carts, who, whose):
    line = CartLine.objects.get(cart=carts[whose])
    before = snapshot()
    version_before = current_version(carts[whose])
    response = client_as(who).delete(line_url(line.pk))
    expected = LINE_ACCESS[(who, whose)]
    if expected == 200:
        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["lines"], body["currency"], body["subtotal"]) == ([], None, None)
        assert body["version"] == current_version(carts[whose]) != version_before
        assert not CartLine.objects.filter(pk=line.pk).exists()
        return
    assert_error(response, *expected)
    assert snapshot() == before


def test_customer_b_with_a_cart_of_their_own_still_cannot_reach_a_line(
    client_as, carts, customer_b, mug
):
    client = client_as("customer_b")
    client.post(LINES, {"variant": str(mug.pk)}, format="json")
    line = CartLine.objects.get(cart=carts["customer"])
    before = snapshot()
    assert_error(client.patch(line_url(line.pk), {"quantity": 2}, format="json"), 404, "not_found")
    assert_error(client.delete(line_url(line.pk)), 404, "not_found")
    assert snapshot() == before


def test_an_unknown_line_is_not_found(client_as, carts):
    client = client_as("customer")
    assert_error(client.patch(line_url(uuid.uuid4()), {"quantity": 1}, format="json"), 404)
    assert_error(client.delete(line_url(uuid.uuid4())), 404)
    assert client.get(f"{LINES}not-a-uuid/").status_code == 404


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"quantity": 0}, "invalid_quantity"),
        ({"quantity": -2}, "invalid_quantity"),
        ({"quantity": 2.5}, "invalid_quantity"),
        ({"quantity": "many"}, "invalid_quantity"),
        ({"quantity": None}, "invalid_quantity"),
        ({}, "invalid_quantity"),
        ({"quantity": 100}, "invalid_quantity"),
        ({"quantity": 11}, "insufficient_stock"),
    ],
)
@pytest.mark.parametrize("who", ["anonymous_with_token", "customer"])
def test_patch_line_refuses_bad_quantities(client_as, carts, who, payload, code):
    whose = OWN_CART[who]
    line = CartLine.objects.get(cart=carts[whose])
    before = snapshot()
    response = client_as(who).patch(line_url(line.pk), payload, format="json")
    error = assert_error(response, 400, code)
    if code == "insufficient_stock":
        assert error["details"] == {"sku": "SHIRT-M", "requested": 11, "available": 10}
    assert snapshot() == before


def test_patch_line_of_a_variant_no_longer_for_sale(client_as, carts, shirt):
    catalog.archive_product(shirt.product)
    line = CartLine.objects.get(cart=carts["customer"])
    response = client_as("customer").patch(line_url(line.pk), {"quantity": 1}, format="json")
    assert_error(response, 400, "variant_unavailable")
    # Removing it still works.
    assert client_as("customer").delete(line_url(line.pk)).status_code == 200


def test_patch_ignores_other_fields(client_as, carts):
    line = CartLine.objects.get(cart=carts["customer"])
    payload = {"quantity": 2, "unit_price": "0.01", "variant": str(uuid.uuid4())}
    body = client_as("customer").patch(line_url(line.pk), payload, format="json").json()
    assert body["lines"][0]["unit_price"] == {"amount": "12.50", "currency": "USD"}
    assert body["lines"][0]["variant"]["sku"] == "SHIRT-M"


# --- emptying --------------------------------------------------------------------------------


@pytest.mark.parametrize("who", CAST)
def test_empty_cart_touches_only_your_own(client_as, carts, who):
    before = snapshot()
    response = client_as(who).delete(CART)
    assert response.status_code == 204, response.content
    assert response.content == b""
    owned = OWN_CART[who]
    untouched = {row for row in before if owned is None or row[0] != carts[owned].pk}
    assert snapshot() == untouched
    if owned is not None:
        cart = Cart.objects.get(pk=carts[owned].pk)
        assert (cart.currency, cart.revision) == ("", carts[owned].revision + 1)


def test_unsupported_methods_are_405(client_as, carts):
    client = client_as("customer")
    assert_error(client.put(CART, {}, format="json"), 405, "method_not_allowed")
    assert_error(client.get(LINES), 405, "method_not_allowed")
    assert_error(client.get(MERGE), 405, "method_not_allowed")


# --- tokens ----------------------------------------------------------------------------------


def expire(cart: Cart) -> None:
    Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now() - timedelta(days=15))


@pytest.mark.parametrize("token", ["expired", "unknown"])
def test_an_expired_or_unknown_token_is_cart_not_found_everywhere(anonymous_cart, shirt, token):
    cart, real = anonymous_cart
    if token == "expired":
        expire(cart)
        token = real
    client = token_client(token)
    line = CartLine.objects.get(cart=cart)
    before, count = snapshot(), Cart.objects.count()

    for response in [
        client.get(CART),
        client.delete(CART),
        client.post(LINES, {"variant": str(shirt.pk)}, format="json"),
        client.patch(line_url(line.pk), {"quantity": 1}, format="json"),
        client.delete(line_url(line.pk)),
    ]:
        assert_error(response, 404, "cart_not_found")
    assert (snapshot(), Cart.objects.count()) == (before, count)


def test_an_empty_token_header_counts_as_none(shirt):
    client = token_client("")
    assert client.get(CART).json() == EMPTY_CART
    response = client.post(LINES, {"variant": str(shirt.pk)}, format="json")
    assert response.status_code == 201
    assert response.json()["token"]


def test_the_token_is_returned_once(api_client, shirt, mug):
    first = api_client.post(LINES, {"variant": str(shirt.pk)}, format="json")
    token = first.json()["token"]
    client = token_client(token)
    second = client.post(LINES, {"variant": str(mug.pk)}, format="json")
    assert "token" not in second.json()
    assert "X-Cart-Token" not in second
    assert not Cart.objects.filter(token_digest=token).exists()


# --- merging ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", CAST)
def test_merge_access(client_as, carts, anonymous_cart, who):
    anonymous, token = anonymous_cart
    response = client_as(who).post(MERGE, {"token": token}, format="json")
    if who.startswith("anonymous"):
        assert_error(response, 401, "not_authenticated")
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert Cart.objects.filter(pk=anonymous.pk).exists()
        return
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["adjustments"] == []
    assert quantities(body["cart"]) == {"SHIRT-M": 3 if who == "customer" else 2}
    assert not Cart.objects.filter(pk=anonymous.pk).exists()
    assert_error(token_client(token).get(CART), 404, "cart_not_found")
    # Customer A's cart is untouched by anyone else's merge.
    expected_a = 3 if who == "customer" else 1
    assert CartLine.objects.get(cart=carts["customer"]).quantity == expected_a


def test_merge_reports_adjustments(client_as, carts, anonymous_cart, shirt, mug, euro_book):
    _, token = anonymous_cart
    catalog.reserve({shirt.pk: 8})  # 2 left: A holds 1, the anonymous cart 2
    response = client_as("customer").post(MERGE, {"token": token}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["adjustments"] == [
        {"sku": "SHIRT-M", "reason": "capped", "requested": 2, "merged": 1}
    ]
    assert quantities(body["cart"]) == {"SHIRT-M": 2}
    assert body["cart"]["version"] == current_version(carts["customer"])


def test_merge_drops_another_currency(client_as, customer, euro_book, anonymous_cart):
    client = client_as("customer")
    client.post(LINES, {"variant": str(euro_book.pk)}, format="json")
    _, token = anonymous_cart
    body = client.post(MERGE, {"token": token}, format="json").json()
    assert body["adjustments"] == [
        {"sku": "SHIRT-M", "reason": "currency_mismatch", "requested": 2, "merged": 0}
    ]
    assert quantities(body["cart"]) == {"BOOK-EUR": 1}
    assert body["cart"]["currency"] == "EUR"


@pytest.mark.parametrize(
    ("payload", "status_code", "code"),
    [
        ({}, 400, "invalid"),
        ({"token": ""}, 400, "invalid"),
        ({"token": "x" * 201}, 400, "invalid"),
        ({"token": "no-such-cart"}, 404, "cart_not_found"),
    ],
)
def test_merge_bad_input(client_as, carts, payload, status_code, code):
    before, count = snapshot(), Cart.objects.count()
    assert_error(client_as("customer").post(MERGE, payload, format="json"), status_code, code)
    assert (snapshot(), Cart.objects.count()) == (before, count)


def test_merge_of_an_expired_cart_is_not_found(client_as, carts, anonymous_cart):
    cart, token = anonymous_cart
    expire(cart)
    assert_error(client_as("customer").post(MERGE, {"token": token}, format="json"), 404)
    assert CartLine.objects.get(cart=carts["customer"]).quantity == 1


# --- query counts ----------------------------------------------------------------------------


#: What the promotions add to pricing a cart without codes: the ancestors of its
#: lines' categories, then the promotions that can match its lines (never one per
#: line nor per promotion).
PRICING_QUERIES = 2
#: Reading a cart: the cart, its lines with variant, product, vendor and stock,
#: and the pricing's queries.
GET_CART_QUERIES = 2 + PRICING_QUERIES


def fill(cart: Cart, count: int) -> None:
    for index in range(count):
        variant = make_variant(f"Q-{index:02d}", "1.00")
        services.add_line(cart, variant_id=variant.pk, quantity=1)


@pytest.mark.parametrize("lines", [1, 20])
def test_get_cart_query_count_does_not_grow_with_lines(django_assert_num_queries, db, lines):
    cart, token = services.create_anonymous_cart()
    fill(cart, lines)
    client = token_client(token)
    with django_assert_num_queries(GET_CART_QUERIES):
        body = client.get(CART).json()
    assert body["item_count"] == lines


@pytest.mark.parametrize("lines", [1, 20])
def test_signed_in_get_cart_query_count(django_assert_num_queries, customer, lines):
    cart, _ = services.get_or_create_cart(user=customer)
    fill(cart, lines)
    client = client_for(customer)
    with django_assert_num_queries(GET_CART_QUERIES):
        assert client.get(CART).json()["item_count"] == lines


#: ``POST /cart/lines/`` inside the test's transaction: the service's savepoint (2,
#: BEGIN and COMMIT outside a test), find the cart already locked (or create it), the
#: variant with its product, vendor and stock, the cart's lines (the one to grow, and
#: whether a new one fits ``CART_MAX_LINES``) in one read, insert or update the line,
#: bump the version, then the priced cart's lines and the pricing's queries.
ADD_LINE_QUERIES = 8 + PRICING_QUERIES


@pytest.mark.parametrize("lines", [0, 1, 20])
def test_add_line_query_count(django_assert_num_queries, shirt, lines):
    cart, token = services.create_anonymous_cart()
    fill(cart, lines)
    client = token_client(token)
    with django_assert_num_queries(ADD_LINE_QUERIES):
        response = client.post(LINES, {"variant": str(shirt.pk)}, format="json")
    assert response.status_code == 201
    assert response.json()["item_count"] == lines + 1


@pytest.mark.parametrize("lines", [1, 20])
def test_signed_in_add_line_query_count(django_assert_num_queries, customer, shirt, lines):
    cart, _ = services.get_or_create_cart(user=customer)
    fill(cart, lines)
    client = client_for(customer)
    with django_assert_num_queries(ADD_LINE_QUERIES):
        response = client.post(LINES, {"variant": str(shirt.pk)}, format="json")
    assert response.status_code == 201


def test_first_add_query_count(django_assert_num_queries, api_client, shirt):
    # No cart to find; creating it takes the same one query.
    with django_assert_num_queries(ADD_LINE_QUERIES):
        response = api_client.post(LINES, {"variant": str(shirt.pk)}, format="json")
    assert response.status_code == 201

"""Cart services: lines, merging, pricing at read time, expiry and versions."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from commerce.cart import services
from commerce.cart.exceptions import (
    CartFullError,
    CartLineError,
    CartNotFoundError,
    QuantityUnavailableError,
    VariantUnavailableError,
)
from commerce.cart.models import Cart, CartLine
from commerce.catalog import services as catalog
from commerce.core.exceptions import CurrencyMismatchError, NotFoundError
from tests.cart.helpers import UNAVAILABLE, make_variant
from tests.helpers import money
from tests.statements import batch_size, recording

pytestmark = pytest.mark.django_db


def lines_of(cart: Cart) -> dict[str, int]:
    """``{sku: quantity}`` of a cart, read from the database."""
    return dict(CartLine.objects.filter(cart_id=cart.pk).values_list("variant__sku", "quantity"))


def fresh(cart: Cart) -> Cart:
    return Cart.objects.get(pk=cart.pk)


def age(cart: Cart, seconds: int) -> None:
    """Pretend ``cart`` was last changed ``seconds`` ago (``auto_now`` skips ``update()``)."""
    Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now() - timedelta(seconds=seconds))


@pytest.fixture
def cart(db):
    cart, _ = services.create_anonymous_cart()
    return cart


# --- finding and creating carts --------------------------------------------------------------


def test_anonymous_cart_stores_only_the_digest_of_its_token():
    cart, token = services.create_anonymous_cart()
    assert len(token) >= 40
    assert cart.user is None
    assert cart.is_anonymous
    assert cart.token_digest == hashlib.sha256(token.encode()).hexdigest()
    assert not Cart.objects.filter(token_digest=token).exists()
    assert services.find_cart(token=token) == cart


def test_every_anonymous_cart_gets_its_own_token():
    tokens = {services.create_anonymous_cart()[1] for _ in range(5)}
    assert len(tokens) == 5


def test_find_cart_without_user_or_token_is_none():
    assert services.find_cart() is None
    assert services.find_cart(token="") is None


def test_unknown_token_is_cart_not_found(cart):
    with pytest.raises(CartNotFoundError) as excinfo:
        services.find_cart(token="not-a-token")
    assert excinfo.value.status_code == 404
    assert excinfo.value.code == "cart_not_found"


def test_signed_in_user_has_one_cart_and_tokens_are_ignored(customer):
    anonymous, token = services.create_anonymous_cart()
    cart, new_token = services.get_or_create_cart(user=customer, token=token)
    assert new_token is None
    assert cart.user == customer
    assert cart != anonymous
    again, _ = services.get_or_create_cart(user=customer, token="garbage")
    assert again == cart
    assert services.find_cart(user=customer, token=token) == cart
    assert Cart.objects.filter(user=customer).count() == 1


def test_get_or_create_cart_for_anonymous(cart):
    new, token = services.get_or_create_cart()
    assert token
    assert new.token_digest == services.digest_token(token)
    same, none = services.get_or_create_cart(token=token)
    assert (same, none) == (new, None)


def test_user_without_cart_finds_none(customer):
    assert services.find_cart(user=customer) is None


# --- adding lines ----------------------------------------------------------------------------


def test_add_to_cart_creates_an_anonymous_cart_with_its_first_line(shirt):
    cart, token = services.add_to_cart(variant_id=shirt.pk, quantity=2)
    assert token
    assert services.find_cart(token=token) == cart
    assert lines_of(cart) == {"SHIRT-M": 2}
    assert (cart.currency, cart.revision) == ("USD", 1)


def test_add_to_cart_adds_to_the_carts_of_a_token_and_of_a_user(customer, shirt, mug):
    anonymous, token = services.create_anonymous_cart()
    assert services.add_to_cart(token=token, variant_id=shirt.pk, quantity=1) == (anonymous, None)
    assert services.add_to_cart(token=token, variant_id=shirt.pk, quantity=2)[0] == anonymous
    assert lines_of(anonymous) == {"SHIRT-M": 3}
    # A signed-in user's token is ignored; their cart is made on the first add.
    mine, new_token = services.add_to_cart(
        user=customer, token=token, variant_id=mug.pk, quantity=1
    )
    assert new_token is None
    assert mine.user == customer
    assert lines_of(mine) == {"MUG": 1}
    assert services.add_to_cart(user=customer, variant_id=shirt.pk, quantity=1)[0] == mine
    assert lines_of(mine) == {"MUG": 1, "SHIRT-M": 1}
    assert lines_of(anonymous) == {"SHIRT-M": 3}


def test_add_to_cart_refuses_an_unknown_or_expired_token(shirt):
    anonymous, token = services.create_anonymous_cart()
    with pytest.raises(CartNotFoundError):
        services.add_to_cart(token="nope", variant_id=shirt.pk, quantity=1)
    age(anonymous, 10**8)
    with pytest.raises(CartNotFoundError):
        services.add_to_cart(token=token, variant_id=shirt.pk, quantity=1)
    assert lines_of(anonymous) == {}


@pytest.mark.parametrize("quantity", [0, 11])
def test_a_refused_first_add_leaves_no_cart(customer, shirt, quantity):
    before = Cart.objects.count()
    for user in (None, customer):
        with pytest.raises((CartLineError, QuantityUnavailableError)):
            services.add_to_cart(user=user, variant_id=shirt.pk, quantity=quantity)
    assert Cart.objects.count() == before


def test_add_line_takes_price_and_currency_from_the_catalog(cart, shirt):
    cart = services.add_line(cart, variant_id=shirt.pk, quantity=2)
    assert cart.currency == "USD"
    assert cart.revision == 1
    line = CartLine.objects.get(cart=cart)
    assert (line.variant, line.quantity, line.price_when_added) == (shirt, 2, money("12.50"))


def test_adding_the_same_variant_grows_its_line(cart, shirt):
    services.add_line(cart, variant_id=shirt.pk, quantity=2)
    cart = services.add_line(cart, variant_id=shirt.pk, quantity=3)
    assert lines_of(cart) == {"SHIRT-M": 5}
    assert CartLine.objects.count() == 1
    assert cart.revision == 2


def test_add_line_works_from_a_stale_cart_instance(cart, shirt, mug):
    stale = Cart.objects.get(pk=cart.pk)
    services.add_line(cart, variant_id=shirt.pk, quantity=1)
    result = services.add_line(stale, variant_id=mug.pk, quantity=1)
    assert result.revision == 2
    assert lines_of(cart) == {"SHIRT-M": 1, "MUG": 1}


@pytest.mark.parametrize("quantity", [0, -1, 1.5, "2", True, None, Decimal("1")])
def test_add_line_refuses_a_quantity_that_is_not_a_positive_integer(cart, shirt, quantity):
    with pytest.raises(CartLineError) as excinfo:
        services.add_line(cart, variant_id=shirt.pk, quantity=quantity)
    assert excinfo.value.code == "invalid_quantity"
    assert excinfo.value.status_code == 400
    assert fresh(cart).revision == 0
    assert lines_of(cart) == {}


def test_add_line_refuses_more_than_the_per_line_maximum(settings, cart, shirt):
    settings.COMMERCE = {**settings.COMMERCE, "CART_MAX_LINE_QUANTITY": 4}
    with pytest.raises(CartLineError) as excinfo:
        services.add_line(cart, variant_id=shirt.pk, quantity=5)
    assert excinfo.value.code == "invalid_quantity"
    assert excinfo.value.details == {"quantity": 5, "maximum": 4}
    services.add_line(cart, variant_id=shirt.pk, quantity=3)
    # Growing a line counts what is already in it.
    with pytest.raises(CartLineError):
        services.add_line(cart, variant_id=shirt.pk, quantity=2)
    assert lines_of(cart) == {"SHIRT-M": 3}


def test_add_line_refuses_more_than_is_available(cart, mug):
    with pytest.raises(QuantityUnavailableError) as excinfo:
        services.add_line(cart, variant_id=mug.pk, quantity=4)
    error = excinfo.value
    assert (error.status_code, error.code) == (400, "insufficient_stock")
    assert error.details == {"sku": "MUG", "requested": 4, "available": 3}
    services.add_line(cart, variant_id=mug.pk, quantity=2)
    with pytest.raises(QuantityUnavailableError) as excinfo:
        services.add_line(cart, variant_id=mug.pk, quantity=2)
    assert excinfo.value.details == {"sku": "MUG", "requested": 4, "available": 3}
    assert lines_of(cart) == {"MUG": 2}


def test_reserved_stock_is_not_available_to_carts(cart, mug):
    catalog.reserve({mug.pk: 2})
    with pytest.raises(QuantityUnavailableError) as excinfo:
        services.add_line(cart, variant_id=mug.pk, quantity=2)
    assert excinfo.value.details["available"] == 1


@pytest.mark.parametrize("which", UNAVAILABLE)
def test_add_line_refuses_variants_that_are_not_for_sale(request, cart, which):
    variant = request.getfixturevalue(which)
    with pytest.raises(VariantUnavailableError) as excinfo:
        services.add_line(cart, variant_id=variant.pk, quantity=1)
    assert excinfo.value.code == "variant_unavailable"
    assert excinfo.value.details == {"sku": variant.sku}
    assert lines_of(cart) == {}
    assert fresh(cart).currency == ""


def test_unverified_vendors_sell_when_verification_is_not_required(
    settings, cart, unverified_variant
):
    settings.COMMERCE = {**settings.COMMERCE, "REQUIRE_VERIFIED_VENDOR": False}
    services.add_line(cart, variant_id=unverified_variant.pk, quantity=1)
    assert lines_of(cart) == {"UNVERIFIED-1": 1}


def test_add_line_with_an_unknown_variant_is_not_found(cart):
    with pytest.raises(NotFoundError) as excinfo:
        services.add_line(cart, variant_id=uuid.uuid4(), quantity=1)
    assert excinfo.value.status_code == 404


def test_a_cart_holds_one_currency(cart, shirt, euro_book):
    services.add_line(cart, variant_id=shirt.pk, quantity=1)
    with pytest.raises(CurrencyMismatchError) as excinfo:
        services.add_line(cart, variant_id=euro_book.pk, quantity=1)
    assert excinfo.value.code == "currency_mismatch"
    assert excinfo.value.details == {
        "cart_currency": "USD",
        "currency": "EUR",
        "sku": "BOOK-EUR",
    }
    assert lines_of(cart) == {"SHIRT-M": 1}


def test_emptying_a_cart_resets_its_currency(cart, shirt, euro_book):
    services.add_line(cart, variant_id=shirt.pk, quantity=1)
    cart = services.clear_cart(cart)
    assert cart.currency == ""
    cart = services.add_line(cart, variant_id=euro_book.pk, quantity=1)
    assert cart.currency == "EUR"
    line = CartLine.objects.get(cart=cart)
    cart = services.remove_line(cart, line_id=line.pk)
    assert cart.currency == ""
    cart = services.add_line(cart, variant_id=shirt.pk, quantity=1)
    assert cart.currency == "USD"


# --- changing and removing lines -------------------------------------------------------------


@pytest.fixture
def shirt_line(cart, shirt):
    services.add_line(cart, variant_id=shirt.pk, quantity=2)
    return CartLine.objects.get(cart=cart, variant=shirt)


def test_set_line_quantity(cart, shirt_line):
    cart = services.set_line_quantity(cart, line_id=shirt_line.pk, quantity=7)
    assert lines_of(cart) == {"SHIRT-M": 7}
    assert cart.revision == 2


def test_set_line_quantity_takes_the_current_price(cart, shirt, shirt_line):
    catalog.update_variant(shirt, price=money("15.00"))
    assert services.view_cart(cart).warnings[0]["code"] == "price_changed"
    services.set_line_quantity(cart, line_id=shirt_line.pk, quantity=1)
    shirt_line.refresh_from_db()
    assert shirt_line.price_when_added == money("15.00")
    assert services.view_cart(cart).warnings == []


@pytest.mark.parametrize(
    ("quantity", "error", "code"),
    [
        (0, CartLineError, "invalid_quantity"),
        (-3, CartLineError, "invalid_quantity"),
        (2.5, CartLineError, "invalid_quantity"),
        (100, CartLineError, "invalid_quantity"),
        (11, QuantityUnavailableError, "insufficient_stock"),
    ],
)
def test_set_line_quantity_refuses_bad_quantities(cart, shirt_line, quantity, error, code):
    with pytest.raises(error) as excinfo:
        services.set_line_quantity(cart, line_id=shirt_line.pk, quantity=quantity)
    assert excinfo.value.code == code
    assert lines_of(cart) == {"SHIRT-M": 2}
    assert fresh(cart).revision == 1


def test_set_line_quantity_refuses_a_variant_no_longer_for_sale(cart, shirt, shirt_line):
    catalog.archive_product(shirt.product)
    with pytest.raises(VariantUnavailableError):
        services.set_line_quantity(cart, line_id=shirt_line.pk, quantity=1)


def test_lines_of_another_cart_are_not_found(cart, shirt_line, customer, shirt):
    other, _ = services.get_or_create_cart(user=customer)
    services.add_line(other, variant_id=shirt.pk, quantity=1)
    for call in (
        lambda: services.set_line_quantity(other, line_id=shirt_line.pk, quantity=1),
        lambda: services.remove_line(other, line_id=shirt_line.pk),
    ):
        with pytest.raises(NotFoundError):
            call()
    assert lines_of(cart) == {"SHIRT-M": 2}
    assert lines_of(other) == {"SHIRT-M": 1}


def test_remove_line(cart, shirt_line, mug):
    services.add_line(cart, variant_id=mug.pk, quantity=1)
    cart = services.remove_line(cart, line_id=shirt_line.pk)
    assert lines_of(cart) == {"MUG": 1}
    assert cart.currency == "USD"
    assert cart.revision == 3


def test_clear_cart(cart, shirt_line, mug):
    services.add_line(cart, variant_id=mug.pk, quantity=1)
    cart = services.clear_cart(cart)
    assert lines_of(cart) == {}
    assert (cart.currency, cart.revision) == ("", 3)


def test_every_change_bumps_the_version_once_and_failures_do_not(cart, shirt, mug):
    versions = []
    cart = services.add_line(cart, variant_id=shirt.pk, quantity=1)
    versions.append(cart.revision)
    cart = services.add_line(cart, variant_id=mug.pk, quantity=1)
    versions.append(cart.revision)
    with pytest.raises(QuantityUnavailableError):
        services.add_line(cart, variant_id=mug.pk, quantity=10)
    versions.append(fresh(cart).revision)
    line = CartLine.objects.get(cart=cart, variant=mug)
    cart = services.set_line_quantity(cart, line_id=line.pk, quantity=2)
    versions.append(cart.revision)
    cart = services.remove_line(cart, line_id=line.pk)
    versions.append(cart.revision)
    cart = services.clear_cart(cart)
    versions.append(cart.revision)
    assert versions == [1, 2, 2, 3, 4, 5]
    assert fresh(cart).revision == 5


def test_a_cart_deleted_meanwhile_is_not_found(cart, shirt):
    stale = Cart.objects.get(pk=cart.pk)
    Cart.objects.filter(pk=cart.pk).delete()
    with pytest.raises(CartNotFoundError):
        services.add_line(stale, variant_id=shirt.pk, quantity=1)
    assert not Cart.objects.exists()


# --- merging ---------------------------------------------------------------------------------


def anonymous_with(**quantities) -> str:
    """An anonymous cart holding ``{variant: quantity}`` (variants as keyword values)."""
    cart, token = services.create_anonymous_cart()
    for variant, quantity in quantities.values():
        services.add_line(cart, variant_id=variant.pk, quantity=quantity)
    return token


def test_merge_into_a_user_without_a_cart(customer, shirt, mug):
    token = anonymous_with(a=(shirt, 2), b=(mug, 1))
    result = services.merge_carts(user=customer, token=token)
    assert result.adjustments == []
    assert result.cart.user == customer
    assert result.cart.currency == "USD"
    assert lines_of(result.cart) == {"SHIRT-M": 2, "MUG": 1}
    assert Cart.objects.filter(user__isnull=True).count() == 0
    with pytest.raises(CartNotFoundError):
        services.find_cart(token=token)


def test_merge_into_an_empty_user_cart_takes_the_anonymous_currency(customer, shirt, euro_book):
    user_cart, _ = services.get_or_create_cart(user=customer)
    services.add_line(user_cart, variant_id=shirt.pk, quantity=1)
    services.clear_cart(user_cart)
    token = anonymous_with(a=(euro_book, 2))
    result = services.merge_carts(user=customer, token=token)
    assert result.adjustments == []
    assert result.cart.currency == "EUR"
    assert lines_of(result.cart) == {"BOOK-EUR": 2}


def test_merge_into_a_non_empty_user_cart_adds_quantities(customer, shirt, mug):
    user_cart, _ = services.get_or_create_cart(user=customer)
    user_cart = services.add_line(user_cart, variant_id=shirt.pk, quantity=3)
    token = anonymous_with(a=(shirt, 2), b=(mug, 1))
    result = services.merge_carts(user=customer, token=token)
    assert result.cart.pk == user_cart.pk
    assert result.adjustments == []
    assert lines_of(result.cart) == {"SHIRT-M": 5, "MUG": 1}
    assert result.cart.revision == user_cart.revision + 1
    assert Cart.objects.count() == 1


def test_merge_caps_at_availability(customer, shirt, mug):
    user_cart, _ = services.get_or_create_cart(user=customer)
    services.add_line(user_cart, variant_id=shirt.pk, quantity=8)
    token = anonymous_with(a=(shirt, 5), b=(mug, 3))
    catalog.reserve({mug.pk: 1})  # someone else checked one mug out meanwhile
    result = services.merge_carts(user=customer, token=token)
    assert lines_of(result.cart) == {"SHIRT-M": 10, "MUG": 2}
    assert sorted(result.adjustments, key=lambda a: a["sku"]) == [
        {"sku": "MUG", "reason": "capped", "requested": 3, "merged": 2},
        {"sku": "SHIRT-M", "reason": "capped", "requested": 5, "merged": 2},
    ]


def test_merge_caps_at_the_per_line_maximum(settings, customer, shirt):
    settings.COMMERCE = {**settings.COMMERCE, "CART_MAX_LINE_QUANTITY": 4}
    user_cart, _ = services.get_or_create_cart(user=customer)
    services.add_line(user_cart, variant_id=shirt.pk, quantity=3)
    token = anonymous_with(a=(shirt, 3))
    result = services.merge_carts(user=customer, token=token)
    assert lines_of(result.cart) == {"SHIRT-M": 4}
    assert result.adjustments == [
        {"sku": "SHIRT-M", "reason": "capped", "requested": 3, "merged": 1}
    ]


def test_merge_never_shrinks_a_line_already_over_availability(customer, mug):
    user_cart, _ = services.get_or_create_cart(user=customer)
    services.add_line(user_cart, variant_id=mug.pk, quantity=3)
    token = anonymous_with(a=(mug, 2))
    catalog.reserve({mug.pk: 2})  # only 1 left, the user's line holds 3
    result = services.merge_carts(user=customer, token=token)
    # The user's own line is theirs to change; the cart warns that stock is short.
    assert lines_of(result.cart) == {"MUG": 3}
    assert result.adjustments == [{"sku": "MUG", "reason": "capped", "requested": 2, "merged": 0}]
    view = services.view_cart(result.cart)
    assert [w["code"] for w in view.warnings] == ["insufficient_stock"]
    assert view.warnings[0]["available"] == 1


def test_merge_skips_an_out_of_stock_line(customer, mug, shirt):
    token = anonymous_with(a=(mug, 2), b=(shirt, 1))
    catalog.reserve({mug.pk: 3})
    result = services.merge_carts(user=customer, token=token)
    assert lines_of(result.cart) == {"SHIRT-M": 1}
    assert result.adjustments == [{"sku": "MUG", "reason": "capped", "requested": 2, "merged": 0}]


def test_merge_drops_lines_in_another_currency(customer, shirt, euro_book):
    user_cart, _ = services.get_or_create_cart(user=customer)
    services.add_line(user_cart, variant_id=euro_book.pk, quantity=1)
    token = anonymous_with(a=(shirt, 2))
    result = services.merge_carts(user=customer, token=token)
    assert result.cart.currency == "EUR"
    assert lines_of(result.cart) == {"BOOK-EUR": 1}
    assert result.adjustments == [
        {"sku": "SHIRT-M", "reason": "currency_mismatch", "requested": 2, "merged": 0}
    ]
    assert not Cart.objects.filter(user__isnull=True).exists()
    # The user's cart is still whole and priced.
    assert services.view_cart(result.cart).subtotal == money("9.00", "EUR")


def test_merge_drops_lines_no_longer_for_sale(customer, shirt, mug):
    token = anonymous_with(a=(shirt, 1), b=(mug, 1))
    catalog.archive_product(mug.product)
    result = services.merge_carts(user=customer, token=token)
    assert lines_of(result.cart) == {"SHIRT-M": 1}
    assert result.adjustments == [
        {"sku": "MUG", "reason": "unavailable", "requested": 1, "merged": 0}
    ]


def test_merge_keeps_the_price_the_shopper_saw(customer, shirt):
    token = anonymous_with(a=(shirt, 1))
    catalog.update_variant(shirt, price=money("14.00"))
    result = services.merge_carts(user=customer, token=token)
    warnings = services.view_cart(result.cart).warnings
    assert [w["code"] for w in warnings] == ["price_changed"]
    assert warnings[0]["previous"] == money("12.50")


@pytest.mark.parametrize("token", ["no-such-token", "expired"])
def test_merge_with_an_unknown_or_expired_token_is_cart_not_found(customer, shirt, token):
    real = anonymous_with(a=(shirt, 1))
    if token == "expired":
        token = real
        age(Cart.objects.get(user__isnull=True), 15 * 24 * 3600)
    with pytest.raises(CartNotFoundError):
        services.merge_carts(user=customer, token=token)
    assert not Cart.objects.filter(user=customer).exists()
    assert Cart.objects.filter(user__isnull=True).count() == 1


@pytest.mark.parametrize("token", ["", None])
def test_merge_without_a_token_is_cart_not_found(customer, customer_cart, customer_b, token):
    with pytest.raises(CartNotFoundError):
        services.merge_carts(user=customer_b, token=token)
    assert lines_of(customer_cart) == {"SHIRT-M": 1}
    assert not Cart.objects.filter(user=customer_b).exists()


def test_merge_cannot_take_another_users_cart(customer, customer_cart, customer_b):
    cart = Cart.objects.get(user=customer)
    with pytest.raises(CartNotFoundError):
        services.merge_carts(user=customer_b, token=str(cart.pk))
    assert lines_of(customer_cart) == {"SHIRT-M": 1}


# --- reading ---------------------------------------------------------------------------------


def test_view_of_no_cart_is_empty():
    view = services.view_cart(None)
    assert (view.cart, view.lines, view.subtotal, view.item_count, view.warnings) == (
        None,
        [],
        None,
        0,
        [],
    )


def test_view_of_an_empty_cart_has_no_subtotal(cart):
    view = services.view_cart(cart)
    assert (view.subtotal, view.item_count, view.lines) == (None, 0, [])


def test_view_prices_lines_from_the_catalog(cart, shirt, mug):
    services.add_line(cart, variant_id=shirt.pk, quantity=2)
    services.add_line(cart, variant_id=mug.pk, quantity=3)
    view = services.view_cart(cart)
    assert [(v.line.variant.sku, v.unit_price, v.line_total, v.available) for v in view.lines] == [
        ("SHIRT-M", money("12.50"), money("25.00"), 10),
        ("MUG", money("8.00"), money("24.00"), 3),
    ]
    assert view.subtotal == money("49.00")
    assert view.item_count == 5
    assert view.warnings == []


def test_view_uses_the_current_price_and_warns_that_it_changed(cart, shirt):
    services.add_line(cart, variant_id=shirt.pk, quantity=2)
    catalog.update_variant(shirt, price=money("11.00"))
    view = services.view_cart(cart)
    (line,) = view.lines
    assert (line.unit_price, line.line_total, view.subtotal) == (
        money("11.00"),
        money("22.00"),
        money("22.00"),
    )
    assert line.warnings == [
        {
            "code": "price_changed",
            "message": "The price changed since this was added.",
            "previous": money("12.50"),
            "current": money("11.00"),
        }
    ]
    assert view.warnings == [{**line.warnings[0], "line": str(line.line.pk), "sku": "SHIRT-M"}]


@pytest.mark.parametrize(
    "make_unavailable",
    [
        lambda v: catalog.update_variant(v, is_active=False),
        lambda v: catalog.archive_product(v.product),
        lambda v: catalog.delete_product(v.product),
        lambda v: catalog.update_product(v.product, status="draft"),
    ],
    ids=["inactive", "archived", "deleted", "unpublished"],
)
def test_view_warns_about_lines_no_longer_for_sale(cart, shirt, mug, make_unavailable):
    services.add_line(cart, variant_id=shirt.pk, quantity=1)
    services.add_line(cart, variant_id=mug.pk, quantity=1)
    make_unavailable(shirt)
    view = services.view_cart(cart)
    assert [(w["sku"], w["code"]) for w in view.warnings] == [("SHIRT-M", "unavailable")]


def test_view_warns_when_the_vendor_loses_verification(cart, shirt):
    services.add_line(cart, variant_id=shirt.pk, quantity=1)
    vendor = shirt.product.vendor
    vendor.is_verified = False
    vendor.save()
    assert [w["code"] for w in services.view_cart(cart).warnings] == ["unavailable"]


def test_view_warns_when_stock_runs_short(cart, shirt):
    services.add_line(cart, variant_id=shirt.pk, quantity=6)
    catalog.reserve({shirt.pk: 7})
    view = services.view_cart(cart)
    (line,) = view.lines
    assert line.available == 3
    assert line.warnings == [
        {"code": "insufficient_stock", "message": "Only 3 available.", "available": 3}
    ]


def test_view_survives_a_variant_repriced_in_another_currency(cart, shirt, mug):
    services.add_line(cart, variant_id=shirt.pk, quantity=1)
    services.add_line(cart, variant_id=mug.pk, quantity=2)
    catalog.update_variant(mug, price=money("7.00", "EUR"))
    view = services.view_cart(cart)
    # The cart stays in USD; the EUR line cannot be summed, so it is left out and flagged.
    assert view.subtotal == money("12.50")
    assert view.item_count == 3
    codes = {(w["sku"], w["code"]) for w in view.warnings}
    assert ("MUG", "unavailable") in codes


# --- expiry ----------------------------------------------------------------------------------


def test_delete_expired_carts_removes_only_old_anonymous_carts(settings, customer, shirt):
    settings.COMMERCE = {**settings.COMMERCE, "CART_TTL": 3600}
    old, _ = services.create_anonymous_cart()
    services.add_line(old, variant_id=shirt.pk, quantity=1)
    recent, recent_token = services.create_anonymous_cart()
    user_cart, _ = services.get_or_create_cart(user=customer)
    services.add_line(user_cart, variant_id=shirt.pk, quantity=1)
    age(old, 3601)
    age(recent, 3599)
    age(user_cart, 365 * 24 * 3600)

    # Counts carts, not the rows that cascade with them.
    assert services.delete_expired_carts() == 1
    assert set(Cart.objects.values_list("pk", flat=True)) == {recent.pk, user_cart.pk}
    assert CartLine.objects.filter(cart=user_cart).count() == 1
    assert services.find_cart(token=recent_token) == recent


def test_delete_expired_carts_honours_now(cart, customer):
    user_cart, _ = services.get_or_create_cart(user=customer)
    ttl = 14 * 24 * 3600
    now = timezone.now()
    assert services.delete_expired_carts(now=now + timedelta(seconds=ttl - 60)) == 0
    assert services.delete_expired_carts(now=now + timedelta(seconds=ttl + 60)) == 1
    assert list(Cart.objects.all()) == [user_cart]


def test_an_expired_cart_is_not_found_before_it_is_deleted(settings, shirt):
    settings.COMMERCE = {**settings.COMMERCE, "CART_TTL": 60}
    cart, token = services.create_anonymous_cart()
    age(cart, 61)
    with pytest.raises(CartNotFoundError):
        services.find_cart(token=token)
    with pytest.raises(CartNotFoundError):
        services.get_or_create_cart(token=token)


def test_a_change_restarts_the_expiry_clock(settings, shirt):
    settings.COMMERCE = {**settings.COMMERCE, "CART_TTL": 60}
    cart, token = services.create_anonymous_cart()
    age(cart, 50)
    services.add_line(cart, variant_id=shirt.pk, quantity=1)
    assert services.delete_expired_carts(now=timezone.now() + timedelta(seconds=30)) == 0
    assert services.find_cart(token=token) == cart


# --- size limits ---------------------------------------------------------------------------


@pytest.fixture
def max_two_lines(settings):
    settings.COMMERCE = {**settings.COMMERCE, "CART_MAX_LINES": 2}


def test_add_line_refuses_a_line_past_the_cart_limit(max_two_lines, cart, shirt, mug):
    hat = make_variant("HAT")
    services.add_line(cart, variant_id=shirt.pk, quantity=1)
    services.add_line(cart, variant_id=mug.pk, quantity=1)
    with pytest.raises(CartFullError) as excinfo:
        services.add_line(cart, variant_id=hat.pk, quantity=1)
    error = excinfo.value
    assert (error.status_code, error.code) == (400, "cart_full")
    assert error.details == {"lines": 2, "maximum": 2, "setting": "CART_MAX_LINES"}
    # A line already in the full cart may still grow, and a freed place may be taken.
    services.add_line(cart, variant_id=shirt.pk, quantity=2)
    services.remove_line(cart, line_id=CartLine.objects.get(cart=cart, variant=mug).pk)
    services.add_line(cart, variant_id=hat.pk, quantity=1)
    assert lines_of(cart) == {"SHIRT-M": 3, "HAT": 1}


def test_set_line_quantity_keeps_the_per_line_maximum(settings, cart, shirt_line):
    settings.COMMERCE = {**settings.COMMERCE, "CART_MAX_LINE_QUANTITY": 4}
    with pytest.raises(CartLineError) as excinfo:
        services.set_line_quantity(cart, line_id=shirt_line.pk, quantity=5)
    assert excinfo.value.code == "invalid_quantity"
    assert excinfo.value.details == {"quantity": 5, "maximum": 4}
    services.set_line_quantity(cart, line_id=shirt_line.pk, quantity=4)
    assert lines_of(cart) == {"SHIRT-M": 4}


def test_merge_stops_adding_lines_at_the_cart_limit(settings, customer, shirt, mug):
    hat, scarf = make_variant("HAT"), make_variant("SCARF")
    user_cart, _ = services.get_or_create_cart(user=customer)
    services.add_line(user_cart, variant_id=shirt.pk, quantity=1)
    token = anonymous_with(a=(hat, 2), b=(mug, 1), c=(shirt, 2), d=(scarf, 1))
    settings.COMMERCE = {**settings.COMMERCE, "CART_MAX_LINES": 2}
    result = services.merge_carts(user=customer, token=token)
    # In the order they were added: the hat takes the one free place, the mug and the
    # scarf do not fit; the shirt is already a line of the user's, so it still grows.
    assert lines_of(result.cart) == {"SHIRT-M": 3, "HAT": 2}
    assert result.adjustments == [
        {"sku": "MUG", "reason": "cart_full", "requested": 1, "merged": 0},
        {"sku": "SCARF", "reason": "cart_full", "requested": 1, "merged": 0},
    ]


def test_merge_never_drops_the_users_own_lines_over_a_lowered_limit(settings, customer, shirt, mug):
    user_cart, _ = services.get_or_create_cart(user=customer)
    services.add_line(user_cart, variant_id=shirt.pk, quantity=1)
    services.add_line(user_cart, variant_id=mug.pk, quantity=1)
    token = anonymous_with(a=(make_variant("HAT"), 1), b=(shirt, 1))
    settings.COMMERCE = {**settings.COMMERCE, "CART_MAX_LINES": 1}
    result = services.merge_carts(user=customer, token=token)
    assert lines_of(result.cart) == {"SHIRT-M": 2, "MUG": 1}
    assert result.adjustments == [
        {"sku": "HAT", "reason": "cart_full", "requested": 1, "merged": 0}
    ]


def test_merge_writes_lines_in_bounded_batches(customer):
    variants = [make_variant(f"V{n}", quantity=50) for n in range(25)]

    def merge(count: int):
        user_cart, _ = services.get_or_create_cart(user=customer)
        services.clear_cart(user_cart)
        # Half the lines already in the user's cart (they grow), half new.
        for variant in variants[: count // 2]:
            services.add_line(user_cart, variant_id=variant.pk, quantity=1)
        cart, token = services.create_anonymous_cart()
        for variant in variants[:count]:
            services.add_line(cart, variant_id=variant.pk, quantity=1)
        with recording() as statements:
            result = services.merge_carts(user=customer, token=token)
        assert len(lines_of(result.cart)) == count
        return statements

    with batch_size(4):
        small, large = merge(8), merge(24)
    assert large.largest == small.largest
    # 4 new and 4 grown lines are one INSERT and one UPDATE; 12 and 12 are three of each.
    assert len(large) - len(small) == 4


def test_delete_expired_carts_goes_in_bounded_batches(shirt, customer):
    carts = []
    for _ in range(7):
        cart, _ = services.create_anonymous_cart()
        services.add_line(cart, variant_id=shirt.pk, quantity=1)
        carts.append(cart)
    for cart in carts[:5]:
        age(cart, 15 * 24 * 3600)
    with batch_size(2), recording() as statements:
        assert services.delete_expired_carts() == 5
    assert set(Cart.objects.values_list("pk", flat=True)) == {cart.pk for cart in carts[5:]}
    assert CartLine.objects.count() == 2
    # At most two carts (and their lines) per statement.
    assert statements.largest[1] <= 4

"""The product card: columns the services keep, the list reads, and the checker verifies."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.test import RequestFactory
from djmoney.money import Money

from commerce.catalog import selectors, services
from commerce.catalog.api.serializers import ProductListSerializer, product_card
from commerce.catalog.models import Product, StockMovement
from commerce.core.exceptions import CommerceValidationError
from commerce.core.invariants import check_invariants
from commerce.testing.factories import BrandFactory, ProductFactory, VariantFactory
from tests.catalog.helpers import add_image
from tests.helpers import money

pytestmark = pytest.mark.django_db


def card_violations() -> list:
    return [v for v in check_invariants() if v.code == "catalog.product_card"]


def stored_card(product) -> dict:
    return Product.objects.values(*selectors.CARD_COLUMNS).get(pk=product.pk)


@pytest.fixture
def product():
    return ProductFactory()


# --- what the card holds ---------------------------------------------------------------


def test_the_card_is_the_cheapest_active_variant_and_its_compare_at_price(product):
    VariantFactory(product=product, price=money("20.00"), compare_at_price=money("25.00"))
    cheap = VariantFactory(product=product, price=money("9.00"), compare_at_price=money("12.00"))
    product.refresh_from_db()
    assert (product.price, product.compare_at_price) == (money("9.00"), money("12.00"))
    services.update_variant(cheap, is_active=False)
    product.refresh_from_db()
    assert (product.price, product.compare_at_price) == (money("20.00"), money("25.00"))
    services.update_variant(cheap, is_active=True, compare_at_price=None)
    product.refresh_from_db()
    assert (product.price, product.compare_at_price) == (money("9.00"), None)
    assert card_violations() == []


def test_the_services_show_the_new_card_on_the_instance_they_were_given(product):
    variant = VariantFactory(product=product, price=money("8.00"), quantity=0)
    assert (product.price, product.in_stock) == (money("8.00"), False)
    services.update_variant(variant, compare_at_price=money("10.00"))
    assert variant.product.compare_at_price == money("10.00")


@pytest.mark.parametrize(
    ("move", "in_stock"),
    [
        (lambda v: services.reserve({v.pk: 2}), False),
        (lambda v: services.adjust_stock(v, -2, reason="Damaged"), False),
        (lambda v: services.set_stock(v, 0, reason="Count"), False),
        (lambda v: services.reserve({v.pk: 1}), True),
        (lambda v: services.adjust_stock(v, 5, reason="Delivery"), True),
    ],
    ids=["reserve-last", "adjust-to-zero", "count-zero", "reserve-some", "add"],
)
def test_stock_moves_that_cross_zero_rewrite_in_stock(product, move, in_stock):
    variant = VariantFactory(product=product, quantity=2)
    assert stored_card(product)["in_stock"] is True
    move(variant)
    assert stored_card(product)["in_stock"] is in_stock
    assert card_violations() == []


def test_release_and_restock_bring_a_sold_out_product_back(product):
    a = VariantFactory(product=product, quantity=1)
    b = VariantFactory(product=product, quantity=0)
    services.reserve({a.pk: 1})
    assert stored_card(product)["in_stock"] is False
    services.release({a.pk: 1})
    assert stored_card(product)["in_stock"] is True
    services.reserve({a.pk: 1})
    services.commit({a.pk: 1})
    assert stored_card(product)["in_stock"] is False
    services.restock({b.pk: 3}, reason="Returned")
    assert stored_card(product)["in_stock"] is True
    assert card_violations() == []


def test_a_variant_with_stock_counts_only_while_active(product):
    variant = VariantFactory(product=product, quantity=5)
    VariantFactory(product=product, quantity=0)
    services.update_variant(variant, is_active=False)
    assert stored_card(product)["in_stock"] is False
    services.update_variant(variant, is_active=True)
    assert stored_card(product)["in_stock"] is True


def test_a_move_that_crosses_no_zero_leaves_the_product_alone(product, django_assert_num_queries):
    variant = VariantFactory(product=product, quantity=5)
    # The savepoint pair, lock, update and movement insert: nothing on the product.
    with django_assert_num_queries(5):
        services.reserve({variant.pk: 1})


def test_the_primary_image_follows_the_image_services(product):
    VariantFactory(product=product)
    first = add_image(product, "first.png")
    assert stored_card(product)["primary_image_id"] == first.pk
    second = add_image(product, "second.png")
    assert stored_card(product)["primary_image_id"] == first.pk
    services.update_product_image(second, is_primary=True)
    assert stored_card(product)["primary_image_id"] == second.pk
    services.delete_product_image(second)
    assert stored_card(product)["primary_image_id"] == first.pk
    services.delete_product_image(first)
    assert stored_card(product)["primary_image_id"] is None
    assert card_violations() == []


# --- restock ---------------------------------------------------------------------------


def test_restock_adds_every_line_with_an_adjustment_each(product, staff_user):
    a = VariantFactory(product=product, quantity=1)
    b = VariantFactory(product=product, quantity=0)
    services.restock([(a.pk, 2), (b.pk, 3)], reason=" Returned ", reference="R-1", actor=staff_user)
    a.stock.refresh_from_db()
    b.stock.refresh_from_db()
    assert (a.stock.quantity, b.stock.quantity) == (3, 3)
    movements = StockMovement.objects.filter(kind=StockMovement.Kind.ADJUSTMENT, reference="R-1")
    assert sorted(movements.values_list("quantity_change", "reason", "actor")) == [
        (2, "Returned", staff_user.pk),
        (3, "Returned", staff_user.pk),
    ]


@pytest.mark.parametrize(
    ("lines", "reason", "field"),
    [([], " ", "reason"), ([("a", 0)], "Returned", "quantity"), ([("a", 2**31)], "R", "quantity")],
)
def test_restock_refuses_what_it_cannot_record(product, lines, reason, field):
    variant = VariantFactory(product=product, quantity=1)
    lines = [(variant.pk, quantity) for _, quantity in lines]
    with pytest.raises(CommerceValidationError) as caught:
        services.restock(lines, reason=reason)
    assert field in caught.value.details
    variant.stock.refresh_from_db()
    assert variant.stock.quantity == 1


# --- the checker and the repair -------------------------------------------------------


def test_the_checker_names_a_card_written_around_the_services_and_the_command_repairs_it(
    product,
):
    VariantFactory(product=product, price=money("5.00"), compare_at_price=money("7.00"))
    image = add_image(product)
    other = ProductFactory()
    VariantFactory(product=other, quantity=0)
    Product.objects.filter(pk=product.pk).update(
        in_stock=False, compare_at_price=None, primary_image=None
    )
    Product.objects.filter(pk=other.pk).update(price=None, price_currency=None, in_stock=True)
    (broken, stale) = sorted(card_violations(), key=lambda v: v.object == other.slug)
    assert broken.object == product.slug
    assert "in_stock is False, should be True" in broken.message
    assert "compare_at_price is None" in broken.message
    assert f"should be {image.pk!r}" in broken.message
    assert stale.object == other.slug
    assert "price is None" in stale.message

    out = io.StringIO()
    call_command("commerce_refresh_product_cards", stdout=out)
    assert out.getvalue() == "Rewrote the cards of 2 product(s).\n"
    assert card_violations() == []
    assert stored_card(product)["primary_image_id"] == image.pk


def test_refresh_product_cards_takes_instances_or_ids_and_counts(product):
    VariantFactory(product=product)
    other = ProductFactory()
    assert services.refresh_product_cards([product, other.pk, product.pk]) == 2
    assert services.refresh_product_cards([]) == 0


# --- the list's card builder ----------------------------------------------------------


@pytest.mark.parametrize("currency", ["USD", "JPY", "KWD"])
def test_product_card_is_what_the_serializer_says(currency, media_root):
    brand = BrandFactory()
    plain = ProductFactory()
    VariantFactory(product=plain, price=Money("12", currency), quantity=0)
    rich = ProductFactory(brand=brand, is_featured=True)
    VariantFactory(product=rich, price=Money("7", currency), compare_at_price=Money("9", currency))
    add_image(rich, "rich.png", alt_text="A rich product")
    request = RequestFactory().get("/api/v1/catalog/products/")
    rows = selectors.product_cards(selectors.product_list_queryset())
    cards = {row["slug"]: product_card(row, request) for row in rows}
    models = Product.objects.select_related("vendor", "brand", "category", "primary_image")
    expected = {
        product.slug: ProductListSerializer(product, context={"request": request}).data
        for product in models.filter(pk__in=[plain.pk, rich.pk])
    }
    assert cards == expected
    assert cards[rich.slug]["primary_image"]["url"].startswith("http://testserver/")
    assert cards[plain.slug]["compare_at_price"] is None
    assert cards[rich.slug]["brand"] == {"name": brand.name, "slug": brand.slug}


@pytest.mark.parametrize("currency", ["USD", "JPY"])
def test_the_public_detail_is_what_the_serializer_shows_the_public(currency, media_root):
    from commerce.catalog.api.serializers import ProductDetailSerializer, product_detail
    from commerce.testing.factories import TaxClassFactory

    product = ProductFactory(brand=BrandFactory(), tax_class=TaxClassFactory())
    VariantFactory(product=product, price=Money("7", currency), quantity=0, options={"size": "S"})
    VariantFactory(product=product, price=Money("9", currency), quantity=3, weight=250)
    VariantFactory(
        product=product,
        price=Money("11", currency),
        compare_at_price=Money("15", currency),
        quantity=50,
    )
    hidden = VariantFactory(product=product, price=Money("1", currency))
    services.update_variant(hidden, is_active=False)
    add_image(product, "b.png", position=2)
    add_image(product, "a.png", position=1, is_primary=True)
    request = RequestFactory().get("/")
    found = selectors.public_product_detail(product.slug)
    built = product_detail(*found, request)
    model = selectors.product_detail_queryset(AnonymousUser()).get(pk=product.pk)
    context = {"request": request, "show_internals": False}
    assert built == ProductDetailSerializer(model, context=context).data
    assert [v["availability"] for v in built["variants"]] == [
        "out_of_stock",
        "low_stock",
        "in_stock",
    ]
    assert built["primary_image"]["url"].endswith("a.png")
    assert selectors.public_product_detail("no-such-product") is None


def test_the_list_joins_no_image_table(product):
    # The image comes by primary key in a subquery: a fifth joined table made
    # PostgreSQL's planning cost more than the page's execution.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    VariantFactory(product=product)
    add_image(product)
    with CaptureQueriesContext(connection) as queries:
        rows = list(selectors.product_cards(selectors.product_list_queryset()))
    (query,) = queries.captured_queries
    assert "JOIN" in query["sql"]
    assert 'JOIN "commerce_catalog_productimage"' not in query["sql"]
    assert rows[0]["primary_image_file"] == "commerce/products/a.png"

"""Catalog fixtures: a small catalog owned by the ``vendor`` fixture, and the cast of clients."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from commerce.catalog import services
from commerce.catalog.models import Product
from commerce.testing.factories import (
    BrandFactory,
    CategoryFactory,
    ProductFactory,
    VariantFactory,
)
from tests.helpers import client_for, money


@pytest.fixture
def client_as(request):
    """``client_as("customer")``: an API client for one member of
    :data:`tests.catalog.helpers.CAST`."""

    def make(name: str) -> APIClient:
        if name == "anonymous":
            return APIClient()
        return client_for(request.getfixturevalue(name))

    return make


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def category_tree(db):
    """clothing > shirts > t-shirts, and a separate root: books."""
    clothing = CategoryFactory(name="Clothing", slug="clothing")
    shirts = CategoryFactory(name="Shirts", slug="shirts", parent=clothing)
    tshirts = CategoryFactory(name="T-shirts", slug="t-shirts", parent=shirts)
    books = CategoryFactory(name="Books", slug="books")
    return {"clothing": clothing, "shirts": shirts, "t-shirts": tshirts, "books": books}


@pytest.fixture
def brand(db):
    return BrandFactory(name="Zeta", slug="zeta")


@pytest.fixture
def product(vendor, category_tree, brand):
    """A published product of ``vendor`` with one in-stock variant and cost price."""
    product = ProductFactory(
        vendor=vendor,
        category=category_tree["shirts"],
        brand=brand,
        name="Plain shirt",
        slug="plain-shirt",
        description="A plain cotton shirt.",
    )
    VariantFactory(
        product=product,
        sku="SHIRT-M",
        price=money("12.50"),
        cost_price=money("4.00"),
        quantity=10,
    )
    product.refresh_from_db()
    return product


@pytest.fixture
def draft_product(vendor, category_tree):
    product = ProductFactory(
        vendor=vendor,
        category=category_tree["books"],
        name="Secret book",
        slug="secret-book",
        status=Product.Status.DRAFT,
    )
    VariantFactory(product=product, sku="BOOK-1", price=money("20.00"))
    return product


@pytest.fixture
def archived_product(vendor, category_tree):
    product = ProductFactory(vendor=vendor, category=category_tree["books"], slug="old-book")
    VariantFactory(product=product, sku="OLD-1", price=money("5.00"))
    return services.archive_product(product)


@pytest.fixture
def deleted_product(vendor, category_tree):
    product = ProductFactory(vendor=vendor, category=category_tree["books"], slug="gone-book")
    VariantFactory(product=product, sku="GONE-1", price=money("5.00"))
    return services.delete_product(product)


@pytest.fixture
def unverified_product(unverified_vendor, category_tree):
    """A draft of the unverified vendor (made through the services, as staff would)."""
    product = ProductFactory(
        vendor=unverified_vendor,
        category=category_tree["books"],
        slug="initech-draft",
        status=Product.Status.DRAFT,
    )
    VariantFactory(product=product, sku="INI-1", price=money("3.00"), cost_price=money("1.00"))
    return product

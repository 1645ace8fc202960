"""A cursor the server did not issue is a 400 in the envelope, on every cursor-paginated list.

Run on SQLite and PostgreSQL: on PostgreSQL a NUL character or an out-of-range
value that reached a query would be a 500.
"""

from __future__ import annotations

import logging
from base64 import b64encode
from decimal import Decimal
from urllib.parse import parse_qs, quote, urlparse

import pytest
from django.apps import apps
from djmoney.money import Money

from commerce.core.pagination import CommerceCursorPagination
from commerce.testing.factories import (
    BrandFactory,
    ProductFactory,
    TaxClassFactory,
    VariantFactory,
)
from tests.helpers import assert_error, client_for
from tests.routes import commerce_views

#: Every cursor-paginated list: (app, path, caller, the position's kind).
LISTS = [
    ("commerce.catalog", "/api/v1/catalog/brands/", None, "text"),
    ("commerce.catalog", "/api/v1/catalog/tax-classes/", None, "text"),
    ("commerce.catalog", "/api/v1/catalog/vendors/", None, "text"),
    ("commerce.catalog", "/api/v1/catalog/products/", None, "timestamp"),
    ("commerce.catalog", "/api/v1/catalog/products/?ordering=created", None, "timestamp"),
    ("commerce.catalog", "/api/v1/catalog/products/?ordering=-price", None, "amount"),
    ("commerce.catalog", "/api/v1/catalog/products/?ordering=price", None, "amount"),
    ("commerce.catalog", "/api/v1/catalog/products/?ordering=name", None, "text"),
    ("commerce.promotions", "/api/v1/promotions/", "staff_user", "timestamp"),
    ("commerce.pricing", "/api/v1/pricing/zones/", "staff_user", "text"),
    ("commerce.pricing", "/api/v1/pricing/shipping-methods/", "staff_user", "text"),
    ("commerce.pricing", "/api/v1/pricing/tax-rates/", "staff_user", "text"),
    ("commerce.orders", "/api/v1/orders/", "customer", "timestamp"),
    ("commerce.orders", "/api/v1/vendor/orders/", "vendor_member", "timestamp"),
]


def cursor(querystring: str) -> str:
    """A cursor as DRF encodes one: base64 of a query string such as ``p=...&o=1``."""
    return b64encode(querystring.encode("latin-1")).decode("ascii")


#: Cursors no server issued, whatever the ordering.
ANY_LIST = {
    "garbage": "garbage",
    "not-ascii": "\u00e9t\u00e9",
    "tampered-base64": cursor("o=abc"),
    "offset-negative": cursor("o=-1"),
    "offset-huge": cursor("o=" + "9" * 30),
    "offset-past-the-cutoff": cursor("o=1001"),
    "direction": cursor("r=2"),
    "direction-blank": cursor("r="),
    "nul-in-position": cursor("p=a%00b"),
    "raw-nul": cursor("p=a\x00b"),
    "position-too-long": cursor("p=" + "9" * 600),
    "cursor-too-long": "A" * 5000,
    "binary": b64encode(b"\xff\xfe\x00\x01").decode(),
}
#: Positions of the wrong type or out of range, by the ordering column's kind.
BY_KIND = {
    "timestamp": {
        "not-a-timestamp": cursor("p=yesterday"),
        "year-out-of-range": cursor("p=99999-01-01+00%3A00%3A00%2B00%3A00"),
        "naive": cursor("p=2024-01-01+00%3A00%3A00"),
        "number": cursor("p=12.50"),
        "blank": cursor("p="),
    },
    "amount": {
        "not-a-number": cursor("p=abc"),
        "nan": cursor("p=NaN"),
        "infinity": cursor("p=-Infinity"),
        "too-many-digits": cursor("p=1" + "0" * 40),
        "exponent": cursor("p=1e999999"),
        "timestamp": cursor("p=2024-01-01+00%3A00%3A00%2B00%3A00"),
    },
    "text": {
        "longer-than-the-column": cursor("p=" + "n" * 300),
    },
}
CASES = [
    pytest.param(app, path, who, bad, id=f"{path}-{name}")
    for app, path, who, kind in LISTS
    for name, bad in {**ANY_LIST, **BY_KIND[kind]}.items()
]


def test_the_lists_above_are_every_cursor_paginated_list():
    routes = {
        route
        for route, view_class in commerce_views()
        if isinstance(getattr(view_class, "pagination_class", None), type)
        and issubclass(view_class.pagination_class, CommerceCursorPagination)
    }
    listed = {urlparse(path).path.removeprefix("/") for _app, path, _who, _kind in LISTS}
    # Router routes end in "$" and carry a format suffix variant.
    found = {route.replace("^", "").split("$")[0].split("\\.")[0] for route in routes}
    found = {route for route in found if "<" not in route and "(?P" not in route}
    installed = {
        urlparse(path).path.removeprefix("/")
        for app, path, _who, _kind in LISTS
        if apps.is_installed(app)
    }
    assert found == installed, "add new cursor-paginated lists to LISTS"
    assert installed <= listed


@pytest.fixture
def catalog(db):
    brand = BrandFactory(name="Acme")
    TaxClassFactory(name="Reduced")
    TaxClassFactory(name="Books")
    for n, price in enumerate(["9.99", "12.50", "100.00"]):
        product = ProductFactory(name=f"Product {n}", brand=brand)
        VariantFactory(product=product, sku=f"CUR-{n}", price=Money(price, "USD"))
    if apps.is_installed("commerce.promotions"):
        from commerce.promotions import services as promotion_services

        for n in range(2):
            benefit = {"kind": "percentage_off", "percent": Decimal("5")}
            promotion_services.create_promotion(name=f"Promotion {n}", benefit=benefit)
    if apps.is_installed("commerce.pricing"):
        from commerce.pricing import services as pricing_services

        for n in range(2):
            zone = pricing_services.create_zone(name=f"Zone {n}", priority=n)
            pricing_services.create_tax_rate(zone=zone, name=f"Tax {n}", rate=Decimal("5"))
            pricing_services.create_shipping_method(
                zone=zone, name=f"Method {n}", code=f"m{n}", currency="USD", price=Money(1, "USD")
            )


def get(request, path, who, cursor_value):
    user = request.getfixturevalue(who) if who else None
    separator = "&" if "?" in path else "?"
    return client_for(user).get(f"{path}{separator}cursor={quote(cursor_value)}")


@pytest.mark.parametrize(("app", "path", "who", "bad"), CASES)
def test_a_cursor_the_server_did_not_issue_is_a_400(request, catalog, caplog, app, path, who, bad):
    if not apps.is_installed(app):
        pytest.skip(f"{app} is not installed in this host")
    response = get(request, path, who, bad)
    error = assert_error(response, 400, "invalid")
    assert list(error["details"]) == ["cursor"]
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


@pytest.mark.parametrize(("app", "path", "who", "kind"), LISTS, ids=lambda v: str(v))
def test_the_cursors_the_server_issues_still_work(request, catalog, app, path, who, kind):
    if not apps.is_installed(app):
        pytest.skip(f"{app} is not installed in this host")
    user = request.getfixturevalue(who) if who else None
    client = client_for(user)
    separator = "&" if "?" in path else "?"
    url, pages = f"{path}{separator}page_size=1", 0
    while url and pages < 10:
        response = client.get(url)
        assert response.status_code == 200, response.content
        previous = response.json()["previous"]
        if previous:  # a reversed cursor (r=1) the server issued
            assert client.get(previous).status_code == 200
        url = response.json()["next"]
        pages += 1
        if url:
            # The next link's cursor, with the previous one that comes back from it.
            assert parse_qs(urlparse(url).query)["cursor"]
    assert url is None

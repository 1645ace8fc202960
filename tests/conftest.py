"""Fixtures shared by every test module: clients and the cast of users."""

import pytest
from rest_framework.test import APIClient

from commerce.testing.factories import (
    StaffUserFactory,
    UserFactory,
    VendorFactory,
    VendorMembershipFactory,
)


def pytest_collection_modifyitems(config, items):
    """Skip, with the reason, what this host cannot run.

    ``@pytest.mark.postgres`` tests unless the database is PostgreSQL, and
    ``@pytest.mark.requires_orders`` tests on a host without ``commerce.orders`` (the
    cart-and-promotions host, ``tests.projects.cart_promotions``). A module that imports
    the orders app at import time fails to collect there rather than being skipped:
    such tests import it inside the test and carry the marker.
    """
    from django.apps import apps
    from django.db import connection

    skips = {}
    if connection.vendor != "postgresql":
        skips["postgres"] = pytest.mark.skip(
            reason=f"needs PostgreSQL (row locks across connections), not {connection.vendor}; "
            "set DATABASE_URL=postgres://user:password@host:port/name"
        )
    if not apps.is_installed("commerce.orders"):
        skips["requires_orders"] = pytest.mark.skip(
            reason="needs commerce.orders, which this host does not install"
        )
    for item in items:
        for marker, skip in skips.items():
            if item.get_closest_marker(marker):
                item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def _database_features_probed(django_db_setup, django_db_blocker):
    """Pinned query counts do not depend on which test runs first.

    Django asks SQLite whether it supports JSON with a query the first time a
    query reads JSON (the product list does), once per connection.
    """
    from django.db import connections

    with django_db_blocker.unblock():
        for connection in connections.all():
            _ = connection.features.supports_json_field


@pytest.fixture(autouse=True)
def _fresh_catalog_cache():
    """No test is answered from what an earlier one cached (its data was rolled back)."""
    from commerce.catalog import cache

    cache.clear()


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def customer(db):
    return UserFactory(email="customer@example.com")


@pytest.fixture
def staff_user(db):
    return StaffUserFactory(email="staff@example.com")


@pytest.fixture
def vendor(db):
    return VendorFactory(name="Acme", slug="acme")


@pytest.fixture
def vendor_member(vendor):
    return VendorMembershipFactory(vendor=vendor, user__email="member@acme.example").user


@pytest.fixture
def other_vendor(db):
    return VendorFactory(name="Globex", slug="globex")


@pytest.fixture
def other_vendor_member(other_vendor):
    return VendorMembershipFactory(vendor=other_vendor, user__email="member@globex.example").user


@pytest.fixture
def unverified_vendor(db):
    return VendorFactory(name="Initech", slug="initech", is_verified=False)


@pytest.fixture
def unverified_vendor_member(unverified_vendor):
    return VendorMembershipFactory(
        vendor=unverified_vendor, user__email="member@initech.example"
    ).user

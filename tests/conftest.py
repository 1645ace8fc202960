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
    """Skip ``@pytest.mark.postgres`` tests, with the reason, unless the database is PostgreSQL."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(
        reason=f"needs PostgreSQL (row locks across connections), not {connection.vendor}; "
        "set DATABASE_URL=postgres://user:password@host:port/name"
    )
    for item in items:
        if item.get_closest_marker("postgres"):
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

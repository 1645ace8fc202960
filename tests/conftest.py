"""Fixtures shared by every test module: clients and the cast of users."""

import pytest
from rest_framework.test import APIClient

from commerce.testing.factories import (
    StaffUserFactory,
    UserFactory,
    VendorFactory,
    VendorMembershipFactory,
)


@pytest.fixture
def api_client():
    return APIClient()


def client_for(user):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


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

"""Default permissions: who counts as staff is a setting."""

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.test import override_settings
from rest_framework.test import APIRequestFactory

from commerce.core.permissions import IsStaff, ReadOnly, is_staff_user, user_is_staff
from commerce.testing.factories import StaffUserFactory, UserFactory


def request_by(user, method="get"):
    request = getattr(APIRequestFactory(), method)("/")
    request.user = user
    return request


@pytest.mark.django_db
def test_is_staff_user():
    assert is_staff_user(StaffUserFactory())
    assert not is_staff_user(UserFactory())
    assert not is_staff_user(StaffUserFactory(is_active=False))
    assert not is_staff_user(AnonymousUser())
    assert not is_staff_user(None)


@pytest.mark.django_db
def test_is_staff_follows_is_staff_by_default():
    assert IsStaff().has_permission(request_by(StaffUserFactory()), view=None)
    assert not IsStaff().has_permission(request_by(UserFactory()), view=None)
    assert not IsStaff().has_permission(request_by(AnonymousUser()), view=None)


@pytest.mark.django_db
def test_is_staff_honours_a_custom_staff_check():
    boss = UserFactory(email="boss@staff.example")
    flagged = StaffUserFactory(email="flagged@example.com")
    custom = {**settings.COMMERCE, "STAFF_CHECK": "tests.core.helpers.staff_by_email_domain"}
    with override_settings(COMMERCE=custom):
        assert IsStaff().has_permission(request_by(boss), view=None)
        assert not IsStaff().has_permission(request_by(flagged), view=None)
        assert user_is_staff(boss)
    # Back to the default once the override ends.
    assert not IsStaff().has_permission(request_by(boss), view=None)
    assert IsStaff().has_permission(request_by(flagged), view=None)


@pytest.mark.parametrize(
    ("method", "allowed"),
    [("get", True), ("head", True), ("options", True), ("post", False), ("delete", False)],
)
def test_read_only(method, allowed):
    assert ReadOnly().has_permission(request_by(AnonymousUser(), method), view=None) is allowed

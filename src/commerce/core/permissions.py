"""Default permission classes.

Who counts as staff is a setting (``COMMERCE["STAFF_CHECK"]``) so a host can
tie it to a group or a permission instead of ``is_staff``.
"""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from commerce.conf import commerce_settings


def is_staff_user(user) -> bool:
    """The default ``STAFF_CHECK``: an active user with ``is_staff``."""
    return bool(user and user.is_authenticated and user.is_active and user.is_staff)


def user_is_staff(user) -> bool:
    """Whether ``user`` passes the configured ``COMMERCE["STAFF_CHECK"]``."""
    return bool(commerce_settings.STAFF_CHECK(user))


class IsStaff(BasePermission):
    """Allows only users that pass ``COMMERCE["STAFF_CHECK"]``."""

    def has_permission(self, request, view) -> bool:
        return user_is_staff(request.user)


class ReadOnly(BasePermission):
    """Allows only safe methods (GET, HEAD, OPTIONS)."""

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS

"""The email-login user: manager, normalization, case-insensitive uniqueness, admin."""

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError

from accounts.models import User
from support import PASSWORD

pytestmark = pytest.mark.django_db


def test_create_user_normalizes_the_domain_and_hashes_the_password():
    user = User.objects.create_user("Ada@EXAMPLE.COM", PASSWORD)

    assert user.email == "Ada@example.com"
    assert user.check_password(PASSWORD)
    assert user.password != PASSWORD
    assert not user.is_staff
    assert not user.is_superuser
    assert user.is_active
    assert user.pk.version == 4
    assert user.get_username() == "Ada@example.com"
    assert not hasattr(user, "username")


def test_create_user_needs_an_email():
    with pytest.raises(ValueError, match="email"):
        User.objects.create_user("", PASSWORD)


def test_create_user_without_password_cannot_log_in():
    user = User.objects.create_user("nopass@example.com")

    assert not user.has_usable_password()


def test_create_superuser():
    user = User.objects.create_superuser("root@example.com", PASSWORD)

    assert user.is_staff
    assert user.is_superuser


@pytest.mark.parametrize("flag", ["is_staff", "is_superuser"])
def test_create_superuser_refuses_to_drop_its_flags(flag):
    with pytest.raises(ValueError, match=flag):
        User.objects.create_superuser("root@example.com", PASSWORD, **{flag: False})


def test_email_is_unique_whatever_its_case():
    User.objects.create_user("ada@example.com", PASSWORD)

    with pytest.raises(IntegrityError):
        User.objects.create_user("ADA@example.com", PASSWORD)


def test_full_clean_reports_a_case_insensitive_duplicate():
    User.objects.create_user("ada@example.com", PASSWORD)

    with pytest.raises(ValidationError, match="already exists"):
        User(email="Ada@Example.com", password="x").full_clean()


def test_authenticate_by_email_in_any_case():
    user = User.objects.create_user("ada@example.com", PASSWORD)

    assert authenticate(email="ADA@example.com", password=PASSWORD) == user
    assert authenticate(email="ada@example.com", password="wrong") is None


def test_createsuperuser_command_asks_for_an_email_only(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)

    call_command("createsuperuser", email="boss@example.com", interactive=False, verbosity=0)

    user = User.objects.get(email="boss@example.com")
    assert user.is_superuser
    assert user.check_password(PASSWORD)


def test_admin_adds_a_user_by_email(client):
    admin = User.objects.create_superuser("root@example.com", PASSWORD)
    client.force_login(admin)

    response = client.post(
        "/admin/accounts/user/add/",
        {
            "email": "added@example.com",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.get(email="added@example.com").check_password(PASSWORD)


def test_admin_refuses_a_case_insensitive_duplicate(client):
    admin = User.objects.create_superuser("root@example.com", PASSWORD)
    client.force_login(admin)

    response = client.post(
        "/admin/accounts/user/add/",
        {
            "email": "ROOT@example.com",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )

    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    "path",
    ["/admin/accounts/user/", "/admin/accounts/user/add/", "/admin/accounts/user/?q=ada"],
)
def test_user_admin_pages_render(client, path):
    admin = User.objects.create_superuser("root@example.com", PASSWORD)
    User.objects.create_user("ada@example.com", PASSWORD)
    client.force_login(admin)

    assert client.get(path).status_code == 200


def test_user_admin_change_page_renders(client):
    admin = User.objects.create_superuser("root@example.com", PASSWORD)
    client.force_login(admin)

    response = client.get(f"/admin/accounts/user/{admin.pk}/change/")

    assert response.status_code == 200
    assert "root@example.com" in response.content.decode()

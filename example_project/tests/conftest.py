"""Fixtures for the demo host's tests (run with ``--ds=shop.settings``)."""

import runpy

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.models import User
from support import PASSWORD, SETTINGS_FILE, SETTINGS_VARIABLES


@pytest.fixture(autouse=True)
def _fast_hashing_and_clean_cache(settings):
    # PBKDF2 at Django's default cost makes every login ~0.3 s; the hasher is
    # not what these tests are about.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Throttle counters live in the cache: start every test from zero.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def user(db):
    return User.objects.create_user("ada@example.com", PASSWORD, first_name="Ada")


@pytest.fixture
def other_user(db):
    return User.objects.create_user("grace@example.com", PASSWORD)


@pytest.fixture
def staff_user(db):
    return User.objects.create_superuser("root@example.com", PASSWORD)


@pytest.fixture
def load(monkeypatch):
    """``load(**env)``: execute shop/settings.py with exactly the given variables set."""
    for name in SETTINGS_VARIABLES:
        monkeypatch.delenv(name, raising=False)

    def load(**env):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(SETTINGS_FILE))

    return load

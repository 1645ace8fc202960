import pytest


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The seeder creates the demo users; hashing their passwords properly is slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

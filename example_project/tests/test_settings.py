"""``shop.settings`` reads the environment: safe defaults, production overrides."""

import runpy
from pathlib import Path

import pytest

SETTINGS = Path(__file__).resolve().parent.parent / "shop" / "settings.py"
VARIABLES = [
    "DJANGO_DEBUG",
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "DJANGO_CSRF_TRUSTED_ORIGINS",
    "DJANGO_SECURE_COOKIES",
    "DJANGO_LOG_LEVEL",
    "DATABASE_URL",
    "CONN_MAX_AGE",
    "CONN_HEALTH_CHECKS",
    "CACHE_URL",
    "JWT_SIGNING_KEY",
    "JWT_ACCESS_MINUTES",
    "JWT_REFRESH_DAYS",
    "AUTH_THROTTLE_RATE",
    "DJANGO_NUM_PROXIES",
    "WHITENOISE_USE_FINDERS",
    "DJANGO_STATIC_ROOT",
    "DJANGO_ENV",
    "DJANGO_SECURE_SSL_REDIRECT",
    "DJANGO_SECURE_PROXY_SSL_HEADER",
    "DJANGO_HSTS_SECONDS",
    "DJANGO_HSTS_INCLUDE_SUBDOMAINS",
    "DJANGO_HSTS_PRELOAD",
    "CORS_ALLOWED_ORIGINS",
    "CHECKOUT_THROTTLE_RATE",
    "PAYMENT_THROTTLE_RATE",
    "WEBHOOK_THROTTLE_RATE",
]


@pytest.fixture
def load(monkeypatch):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)

    def load(**env):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(SETTINGS))

    return load


def test_defaults_are_a_safe_local_demo(load):
    settings = load()

    assert settings["DEBUG"] is False
    assert settings["SECRET_KEY"].startswith("django-insecure-")
    assert settings["ALLOWED_HOSTS"] == ["localhost", "127.0.0.1", "[::1]"]
    database = settings["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == str(SETTINGS.parent.parent / "db.sqlite3")
    assert database["CONN_MAX_AGE"] == 60
    assert database["CONN_HEALTH_CHECKS"] is True
    assert settings["CACHES"]["default"]["BACKEND"].endswith("LocMemCache")
    assert settings["AUTH_USER_MODEL"] == "accounts.User"
    assert len(settings["AUTH_PASSWORD_VALIDATORS"]) == 4
    assert settings["REST_FRAMEWORK"]["DEFAULT_THROTTLE_RATES"] == {
        "auth": "20/minute",
        "commerce_checkout": "30/minute",
        "commerce_payment": "30/minute",
        "commerce_webhook": "600/minute",
    }
    assert settings["SIMPLE_JWT"]["ROTATE_REFRESH_TOKENS"] is True
    assert settings["SIMPLE_JWT"]["BLACKLIST_AFTER_ROTATION"] is True
    # PyJWT warns about HMAC keys under 32 bytes.
    assert len(settings["SIMPLE_JWT"]["SIGNING_KEY"].encode()) >= 32
    assert settings["STATIC_ROOT"] is None
    assert settings["WHITENOISE_USE_FINDERS"] is True
    for key in ("SWAGGER_UI_DIST", "SWAGGER_UI_FAVICON_HREF", "REDOC_DIST"):
        assert settings["SPECTACULAR_SETTINGS"][key] == "SIDECAR"


def test_production_settings_from_the_environment(load, tmp_path):
    settings = load(
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="s" * 64,
        DJANGO_ALLOWED_HOSTS="shop.example.com,api.example.com",
        DJANGO_CSRF_TRUSTED_ORIGINS="https://shop.example.com",
        DJANGO_SECURE_COOKIES="true",
        DATABASE_URL="postgres://shop:secret@db.internal:5432/shop",
        CONN_MAX_AGE="600",
        CONN_HEALTH_CHECKS="false",
        CACHE_URL="rediscache://cache.internal:6379/1",
        JWT_SIGNING_KEY="j" * 48,
        JWT_ACCESS_MINUTES="5",
        AUTH_THROTTLE_RATE="5/minute",
        DJANGO_NUM_PROXIES="1",
        WHITENOISE_USE_FINDERS="false",
        DJANGO_STATIC_ROOT=str(tmp_path),
    )

    assert settings["DEBUG"] is False
    assert settings["SECRET_KEY"] == "s" * 64
    assert settings["ALLOWED_HOSTS"] == ["shop.example.com", "api.example.com"]
    assert settings["CSRF_TRUSTED_ORIGINS"] == ["https://shop.example.com"]
    assert settings["SESSION_COOKIE_SECURE"] is settings["CSRF_COOKIE_SECURE"] is True
    database = settings["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["PORT"], database["NAME"]) == ("db.internal", 5432, "shop")
    assert (database["CONN_MAX_AGE"], database["CONN_HEALTH_CHECKS"]) == (600, False)
    assert settings["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert settings["SIMPLE_JWT"]["SIGNING_KEY"] == "j" * 48
    assert settings["SIMPLE_JWT"]["ACCESS_TOKEN_LIFETIME"].total_seconds() == 300
    assert settings["REST_FRAMEWORK"]["DEFAULT_THROTTLE_RATES"]["auth"] == "5/minute"
    assert settings["REST_FRAMEWORK"]["NUM_PROXIES"] == 1
    assert settings["STATIC_ROOT"] == tmp_path


def test_debug_is_on_only_when_asked(load):
    assert load(DJANGO_DEBUG="true")["DEBUG"] is True

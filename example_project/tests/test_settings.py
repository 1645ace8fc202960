"""``shop.settings`` reads the environment: safe defaults, production overrides."""

from pathlib import Path

SETTINGS = Path(__file__).resolve().parent.parent / "shop" / "settings.py"


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

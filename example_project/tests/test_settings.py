"""``shop.settings`` reads the environment: safe defaults, production overrides."""

import re
from pathlib import Path

from support import SETTINGS_VARIABLES

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


# --- currencies and payment gateways from the environment ---------------------------

GATEWAY_VARIABLE = re.compile(r"``((?:STRIPE|PAYSTACK|COMMERCE)_[A-Z_]+)``")
PAYMENTS_PAGE = SETTINGS.parents[2] / "docs" / "topics" / "payments.rst"


def test_the_demo_offers_only_the_dummy_gateway_and_four_currencies_by_default(load):
    commerce = load()["COMMERCE"]

    assert commerce["PAYMENT_GATEWAYS"] == {
        "dummy": {"BACKEND": "commerce.payments.gateways.dummy.DummyGateway"}
    }
    assert commerce["CURRENCIES"] == ["USD", "EUR", "GBP", "NGN"]
    assert commerce["DEFAULT_CURRENCY"] == "USD"


def test_real_gateways_are_on_when_their_keys_are_set(load):
    gateways = load(
        STRIPE_SECRET_KEY="sk_test_123",
        STRIPE_PUBLISHABLE_KEY="pk_test_123",
        STRIPE_WEBHOOK_SECRET="whsec_123",
        STRIPE_CAPTURE_METHOD="manual",
        PAYSTACK_SECRET_KEY="sk_test_456",
        PAYSTACK_PUBLIC_KEY="pk_test_456",
    )["COMMERCE"]["PAYMENT_GATEWAYS"]

    assert set(gateways) == {"dummy", "stripe", "paystack"}
    assert gateways["stripe"] == {
        "BACKEND": "commerce.payments.gateways.stripe.StripeGateway",
        "OPTIONS": {
            "secret_key": "sk_test_123",
            "publishable_key": "pk_test_123",
            "webhook_secret": "whsec_123",
            "capture_method": "manual",
        },
    }
    assert gateways["paystack"] == {
        "BACKEND": "commerce.payments.gateways.paystack.PaystackGateway",
        "OPTIONS": {"secret_key": "sk_test_456", "public_key": "pk_test_456"},
    }


def test_unset_gateway_options_keep_the_gateways_defaults(load):
    # An empty string would be passed on as a value; an unset option is left out.
    gateways = load(STRIPE_SECRET_KEY="sk_test_123", STRIPE_WEBHOOK_SECRET="")["COMMERCE"][
        "PAYMENT_GATEWAYS"
    ]

    assert gateways["stripe"]["OPTIONS"] == {"secret_key": "sk_test_123"}
    assert "paystack" not in gateways


def test_production_leaves_the_dummy_gateway_out_unless_asked(load):
    production = {"DJANGO_ENV": "production", "DJANGO_SECRET_KEY": "s" * 64}
    production["DJANGO_ALLOWED_HOSTS"] = "shop.example.com"
    production["CACHE_URL"] = "rediscache://127.0.0.1:6379/1"  # production requires one

    assert load(**production)["COMMERCE"]["PAYMENT_GATEWAYS"] == {}
    assert set(
        load(**production, PAYSTACK_SECRET_KEY="sk_live_1")["COMMERCE"]["PAYMENT_GATEWAYS"]
    ) == {"paystack"}
    assert (
        "dummy" in load(**production, COMMERCE_DUMMY_GATEWAY="true")["COMMERCE"]["PAYMENT_GATEWAYS"]
    )
    assert "dummy" not in load(COMMERCE_DUMMY_GATEWAY="false")["COMMERCE"]["PAYMENT_GATEWAYS"]


def test_currencies_come_from_the_environment(load):
    commerce = load(COMMERCE_CURRENCIES="ngn, ghs,KES")["COMMERCE"]
    assert commerce["CURRENCIES"] == ["NGN", "GHS", "KES"]
    # The first listed is the default unless one is named.
    assert commerce["DEFAULT_CURRENCY"] == "NGN"

    commerce = load(COMMERCE_CURRENCIES="EUR,GBP", COMMERCE_DEFAULT_CURRENCY="gbp")["COMMERCE"]
    assert (commerce["CURRENCIES"], commerce["DEFAULT_CURRENCY"]) == (["EUR", "GBP"], "GBP")


def test_the_settings_docstring_documents_every_variable(load):
    docstring = load()["__doc__"]
    missing = [name for name in SETTINGS_VARIABLES if f"``{name}``" not in docstring]
    assert not missing


def test_the_going_live_checklist_names_exactly_the_gateway_and_currency_variables():
    page = PAYMENTS_PAGE.read_text()
    checklist = page[page.index("Going live checklist") :]
    read = {name for name in SETTINGS_VARIABLES if GATEWAY_VARIABLE.fullmatch(f"``{name}``")}

    assert {"STRIPE_SECRET_KEY", "PAYSTACK_SECRET_KEY", "COMMERCE_CURRENCIES"} <= read
    assert set(GATEWAY_VARIABLE.findall(checklist)) == read

"""Minimal host for the library's own tests: every commerce app, Django's stock user.

``DATABASE_URL`` switches the database (the tox ``postgres`` env sets it).
"""

import os

import environ

from commerce.core.api.schema import ENUM_NAME_OVERRIDES, POSTPROCESSING_HOOKS

env = environ.Env()

SECRET_KEY = "commerce-tests-not-a-secret-but-long-enough-for-hmac-keys"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
USE_TZ = True
TIME_ZONE = "UTC"

COMMERCE_APPS = [
    "commerce.core",
    "commerce.catalog",
    "commerce.pricing",
    "commerce.promotions",
    "commerce.cart",
    "commerce.orders",
    "commerce.payments",
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "treebeard",
    "django_fsm",
    *COMMERCE_APPS,
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "tests.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASES = {"default": env.db_url("DATABASE_URL", default="sqlite://:memory:")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ.get(
        "COMMERCE_TEST_DB_NAME", "test_commerce"
    )

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
STATIC_URL = "/static/"
MEDIA_ROOT = env("COMMERCE_TEST_MEDIA_ROOT", default="/tmp/commerce-test-media")
MEDIA_URL = "/media/"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

REST_FRAMEWORK = {
    # JWT first, so an anonymous write gets 401 with a WWW-Authenticate header.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "commerce.core.api.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None},
}

SPECTACULAR_SETTINGS = {
    "TITLE": "commerce test API",
    "SERVE_INCLUDE_SCHEMA": False,
    "ENUM_NAME_OVERRIDES": {**ENUM_NAME_OVERRIDES},
    # Declares the error envelope as every operation's 4XX/5XX response.
    "POSTPROCESSING_HOOKS": [*POSTPROCESSING_HOOKS],
}

COMMERCE = {
    "DEFAULT_CURRENCY": "USD",
    "CURRENCIES": ["USD", "EUR", "JPY", "KWD", "NGN"],
    # Every built-in gateway, so the payment flows run against each. Stripe and
    # Paystack tests intercept their HTTP layer; nothing leaves the machine.
    "PAYMENT_GATEWAYS": {
        "dummy": {"BACKEND": "commerce.payments.gateways.dummy.DummyGateway"},
        "dummy_manual": {
            "BACKEND": "commerce.payments.gateways.dummy.DummyGateway",
            "OPTIONS": {"capture_method": "manual"},
        },
        "stripe": {
            "BACKEND": "commerce.payments.gateways.stripe.StripeGateway",
            "OPTIONS": {
                "secret_key": "sk_test_commerce_tests_0000000000000000",
                "publishable_key": "pk_test_commerce_tests",
                "webhook_secret": "whsec_commerce_tests",
                "max_network_retries": 0,
            },
        },
        "paystack": {
            "BACKEND": "commerce.payments.gateways.paystack.PaystackGateway",
            "OPTIONS": {"secret_key": "sk_test_commerce_tests_paystack"},
        },
    },
}

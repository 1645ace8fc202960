"""Settings of the oscar peer host: oscar's own defaults, production-like, on PostgreSQL.

The same choices as ``benchhost.settings`` on commerce's side: ``DEBUG`` off,
persistent connections (``CONN_MAX_AGE`` 600, health checks on), no throttling
(oscar-api sets none by default; DRF's throttle classes stay empty here), the
API mounted under ``/api/`` and two bench views beside it (``oscarhost.views``).
Read from the environment: ``DATABASE_URL`` (required), ``DJANGO_SECRET_KEY``.
"""

import os
from urllib.parse import unquote, urlsplit

from oscar import INSTALLED_APPS as OSCAR_APPS
from oscar.defaults import *  # noqa: F403


def _database(url: str) -> dict:
    parts = urlsplit(url)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": parts.path.lstrip("/"),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "CONN_MAX_AGE": 600,
        "CONN_HEALTH_CHECKS": True,
    }


DEBUG = False
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "oscar-peer-host-not-for-production")
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
DATABASES = {"default": _database(os.environ["DATABASE_URL"])}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
SITE_ID = 1
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en"
STATIC_URL = "/static/"
MEDIA_URL = "/media/"

INSTALLED_APPS = [*OSCAR_APPS, "rest_framework", "oscarapi", "oscarhost"]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "oscar.apps.basket.middleware.BasketMiddleware",
]
ROOT_URLCONF = "oscarhost.urls"
WSGI_APPLICATION = "oscarhost.wsgi.application"
AUTHENTICATION_BACKENDS = [
    "oscar.apps.customer.auth_backends.EmailBackend",
    "django.contrib.auth.backends.ModelBackend",
]
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
HAYSTACK_CONNECTIONS = {"default": {"ENGINE": "haystack.backends.simple_backend.SimpleEngine"}}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# The same currency as commerce's bench catalog; guest checkout as commerce's.
OSCAR_DEFAULT_CURRENCY = "USD"
OSCAR_ALLOW_ANON_CHECKOUT = True
# The cart-add scenario adds the same three products to its baskets again and again;
# oscar's default cap of 10,000 items per basket would turn it into a refusal test.
OSCAR_MAX_BASKET_QUANTITY_THRESHOLD = None

REST_FRAMEWORK = {
    # The first page of 20, as commerce's list; no throttle classes (none by default).
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_THROTTLE_CLASSES": [],
}

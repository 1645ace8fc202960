"""Settings for the commerce demo shop, read from environment variables.

Everything has a default that runs the demo on a laptop (SQLite file, local
memory cache, ``DEBUG`` off); production sets the variables below, or puts
them in ``example_project/.env``. ``DJANGO_ENV=production`` turns on what
``manage.py check --deploy`` asks for (HTTPS redirect, HSTS, secure cookies)
and makes ``DJANGO_SECRET_KEY``, ``DJANGO_ALLOWED_HOSTS`` and ``CACHE_URL`` required.

==============================  =============================================================
Variable                        Meaning (default)
==============================  =============================================================
``DJANGO_ENV``                  ``production`` or ``development`` (``development``).
``DJANGO_DEBUG``                Debug pages and autoreload of static files (off; refused in
                                production).
``DJANGO_SECRET_KEY``           Signing key; the default is public, so set it anywhere real.
``DJANGO_ALLOWED_HOSTS``        Comma-separated host names (``localhost,127.0.0.1,[::1]``).
``DJANGO_CSRF_TRUSTED_ORIGINS`` Comma-separated origins for HTTPS admin logins behind a proxy.
``DJANGO_SECURE_COOKIES``       Mark session and CSRF cookies ``Secure`` (on in production).
``DJANGO_SECURE_SSL_REDIRECT``  Redirect HTTP to HTTPS (on in production).
``DJANGO_SECURE_PROXY_SSL_HEADER`` Trust ``X-Forwarded-Proto: https`` from the proxy in front,
                                which must set it (off).
``DJANGO_HSTS_SECONDS``         ``Strict-Transport-Security`` max-age (a year in production).
``DJANGO_HSTS_INCLUDE_SUBDOMAINS`` HSTS for subdomains too (on in production).
``DJANGO_HSTS_PRELOAD``         Allow HSTS preload-list submission (on in production).
``CORS_ALLOWED_ORIGINS``        Comma-separated origins whose browsers may call ``/api/``
                                (none).
``DJANGO_LOG_LEVEL``            Console log level (``INFO``).
``DATABASE_URL``                e.g. ``postgres://user:pass@host:5432/name`` (SQLite file
                                ``example_project/db.sqlite3``).
``CONN_MAX_AGE``                Seconds a database connection is kept between requests (60).
``CONN_HEALTH_CHECKS``          Check a kept connection before reusing it (on).
``CACHE_URL``                   e.g. ``rediscache://127.0.0.1:6379/1`` (``locmemcache://``;
                                required in production: throttle counters and the dummy
                                gateway's state must be shared by every worker).
``DATABASE_STATEMENT_TIMEOUT``  PostgreSQL: milliseconds a statement may run (15000; 0 for
                                none, e.g. for a long migration).
``DATABASE_LOCK_TIMEOUT``       PostgreSQL: milliseconds a statement may wait for a lock
                                (5000; 0 for none).
``DATABASE_IDLE_IN_TRANSACTION_TIMEOUT`` PostgreSQL: milliseconds a session may sit idle in
                                a transaction before the server ends it (60000; 0 for none).
``JWT_SIGNING_KEY``             HMAC key for access/refresh tokens, at least 32 bytes
                                (``DJANGO_SECRET_KEY``).
``JWT_ACCESS_MINUTES``          Access-token lifetime in minutes (15).
``JWT_REFRESH_DAYS``            Refresh-token lifetime in days (7).
``AUTH_THROTTLE_RATE``          Requests per client to each auth endpoint (``20/minute``;
                                ``off`` for none).
``CHECKOUT_THROTTLE_RATE``      Checkouts per client (``30/minute``; ``off`` for none).
``PAYMENT_THROTTLE_RATE``       Payment starts per client (``30/minute``; ``off`` for none).
``WEBHOOK_THROTTLE_RATE``       Webhook deliveries per sending address (``600/minute``;
                                ``off`` for none).
``DJANGO_NUM_PROXIES``          Proxies in front of the app that append to
                                ``X-Forwarded-For``, so throttling sees the client's address
                                (0: the connection's address, ``REMOTE_ADDR``).
``WHITENOISE_USE_FINDERS``      Serve static files straight from the apps, no ``collectstatic``
                                (on; turn off in production after ``collectstatic``).
``DJANGO_STATIC_ROOT``          Where ``collectstatic`` writes when the finders are off
                                (``example_project/staticfiles``).
``COMMERCE_CURRENCIES``         Comma-separated ISO 4217 codes prices may be in
                                (``USD,EUR,GBP,NGN``).
``COMMERCE_DEFAULT_CURRENCY``   Currency of prices created without one (the first of
                                ``COMMERCE_CURRENCIES``).
``COMMERCE_DUMMY_GATEWAY``      Offer the dummy gateway, which anyone can confirm (on; off in
                                production, where it must stay off).
``STRIPE_SECRET_KEY``           Turns the ``stripe`` gateway on (``sk_live_...``/``sk_test_...``;
                                unset: no Stripe).
``STRIPE_PUBLISHABLE_KEY``      Handed to clients for Stripe.js (``pk_...``; none).
``STRIPE_WEBHOOK_SECRET``       The webhook endpoint's signing secret (``whsec_...``); without
                                it Stripe's webhooks cannot be verified (none).
``STRIPE_CAPTURE_METHOD``       ``automatic`` or ``manual`` (``automatic``).
``PAYSTACK_SECRET_KEY``         Turns the ``paystack`` gateway on; it also verifies Paystack's
                                webhooks (unset: no Paystack).
``PAYSTACK_PUBLIC_KEY``         Handed to clients for Paystack's checkout (``pk_...``; none).
==============================  =============================================================
"""

from datetime import timedelta
from pathlib import Path

import environ
from corsheaders.defaults import default_headers
from django.core.exceptions import ImproperlyConfigured

from commerce.core.api.schema import SPECTACULAR_DEFAULTS

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")

# --- core ------------------------------------------------------------------------

ENVIRONMENT = env.str("DJANGO_ENV", default="development")
if ENVIRONMENT not in ("development", "production"):
    raise ImproperlyConfigured(
        f"DJANGO_ENV must be 'development' or 'production', not {ENVIRONMENT!r}."
    )
PRODUCTION = ENVIRONMENT == "production"

DEBUG = env.bool("DJANGO_DEBUG", default=False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DJANGO_DEBUG must be off when DJANGO_ENV=production.")
if PRODUCTION:
    # No defaults: a missing one stops the server at start-up, naming the variable.
    SECRET_KEY = env.str("DJANGO_SECRET_KEY")
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
else:
    SECRET_KEY = env.str(
        "DJANGO_SECRET_KEY",
        default="django-insecure-commerce-demo-key-do-not-use-in-production-0123456789",
    )
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# --- HTTPS: production turns all of it on (what `manage.py check --deploy` asks for) ---
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=PRODUCTION)
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=PRODUCTION)
# Load balancers probe the health endpoints over plain HTTP; a redirect would fail them.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
if env.bool("DJANGO_SECURE_PROXY_SSL_HEADER", default=False):
    # Only behind a proxy that terminates TLS and sets (never passes on) this header.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31_536_000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=PRODUCTION)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=PRODUCTION)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "treebeard",
    "django_fsm",
    "commerce.core",
    "commerce.catalog",
    "commerce.pricing",
    "commerce.promotions",
    "commerce.cart",
    "commerce.orders",
    "commerce.payments",
    "accounts",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before anything that can answer a request itself, so those answers get CORS headers.
    "corsheaders.middleware.CorsMiddleware",
    # Serves /static/ with DEBUG off (Swagger UI's and the admin's assets), so the
    # demo needs no separate web server and no CDN.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "shop.urls"
WSGI_APPLICATION = "shop.wsgi.application"
ASGI_APPLICATION = "shop.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "shop" / "templates"],
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

# --- data ------------------------------------------------------------------------

DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# Reconnecting on every request costs more than half the throughput of a cheap
# endpoint, so connections persist; the health check drops one the server closed.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The server cancels a statement that runs or waits too long, before gunicorn's
    # worker timeout (30 s) kills a worker whose statement would run on, holding its
    # locks; and ends a session left idle in a transaction. 0 turns one off (a long
    # migration: DATABASE_STATEMENT_TIMEOUT=0 python manage.py migrate).
    _timeouts = {
        "statement_timeout": env.int("DATABASE_STATEMENT_TIMEOUT", default=15_000),
        "lock_timeout": env.int("DATABASE_LOCK_TIMEOUT", default=5_000),
        "idle_in_transaction_session_timeout": env.int(
            "DATABASE_IDLE_IN_TRANSACTION_TIMEOUT", default=60_000
        ),
    }
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = " ".join(
        [_options.get("options", ""), *(f"-c {name}={ms}" for name, ms in _timeouts.items())]
    ).strip()

# Throttle counters and the dummy gateway's provider state live in the default cache:
# with several worker processes it must be one they share, so production names it.
if PRODUCTION:
    CACHES = {"default": env.cache_url("CACHE_URL")}
else:
    CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- users and passwords ---------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- i18n, static and media ------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# The demo serves static files straight from the apps (no collectstatic step).
# Production turns the finders off and serves what collectstatic put in
# STATIC_ROOT; only then is there a STATIC_ROOT for WhiteNoise to read.
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=True)
STATIC_ROOT = (
    None
    if WHITENOISE_USE_FINDERS
    else Path(env.str("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
)
MEDIA_URL = "media/"
MEDIA_ROOT = BASE_DIR / "media"

# --- API -------------------------------------------------------------------------


def _rate(variable: str, default: str) -> str | None:
    """A throttle rate such as ``30/minute`` from the environment; ``off`` means none.

    Any other value is passed on: the system checks (``commerce.E023``) refuse one
    that is not a rate.
    """
    value = env.str(variable, default=default).strip()
    return None if value.lower() in ("", "off", "none") else value


REST_FRAMEWORK = {
    # JWT first, so an anonymous request gets 401 with a WWW-Authenticate header;
    # sessions let a staff user signed in to the admin try the API in Swagger UI.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # drf-spectacular's, tagging each commerce operation with its app.
    "DEFAULT_SCHEMA_CLASS": "commerce.core.api.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "commerce.core.api.errors.exception_handler",
    # Body size (DATA_UPLOAD_MAX_MEMORY_SIZE), JSON depth and NUL characters checked
    # for the demo's own views too (commerce's views declare these themselves).
    "DEFAULT_PARSER_CLASSES": [
        "commerce.core.api.parsers.JSONParser",
        "commerce.core.api.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Only views that name a ``throttle_scope`` are throttled (the auth endpoints).
    # commerce's throttle: rates read per request, "off" understood, clients told
    # apart by address whatever X-Forwarded-For they send.
    "DEFAULT_THROTTLE_CLASSES": ["commerce.core.throttling.ScopedRateThrottle"],
    # commerce's checkout, payment-start and webhook views throttle their own scopes.
    "DEFAULT_THROTTLE_RATES": {
        "auth": _rate("AUTH_THROTTLE_RATE", "20/minute"),
        "commerce_checkout": _rate("CHECKOUT_THROTTLE_RATE", "30/minute"),
        "commerce_payment": _rate("PAYMENT_THROTTLE_RATE", "30/minute"),
        # Generous: a provider sends bursts from a few addresses, and retries what is refused.
        "commerce_webhook": _rate("WEBHOOK_THROTTLE_RATE", "600/minute"),
    },
    # 0: the connection's address. DRF's default, None, would trust X-Forwarded-For.
    "NUM_PROXIES": env.int("DJANGO_NUM_PROXIES", default=0),
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    # PyJWT warns about HMAC keys shorter than 32 bytes; the default secret is longer.
    "SIGNING_KEY": env.str("JWT_SIGNING_KEY", default=SECRET_KEY),
    "AUTH_HEADER_TYPES": ("Bearer",),
}

SPECTACULAR_SETTINGS = {
    # commerce's defaults: its version, named enums, the error envelope as every
    # operation's 4XX/5XX response, Swagger UI and Redoc from this server (no CDN).
    **SPECTACULAR_DEFAULTS,
    "TITLE": "commerce demo shop API",
    "DESCRIPTION": (
        "The commerce API (catalog, cart, orders, payments) mounted in the demo host, with "
        "JWT authentication. Get a token from `POST /api/v1/auth/token/` and send it as "
        "`Authorization: Bearer ...`."
    ),
    # The demo's own views (auth) are tagged by the segment after /api/v1/.
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "SWAGGER_UI_SETTINGS": {
        **SPECTACULAR_DEFAULTS["SWAGGER_UI_SETTINGS"],
        "persistAuthorization": True,
    },
}

# Browsers on other origins may call the API only from these (none by default).
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_HEADERS = (*default_headers, "idempotency-key", "x-cart-token", "x-order-token")
CORS_EXPOSE_HEADERS = ["ETag", "Idempotent-Replayed", "Retry-After", "X-Cart-Token"]

# --- commerce: currencies and payment gateways ------------------------------------

# Lower-case names: an upper-case CURRENCIES would also be django-money's own setting.
_currencies = [
    code.strip().upper()
    for code in env.list("COMMERCE_CURRENCIES", default=["USD", "EUR", "GBP", "NGN"])
    if code.strip()
]
_gateways = {}
# The demo pays with the dummy gateway (no account, no keys); anyone can confirm its
# payments, so production leaves it out unless asked.
if env.bool("COMMERCE_DUMMY_GATEWAY", default=not PRODUCTION):
    _gateways["dummy"] = {"BACKEND": "commerce.payments.gateways.dummy.DummyGateway"}


def _set(**options: str) -> dict[str, str]:
    # Only the options set: an unset one keeps the gateway's default, and `check`
    # names what is missing.
    return {name: value for name, value in options.items() if value}


# A real gateway is on when its secret key is set.
if env.str("STRIPE_SECRET_KEY", default=""):
    _gateways["stripe"] = {
        "BACKEND": "commerce.payments.gateways.stripe.StripeGateway",
        "OPTIONS": _set(
            secret_key=env.str("STRIPE_SECRET_KEY"),
            publishable_key=env.str("STRIPE_PUBLISHABLE_KEY", default=""),
            webhook_secret=env.str("STRIPE_WEBHOOK_SECRET", default=""),
            capture_method=env.str("STRIPE_CAPTURE_METHOD", default=""),
        ),
    }
if env.str("PAYSTACK_SECRET_KEY", default=""):
    _gateways["paystack"] = {
        "BACKEND": "commerce.payments.gateways.paystack.PaystackGateway",
        "OPTIONS": _set(
            secret_key=env.str("PAYSTACK_SECRET_KEY"),
            public_key=env.str("PAYSTACK_PUBLIC_KEY", default=""),
        ),
    }

COMMERCE = {
    "DEFAULT_CURRENCY": (
        env.str("COMMERCE_DEFAULT_CURRENCY", default="").strip().upper()
        or (_currencies[0] if _currencies else "USD")
    ),
    "CURRENCIES": _currencies,
    "PAYMENT_GATEWAYS": _gateways,
    # Tax from the rates seeded per zone (seed_demo: VAT included in Europe).
    "TAX_STRATEGY": "commerce.pricing.tax.FlatRates",
    # The catalog read cache needs a cache every process shares: with several worker
    # processes, a per-process LocMem cache would go on serving what another worker's
    # write changed. In production it is on only with a shared CACHE_URL (Redis).
    "CATALOG_CACHE": (
        "default"
        if not PRODUCTION or not CACHES["default"]["BACKEND"].endswith("LocMemCache")
        else None
    ),
}

# --- logging ---------------------------------------------------------------------

LOG_LEVEL = env.str("DJANGO_LOG_LEVEL", default="INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "console": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    # No secret, card number, client secret or webhook signature reaches a log.
    "filters": {"redact_secrets": {"()": "commerce.core.logging.RedactSecretsFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "console",
            "filters": ["redact_secrets"],
        },
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        # runserver's request lines (query strings included) go through the filter too.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "commerce": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "accounts": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
    },
}

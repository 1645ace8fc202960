"""System checks for the ``COMMERCE`` setting.

Ids are stable; the settings reference lists them:

- ``commerce.E001``: ``COMMERCE`` is not a dict.
- ``commerce.W002``: ``COMMERCE`` has a key commerce does not know (a typo?).
- ``commerce.E003``: ``DEFAULT_CURRENCY`` is not an ISO 4217 code.
- ``commerce.E004``: ``CURRENCIES`` is not a list of ISO 4217 codes, or leaves out
  ``DEFAULT_CURRENCY``.
- ``commerce.E005``: an import-string setting cannot be imported.
- ``commerce.E006``: a size or threshold setting is not a positive whole number.
- ``commerce.W007``: ``REST_FRAMEWORK["EXCEPTION_HANDLER"]`` is not commerce's, so errors
  would not use the envelope (a warning: the host may wrap it on purpose).
- ``commerce.E008``: ``SHIPPING_FLAT_RATES`` is not a dict of ISO 4217 codes to
  non-negative decimal strings.
- ``commerce.E009``: ``commerce.orders`` and the admin are installed but ``django_fsm`` is
  not (the order admin's transition buttons use its templates).
- ``commerce.E011``: a ``PAYMENT_GATEWAYS`` entry cannot be built (no or a bad ``BACKEND``,
  not a ``PaymentGateway``, a missing SDK, bad ``OPTIONS``).
- ``commerce.E013``: ``CATALOG_CACHE`` is neither ``None`` nor a key of ``CACHES``.
- ``commerce.W012`` (``check --deploy`` only): a commerce throttle scope has no rate in
  ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``, so its endpoints are not throttled.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.apps import apps
from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured

from commerce.conf import DEFAULTS, IMPORT_STRINGS, import_from_string
from commerce.core.money import is_known_currency

POSITIVE_INTEGERS = (
    "PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "CART_TTL",
    "CART_MAX_LINE_QUANTITY",
    "RESERVATION_TTL",
    "IDEMPOTENCY_KEY_TTL",
    "CATALOG_CACHE_TIMEOUT",
)
NON_NEGATIVE_INTEGERS = ("DEFAULT_LOW_STOCK_THRESHOLD",)
EXCEPTION_HANDLER = "commerce.core.api.errors.exception_handler"


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_flat_rates(rates) -> list[Error]:
    problem = None
    if not isinstance(rates, dict):
        problem = f"it is a {type(rates).__name__}"
    else:
        for currency, amount in rates.items():
            if not is_known_currency(currency):
                problem = f"{currency!r} is not an ISO 4217 code"
                break
            try:
                if not isinstance(amount, str | int) or Decimal(str(amount)) < 0:
                    raise InvalidOperation
            except InvalidOperation:
                problem = f"{amount!r} for {currency} is not a non-negative decimal string"
                break
    if problem is None:
        return []
    return [
        Error(
            f"COMMERCE['SHIPPING_FLAT_RATES'] is invalid: {problem}.",
            hint='Use a dict such as {"USD": "5.00", "EUR": "4.50"}.',
            id="commerce.E008",
        )
    ]


def _check_payment_gateways(configured) -> list[Error]:
    if not isinstance(configured, dict):
        return [Error("COMMERCE['PAYMENT_GATEWAYS'] must be a dict.", id="commerce.E011")]
    # Imported here: the registry imports the gateway base, which the check must not
    # need when payments are not configured at all.
    from commerce.payments.gateways.registry import build_gateway

    errors = []
    for alias in sorted(configured):
        try:
            build_gateway(alias, configured[alias])
        except ImproperlyConfigured as exc:
            errors.append(Error(str(exc), id="commerce.E011"))
    return errors


@register(Tags.compatibility)
def check_commerce_settings(app_configs=None, **kwargs):
    user = getattr(settings, "COMMERCE", {})
    if not isinstance(user, dict):
        return [
            Error(
                "COMMERCE must be a dict.",
                hint=f"It is a {type(user).__name__}.",
                id="commerce.E001",
            )
        ]
    errors = []
    for key in sorted(set(user) - set(DEFAULTS)):
        errors.append(
            Warning(
                f"COMMERCE[{key!r}] is not a commerce setting and is ignored.",
                hint="Check the spelling against the settings reference.",
                id="commerce.W002",
            )
        )
    value = {**DEFAULTS, **user}

    default_currency = value["DEFAULT_CURRENCY"]
    if not is_known_currency(default_currency):
        errors.append(
            Error(
                f"COMMERCE['DEFAULT_CURRENCY'] = {default_currency!r} is not an ISO 4217 code.",
                hint='Use an upper-case code such as "USD".',
                id="commerce.E003",
            )
        )

    currencies = value["CURRENCIES"]
    if not isinstance(currencies, list | tuple) or not all(
        is_known_currency(code) for code in currencies
    ):
        errors.append(
            Error(
                "COMMERCE['CURRENCIES'] must be a list of ISO 4217 codes.",
                hint=f"Got {currencies!r}.",
                id="commerce.E004",
            )
        )
    elif currencies and default_currency not in currencies:
        errors.append(
            Error(
                f"COMMERCE['CURRENCIES'] does not include DEFAULT_CURRENCY {default_currency!r}.",
                id="commerce.E004",
            )
        )

    for key in sorted(IMPORT_STRINGS):
        if isinstance(value[key], str):
            try:
                import_from_string(value[key], key)
            except ImproperlyConfigured as exc:
                errors.append(Error(str(exc), id="commerce.E005"))

    for key in POSITIVE_INTEGERS + NON_NEGATIVE_INTEGERS:
        minimum = 1 if key in POSITIVE_INTEGERS else 0
        if not _is_int(value[key]) or value[key] < minimum:
            errors.append(
                Error(
                    f"COMMERCE[{key!r}] must be a whole number >= {minimum}.",
                    hint=f"Got {value[key]!r}.",
                    id="commerce.E006",
                )
            )
    if (
        _is_int(value["PAGE_SIZE"])
        and _is_int(value["MAX_PAGE_SIZE"])
        and value["PAGE_SIZE"] > value["MAX_PAGE_SIZE"]
    ):
        errors.append(
            Error("COMMERCE['PAGE_SIZE'] is larger than MAX_PAGE_SIZE.", id="commerce.E006")
        )

    errors.extend(_check_flat_rates(value["SHIPPING_FLAT_RATES"]))

    catalog_cache = value["CATALOG_CACHE"]
    if catalog_cache is not None and catalog_cache not in getattr(settings, "CACHES", {}):
        errors.append(
            Error(
                f"COMMERCE['CATALOG_CACHE'] = {catalog_cache!r} is not a key of CACHES.",
                hint="Name a configured cache alias, or None to turn catalog caching off.",
                id="commerce.E013",
            )
        )

    if (
        apps.is_installed("commerce.orders")
        and apps.is_installed("django.contrib.admin")
        and not apps.is_installed("django_fsm")
    ):
        errors.append(
            Error(
                "commerce.orders' admin needs django_fsm in INSTALLED_APPS.",
                hint='Add "django_fsm" to INSTALLED_APPS.',
                id="commerce.E009",
            )
        )

    errors.extend(_check_payment_gateways(value["PAYMENT_GATEWAYS"]))

    handler = getattr(settings, "REST_FRAMEWORK", {}).get("EXCEPTION_HANDLER")
    if handler != EXCEPTION_HANDLER:
        errors.append(
            Warning(
                "REST_FRAMEWORK['EXCEPTION_HANDLER'] is not commerce's; API errors will not "
                "use the error envelope.",
                hint=f'Set it to "{EXCEPTION_HANDLER}".',
                id="commerce.W007",
            )
        )
    return errors


@register(Tags.security, deploy=True)
def check_throttle_rates(app_configs=None, **kwargs):
    """Checkout, payment starts and webhooks should be rate-limited in production."""
    from commerce.core.throttling import SCOPES, configured_rate

    missing = [
        f"{scope} ({what})"
        for scope, (app, what) in SCOPES.items()
        if apps.is_installed(app) and not configured_rate(scope)
    ]
    if not missing:
        return []
    return [
        Warning(
            "These commerce endpoints are not throttled: " + "; ".join(missing) + ".",
            hint="Set a rate for each scope in REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'], "
            'for example "30/minute" (see the deployment how-to).',
            id="commerce.W012",
        )
    ]

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
- ``commerce.E008``: retired with ``SHIPPING_FLAT_RATES`` (shipping methods replace it).
- ``commerce.E009``: ``commerce.orders`` and the admin are installed but ``django_fsm`` is
  not (the order admin's transition buttons use its templates).
- ``commerce.E011``: a ``PAYMENT_GATEWAYS`` entry cannot be built (no or a bad ``BACKEND``,
  not a ``PaymentGateway``, a missing SDK, bad ``OPTIONS``).
- ``commerce.E013``: ``CATALOG_CACHE`` is neither ``None`` nor a key of ``CACHES``.
- ``commerce.E014``: a ``PAYMENT_GATEWAYS`` entry takes webhooks but is configured without
  the secret its webhooks are verified with (each gateway class names it in
  ``webhook_secret_options``), so every webhook it is sent would be refused.
- ``commerce.W012`` (``check --deploy`` only): a commerce throttle scope has no rate in
  ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``, so its endpoints are not throttled.

Pricing:

- ``commerce.E030``: ``TAX_ROUNDING`` is not ``"unit"``, ``"line"`` or ``"document"``, or
  ``PRICES_INCLUDE_TAX`` is not a boolean.

Request handling (throttles, caches, proxies):

- ``commerce.W020`` (``check --deploy`` only): throttling counts in a cache each worker
  process keeps for itself (``LocMemCache``), or in none (``DummyCache``).
- ``commerce.W021`` (``check --deploy`` only): the dummy gateway keeps its provider state
  in such a cache, so a payment started in one worker is unknown to the next.
- ``commerce.W022`` (``check --deploy`` only): ``CATALOG_CACHE`` names a per-process
  cache, so one worker keeps serving what another worker's write changed.
- ``commerce.E023``: a commerce throttle scope's rate is neither a rate
  (``"30/minute"``) nor off (``None``, ``""``, ``"off"``).
- ``commerce.W024`` (``check --deploy`` only): ``REST_FRAMEWORK["NUM_PROXIES"]`` is
  ``None`` while ``DEFAULT_THROTTLE_CLASSES`` lists throttles, so DRF's throttles
  identify clients by the ``X-Forwarded-For`` they send.

Pricing (shipping zones, methods, tax rates):

- ``commerce.E025``: ``SHIPPING_RATE_STRATEGIES`` is not a dict of names to importable
  classes with a ``price`` method.
- ``commerce.W026`` (database; ``check --database``, ``migrate``): a shipping method
  that cannot be offered as saved: a currency ``CURRENCIES`` does not allow, an amount or
  band in another currency, a rate strategy that is not configured, a flat method
  without a price, or limits whose minimum is above the maximum.
- ``commerce.W027`` (database): two active zones of the same priority share an include
  member, so which one an address in it belongs to is an accident.

The database checks are warnings: they read rows, and an error would stop ``migrate``,
the command that may be about to fix them. The admin refuses each of these problems
when a row is saved; the checks find the rows a setting change or code made wrong.
"""

from __future__ import annotations

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
    "CART_MAX_LINES",
    "CART_MAX_CODES",
    "ADDRESS_BOOK_MAX_ENTRIES",
    "PRODUCT_MAX_VARIANTS",
    "PRODUCT_MAX_IMAGES",
    "RESERVATION_TTL",
    "IDEMPOTENCY_KEY_TTL",
    "CATALOG_CACHE_TIMEOUT",
)
NON_NEGATIVE_INTEGERS = ("DEFAULT_LOW_STOCK_THRESHOLD",)
EXCEPTION_HANDLER = "commerce.core.api.errors.exception_handler"


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_rate_strategies(configured) -> list[Error]:
    """commerce.E025: every shipping rate strategy can be imported and prices."""
    if not isinstance(configured, dict):
        return [
            Error(
                "COMMERCE['SHIPPING_RATE_STRATEGIES'] must be a dict of names to dotted "
                f"class paths, not a {type(configured).__name__}.",
                id="commerce.E025",
            )
        ]
    errors = []
    for name, path in sorted(configured.items(), key=lambda item: str(item[0])):
        problem = None
        if not isinstance(name, str) or not name:
            problem = "names must be non-empty strings"
        elif isinstance(path, str):
            try:
                strategy = import_from_string(path, "SHIPPING_RATE_STRATEGIES")
            except ImproperlyConfigured as exc:
                problem = str(exc)
            else:
                if not isinstance(strategy, type) or not callable(getattr(strategy, "price", None)):
                    problem = f"{path!r} is not a class with a price(method, request) method"
        elif not isinstance(path, type) or not callable(getattr(path, "price", None)):
            problem = f"{path!r} is neither a dotted path nor a class with a price() method"
        if problem:
            errors.append(
                Error(
                    f"COMMERCE['SHIPPING_RATE_STRATEGIES'][{name!r}]: {problem}.",
                    hint="Name a subclass of commerce.pricing.shipping.ShippingRateStrategy.",
                    id="commerce.E025",
                )
            )
    return errors


def _check_payment_gateways(configured) -> list[Error]:
    if not isinstance(configured, dict):
        return [Error("COMMERCE['PAYMENT_GATEWAYS'] must be a dict.", id="commerce.E011")]
    # Imported here: the registry imports the gateway base, which the check must not
    # need when payments are not configured at all.
    from commerce.payments.gateways.registry import build_gateway

    errors = []
    for alias in sorted(configured):
        try:
            gateway = build_gateway(alias, configured[alias])
        except ImproperlyConfigured as exc:
            errors.append(Error(str(exc), id="commerce.E011"))
            continue
        errors.extend(_check_webhook_secrets(gateway))
    return errors


def _check_webhook_secrets(gateway) -> list[Error]:
    """commerce.E014: a gateway that takes webhooks but could never verify one."""
    missing = gateway.missing_webhook_secrets()
    if not missing:
        return []
    names = ", ".join(f'"{name}"' for name in missing)
    return [
        Error(
            f"COMMERCE['PAYMENT_GATEWAYS'][{gateway.alias!r}] takes webhooks but has no "
            f"{names} in its OPTIONS: every webhook it is sent would be refused, so "
            "payments would wait for reconciliation.",
            hint=f"Set {names} to the signing secret the provider shows for this site's "
            f"webhook endpoint (payments/webhooks/{gateway.alias}/).",
            id="commerce.E014",
        )
    ]


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

    if value["TAX_ROUNDING"] not in ("unit", "line", "document"):
        errors.append(
            Error(
                f"COMMERCE['TAX_ROUNDING'] is {value['TAX_ROUNDING']!r}.",
                hint='Use "unit", "line" or "document".',
                id="commerce.E030",
            )
        )
    if not isinstance(value["PRICES_INCLUDE_TAX"], bool):
        errors.append(
            Error(
                f"COMMERCE['PRICES_INCLUDE_TAX'] is {value['PRICES_INCLUDE_TAX']!r}.",
                hint="Use True or False.",
                id="commerce.E030",
            )
        )
    errors.extend(_check_rate_strategies(value["SHIPPING_RATE_STRATEGIES"]))

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
    from commerce.core.throttling import SCOPES, is_off

    missing = [
        f"{scope} ({what})"
        for scope, (app, what) in SCOPES.items()
        if apps.is_installed(app) and is_off(_throttle_rates().get(scope))
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


# --- request handling: throttle rates, proxies, per-process caches ------------------------

#: Cache backends that keep their data in each process (or keep none).
PER_PROCESS_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache": "keeps its data in each worker process",
    "django.core.cache.backends.dummy.DummyCache": "keeps no data at all",
}
#: The cache DRF's throttles count in (``SimpleRateThrottle.cache``) and where the dummy
#: gateway keeps its provider state (``django.core.cache.cache``).
THROTTLE_CACHE = DUMMY_GATEWAY_CACHE = "default"
SINGLE_PROCESS_HINT = (
    "Use a cache every worker shares (Redis, Memcached, the database cache), or add "
    "the id to SILENCED_SYSTEM_CHECKS if the site runs one process only."
)


def _throttle_rates() -> dict:
    from rest_framework.settings import api_settings

    return api_settings.DEFAULT_THROTTLE_RATES or {}


def _per_process(alias: str) -> str | None:
    """Why cache ``alias`` is not shared between processes, or ``None`` if it is."""
    backend = getattr(settings, "CACHES", {}).get(alias, {}).get("BACKEND", "")
    reason = PER_PROCESS_CACHES.get(backend)
    return f"CACHES[{alias!r}] is {backend.rsplit('.', 1)[-1]}, which {reason}" if reason else None


def _throttling_in_use() -> bool:
    from rest_framework.settings import api_settings

    from commerce.core.throttling import SCOPES, is_off

    installed_scopes = [scope for scope, (app, _what) in SCOPES.items() if apps.is_installed(app)]
    rates = _throttle_rates()
    return bool(api_settings.DEFAULT_THROTTLE_CLASSES) or any(
        not is_off(rates.get(scope)) for scope in installed_scopes
    )


def _dummy_gateway_aliases() -> list[str]:
    configured = {**DEFAULTS, **getattr(settings, "COMMERCE", {})}["PAYMENT_GATEWAYS"]
    if not isinstance(configured, dict) or not apps.is_installed("commerce.payments"):
        return []
    from commerce.payments.gateways.dummy import DummyGateway

    aliases = []
    for alias, entry in sorted(configured.items()):
        backend = entry.get("BACKEND") if isinstance(entry, dict) else None
        try:
            backend_class = import_from_string(backend, "PAYMENT_GATEWAYS") if backend else None
        except ImproperlyConfigured:
            continue  # commerce.E011 reports it
        if isinstance(backend_class, type) and issubclass(backend_class, DummyGateway):
            aliases.append(alias)
    return aliases


@register(Tags.caches, deploy=True)
def check_shared_caches(app_configs=None, **kwargs):
    """Throttle counters, the dummy gateway's state and the catalog cache must be shared
    by every worker process; a per-process cache gives each worker its own."""
    warnings = []
    problem = _per_process(THROTTLE_CACHE)
    if problem and _throttling_in_use():
        warnings.append(
            Warning(
                f"Throttles count requests in the default cache: {problem}, so each worker "
                "allows the full rate (a client gets the rate times the number of workers).",
                hint=SINGLE_PROCESS_HINT,
                id="commerce.W020",
            )
        )
    dummies = _dummy_gateway_aliases()
    problem = _per_process(DUMMY_GATEWAY_CACHE)
    if problem and dummies:
        warnings.append(
            Warning(
                f"The dummy gateway ({', '.join(dummies)}) keeps its provider state in the "
                f"default cache: {problem}, so a payment started in one worker is unknown "
                "to the others.",
                hint=SINGLE_PROCESS_HINT + " The dummy gateway is for demos and tests only.",
                id="commerce.W021",
            )
        )
    catalog_cache = {**DEFAULTS, **getattr(settings, "COMMERCE", {})}["CATALOG_CACHE"]
    if isinstance(catalog_cache, str) and apps.is_installed("commerce.catalog"):
        problem = _per_process(catalog_cache)
        # A DummyCache caches nothing: harmless, merely off.
        if problem and "DummyCache" not in problem:
            warnings.append(
                Warning(
                    f"COMMERCE['CATALOG_CACHE'] is {catalog_cache!r}: {problem}, so a worker "
                    "keeps serving catalog reads another worker's write changed (up to "
                    "CATALOG_CACHE_TIMEOUT seconds).",
                    hint=SINGLE_PROCESS_HINT + " Or set CATALOG_CACHE to None.",
                    id="commerce.W022",
                )
            )
    return warnings


@register(Tags.compatibility)
def check_throttle_rate_values(app_configs=None, **kwargs):
    """Every commerce scope's rate is a rate or off; anything else would never throttle."""
    from commerce.core.throttling import SCOPES, rate_problem

    rates = _throttle_rates()
    errors = []
    for scope in SCOPES:
        problem = rate_problem(rates.get(scope))
        if problem:
            errors.append(
                Error(
                    f"REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'][{scope!r}]: {problem}.",
                    id="commerce.E023",
                )
            )
    return errors


@register(Tags.security, deploy=True)
def check_num_proxies(app_configs=None, **kwargs):
    """DRF trusts ``X-Forwarded-For`` while ``NUM_PROXIES`` is ``None``.

    Only with default throttle classes: commerce's own throttles read ``None`` as ``0``.
    """
    from rest_framework.settings import api_settings

    if api_settings.NUM_PROXIES is not None or not api_settings.DEFAULT_THROTTLE_CLASSES:
        return []
    return [
        Warning(
            "REST_FRAMEWORK['NUM_PROXIES'] is not set: DRF's throttles then identify an "
            "anonymous client by the X-Forwarded-For header it sends, so a client can pick "
            "a new identity for every request (commerce's own throttles read None as 0).",
            hint="Set NUM_PROXIES = 0 when clients connect directly, or the number of "
            "proxies in front of the application (see the deployment how-to).",
            id="commerce.W024",
        )
    ]


# --- pricing configuration stored in the database ------------------------------------------


@register(Tags.database)
def check_pricing_rows(app_configs=None, databases=None, **kwargs):
    """commerce.W026 and W027: shipping methods and zones that the admin would refuse now.

    Runs only when Django is asked to check databases (``check --database``,
    ``migrate``), and says nothing while the tables do not exist yet.
    """
    if not databases or not apps.is_installed("commerce.pricing"):
        return []
    from django.db import DatabaseError

    warnings = []
    for alias in sorted(databases):
        try:
            warnings += _shipping_method_warnings(alias) + _zone_overlap_warnings(alias)
        except DatabaseError:
            continue  # not migrated yet: nothing to check
    return warnings


def _shipping_method_warnings(alias: str) -> list[Warning]:
    from commerce.pricing.models import ShippingMethod

    warnings = []
    methods = ShippingMethod.objects.using(alias).prefetch_related("bands").order_by("code")
    for method in methods:
        problems = {
            field: list(messages) for field, messages in method.configuration_problems().items()
        }
        foreign = sorted({str(b.price.currency) for b in method.bands.all()} - {method.currency})
        if foreign:
            problems["bands"] = [f"priced in {', '.join(foreign)}, not {method.currency}"]
        if problems:
            said = "; ".join(
                f"{field}: {' '.join(messages)}" for field, messages in sorted(problems.items())
            )
            warnings.append(
                Warning(
                    f"Shipping method {method.code!r} cannot be offered as saved ({said}).",
                    hint="Correct it in the admin (Shipping methods), or deactivate it.",
                    obj=method,
                    id="commerce.W026",
                )
            )
    return warnings


def _zone_overlap_warnings(alias: str) -> list[Warning]:
    from commerce.pricing.models import ZoneMember, member_key

    holders: dict[tuple, dict[str, str]] = {}
    members = (
        ZoneMember.objects.using(alias)
        .filter(zone__is_active=True, exclude=False)
        .select_related("zone")
    )
    for member in members:
        place = (member.zone.priority, *member_key(member))
        holders.setdefault(place, {})[str(member.zone.pk)] = member.zone.name
    warnings = []
    for (priority, country, region, pattern), zones in sorted(holders.items()):
        if len(zones) < 2:
            continue
        place = " ".join(part for part in (country, region, pattern) if part)
        names = ", ".join(sorted(zones.values()))
        warnings.append(
            Warning(
                f"The active zones {names} have the same priority ({priority}) and the "
                f"same member ({place}): which one an address there belongs to is an "
                "accident of their names.",
                hint="Give one of them another priority, or remove the member from one.",
                id="commerce.W027",
            )
        )
    return warnings

"""Shipping: which methods serve an address, and what each costs for a cart.

:func:`shipping_options` is step 5 of the pricing pipeline. It finds the zones
the destination is in (:func:`~commerce.pricing.zones.match_zones`) and offers
the methods of **one** zone: the best-matching zone that has at least one
active method in the cart's currency. So a more specific zone replaces a
broader one (a "Berlin" zone's methods, not "Germany"'s, for Berlin postal
codes), while a zone that only carries tax rates, or only methods in another
currency, never hides the zones behind it. Within that zone a method is offered
when the cart is within its limits and its rate strategy can price the cart.

Rate strategies are classes named in ``COMMERCE["SHIPPING_RATE_STRATEGIES"]``,
added to the built-in ``flat``, ``order_value`` and ``weight``; each prices a
method for a :class:`~commerce.pricing.types.ShippingRequest` in minor units,
or answers ``None`` when it cannot ship that cart.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured

from commerce.conf import commerce_settings, import_from_string
from commerce.core.money import to_minor_units
from commerce.pricing.types import ShippingOption, ShippingRequest

__all__ = [
    "BUILT_IN_RATE_STRATEGIES",
    "FlatShippingRate",
    "OrderValueShippingRate",
    "ShippingRateStrategy",
    "WeightShippingRate",
    "rate_strategies",
    "rate_strategy_names",
    "shipping_options",
    "shipping_required",
]

#: The rate strategies every site has, by name.
BUILT_IN_RATE_STRATEGIES = {
    "flat": "commerce.pricing.shipping.FlatShippingRate",
    "order_value": "commerce.pricing.shipping.OrderValueShippingRate",
    "weight": "commerce.pricing.shipping.WeightShippingRate",
}


class ShippingRateStrategy:
    """Base class of rate strategies: subclasses implement :meth:`price`.

    A strategy is built without arguments once per pricing and must not write
    anything. It reads the method's fields and its ``bands`` (prefetched: read
    ``method.bands.all()``, never filter them in the database).
    """

    def price(self, method: Any, request: ShippingRequest) -> int | None:
        """What ``method`` costs for ``request``, in minor units of ``request.currency``,
        before ``free_over`` and discounts; ``None`` when it cannot ship this cart."""
        raise NotImplementedError


class FlatShippingRate(ShippingRateStrategy):
    """The method's ``price``, whatever the cart."""

    def price(self, method: Any, request: ShippingRequest) -> int | None:
        if method.price is None or str(method.price.currency) != request.currency:
            return None
        return to_minor_units(method.price)


class BandedShippingRate(ShippingRateStrategy):
    """The price of the band with the highest lower bound the cart's measure reaches."""

    def measure(self, request: ShippingRequest) -> int:
        raise NotImplementedError

    def price(self, method: Any, request: ShippingRequest) -> int | None:
        measure = self.measure(request)
        reached = [
            band
            for band in method.bands.all()
            if band.lower_bound <= measure and str(band.price.currency) == request.currency
        ]
        if not reached:
            return None
        return to_minor_units(max(reached, key=lambda band: band.lower_bound).price)


class OrderValueShippingRate(BandedShippingRate):
    """Bands by the lines' total after discounts (lower bounds in minor units)."""

    def measure(self, request: ShippingRequest) -> int:
        return request.subtotal


class WeightShippingRate(BandedShippingRate):
    """Bands by the cart's weight (lower bounds in grams)."""

    def measure(self, request: ShippingRequest) -> int:
        return request.weight


def _configured_strategies() -> dict[str, Any]:
    """Name -> dotted path (or class): the built-ins, then the setting's entries."""
    configured = commerce_settings.SHIPPING_RATE_STRATEGIES
    return {**BUILT_IN_RATE_STRATEGIES, **(configured if isinstance(configured, dict) else {})}


def rate_strategy_names() -> list[str]:
    """The names a shipping method may use, sorted; imports nothing (forms and checks
    use it, and a broken entry must not break them: ``commerce.E025`` reports it)."""
    return sorted(name for name in _configured_strategies() if isinstance(name, str) and name)


def _resolve(path: Any) -> type:
    return path if isinstance(path, type) else import_from_string(path, "SHIPPING_RATE_STRATEGIES")


def rate_strategies() -> dict[str, type]:
    """The rate strategy classes by name: the built-ins, then
    ``COMMERCE["SHIPPING_RATE_STRATEGIES"]`` (an entry with a built-in's name
    replaces it). Raises ``ImproperlyConfigured`` naming an entry that cannot be
    imported (system check ``commerce.E025`` reports it at start-up)."""
    return {name: _resolve(path) for name, path in _configured_strategies().items()}


def _minor(value: Any, currency: str) -> int | None:
    """``value`` (Money or None) in minor units, or ``None`` when absent or in another currency."""
    if value is None or str(value.currency) != currency:
        return None
    return to_minor_units(value)


def _within_limits(method: Any, request: ShippingRequest) -> bool:
    low = _minor(method.min_order_value, request.currency)
    high = _minor(method.max_order_value, request.currency)
    if low is not None and request.subtotal < low:
        return False
    if high is not None and request.subtotal > high:
        return False
    if method.min_weight is not None and request.weight < method.min_weight:
        return False
    return method.max_weight is None or request.weight <= method.max_weight


def _in_currency(method: Any, currency: str) -> bool:
    """Every money field of ``method`` is in ``currency`` (a misconfigured method is
    left out rather than priced in the wrong money; system check E026 names it)."""
    return all(
        getattr(method, field) is None or str(getattr(method, field).currency) == currency
        for field in method.MONEY_FIELDS
    )


def shipping_options(request: ShippingRequest) -> list[ShippingOption]:
    """The shipping methods that serve ``request``'s destination and cart, priced.

    Methods of the best-matching zone with an active method in
    ``request.currency`` (see the module's docstring); of those, the ones whose
    limits the cart is within (order value after discounts, weight; both ends
    included) and whose strategy prices it. A method is free (price 0) when the
    lines' total after discounts is at least its ``free_over``. Sorted by price,
    then position, name and code.

    Four queries at most, whatever the number of zones, methods and bands:
    zones, their members, methods, bands.
    """
    from commerce.pricing.models import ShippingMethod
    from commerce.pricing.zones import match_zones

    zones = request.zones if request.zones is not None else match_zones(request.destination)
    if not zones:
        return []
    methods = (
        ShippingMethod.objects.filter(
            zone__in=[zone.pk for zone in zones], currency=request.currency, is_active=True
        )
        .prefetch_related("bands")
        .order_by("position", "name", "code")
    )
    by_zone: dict[Any, list[Any]] = {}
    for method in methods:
        by_zone.setdefault(method.zone_id, []).append(method)
    chosen = next((by_zone[zone.pk] for zone in zones if zone.pk in by_zone), [])
    configured = _configured_strategies()
    # Only the strategies these methods use are imported: an entry no method uses
    # cannot break shipping.
    strategies: dict[str, ShippingRateStrategy] = {}
    priced = []
    for method in chosen:
        name = method.rate_strategy
        if name not in configured or not _in_currency(method, request.currency):
            continue
        if name not in strategies:
            strategies[name] = _resolve(configured[name])()
        strategy = strategies[name]
        if not _within_limits(method, request):
            continue
        price = strategy.price(method, request)
        if price is None:
            continue
        if isinstance(price, bool) or not isinstance(price, int) or price < 0:
            raise ImproperlyConfigured(
                f"Shipping rate strategy {method.rate_strategy!r} "
                f"({type(strategy).__name__}) priced {method.code!r} at {price!r}: "
                "a price is a whole number of minor units, zero or more, or None."
            )
        free_over = _minor(method.free_over, request.currency)
        if free_over is not None and request.subtotal >= free_over:
            price = 0
        option = ShippingOption(
            method_id=str(method.pk),
            code=method.code,
            name=method.name,
            price=price,
            tax_class_id=method.tax_class_id,
        )
        priced.append(((price, method.position, method.name, method.code), option))
    priced.sort(key=lambda entry: entry[0])
    return [option for _key, option in priced]


def shipping_required(currency: str) -> bool:
    """Whether the shop ships in ``currency`` at all: some active method is in it.

    Checkout uses it to refuse an address no method serves (rather than sending
    the parcel for free), while a shop that sells nothing physical, and so has no
    methods, checks out without shipping. One query.
    """
    from commerce.pricing.models import ShippingMethod

    return ShippingMethod.objects.filter(currency=currency, is_active=True).exists()

"""Pricing test helpers: zones, shipping methods and tax rates in one line each."""

from __future__ import annotations

from decimal import Decimal

from djmoney.money import Money

from commerce.pricing.models import ShippingMethod, ShippingRateBand, TaxRate, Zone, ZoneMember
from commerce.pricing.types import Destination, ShippingRequest, TaxableItem, TaxRequest

#: Where the tests ship to.
BERLIN = Destination(country="DE", region="BE", postal_code="10115")
MUNICH = Destination(country="DE", region="BY", postal_code="80331")
PARIS = Destination(country="FR", region="", postal_code="75001")
NOWHERE = Destination(country="", region="", postal_code="")


def zone(name: str, *members: tuple, priority: int = 0, is_active: bool = True) -> Zone:
    """A zone with ``members``: ``("DE",)``, ``("DE", "BE")``, ``("DE", "", "10*")``, and
    ``("DE", "", "10*", True)`` for an exclude member."""
    created = Zone.objects.create(name=name, priority=priority, is_active=is_active)
    for member in members:
        country, region, pattern, exclude = (*member, "", "", False)[:4]
        ZoneMember.objects.create(
            zone=created,
            country=country,
            region=region or "",
            postal_code_pattern=pattern or "",
            exclude=bool(exclude),
        )
    return created


def money(amount: str, currency: str = "USD") -> Money:
    return Money(Decimal(amount), currency)


def method(
    zone: Zone,
    code: str,
    *,
    price: str | None = "5.00",
    currency: str = "USD",
    strategy: str = "flat",
    bands: dict[int, str] | None = None,
    **fields,
) -> ShippingMethod:
    """A shipping method of ``zone``; ``bands`` maps lower bounds to prices."""
    for name in ShippingMethod.MONEY_FIELDS:
        if isinstance(fields.get(name), str):
            fields[name] = money(fields[name], currency)
    created = ShippingMethod.objects.create(
        zone=zone,
        code=code,
        name=fields.pop("name", code.replace("-", " ").title()),
        currency=currency,
        rate_strategy=strategy,
        price=money(price, currency) if price is not None else None,
        **fields,
    )
    for bound, band_price in (bands or {}).items():
        ShippingRateBand.objects.create(
            method=created, lower_bound=bound, price=money(band_price, currency)
        )
    return created


def rate(zone: Zone, name: str, percent: str, tax_class=None, included=None) -> TaxRate:
    return TaxRate.objects.create(
        zone=zone,
        name=name,
        rate=Decimal(percent),
        tax_class=tax_class,
        prices_include_tax=included,
    )


def shipping_request(
    destination: Destination = BERLIN,
    *,
    subtotal: int = 5000,
    weight: int = 1000,
    currency: str = "USD",
    exponent: int = 2,
) -> ShippingRequest:
    return ShippingRequest(
        currency=currency,
        exponent=exponent,
        destination=destination,
        lines=(),
        subtotal=subtotal,
        weight=weight,
    )


def item(key: str, amount: int, quantity: int = 1, tax_class=None) -> TaxableItem:
    return TaxableItem(
        key=key,
        tax_class_id=None if tax_class is None else tax_class.pk,
        quantity=quantity,
        amount=amount,
    )


def tax_request(
    *items: TaxableItem,
    destination: Destination | None = BERLIN,
    prices_include_tax: bool = False,
    rounding: str = "line",
    currency: str = "EUR",
    exponent: int = 2,
) -> TaxRequest:
    return TaxRequest(
        currency=currency,
        exponent=exponent,
        destination=destination,
        items=tuple(items),
        prices_include_tax=prices_include_tax,
        rounding=rounding,
    )


def amounts(result) -> dict[tuple[str, str], int]:
    """A TaxResult as ``{(item key, rate name): amount}``."""
    return {(line.key, line.name): line.amount for line in result.lines}

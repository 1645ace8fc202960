"""Writes of the pricing configuration: zones (with members), shipping methods (with
rate bands) and tax rates.

Each function checks every row with the models' own ``full_clean()`` (the checks
the admin shows) and saves in one transaction, so a refused write leaves nothing
behind. Refusals are :class:`~commerce.core.exceptions.CommerceValidationError`
(400) with the field problems in ``details``; a taken shipping-method code is a
:class:`~commerce.core.exceptions.DuplicateError` (409); deleting a zone that
methods or rates still use is a :class:`~commerce.core.exceptions.ConflictError`
(409, ``zone_in_use``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model, ProtectedError

from commerce.core.exceptions import CommerceValidationError, ConflictError, DuplicateError
from commerce.pricing.models import ShippingMethod, ShippingRateBand, TaxRate, Zone, ZoneMember

__all__ = [
    "create_shipping_method",
    "create_tax_rate",
    "create_zone",
    "delete_shipping_method",
    "delete_tax_rate",
    "delete_zone",
    "update_shipping_method",
    "update_tax_rate",
    "update_zone",
]

ZONE_FIELDS = {"name", "priority", "is_active"}
MEMBER_FIELDS = {"country", "region", "postal_code_pattern", "exclude"}
METHOD_FIELDS = {
    "zone",
    "name",
    "code",
    "currency",
    "rate_strategy",
    "price",
    "free_over",
    "min_order_value",
    "max_order_value",
    "min_weight",
    "max_weight",
    "tax_class",
    "is_active",
    "position",
}
BAND_FIELDS = {"lower_bound", "price"}
RATE_FIELDS = {"zone", "tax_class", "name", "rate", "prices_include_tax"}


def _refuse_unknown(fields: Mapping[str, Any], allowed: set[str], prefix: str = "") -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise CommerceValidationError(
            details={
                f"{prefix}{name}": ["Not a field that may be set."] for name in sorted(unknown)
            }
        )


def _checked(obj: Model, prefix: str = "", *, fields_only: bool = False) -> None:
    """``obj.full_clean()`` (or only ``clean_fields()``), its ValidationError as a
    CommerceValidationError (400) whose ``details`` name the fields under ``prefix``
    (``members.0.country``); problems of the whole row go under ``prefix`` itself, or
    ``non_field_errors`` at the top, as DRF names them."""
    try:
        if fields_only:
            obj.clean_fields()
        else:
            obj.full_clean()
    except ValidationError as error:
        whole = prefix.rstrip(".") or "non_field_errors"
        problems = error.message_dict if hasattr(error, "error_dict") else {}
        details = {
            (whole if name == NON_FIELD_ERRORS else f"{prefix}{name}"): [str(m) for m in messages]
            for name, messages in problems.items()
        } or {whole: [str(message) for message in error.messages]}
        first = next(iter(details.values()))[0]
        raise CommerceValidationError(first, details=details) from error


def _assign(obj: Model, fields: Mapping[str, Any]) -> None:
    for name, value in fields.items():
        setattr(obj, name, value)


# --- zones --------------------------------------------------------------------------------


def _replace_members(zone: Zone, members: Iterable[Mapping[str, Any]]) -> None:
    zone.members.all().delete()
    for index, spec in enumerate(members):
        _refuse_unknown(spec, MEMBER_FIELDS, f"members.{index}.")
        member = ZoneMember(zone=zone, **spec)
        _checked(member, f"members.{index}.")
        member.save()


@transaction.atomic
def create_zone(*, name: str, members: Iterable[Mapping[str, Any]] = (), **fields: Any) -> Zone:
    """Create a zone and its members (dicts of :class:`ZoneMember` fields).

    Raises :class:`CommerceValidationError` for what ``clean()`` refuses, such as a
    member an active zone of the same priority already holds.
    """
    _refuse_unknown(fields, ZONE_FIELDS - {"name"})
    zone = Zone(name=name, **fields)
    _checked(zone)
    zone.save()
    _replace_members(zone, members)
    return zone


@transaction.atomic
def update_zone(
    zone: Zone, *, members: Iterable[Mapping[str, Any]] | None = None, **changes: Any
) -> Zone:
    """Change a zone's fields; ``members``, when given, replace all of its members."""
    _refuse_unknown(changes, ZONE_FIELDS)
    zone = Zone.objects.select_for_update().get(pk=zone.pk)
    _assign(zone, changes)
    # With new members, the overlap check waits for them (the old ones are going).
    _checked(zone, fields_only=members is not None)
    zone.save()
    if members is not None:
        _replace_members(zone, members)
        # The new members against the other zones, at the zone's (maybe new) priority.
        _checked(zone)
    return zone


@transaction.atomic
def delete_zone(zone: Zone) -> None:
    """Delete a zone and its members. Raises :class:`ConflictError` (409,
    ``zone_in_use``) while a shipping method or tax rate uses it."""
    try:
        with transaction.atomic():
            zone.delete()
    except ProtectedError as exc:
        users = sorted({str(obj._meta.verbose_name_plural) for obj in exc.protected_objects})
        raise ConflictError(
            f"The zone {zone.name!r} is in use; move its shipping methods and tax rates first.",
            code="zone_in_use",
            details={"in_use_by": users},
        ) from exc


# --- shipping methods ----------------------------------------------------------------------


def _check_code_free(code: Any, exclude_pk=None) -> None:
    taken = ShippingMethod.objects.filter(code=code)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if isinstance(code, str) and taken.exists():
        raise DuplicateError(details={"code": [f"{code} is already taken."]})


def _save_method(method: ShippingMethod) -> None:
    # The code was free when checked; a concurrent write may have taken it since.
    try:
        with transaction.atomic():
            method.save()
    except IntegrityError as exc:
        if ShippingMethod.objects.filter(code=method.code).exclude(pk=method.pk).exists():
            raise DuplicateError(details={"code": [f"{method.code} is already taken."]}) from exc
        raise


def _replace_bands(method: ShippingMethod, bands: Iterable[Mapping[str, Any]]) -> None:
    method.bands.all().delete()
    for index, spec in enumerate(bands):
        _refuse_unknown(spec, BAND_FIELDS, f"bands.{index}.")
        band = ShippingRateBand(method=method, **spec)
        _checked(band, f"bands.{index}.")
        band.save()


@transaction.atomic
def create_shipping_method(
    *, bands: Iterable[Mapping[str, Any]] = (), **fields: Any
) -> ShippingMethod:
    """Create a shipping method and its rate bands (dicts of ``lower_bound`` and ``price``).

    Raises :class:`DuplicateError` when the code is taken, :class:`CommerceValidationError`
    for what ``clean()`` refuses (an unknown rate strategy, money in another currency).
    """
    _refuse_unknown(fields, METHOD_FIELDS)
    _check_code_free(fields.get("code"))
    method = ShippingMethod(**fields)
    _checked(method)
    _save_method(method)
    _replace_bands(method, bands)
    return method


@transaction.atomic
def update_shipping_method(
    method: ShippingMethod, *, bands: Iterable[Mapping[str, Any]] | None = None, **changes: Any
) -> ShippingMethod:
    """Change a method's fields; ``bands``, when given, replace all of its bands.

    The bands are checked again against the method's (maybe new) currency.
    """
    _refuse_unknown(changes, METHOD_FIELDS)
    method = ShippingMethod.objects.select_for_update().get(pk=method.pk)
    if "code" in changes:
        _check_code_free(changes["code"], exclude_pk=method.pk)
    _assign(method, changes)
    _checked(method)
    _save_method(method)
    if bands is not None:
        _replace_bands(method, bands)
    else:
        for index, band in enumerate(method.bands.all()):
            band.method = method
            _checked(band, f"bands.{index}.")
    return method


@transaction.atomic
def delete_shipping_method(method: ShippingMethod) -> None:
    """Delete a shipping method and its bands (orders keep their own snapshot of it)."""
    method.delete()


# --- tax rates -----------------------------------------------------------------------------


@transaction.atomic
def create_tax_rate(**fields: Any) -> TaxRate:
    """Create a tax rate. Raises :class:`CommerceValidationError` for what ``clean()`` refuses."""
    _refuse_unknown(fields, RATE_FIELDS)
    rate = TaxRate(**fields)
    _checked(rate)
    rate.save()
    return rate


@transaction.atomic
def update_tax_rate(tax_rate: TaxRate, /, **changes: Any) -> TaxRate:
    """Change a tax rate's fields (``rate`` among them)."""
    _refuse_unknown(changes, RATE_FIELDS)
    tax_rate = TaxRate.objects.select_for_update().get(pk=tax_rate.pk)
    _assign(tax_rate, changes)
    _checked(tax_rate)
    tax_rate.save()
    return tax_rate


@transaction.atomic
def delete_tax_rate(tax_rate: TaxRate) -> None:
    """Delete a tax rate (orders keep their own snapshot of the tax they paid)."""
    tax_rate.delete()

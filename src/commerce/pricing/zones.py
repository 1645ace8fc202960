"""Which zones a destination is in, best first.

:func:`match_zones` is shared by shipping and tax. It is pure over zones whose
members are already loaded, so a caller that prices many things for one address
reads the zones once (:func:`zones_for`, two queries whatever their number).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Prefetch

from commerce.pricing.models import Zone, ZoneMember
from commerce.pricing.postcodes import matches_postal_code
from commerce.pricing.types import Destination

__all__ = ["match_zones", "member_matches", "zone_specificity", "zones_for"]


def member_matches(member: ZoneMember, destination: Destination) -> bool:
    """Whether ``member`` (include or exclude alike) covers ``destination``.

    The country must be the same; a region, when the member names one, must equal
    the destination's (ignoring case and surrounding spaces); a postal-code
    pattern, when it has one, must match (see :mod:`commerce.pricing.postcodes`).
    """
    if not destination.country or str(member.country) != destination.country:
        return False
    region = (member.region or "").strip().casefold()
    if region and region != destination.region.strip().casefold():
        return False
    return matches_postal_code(member.postal_code_pattern, destination.postal_code)


def zone_specificity(zone: Zone, destination: Destination) -> int:
    """How specifically ``zone`` holds ``destination``: 0 when it does not.

    The best :attr:`~commerce.pricing.models.ZoneMember.specificity` (3 postal
    code, 2 region, 1 country) among the include members that match, or 0 when
    none does or an exclude member matches. Reads ``zone.members.all()``.
    """
    best = 0
    for member in zone.members.all():
        if not member_matches(member, destination):
            continue
        if member.exclude:
            return 0
        best = max(best, member.specificity)
    return best


def zones_for(destination: Destination | None):
    """The active zones with a member in ``destination``'s country, members prefetched.

    Two queries. Members of other countries are left out: they can neither
    include nor exclude this destination.
    """
    if destination is None or not destination.country:
        return Zone.objects.none()
    country = destination.country
    return (
        Zone.objects.filter(is_active=True, members__country=country)
        .distinct()
        .prefetch_related(Prefetch("members", queryset=ZoneMember.objects.filter(country=country)))
    )


def match_zones(destination: Destination | None, zones: Iterable[Any] | None = None) -> list[Any]:
    """The active zones ``destination`` is in, best first.

    A zone holds a destination when one of its include members matches it and
    none of its exclude members does. Better means: a more specific match
    (postal code, then region, then country), then a higher ``priority``, then
    the name and the id, so the order never depends on the database's. With
    ``zones`` (their members prefetched) no query is made; without, the zones
    are read with :func:`zones_for`. ``None`` or a destination without a
    country is in no zone.
    """
    if destination is None or not destination.country:
        return []
    if zones is None:
        zones = zones_for(destination)
    ranked = []
    for zone in zones:
        if not zone.is_active:
            continue
        specificity = zone_specificity(zone, destination)
        if specificity:
            ranked.append((-specificity, -zone.priority, zone.name, str(zone.pk), zone))
    ranked.sort(key=lambda entry: entry[:4])
    return [entry[-1] for entry in ranked]

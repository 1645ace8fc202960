"""Zone matching: specificity, exclusion, priority, ties, and its query count."""

from __future__ import annotations

import pytest

from commerce.pricing.models import Zone
from commerce.pricing.types import Destination
from commerce.pricing.zones import match_zones, zones_for
from tests.pricing.helpers import BERLIN, MUNICH, NOWHERE, PARIS, zone

pytestmark = pytest.mark.django_db


def names(zones) -> list[str]:
    return [z.name for z in zones]


def test_the_most_specific_match_wins_whatever_the_priority():
    zone("Germany", ("DE",), priority=50)
    zone("Berlin state", ("DE", "BE"), priority=10)
    zone("Berlin 10xxx", ("DE", "", "10*"), priority=0)
    assert names(match_zones(BERLIN)) == ["Berlin 10xxx", "Berlin state", "Germany"]
    assert names(match_zones(MUNICH)) == ["Germany"]


def test_a_member_with_region_and_postal_code_counts_as_a_postal_code_match():
    zone("Region", ("DE", "BE"), priority=5)
    zone("Both", ("DE", "BE", "10115"))
    assert names(match_zones(BERLIN)) == ["Both", "Region"]


def test_priority_breaks_ties_between_equally_specific_zones_then_the_name():
    zone("B zone", ("DE",), priority=1)
    zone("A zone", ("DE",), priority=1)
    zone("High", ("DE",), priority=9)
    zone("Low", ("DE",), priority=-3)
    assert names(match_zones(BERLIN)) == ["High", "A zone", "B zone", "Low"]


def test_an_exclude_member_takes_places_out():
    zone("Mainland France", ("FR",), ("FR", "", "20*", True))  # Corsica excluded
    corsica = Destination(country="FR", postal_code="20000")
    assert names(match_zones(PARIS)) == ["Mainland France"]
    assert match_zones(corsica) == []


def test_an_exclude_member_wins_even_over_a_more_specific_include():
    zone("Odd", ("DE", "", "10115"), ("DE", "BE", "", True))
    assert match_zones(BERLIN) == []


def test_region_matches_ignoring_case_and_spaces():
    zone("Berlin", ("DE", " be "))
    assert names(match_zones(Destination(country="DE", region="Be"))) == ["Berlin"]
    assert match_zones(Destination(country="DE", region="BY")) == []
    # A member naming a region does not match an address that names none.
    assert match_zones(Destination(country="DE")) == []


def test_postal_range_members():
    zone("Vienna", ("AT", "", "1000..1999"))
    assert names(match_zones(Destination(country="AT", postal_code="1010"))) == ["Vienna"]
    assert match_zones(Destination(country="AT", postal_code="8010")) == []


def test_inactive_zones_and_other_countries_never_match():
    zone("Sleeping", ("DE",), is_active=False)
    zone("France", ("FR",))
    assert match_zones(BERLIN) == []


def test_no_destination_or_no_country_is_in_no_zone(django_assert_num_queries):
    zone("Germany", ("DE",))
    with django_assert_num_queries(0):
        assert match_zones(None) == []
        assert match_zones(NOWHERE) == []


def test_the_order_does_not_depend_on_the_order_zones_are_given_in():
    for index in range(6):
        zone(f"Zone {index % 2}", ("DE",), priority=index % 3)
    loaded = list(zones_for(BERLIN))
    forward = match_zones(BERLIN, loaded)
    backward = match_zones(BERLIN, list(reversed(loaded)))
    assert [z.pk for z in forward] == [z.pk for z in backward]


def test_two_queries_whatever_the_number_of_zones(django_assert_num_queries):
    for index in range(30):
        zone(f"Zone {index}", ("DE", "", f"{index:02d}*"), ("DE",), ("FR",), priority=index)
    with django_assert_num_queries(2):
        matched = match_zones(BERLIN)
    assert len(matched) == 30
    assert matched[0].name == "Zone 10"  # the one whose postal prefix matches 10115


def test_pure_over_prefetched_zones(django_assert_num_queries):
    zone("Germany", ("DE",))
    loaded = list(zones_for(BERLIN))
    with django_assert_num_queries(0):
        assert names(match_zones(BERLIN, loaded)) == ["Germany"]
        assert names(match_zones(MUNICH, loaded)) == ["Germany"]


def test_zones_for_leaves_out_members_of_other_countries():
    zone("Europe", ("DE",), ("FR",))
    (loaded,) = zones_for(BERLIN)
    assert [str(m.country) for m in loaded.members.all()] == ["DE"]
    assert Zone.objects.get().members.count() == 2

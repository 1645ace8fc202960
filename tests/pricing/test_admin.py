"""The pricing admin: pages load, and bad configuration is an error next to its field."""

from __future__ import annotations

import pytest
from django.contrib import admin

from commerce.pricing.models import ShippingMethod, ShippingRateBand, TaxRate, Zone, ZoneMember
from tests.catalog.helpers import admin_url, inline_management
from tests.pricing.helpers import method, rate, zone

pytestmark = pytest.mark.django_db

PRICING_MODELS = [
    model for model in admin.site._registry if model._meta.app_label == "commerce_pricing"
]


def errors_of(response) -> str:
    """Every error the admin page shows, form and inlines, as one text."""
    assert response.status_code == 200, "saved, though an error was expected"
    texts = [str(response.context["adminform"].form.errors)]
    texts += [str(formset.formset.errors) for formset in response.context["inline_admin_formsets"]]
    texts += [
        str(formset.formset.non_form_errors())
        for formset in response.context["inline_admin_formsets"]
    ]
    return " ".join(texts)


def zone_form(name="Germany", priority=0, members=(), initial=0, **fields) -> dict[str, str]:
    data = {"name": name, "priority": str(priority), "is_active": "on", **fields}
    data.update(inline_management("members", len(members), initial))
    for n, member in enumerate(members):
        for key, value in member.items():
            data[f"members-{n}-{key}"] = value
    return data


def method_form(zone, bands=(), **fields) -> dict[str, str]:
    data = {
        "zone": str(zone.pk),
        "name": "Standard",
        "code": "standard",
        "currency": "USD",
        "rate_strategy": "flat",
        "price_0": "4.90",
        "price_1": "USD",
        "free_over_0": "",
        "free_over_1": "USD",
        "min_order_value_0": "",
        "min_order_value_1": "USD",
        "max_order_value_0": "",
        "max_order_value_1": "USD",
        "min_weight": "",
        "max_weight": "",
        "tax_class": "",
        "is_active": "on",
        "position": "0",
        **fields,
    }
    data.update(inline_management("bands", len(bands), 0))
    for n, (bound, amount, currency) in enumerate(bands):
        data[f"bands-{n}-lower_bound"] = str(bound)
        data[f"bands-{n}-price_0"] = amount
        data[f"bands-{n}-price_1"] = currency
    return data


def test_every_pricing_model_is_registered():
    assert {model.__name__ for model in PRICING_MODELS} == {"Zone", "ShippingMethod", "TaxRate"}


@pytest.mark.parametrize("model", PRICING_MODELS, ids=lambda model: model.__name__)
def test_pages_load(admin_client, model):
    germany = zone("Germany", ("DE",), ("DE", "", "20*", True))
    method(germany, "standard", bands={0: "1.00"})
    rate(germany, "VAT", "19")
    assert admin_client.get(admin_url(model, "changelist")).status_code == 200
    assert admin_client.get(admin_url(model, "changelist") + "?q=Germany").status_code == 200
    assert admin_client.get(admin_url(model, "add")).status_code == 200
    obj = model._default_manager.first()
    assert admin_client.get(admin_url(model, "change", obj.pk)).status_code == 200


def test_zone_changelist_filters_by_country_without_duplicates(admin_client):
    zone("Germany", ("DE",), ("DE", "BE"))
    response = admin_client.get(admin_url(Zone, "changelist") + "?members__country=DE")
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1


# --- zones ------------------------------------------------------------------------------


def test_add_a_zone_with_members_normalizes_the_pattern(admin_client):
    response = admin_client.post(
        admin_url(Zone, "add"),
        zone_form(members=[{"country": "GB", "region": " ENG ", "postal_code_pattern": "sw1 *"}]),
    )
    assert response.status_code == 302, errors_of(response)
    member = ZoneMember.objects.get()
    assert (member.region, member.postal_code_pattern) == ("ENG", "SW1*")


@pytest.mark.parametrize(
    ("pattern", "said"),
    [("10%", "not a postal-code pattern"), ("2000..1000", "starts above")],
)
def test_a_bad_postal_pattern_is_refused(admin_client, pattern, said):
    response = admin_client.post(
        admin_url(Zone, "add"),
        zone_form(members=[{"country": "DE", "postal_code_pattern": pattern}]),
    )
    assert said in errors_of(response)
    assert not Zone.objects.exists()


def test_an_overlapping_zone_of_the_same_priority_is_refused(admin_client):
    zone("Germany", ("DE",))
    response = admin_client.post(
        admin_url(Zone, "add"), zone_form(name="DACH", members=[{"country": "DE"}])
    )
    assert "The active zone Germany has the same priority (0)" in errors_of(response)
    assert Zone.objects.count() == 1

    # Another priority, an exclude member, or an inactive zone do not tie.
    for form in (
        zone_form(name="DACH", priority=1, members=[{"country": "DE"}]),
        zone_form(name="Not DE", members=[{"country": "FR"}, {"country": "DE", "exclude": "on"}]),
        {**zone_form(name="Dormant", members=[{"country": "DE"}]), "is_active": ""},
    ):
        response = admin_client.post(admin_url(Zone, "add"), form)
        assert response.status_code == 302, errors_of(response)


def test_changing_a_zones_priority_into_a_tie_is_refused(admin_client):
    zone("Germany", ("DE",), priority=1)
    dach = zone("DACH", ("DE",), priority=0)
    member = dach.members.get()
    form = zone_form(
        name="DACH",
        priority=1,
        members=[{"id": str(member.pk), "zone": str(dach.pk), "country": "DE"}],
        initial=1,
    )
    response = admin_client.post(admin_url(Zone, "change", dach.pk), form)
    assert "The active zone Germany has the same priority (1)" in errors_of(response)
    dach.refresh_from_db()
    assert dach.priority == 0


# --- shipping methods -------------------------------------------------------------------


def test_add_a_method_with_bands(admin_client):
    germany = zone("Germany", ("DE",))
    response = admin_client.post(
        admin_url(ShippingMethod, "add"),
        method_form(
            germany,
            rate_strategy="weight",
            price_0="",
            bands=[(0, "5.00", "USD"), (2000, "8.00", "USD")],
        ),
    )
    assert response.status_code == 302, errors_of(response)
    saved = ShippingMethod.objects.get()
    assert saved.rate_strategy == "weight"
    assert [band.lower_bound for band in saved.bands.all()] == [0, 2000]


@pytest.mark.parametrize(
    ("fields", "bands", "said"),
    [
        ({"currency": "NGN", "price_1": "NGN"}, (), "Select a valid choice"),
        ({"price_1": "EUR"}, (), "Use the method"),
        ({"price_0": ""}, (), "The flat strategy charges this price"),
        ({"price_0": "4.999"}, (), "At most 2 decimal places"),
        ({"rate_strategy": "by_box"}, (), "Select a valid choice"),
        ({"min_weight": "500", "max_weight": "100"}, (), "Must not be below the minimum weight"),
        (
            {"min_order_value_0": "50", "max_order_value_0": "20"},
            (),
            "Must not be below the minimum order value",
        ),
        ({"rate_strategy": "weight"}, [(-1, "5.00", "USD")], "greater than or equal to 0"),
        ({"rate_strategy": "weight"}, [(0, "5.00", "EUR")], "Use the method"),
    ],
)
def test_bad_methods_are_refused(admin_client, settings, fields, bands, said):
    settings.COMMERCE = {"CURRENCIES": ["USD", "EUR"]}
    germany = zone("Germany", ("DE",))
    response = admin_client.post(
        admin_url(ShippingMethod, "add"), method_form(germany, bands=bands, **fields)
    )
    assert said in errors_of(response)
    assert not ShippingMethod.objects.exists()
    assert not ShippingRateBand.objects.exists()


# --- tax rates --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "saved"),
    [
        ("-1", False),
        ("100.0001", False),
        ("101", False),
        ("0", True),
        ("100", True),
        ("7.75", True),
    ],
)
def test_tax_rates_are_percentages_from_0_to_100(admin_client, value, saved):
    germany = zone("Germany", ("DE",))
    response = admin_client.post(
        admin_url(TaxRate, "add"),
        {
            "zone": str(germany.pk),
            "name": "VAT",
            "rate": value,
            "tax_class": "",
            "prices_include_tax": "unknown",
        },
    )
    if saved:
        assert response.status_code == 302, errors_of(response)
    else:
        assert "rate" in response.context["adminform"].form.errors
    assert TaxRate.objects.exists() is saved


def test_a_configured_strategy_is_offered_even_before_it_imports(admin_client, settings):
    # The form lists names without importing them; check E025 reports the broken path.
    settings.COMMERCE = {"SHIPPING_RATE_STRATEGIES": {"per_parcel": "myshop.rates.Broken"}}
    response = admin_client.get(admin_url(ShippingMethod, "add"))
    assert response.status_code == 200
    choices = dict(response.context["adminform"].form.fields["rate_strategy"].choices)
    assert set(choices) == {"flat", "order_value", "weight", "per_parcel"}

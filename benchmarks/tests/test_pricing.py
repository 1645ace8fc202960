"""The pricing scenario's parts: zones, shipping methods, tax rates and promotions made
through the services, the destinations the shoppers ship to, the command, the options
and the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from benchhost import checks, pricing
from commerce.catalog.models import Variant
from commerce.conf import commerce_settings
from commerce.pricing.models import ShippingMethod, TaxRate, Zone, ZoneMember
from commerce.promotions.models import Promotion, PromotionTarget, VoucherCode
from commerce.promotions.rules import rule_ids

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the bulk seeder generates rows in PostgreSQL; set DATABASE_URL to a PostgreSQL",
    ),
]

#: The pricing run the docs publish.
PUBLISHED_PRICING = (
    Path(__file__).resolve().parent.parent / "results" / "published-pricing" / "results.json"
)


def test_the_pricing_configuration_is_made_once(seeded):
    assert pricing.seed_pricing() == {"zones": 50, "shipping_methods": 20, "tax_rates": 37}
    assert pricing.seed_pricing() == {"zones": 50, "shipping_methods": 20, "tax_rates": 37}
    zones = Zone.objects.filter(name__startswith=pricing.ZONE_PREFIX)
    members = ZoneMember.objects.filter(zone__in=zones)
    # Members by country, by region and by postal-code pattern, and an exclusion.
    assert members.filter(region="", postal_code_pattern="").count() == 40
    assert members.exclude(region="").count() == 15
    assert members.exclude(postal_code_pattern="").filter(exclude=False).count() == 15
    assert members.filter(exclude=True).count() == 1
    methods = ShippingMethod.objects.filter(code__startswith=pricing.METHOD_PREFIX)
    assert {m.currency for m in methods} == {commerce_settings.DEFAULT_CURRENCY}
    strategies = sorted(methods.values_list("rate_strategy", flat=True))
    assert {name: strategies.count(name) for name in set(strategies)} == {
        "flat": 7,
        "order_value": 7,
        "weight": 6,
    }
    assert len({m.zone_id for m in methods}) == 17
    assert all(m.bands.exists() for m in methods.exclude(rate_strategy="flat"))
    assert TaxRate.objects.filter(zone__in=zones).count() == 37


def cart_token(client: Client, variants) -> str:
    token = None
    for variant in variants:
        headers = {"HTTP_X_CART_TOKEN": token} if token else {}
        response = client.post(
            "/api/v1/cart/lines/",
            {"variant": str(variant.pk), "quantity": 1},
            content_type="application/json",
            **headers,
        )
        assert response.status_code == 201, response.json()
        token = response.headers.get("X-Cart-Token", token)
    return token


def test_each_destination_is_served_by_its_method_and_checks_out(seeded):
    pricing.seed_pricing()
    destinations = pricing.destinations()
    assert len(destinations) == len(pricing.ADDRESSES)
    assert len({d["method"] for d in destinations}) >= 6
    client = Client(HTTP_HOST="127.0.0.1")
    variants = list(
        Variant.objects.filter(
            price_currency=commerce_settings.DEFAULT_CURRENCY, stock__quantity__gte=5
        )[:3]
    )
    taxed = 0
    for destination in destinations:
        token = cart_token(client, variants)
        place = {k: destination[k] for k in ("country", "region", "postal_code")}
        body = client.get("/api/v1/cart/", place, HTTP_X_CART_TOKEN=token).json()
        assert destination["method"] in [m["code"] for m in body["shipping_methods"]], place
        taxed += body["tax_total"]["amount"] != "0.00"
        response = client.post(
            "/api/v1/checkout/",
            {
                "email": "buyer@example.com",
                "shipping_address": {"full_name": "B", "line1": "1 Road", "city": "C", **place},
                "shipping_method": destination["method"],
            },
            content_type="application/json",
            HTTP_X_CART_TOKEN=token,
        )
        assert response.status_code == 201, (place, response.json())
    assert taxed == len(destinations)
    assert checks.catalog_problems() == []


def test_promotions_are_topped_up_through_the_services(seeded):
    assert Promotion.objects.exists()  # the demo's
    assert pricing.set_promotions(0) == 0
    assert not Promotion.objects.exists()
    assert pricing.set_promotions(100) == 100
    running = Promotion.objects.filter(is_active=True, name__startswith=pricing.PROMOTION_PREFIX)
    assert running.count() == Promotion.objects.count() == 100
    lanes = sorted(running.values_list("lane", flat=True))
    assert {lane: lanes.count(lane) for lane in set(lanes)} == {"catalog": 95, "order": 5}
    assert VoucherCode.objects.count() == running.filter(requires_code=True).count() == 1
    # The target rows are what sync_targets derives from each benefit's target.
    for promotion in running.select_related("benefit"):
        rows = {
            (kind, str(object_id))
            for kind, object_id in PromotionTarget.objects.filter(promotion=promotion).values_list(
                "kind", "object_id"
            )
        }
        ids = rule_ids(promotion.benefit.target)
        assert rows == {(kind, value) for kind, values in ids.items() for value in values}
    assert pricing.set_promotions(150) == 50
    assert Promotion.objects.count() == 150
    with pytest.raises(ValueError, match="150 bench promotions exist"):
        pricing.set_promotions(100)


def test_the_command_writes_the_scenario_data(seeded, tmp_path):
    out = tmp_path / "pricing.json"
    call_command("bench_pricing", str(out), promotions=20, stdout=open("/dev/null", "w"))  # noqa: SIM115
    data = json.loads(out.read_text())
    assert data["zones"] == 50
    assert data["shipping_methods"] == 20
    assert data["promotions"] == data["promotions_created"] == 20
    assert data["promotion_targets"] == PromotionTarget.objects.count() > 0
    assert data["destinations"] == pricing.destinations()


def test_pricing_is_opt_in():
    from run import ALL_SCENARIOS, parse_args

    assert "pricing" not in parse_args([]).scenarios
    args = parse_args(["--scenarios", "pricing", "--promotion-counts", "0,10"])
    assert (args.scenarios, args.promotion_counts) == (["pricing"], [0, 10])
    assert set(ALL_SCENARIOS) <= set(parse_args([]).scenarios)
    with pytest.raises(SystemExit):
        parse_args(["--scenarios", "pricing", "--promotion-counts", "100,0"])


def test_the_report_renders_the_published_pricing_run(tmp_path):
    from report import PRICING_TARGET, pricing_rows, write_report

    results = tmp_path / "results.json"
    results.write_text(PUBLISHED_PRICING.read_text())
    found = json.loads(results.read_text())
    markdown = write_report(results).read_text()
    rows = pricing_rows(found)
    counts = sorted(found["pricing"]["counts"], key=int)
    assert [row["promotions"] for row in rows[: len(counts)]] == [int(c) for c in counts]
    for row in rows:
        base = next(
            r for r in rows if r["label"] == row["label"] and r["promotions"] == int(counts[0])
        )
        assert row["ratio"] == pytest.approx(row["rps"] / base["rps"])
        targeted = row["promotions"] != int(counts[0]) and not row["label"].startswith(" ")
        assert row["target"] == (PRICING_TARGET if targeted else None)
        assert row["errors"] == 0
    assert "## Pricing: promotions, zones, shipping methods" in markdown
    text = (tmp_path / "tables.rst.inc").read_text()
    table = text.split(".. list-table:: Pricing")[1]
    widths = {row.count("\n     -") + 1 for row in table.split("   * - ")[1:]}
    assert widths == {11}
    assert "50 zones, 20 shipping methods" in text

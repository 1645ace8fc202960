"""The pricing scenario's configuration: 50 zones, 20 shipping methods, tax rates, and
0 to 1,000 active promotions, all written through commerce's own services.

:func:`seed_pricing` makes the zones (members by country, by region and by postal
code pattern, some with exclusions), the shipping methods (flat, by order value and
by weight, in the bench currency, spread over the zones) and the tax rates, once.
:func:`set_promotions` then makes the number of active bench promotions the one
asked for, adding what is missing; the mix is a shop's: most target a few products,
some a category or a brand, some are order-wide above a spend, a few need a code.
:func:`destinations` lists addresses inside the zones, each with a shipping method
that serves it, for the load generator.

Zones, methods and rates are derived from their index; each promotion from its
number, its products drawn from a generator seeded by the count that was there
before, so the same steps (0, then 100, then 1,000) make the same promotions.
"""

from __future__ import annotations

import random
from decimal import Decimal

from django.db import transaction
from djmoney.money import Money

from commerce.catalog.models import Brand, Category, Product
from commerce.conf import commerce_settings
from commerce.pricing import services as pricing
from commerce.pricing.models import ShippingMethod, TaxRate, Zone
from commerce.pricing.types import Destination
from commerce.pricing.zones import match_zones
from commerce.promotions import services as promotions
from commerce.promotions.models import Promotion

ZONE_PREFIX = "Bench zone "
METHOD_PREFIX = "bench-"
PROMOTION_PREFIX = "Bench promotion "
CODE_PREFIX = "BENCH"

#: Two countries to a zone: 20 country zones.
COUNTRIES = [
    "US", "CA", "AU", "NZ", "JP", "BR", "MX", "ZA", "KE", "GH",
    "IN", "SG", "SE", "NO", "DK", "FI", "PL", "PT", "AT", "BE",
    "CH", "CZ", "GR", "HU", "RO", "TR", "AE", "SA", "EG", "MA",
    "AR", "CL", "CO", "PE", "KR", "TW", "TH", "MY", "PH", "VN",
]  # fmt: skip
#: 15 region zones: US states.
REGIONS = ["CA", "NY", "TX", "FL", "WA", "IL", "PA", "OH", "GA", "NC", "MI", "NJ", "VA", "AZ", "MA"]
#: 15 postal zones: US codes by first digit (the western one without its 96 block),
#: and Australian ranges.
POSTAL = [("US", f"{digit}*") for digit in range(10)] + [
    ("AU", f"{low}000..{low}999") for low in range(2, 7)
]
ZONE_COUNT = len(COUNTRIES) // 2 + len(REGIONS) + len(POSTAL)
#: (zone index, strategy) of each of the 20 methods: flat on country zones, by order
#: value on region zones, by weight on postal zones; a few zones have two.
METHODS = (
    [(index, "flat") for index in (0, 1, 2, 3, 4, 5, 0)]
    + [(20 + index, "order_value") for index in (0, 1, 2, 3, 4, 5, 1)]
    + [(35 + index, "weight") for index in (0, 1, 9, 10, 11, 0)]
)
#: Addresses the shoppers ship to: (country, region, postal code), one per kind of zone.
ADDRESSES = [
    ("US", "CA", "94105"),  # postal zone 9* (weight), over region CA and country US
    ("US", "NY", "10001"),  # postal zone 1* (weight)
    ("US", "TX", "88510"),  # postal zone 8*, no method: region TX (order value)
    ("US", "CA", "96801"),  # excluded from 9*: region CA (order value)
    ("AU", "NSW", "2000"),  # postal range 2000..2999 (weight)
    ("AU", "VIC", "3000"),  # postal range 3000..3999 (weight)
    ("CA", "ON", "M5V 2T6"),  # country zone US/CA (flat)
    ("JP", "", "100-0001"),  # country zone JP/BR (flat)
    ("ZA", "", "8001"),  # country zone MX/ZA (flat)
    ("GH", "", "GA-184"),  # country zone KE/GH (flat)
]


def _money(amount: str, currency: str) -> Money:
    return Money(Decimal(amount), currency)


def _zone_specs() -> list[tuple[str, list[dict]]]:
    specs = []
    for index in range(0, len(COUNTRIES), 2):
        pair = COUNTRIES[index : index + 2]
        specs.append((f"countries {'/'.join(pair)}", [{"country": c} for c in pair]))
    for region in REGIONS:
        specs.append((f"US state {region}", [{"country": "US", "region": region}]))
    for country, pattern in POSTAL:
        members = [{"country": country, "postal_code_pattern": pattern}]
        if pattern == "9*":
            members.append({"country": country, "postal_code_pattern": "96*", "exclude": True})
        specs.append((f"{country} postal {pattern}", members))
    return specs


@transaction.atomic
def seed_pricing() -> dict[str, int]:
    """Create the bench zones, shipping methods and tax rates unless they exist; return
    how many of each the database holds."""
    if not Zone.objects.filter(name__startswith=ZONE_PREFIX).exists():
        currency = commerce_settings.DEFAULT_CURRENCY
        zones = [
            pricing.create_zone(name=f"{ZONE_PREFIX}{index:02d}: {label}", members=members)
            for index, (label, members) in enumerate(_zone_specs())
        ]
        for number, (index, strategy) in enumerate(METHODS):
            fields = {
                "zone": zones[index],
                "name": f"Bench {strategy.replace('_', ' ')} {number:02d}",
                "code": f"{METHOD_PREFIX}{number:02d}",
                "currency": currency,
                "rate_strategy": strategy,
                "position": number,
            }
            bands = []
            if strategy == "flat":
                fields["price"] = _money(f"{4 + number % 5}.90", currency)
                fields["free_over"] = _money("250.00", currency)
            elif strategy == "order_value":
                bands = [
                    {"lower_bound": bound, "price": _money(price, currency)}
                    for bound, price in ((0, "9.00"), (5000, "6.00"), (15000, "0.00"))
                ]
            else:
                bands = [
                    {"lower_bound": grams, "price": _money(price, currency)}
                    for grams, price in ((0, "5.50"), (1000, "8.50"), (5000, "14.00"))
                ]
            pricing.create_shipping_method(bands=bands, **fields)
        # Country zones charge a VAT-like rate, region zones a state sales tax, and
        # two postal zones a local tax on top of nothing (they take precedence).
        for index, zone in enumerate(zones):
            if index < 20:
                pricing.create_tax_rate(zone=zone, name="VAT", rate=Decimal(15 + index % 10))
            elif index < 35:
                pricing.create_tax_rate(
                    zone=zone, name="Sales tax", rate=Decimal(f"{4 + index % 5}.25")
                )
            elif index in (35, 44):
                pricing.create_tax_rate(zone=zone, name="Local tax", rate=Decimal("8.875"))
    return {
        "zones": Zone.objects.filter(name__startswith=ZONE_PREFIX).count(),
        "shipping_methods": ShippingMethod.objects.filter(code__startswith=METHOD_PREFIX).count(),
        "tax_rates": TaxRate.objects.filter(zone__name__startswith=ZONE_PREFIX).count(),
    }


def destinations() -> list[dict[str, str]]:
    """:data:`ADDRESSES` with the code of a bench method their best zone offers."""
    currency = commerce_settings.DEFAULT_CURRENCY
    found = []
    for country, region, postal_code in ADDRESSES:
        zones = match_zones(Destination(country, region, postal_code))
        methods = ShippingMethod.objects.filter(
            code__startswith=METHOD_PREFIX, currency=currency, is_active=True
        )
        by_zone = {}
        for method in methods.order_by("position"):
            by_zone.setdefault(method.zone_id, method.code)
        code = next((by_zone[zone.pk] for zone in zones if zone.pk in by_zone), None)
        if code is None:
            raise ValueError(f"No bench shipping method serves {country} {postal_code}.")
        found.append(
            {"country": country, "region": region, "postal_code": postal_code, "method": code}
        )
    return found


def _spec(number: int, rng: random.Random, catalog: dict[str, list[str]], currency: str) -> dict:
    """Bench promotion ``number``'s fields, as :func:`create_promotion` takes them.

    Of every 100: 85 take 10 to 30 % off one to three products; 5 take a share off a
    category (a leaf of the demo tree); 5 an amount off a brand; 4 are order-wide
    above a spend of 150.00 to 300.00; 1 needs its voucher code.
    """
    kind = number % 100
    spec: dict = {
        "name": f"{PROMOTION_PREFIX}{number:04d}",
        "priority": number % 5,
        "combinable": number % 7 == 0,
    }
    percent_off = {"kind": "percentage_off", "percent": Decimal(10 + number % 3 * 10)}
    if kind < 85:
        products = rng.sample(catalog["products"], k=1 + number % 3)
        spec["benefit"] = {**percent_off, "target": {"products": products}}
    elif kind < 90:
        category = catalog["categories"][number % len(catalog["categories"])]
        spec["benefit"] = {**percent_off, "target": {"categories": [category]}}
    elif kind < 95:
        brand = catalog["brands"][number % len(catalog["brands"])]
        spec["currency"] = currency
        spec["benefit"] = {
            "kind": "amount_off",
            "amount": _money("2.00", currency),
            "target": {"brands": [brand]},
        }
    elif kind < 99:
        spec.update(lane="order", currency=currency)
        spec["condition"] = {"min_subtotal": 15000 + number % 4 * 5000}
        spec["benefit"] = {
            "kind": "amount_off",
            "amount": _money("10.00", currency),
            "allocation": "across",
        }
    else:
        spec.update(lane="order", requires_code=True)
        spec["benefit"] = {"kind": "percentage_off", "percent": Decimal(5)}
        spec["codes"] = [f"{CODE_PREFIX}{number:04d}"]
    return spec


def _catalog() -> dict[str, list[str]]:
    leaves = Category.objects.filter(numchild=0).order_by("path")
    return {
        "products": [
            str(pk) for pk in Product.objects.order_by("created_at").values_list("pk", flat=True)
        ],
        "categories": [str(pk) for pk in leaves.values_list("pk", flat=True)],
        "brands": [str(pk) for pk in Brand.objects.order_by("slug").values_list("pk", flat=True)],
    }


def set_promotions(count: int) -> int:
    """Make bench promotions 1 to ``count`` exist and run, through the services, and no
    other promotion: the demo's are deleted. Returns how many it created.

    The numbers only grow within a database (promotions that checkouts redeemed
    cannot be deleted): asking for fewer than exist is an error.
    """
    existing = Promotion.objects.filter(name__startswith=PROMOTION_PREFIX).count()
    if count < existing:
        raise ValueError(f"{existing} bench promotions exist already; make a new database.")
    for other in Promotion.objects.exclude(name__startswith=PROMOTION_PREFIX):
        promotions.delete_promotion(other)
    if count == existing:
        return 0
    currency = commerce_settings.DEFAULT_CURRENCY
    catalog = _catalog()
    rng = random.Random(f"commerce-bench-promotions-{existing}")
    for number in range(existing + 1, count + 1):
        promotions.create_promotion(**_spec(number, rng, catalog, currency))
    return count - existing


def loaded_per_cart(carts: int = 200, lines: int = 3, seed: int = 0) -> dict[str, float]:
    """How many promotions the engine loads for a cart of ``lines`` random bench
    products, over ``carts`` such carts: the mean and the most (the pre-filter's
    query, :func:`commerce.promotions.discounts._candidates`, run as the pipeline
    runs it)."""
    from types import SimpleNamespace

    from django.utils import timezone

    from commerce.promotions.discounts import _candidates, line_facts

    rng = random.Random(f"commerce-bench-carts-{seed}")
    products = list(
        Product.objects.filter(price_currency=commerce_settings.DEFAULT_CURRENCY)
        .select_related("category")
        .order_by("created_at")[:5000]
    )
    counts = []
    for _ in range(carts):
        chosen = rng.sample(products, min(lines, len(products)))
        context = SimpleNamespace(
            lines=[SimpleNamespace(key=str(n), product=p) for n, p in enumerate(chosen)],
            now=timezone.now(),
            currency=commerce_settings.DEFAULT_CURRENCY,
        )
        counts.append(_candidates(context, line_facts(context)).count())
    return {"mean": round(sum(counts) / len(counts), 1), "max": max(counts)}

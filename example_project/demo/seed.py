"""Demo data for the shop: users, verified vendors, a category tree, brands, products.

:func:`seed` is idempotent. Users, vendors, categories and brands are looked up
by email or slug and created through the catalog services only when missing.
Product ``i`` is generated from a random generator seeded with ``i``, so it
always has the same name, slug, variants and prices (SKUs ``DEMO-<i>-<n>``);
a product whose first SKU or slug exists is skipped, which makes a second run
a no-op and a run with a larger ``products`` add only the missing ones.

Products are written with ``bulk_create`` in chunks (one transaction each),
since the services' one-product-at-a-time path would take minutes for 10,000.
The rows are exactly what :func:`commerce.catalog.services.create_product`
(published) followed by :func:`~commerce.catalog.services.create_variant`
(with ``quantity``) write: each product's card columns (``price``, the lowest
active variant price, ``compare_at_price``, ``in_stock``) come from
:func:`~commerce.catalog.services.refresh_product_cards`, every variant has a
``StockRecord``, and every variant with initial stock has one "Initial stock"
adjustment ``StockMovement``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from djmoney.money import Money

from commerce.catalog import services
from commerce.catalog.models import (
    Brand,
    Category,
    Product,
    StockMovement,
    StockRecord,
    Variant,
    Vendor,
)
from commerce.conf import commerce_settings

DEMO_PASSWORD = "commerce-demo"
STAFF_EMAIL = "staff@example.com"
CUSTOMER_EMAIL = "customer@example.com"
DEFAULT_PRODUCTS = 60
CHUNK_SIZE = 500
SKU_PREFIX = "DEMO-"

#: (name, slug, description) of each vendor; its owner is ``<slug>@vendors.example.com``.
VENDORS = [
    ("Northwind Traders", "northwind", "Electronics and gadgets since 1998."),
    ("Acme Supplies", "acme", "Everything for home, kitchen and garden."),
    ("Globex Outfitters", "globex", "Clothing and outdoor gear."),
    ("Initech Books", "initech", "New and classic books."),
    ("Umbrella Sports", "umbrella", "Bikes, tents and the rest of the weekend."),
]

BRANDS = [
    "Aurora",
    "Boreal",
    "Cobalt",
    "Driftwood",
    "Ember",
    "Fjord",
    "Granite",
    "Halcyon",
    "Ironwood",
    "Juniper",
]

#: Option values a variant can take, by option name.
OPTIONS = {
    "colour": ["Black", "White", "Silver", "Blue", "Red", "Green"],
    "size": ["XS", "S", "M", "L", "XL"],
    "shoe size": ["38", "39", "40", "41", "42", "43", "44"],
    "storage": ["64 GB", "128 GB", "256 GB", "512 GB"],
    "format": ["Paperback", "Hardcover", "E-book"],
}

#: The category tree. A leaf is ``(name, nouns, option name, (min price, max price))``.
TREE = [
    (
        "Electronics",
        [
            (
                "Audio",
                [
                    ("Headphones", ["Headphones", "Earbuds", "Headset"], "colour", (29, 349)),
                    (
                        "Speakers",
                        ["Speaker", "Soundbar", "Bookshelf Speakers"],
                        "colour",
                        (39, 499),
                    ),
                ],
            ),
            (
                "Computers",
                [
                    ("Laptops", ["Laptop", "Ultrabook", "Notebook"], "storage", (499, 2499)),
                    ("Keyboards", ["Keyboard", "Mechanical Keyboard"], "colour", (25, 199)),
                ],
            ),
            ("Phones", ["Smartphone", "Phone"], "storage", (199, 1299)),
        ],
    ),
    (
        "Clothing",
        [
            (
                "Men",
                [
                    ("Shirts", ["Oxford Shirt", "Flannel Shirt", "T-Shirt"], "size", (15, 89)),
                    ("Jackets", ["Rain Jacket", "Down Jacket", "Fleece"], "size", (49, 329)),
                ],
            ),
            (
                "Women",
                [
                    ("Dresses", ["Wrap Dress", "Summer Dress", "Shift Dress"], "size", (29, 199)),
                    ("Shoes", ["Sneakers", "Boots", "Loafers"], "shoe size", (39, 249)),
                ],
            ),
        ],
    ),
    (
        "Home & Kitchen",
        [
            (
                "Kitchen",
                [
                    ("Cookware", ["Skillet", "Saucepan", "Dutch Oven"], "colour", (19, 299)),
                    (
                        "Coffee",
                        ["Grinder", "French Press", "Pour-over Kettle"],
                        "colour",
                        (15, 249),
                    ),
                ],
            ),
            ("Furniture", ["Desk", "Bookcase", "Armchair", "Side Table"], "colour", (59, 899)),
        ],
    ),
    (
        "Sports & Outdoors",
        [
            ("Camping", ["Tent", "Sleeping Bag", "Camp Stove"], "colour", (25, 599)),
            ("Cycling", ["Road Bike", "Helmet", "Bike Light"], "colour", (15, 1999)),
        ],
    ),
    (
        "Books",
        [
            ("Fiction", ["Novel", "Short Stories", "Thriller"], "format", (5, 35)),
            ("Non-fiction", ["History", "Cookbook", "Field Guide"], "format", (8, 49)),
        ],
    ),
]

ADJECTIVES = [
    "Classic",
    "Compact",
    "Deluxe",
    "Essential",
    "Everyday",
    "Lightweight",
    "Modern",
    "Pro",
    "Rugged",
    "Signature",
    "Sleek",
    "Studio",
    "Trail",
    "Ultra",
    "Vintage",
]

#: Currencies and their weights: mostly USD, some EUR and GBP for the currency filter.
CURRENCY_WEIGHTS = [("USD", 85), ("EUR", 10), ("GBP", 5)]

CENT = Decimal("0.01")


@dataclass
class Leaf:
    category: Category
    nouns: list[str]
    option: str
    price_range: tuple[int, int]


#: The demo's voucher code, printed with the credentials.
VOUCHER_CODE = "WELCOME10"

#: Where the demo ships: (zone, countries, VAT rate or None, methods). Every method is
#: offered in each demo currency, so a cart of any demo product can ship. The European
#: VAT is included in prices, as European shops show them.
ZONES = [
    (
        "Nigeria",
        ["NG"],
        None,
        [("standard", "Standard", "5.00", "50.00"), ("express", "Express", "12.00", None)],
    ),
    (
        "Europe",
        ["DE", "FR", "GB", "IE", "NL", "ES", "IT"],
        "20",
        [("eu-standard", "Standard (Europe)", "9.00", "100.00")],
    ),
]


@dataclass
class SeedResult:
    """What :func:`seed` found and made."""

    products_created: int = 0
    products_existing: int = 0
    variants_created: int = 0
    users_created: list[str] = field(default_factory=list)


def _product_rng(index: int) -> random.Random:
    # A string seed is hashed with SHA-512, so it is stable across runs and
    # Python versions (unlike hash()).
    return random.Random(f"commerce-demo-product-{index}")


def _price(rng: random.Random, low: int, high: int) -> Decimal:
    whole = rng.randint(low, high)
    return Decimal(whole) + rng.choice([Decimal("0.99"), Decimal("0.49"), Decimal("0.00")])


def _ensure_user(email: str, result: SeedResult, **extra) -> object:
    User = get_user_model()
    user = User._default_manager.filter(email__iexact=email).first()
    if user is None:
        if extra.get("is_superuser"):
            user = User._default_manager.create_superuser(email, DEMO_PASSWORD)
        else:
            user = User._default_manager.create_user(email, DEMO_PASSWORD, **extra)
        result.users_created.append(email)
    return user


def _ensure_categories(nodes, parent: Category | None = None) -> list[Leaf]:
    leaves: list[Leaf] = []
    for node in nodes:
        name, rest = node[0], node[1:]
        slug = slugify(name)
        category = Category.objects.filter(slug=slug).first()
        if category is None:
            category = services.create_category(name=name, slug=slug, parent=parent)
        if len(rest) == 1:
            leaves.extend(_ensure_categories(rest[0], parent=category))
        else:
            nouns, option, price_range = rest
            leaves.append(Leaf(category, nouns, option, price_range))
    return leaves


def _ensure_brands() -> list[Brand]:
    brands = []
    for name in BRANDS:
        slug = slugify(name)
        brand = Brand.objects.filter(slug=slug).first()
        brands.append(brand or services.create_brand(name=name, slug=slug))
    return brands


def _ensure_shipping_and_tax() -> None:
    """Two zones with shipping methods in every demo currency, and a VAT rate."""
    from commerce.pricing.models import ShippingMethod, TaxRate, Zone, ZoneMember

    for name, countries, vat, methods in ZONES:
        zone, created = Zone.objects.get_or_create(name=name)
        if created:
            for country in countries:
                ZoneMember.objects.create(zone=zone, country=country)
        if vat and not TaxRate.objects.filter(zone=zone).exists():
            TaxRate.objects.create(
                zone=zone, name="VAT", rate=Decimal(vat), prices_include_tax=True
            )
        for position, (code, title, price, free_over) in enumerate(methods):
            for currency, _ in CURRENCY_WEIGHTS:
                full_code = code if currency == "USD" else f"{code}-{currency.lower()}"
                ShippingMethod.objects.get_or_create(
                    code=full_code,
                    defaults={
                        "zone": zone,
                        "name": title,
                        "currency": currency,
                        "rate_strategy": "flat",
                        "price": Money(Decimal(price), currency),
                        "free_over": Money(Decimal(free_over), currency) if free_over else None,
                        "position": position,
                    },
                )


def _ensure_promotions(leaves: list[Leaf]) -> None:
    """A catalog sale, an order discount over a minimum spend, and a voucher."""
    from commerce.promotions import services as promotions
    from commerce.promotions.models import Promotion

    clothing = Category.objects.filter(slug="clothing").first()
    wanted = [
        {
            "name": "Spring sale: 15% off clothing",
            "lane": "catalog",
            "benefit": {
                "kind": "percentage_off",
                "percent": Decimal(15),
                "target": {"categories": [str(clothing.pk)]} if clothing else None,
            },
        },
        {
            "name": "5.00 off orders of 60.00 or more",
            "lane": "order",
            "currency": "USD",
            "condition": {"min_subtotal": 6000},
            "benefit": {
                "kind": "amount_off",
                "amount": Money(Decimal("5.00"), "USD"),
                "allocation": "across",
            },
        },
        {
            "name": "Welcome: 10% off your order",
            "lane": "order",
            "requires_code": True,
            "benefit": {"kind": "percentage_off", "percent": Decimal(10)},
            "codes": [{"code": VOUCHER_CODE, "max_uses": 1000}],
        },
    ]
    for spec in wanted:
        if not Promotion.objects.filter(name=spec["name"]).exists():
            promotions.create_promotion(**spec)


def _ensure_vendors(staff, result: SeedResult) -> list[Vendor]:
    vendors = []
    for name, slug, description in VENDORS:
        owner = _ensure_user(f"{slug}@vendors.example.com", result)
        vendor = Vendor.objects.filter(slug=slug).first()
        if vendor is None:
            vendor = services.create_vendor(
                name=name, slug=slug, description=description, owner=owner
            )
        vendors.append(services.verify_vendor(vendor, verified_by=staff))
    return vendors


@dataclass
class _ProductRows:
    product: Product
    variants: list[Variant]
    stock: list[StockRecord]
    movements: list[StockMovement]


def _build_product(
    index: int, *, leaves: list[Leaf], vendors: list[Vendor], brands: list[Brand], now
) -> _ProductRows:
    """The rows ``create_product`` + ``create_variant`` would write for product ``index``."""
    rng = _product_rng(index)
    leaf = rng.choice(leaves)
    noun = rng.choice(leaf.nouns)
    brand = rng.choice(brands) if rng.random() < 0.85 else None
    name = (
        f"{rng.choice(ADJECTIVES)} {noun} {rng.choice('ABCDEFGHKMRSTX')}{rng.randint(1, 99) * 10}"
    )
    if brand is not None:
        name = f"{brand.name} {name}"
    currency = rng.choices(
        [code for code, _ in CURRENCY_WEIGHTS], [weight for _, weight in CURRENCY_WEIGHTS]
    )[0]
    product = Product(
        vendor=rng.choice(vendors),
        category=leaf.category,
        brand=brand,
        name=name,
        slug=f"{slugify(name)}-{index}",
        description=(
            f"The {name}: a {noun.lower()} from the demo catalog's "
            f"{leaf.category.name.lower()} range, generated by seed_demo."
        ),
        status=Product.Status.PUBLISHED,
        is_featured=rng.random() < 0.08,
        published_at=now,
    )

    values = OPTIONS[leaf.option]
    chosen = sorted(rng.sample(values, k=min(rng.randint(1, 4), len(values))), key=values.index)
    base = _price(rng, *leaf.price_range)
    on_sale = rng.random() < 0.25
    threshold = commerce_settings.DEFAULT_LOW_STOCK_THRESHOLD
    variants, stock, movements = [], [], []
    for position, value in enumerate(chosen):
        amount = base + Decimal(position * rng.choice([0, 5, 10, 20]))
        price = Money(amount, currency)
        variant = Variant(
            product=product,
            sku=f"{SKU_PREFIX}{index:06d}-{position + 1}",
            name=value,
            options={leaf.option: value},
            price=price,
            compare_at_price=(
                Money((amount * Decimal("1.25")).quantize(CENT), currency) if on_sale else None
            ),
            cost_price=Money((amount * Decimal("0.6")).quantize(CENT), currency),
            is_active=True,
            position=position,
        )
        quantity = rng.choices([0, rng.randint(1, 5), rng.randint(6, 150)], [10, 15, 75])[0]
        record = StockRecord(variant=variant, quantity=quantity, low_stock_threshold=threshold)
        variants.append(variant)
        stock.append(record)
        if quantity:
            # create_variant(quantity=n) records its initial stock as one adjustment.
            movements.append(
                StockMovement(
                    stock_record=record,
                    kind=StockMovement.Kind.ADJUSTMENT,
                    quantity_change=quantity,
                    reserved_change=0,
                    quantity_after=quantity,
                    reserved_after=0,
                    reason="Initial stock",
                )
            )
    # The card columns (price, compare-at price, in stock) are written after the
    # rows, by the services' own refresh_product_cards.
    return _ProductRows(product, variants, stock, movements)


def _seeded_indexes() -> set[int]:
    """Indexes of the demo products already there: product ``i``'s first SKU is ``DEMO-i-1``."""
    skus = Variant.objects.filter(sku__startswith=SKU_PREFIX, sku__endswith="-1").values_list(
        "sku", flat=True
    )
    indexes = set()
    for sku in skus:
        number = sku[len(SKU_PREFIX) :].split("-")[0]
        if number.isdigit():
            indexes.add(int(number))
    return indexes


def _create_missing(
    indexes: list[int], *, leaves: list[Leaf], vendors: list[Vendor], brands: list[Brand]
) -> tuple[int, int]:
    """Create the products of ``indexes`` whose slug is not taken, in one transaction.

    Returns (products created, variants created).
    """
    now = timezone.now()
    rows = [
        _build_product(i, leaves=leaves, vendors=vendors, brands=brands, now=now) for i in indexes
    ]
    existing = set(
        Product.objects.filter(slug__in=[row.product.slug for row in rows]).values_list(
            "slug", flat=True
        )
    )
    rows = [row for row in rows if row.product.slug not in existing]
    if not rows:
        return 0, 0
    with transaction.atomic():
        Product.objects.bulk_create([row.product for row in rows])
        Variant.objects.bulk_create([v for row in rows for v in row.variants])
        StockRecord.objects.bulk_create([s for row in rows for s in row.stock])
        StockMovement.objects.bulk_create([m for row in rows for m in row.movements])
        services.refresh_product_cards(row.product.pk for row in rows)
    return len(rows), sum(len(row.variants) for row in rows)


def seed(
    products: int = DEFAULT_PRODUCTS,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> SeedResult:
    """Make sure the demo data exists, with at least ``products`` demo products.

    ``progress(done, total)`` is called after each chunk of products.
    """
    result = SeedResult()
    staff = _ensure_user(STAFF_EMAIL, result, is_superuser=True)
    _ensure_user(CUSTOMER_EMAIL, result, first_name="Casey", last_name="Customer")
    vendors = _ensure_vendors(staff, result)
    leaves = _ensure_categories(TREE)
    brands = _ensure_brands()
    _ensure_shipping_and_tax()
    _ensure_promotions(leaves)

    context = {"leaves": leaves, "vendors": vendors, "brands": brands}
    seeded = _seeded_indexes()
    missing = [i for i in range(1, products + 1) if i not in seeded]
    for start in range(0, len(missing), CHUNK_SIZE):
        created, variants = _create_missing(missing[start : start + CHUNK_SIZE], **context)
        result.products_created += created
        result.variants_created += variants
        if progress is not None:
            progress(min(start + CHUNK_SIZE, len(missing)), len(missing))
    result.products_existing = products - result.products_created
    return result

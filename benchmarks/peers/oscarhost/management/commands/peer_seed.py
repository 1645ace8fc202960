"""``manage.py peer_seed --products N``: the oscar side of the peer catalog.

N standalone, public products of one product class, spread over 20 root
categories, each with one stock record (one partner, a price in USD, 100,000
in stock), plus Nigeria as a shipping country for the checkout flow. Written
with ``bulk_create`` in a few statements. A database that already holds
exactly N products is left alone; any other count is wiped and seeded again.
"""

from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction
from oscar.core.loading import get_model

Category = get_model("catalogue", "Category")
Country = get_model("address", "Country")
Partner = get_model("partner", "Partner")
Product = get_model("catalogue", "Product")
ProductCategory = get_model("catalogue", "ProductCategory")
ProductClass = get_model("catalogue", "ProductClass")
StockRecord = get_model("partner", "StockRecord")

CATEGORIES = 20
STOCK = 100_000
ADJECTIVES = ["Classic", "Compact", "Modern", "Pro", "Sleek", "Studio", "Trail", "Ultra"]
NOUNS = ["Backpack", "Chair", "Headphones", "Jacket", "Kettle", "Lamp", "Sneakers", "Watch"]


def price(i: int) -> Decimal:
    """A stable price between 5.00 and 504.99 for product ``i``."""
    return Decimal(500 + (i * 7919) % 50_000) / 100


class Command(BaseCommand):
    help = "Seed the oscar peer catalog: N products, 20 categories, one stock record each."

    def add_arguments(self, parser):
        parser.add_argument("--products", type=int, default=2000)

    @transaction.atomic
    def handle(self, *args, products, **options):
        if Product.objects.count() == products:
            self.stdout.write(f"{products} products already seeded")
            return
        for model in (StockRecord, ProductCategory, Product, Category, Partner, ProductClass):
            model.objects.all().delete()
        Country.objects.update_or_create(
            iso_3166_1_a2="NG",
            defaults={
                "iso_3166_1_a3": "NGA",
                "iso_3166_1_numeric": "566",
                "printable_name": "Nigeria",
                "name": "Nigeria",
                "is_shipping_country": True,
            },
        )
        product_class = ProductClass.objects.create(
            name="Bench", slug="bench", requires_shipping=True, track_stock=True
        )
        partner = Partner.objects.create(name="Bench partner", code="bench")
        categories = [
            Category.add_root(name=f"Category {n + 1}", slug=f"category-{n + 1}")
            for n in range(CATEGORIES)
        ]
        rows = Product.objects.bulk_create(
            Product(
                structure=Product.STANDALONE,
                product_class=product_class,
                upc=f"PEER-{i}",
                title=f"{ADJECTIVES[i % len(ADJECTIVES)]} {NOUNS[i // 8 % len(NOUNS)]} {i}",
                slug=f"peer-product-{i}",
                is_public=True,
            )
            for i in range(products)
        )
        ProductCategory.objects.bulk_create(
            ProductCategory(product=product, category=categories[i % CATEGORIES])
            for i, product in enumerate(rows)
        )
        StockRecord.objects.bulk_create(
            StockRecord(
                product=product,
                partner=partner,
                partner_sku=product.upc,
                price_currency="USD",
                price=price(i),
                num_in_stock=STOCK,
            )
            for i, product in enumerate(rows)
        )
        self.stdout.write(f"seeded {products} products in {CATEGORIES} categories")

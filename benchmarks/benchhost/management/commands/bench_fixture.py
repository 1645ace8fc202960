"""``manage.py bench_fixture OUT``: what the load generator needs, as JSON.

Product slugs for the detail scenario, in-stock variants for cart and
checkout, filter values for the search scenario, and "hot" variants whose
stock is set (through the services) for the contention scenarios. With
``--payments``, the dummy payments waiting for their webhook instead.
"""

import json

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from djmoney.money import Money

from benchhost.seed import SKU_PREFIX
from commerce.catalog import services
from commerce.catalog.models import Variant
from commerce.conf import commerce_settings
from commerce.core.money import to_minor_units
from commerce.payments.models import Payment


class Command(BaseCommand):
    help = "Write the load generator's data (slugs, variants, hot variants, payments) as JSON."

    def add_arguments(self, parser):
        parser.add_argument("out")
        parser.add_argument("--products", type=int, default=2000, help="Product slugs to sample.")
        parser.add_argument("--variants", type=int, default=5000, help="Variants to sample.")
        parser.add_argument(
            "--hot",
            default="",
            metavar="NAME:VARIANTS:STOCK,...",
            help="Hot variant sets to prepare, e.g. 'c1:3:100000,sellout:1:50'.",
        )
        parser.add_argument(
            "--payments", action="store_true", help="List processing dummy payments instead."
        )

    def handle(self, *args, out, products, variants, hot, payments, **options):
        data = self._payments() if payments else self._catalog(products, variants, hot)
        with open(out, "w") as handle:
            json.dump(data, handle)
        self.stdout.write(
            f"Wrote {out}: "
            + ", ".join(f"{k} {v if isinstance(v, int) else len(v)}" for k, v in data.items())
        )

    def _payments(self) -> dict:
        rows = Payment.objects.filter(
            gateway="dummy", status=Payment.Status.PROCESSING, gateway_reference__gt=""
        ).values_list("gateway_reference", "amount", "amount_currency")
        return {
            "payments": [
                [reference, to_minor_units(Money(amount, currency)), currency]
                for reference, amount, currency in rows
            ]
        }

    def _catalog(self, products: int, variants: int, hot: str) -> dict:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT slug FROM commerce_catalog_product WHERE status = 'published' "
                "ORDER BY random() LIMIT %s",
                [products],
            )
            slugs = [row[0] for row in cursor.fetchall()]
            # Variants with plenty of stock, one per product, from bench products only,
            # all in the default currency: a cart holds one currency, as a shopper's does.
            cursor.execute(
                "SELECT DISTINCT ON (v.product_id) v.id::text, v.product_id FROM "
                "commerce_catalog_variant v JOIN commerce_catalog_stockrecord s "
                "ON s.variant_id = v.id WHERE v.sku LIKE %s AND s.quantity - s.reserved >= 20 "
                "AND v.price_currency = %s ORDER BY v.product_id, random() LIMIT %s",
                [f"{SKU_PREFIX}%", commerce_settings.DEFAULT_CURRENCY, variants * 3],
            )
            candidates = cursor.fetchall()
            cursor.execute("SELECT slug FROM commerce_catalog_category ORDER BY path")
            categories = [row[0] for row in cursor.fetchall()]
            cursor.execute("SELECT slug FROM commerce_catalog_brand ORDER BY slug")
            brands = [row[0] for row in cursor.fetchall()]
        if not candidates:
            raise CommandError("No variant with stock: seed the catalog first.")
        # The hot sets come from products the ordinary pool does not use.
        hot_sets = {}
        used = 0
        for spec in filter(None, hot.split(",")):
            name, count, stock = spec.split(":")
            chosen = candidates[used : used + int(count)]
            used += int(count)
            if len(chosen) < int(count):
                raise CommandError(f"Not enough variants for the hot set {name!r}.")
            for variant in Variant.objects.filter(pk__in=[pk for pk, _ in chosen]):
                services.set_stock(variant, int(stock), reason="Benchmark: hot variant stock")
            hot_sets[name] = [pk for pk, _ in chosen]
        pool = [pk for pk, _ in candidates[used : used + variants]]
        return {
            "products": slugs,
            "variants": pool,
            "categories": categories,
            "brands": brands,
            "hot": hot_sets,
            # The bigcart scenario fills a cart to the shop's own limit.
            "cart_max_lines": commerce_settings.CART_MAX_LINES,
        }

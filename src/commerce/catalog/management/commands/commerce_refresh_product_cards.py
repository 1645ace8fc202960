"""Rewrite every product's card columns from its variants, stock and images."""

from django.core.management.base import BaseCommand

from commerce.catalog.models import Product
from commerce.catalog.services import refresh_product_cards
from commerce.core.batching import batches


class Command(BaseCommand):
    help = (
        "Rewrite each product's from price, compare-at price, in-stock flag and primary image "
        "from its rows: after writing catalog rows without the services (a bulk import in "
        "SQL), or when commerce_check_invariants reports catalog.product_card."
    )

    def handle(self, *args, **options):
        ids = Product.objects.order_by("pk").values_list("pk", flat=True)
        # One transaction a batch, so a large catalog never holds every product's lock.
        rewritten = sum(refresh_product_cards(batch) for batch in batches(ids.iterator()))
        self.stdout.write(f"Rewrote the cards of {rewritten} product(s).")

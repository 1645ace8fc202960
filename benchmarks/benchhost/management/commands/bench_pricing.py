"""``manage.py bench_pricing OUT --promotions N``: the pricing scenario's configuration.

Creates the bench zones, shipping methods and tax rates (once), makes N bench
promotions run (and no other), and writes what the load generator needs (the
destinations, each with a shipping method serving it) as JSON.
"""

import json

from django.core.management.base import BaseCommand, CommandError

from benchhost import pricing
from commerce.promotions.models import Promotion, PromotionTarget


class Command(BaseCommand):
    help = (
        "Create the bench zones, shipping methods and tax rates, make N bench promotions "
        "active, and write the destinations the pricing scenario ships to as JSON."
    )

    def add_arguments(self, parser):
        parser.add_argument("out")
        parser.add_argument("--promotions", type=int, required=True, metavar="N")

    def handle(self, *args, out, promotions, **options):
        if promotions < 0:
            raise CommandError("--promotions must be 0 or more.")
        configured = pricing.seed_pricing()
        try:
            created = pricing.set_promotions(promotions)
        except ValueError as error:
            raise CommandError(str(error)) from error
        running = Promotion.objects.filter(is_active=True)
        data = {
            **configured,
            "promotions": running.count(),
            "promotion_targets": PromotionTarget.objects.count(),
            "promotions_created": created,
            "loaded_per_cart": pricing.loaded_per_cart(),
            "destinations": pricing.destinations(),
        }
        with open(out, "w") as handle:
            json.dump(data, handle)
        self.stdout.write(json.dumps({k: v for k, v in data.items() if k != "destinations"}))

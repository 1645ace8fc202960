"""Cancel pending orders whose stock reservation expired, releasing the stock."""

from django.core.management.base import BaseCommand

from commerce.orders.services import expire_orders


class Command(BaseCommand):
    help = (
        "Cancel pending orders older than COMMERCE['RESERVATION_TTL'] and release their stock. "
        "Safe to run from cron, and twice at once."
    )

    def handle(self, *args, **options):
        cancelled = expire_orders()
        self.stdout.write(f"Cancelled {cancelled} expired order(s).")

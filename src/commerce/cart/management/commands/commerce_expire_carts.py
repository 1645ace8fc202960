"""Delete abandoned anonymous carts and expired idempotency keys."""

from django.core.management.base import BaseCommand

from commerce.cart.services import delete_expired_carts
from commerce.core.idempotency import delete_expired_keys


class Command(BaseCommand):
    help = (
        "Delete anonymous carts untouched for COMMERCE['CART_TTL'] seconds, and idempotency "
        "keys older than COMMERCE['IDEMPOTENCY_KEY_TTL']."
    )

    def handle(self, *args, **options):
        carts = delete_expired_carts()
        keys = delete_expired_keys()
        self.stdout.write(f"Deleted {carts} expired cart(s) and {keys} idempotency key(s).")

"""``manage.py bench_statement_costs``: what PostgreSQL plans for the largest checkout.

Fills a cart to ``CART_MAX_LINES`` with distinct bench variants, checks it out
and marks the order paid (reserve, order lines, commit), all inside one
transaction that is rolled back, so nothing stays. Then asks PostgreSQL to
``EXPLAIN`` every statement that checkout and payment sent, and prints one
line of JSON: how many statements, the longest one's length, the highest
planned cost, and the server's JIT threshold (``jit_above_cost``). PostgreSQL
compiles a statement with JIT only when its planned cost passes that
threshold; a statement far under it cannot fall into JIT compilation however
the cart grows.
"""

import json

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from benchhost.seed import SKU_PREFIX
from commerce.cart import services as cart_services
from commerce.conf import commerce_settings
from commerce.orders import services as order_services

ADDRESS = {
    "full_name": "Bench Planner",
    "line1": "1 Loop Road",
    "city": "Lagos",
    "postal_code": "100001",
    "country": "NG",
}
#: The shipping method seed_demo offers in Nigeria, in USD (the bench's default currency).
SHIPPING_METHOD = "standard"
#: Statements that are not plannable queries.
UNPLANNED = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK", "BEGIN", "COMMIT", "SET ")


class Rollback(Exception):
    """Raised to undo the checkout once its statements are planned."""


class Command(BaseCommand):
    help = "Plan every statement of the largest checkout (rolled back) against the JIT threshold."

    def handle(self, *args, **options):
        lines = commerce_settings.CART_MAX_LINES
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT v.id FROM commerce_catalog_variant v JOIN commerce_catalog_stockrecord s "
                "ON s.variant_id = v.id JOIN commerce_catalog_product p ON p.id = v.product_id "
                "WHERE v.sku LIKE %s AND v.is_active AND p.status = 'published' "
                "AND s.quantity - s.reserved >= 1 AND v.price_currency = %s LIMIT %s",
                [f"{SKU_PREFIX}%", commerce_settings.DEFAULT_CURRENCY, lines],
            )
            variants = [row[0] for row in cursor.fetchall()]
            cursor.execute("SHOW jit")
            (jit,) = cursor.fetchone()
            cursor.execute("SHOW jit_above_cost")
            (jit_above_cost,) = cursor.fetchone()
        if len(variants) < lines:
            raise CommandError(f"Only {len(variants)} variants in stock; {lines} needed.")
        found = {}
        try:
            with transaction.atomic():
                cart, _ = cart_services.create_anonymous_cart()
                for variant in variants:
                    cart = cart_services.add_line(cart, variant_id=variant, quantity=1)
                with CaptureQueriesContext(connection) as queries:
                    placed = order_services.place_order(
                        cart=cart,
                        shipping_address=ADDRESS,
                        email="planner@example.com",
                        # seed_demo's method for Nigeria in the default currency.
                        shipping_method=SHIPPING_METHOD,
                    )
                    order_services.mark_order_paid(placed.order)
                statements = [
                    query["sql"]
                    for query in queries.captured_queries
                    if not query["sql"].startswith(UNPLANNED)
                ]
                costs = []
                with connection.cursor() as cursor:
                    for sql in statements:
                        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
                        (plan,) = cursor.fetchone()
                        plan = json.loads(plan) if isinstance(plan, str) else plan
                        costs.append(plan[0]["Plan"]["Total Cost"])
                found = {
                    "lines": lines,
                    "statements": len(statements),
                    "longest_statement_chars": max(len(sql) for sql in statements),
                    "highest_planned_cost": max(costs),
                    "jit": jit,
                    "jit_above_cost": float(jit_above_cost),
                }
                raise Rollback
        except Rollback:
            pass
        self.stdout.write(json.dumps(found))

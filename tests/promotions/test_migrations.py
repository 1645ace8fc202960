"""The promotions' data migrations, run forwards and back on rows of the old shape."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("commerce_promotions", "0001_promotions")]
AFTER = [("commerce_promotions", "0002_uses_counted_with_max")]


def test_uses_are_zeroed_without_maximum_uses_and_counted_again_going_back():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE).apps
        Promotion = old.get_model("commerce_promotions", "Promotion")
        Redemption = old.get_model("commerce_promotions", "Redemption")
        unlimited = Promotion.objects.create(name="Broad", uses=2)
        limited = Promotion.objects.create(name="Ten", max_uses=10, uses=1)
        for n, promotion in enumerate([unlimited, unlimited, limited]):
            Redemption.objects.create(
                promotion=promotion, order_reference=f"O-{n}", amount=1, amount_currency="USD"
            )

        executor.loader.build_graph()
        executor.migrate(AFTER)
        uses = dict(Promotion.objects.values_list("name", "uses"))
        assert uses == {"Broad": 0, "Ten": 1}

        executor.loader.build_graph()
        executor.migrate(BEFORE)
        uses = dict(Promotion.objects.values_list("name", "uses"))
        assert uses == {"Broad": 2, "Ten": 1}
    finally:
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

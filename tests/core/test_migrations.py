"""Migrations do not depend on the installed Babel, py-moneyed or the active language.

django-money's default currency choices carry every currency's *name*, which Babel
renames between releases ("Kyrgystani Som" became "Kyrgyz Som"); migrations that froze
them made ``makemigrations --check`` fail on a machine with a newer Babel and wrote
migrations into the installed package of every host that ran ``makemigrations``.
"""

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.utils import translation
from djmoney.models.fields import CurrencyField, MoneyField
from moneyed import CURRENCIES

from commerce.core.money import currency_choices, is_known_currency

pytestmark = pytest.mark.django_db

COMMERCE_APPS = [
    config.label for config in apps.get_app_configs() if config.name.startswith("commerce.")
]


def _makemigrations_check() -> str:
    out = StringIO()
    try:
        call_command("makemigrations", *COMMERCE_APPS, check=True, dry_run=True, stdout=out)
    except SystemExit:
        pytest.fail(f"makemigrations found changes:\n{out.getvalue()}")
    return out.getvalue()


def test_makemigrations_finds_no_changes():
    assert "No changes detected" in _makemigrations_check()


def test_renamed_currencies_and_another_language_create_no_migration(monkeypatch):
    for code, currency in CURRENCIES.items():
        monkeypatch.setattr(currency, "name", f"Renamed {code}")
    with translation.override("fr"):
        assert "No changes detected" in _makemigrations_check()


def test_migration_state_holds_no_currency_names():
    """Every money column's choices in the migrated state are the callable, never a list."""
    state = MigrationLoader(connection, ignore_no_migrations=True).project_state()
    currency_columns = 0
    for (app_label, _model), model_state in state.models.items():
        if app_label not in COMMERCE_APPS:
            continue
        for name, field in model_state.fields.items():
            if isinstance(field, MoneyField | CurrencyField):
                currency_columns += isinstance(field, CurrencyField)
                options = field.deconstruct()[3]
                choices = options.get("currency_choices", options.get("choices"))
                assert choices is currency_choices, f"{app_label}.{_model}.{name}: {choices!r}"
    assert currency_columns >= 4  # the catalog alone has four


def test_currency_choices_are_codes_only():
    choices = currency_choices()
    assert all(code == label for code, label in choices)
    assert {code for code, _ in choices} == {code for code in CURRENCIES if is_known_currency(code)}


@pytest.mark.django_db(transaction=True)  # SQLite's schema editor refuses a test transaction
def test_the_currency_migrations_change_no_schema():
    """Moving existing installs over is a state-only change: no SQL runs."""
    for app_label, migration in [
        ("commerce_cart", "0002"),
        ("commerce_catalog", "0003"),
        ("commerce_orders", "0002"),
        ("commerce_payments", "0003"),
    ]:
        if app_label not in COMMERCE_APPS:
            continue
        out = StringIO()
        call_command("sqlmigrate", app_label, migration, stdout=out)
        statements = [
            line
            for line in out.getvalue().splitlines()
            if line.strip() and not line.startswith("--") and line not in {"BEGIN;", "COMMIT;"}
        ]
        assert statements == [], (app_label, statements)


@pytest.mark.django_db(transaction=True)
def test_the_product_card_migration_fills_the_cards_of_existing_products():
    from decimal import Decimal

    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("commerce_catalog", "0004_tax_class_and_weight")]
    after = [("commerce_catalog", "0005_product_card")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps
        vendor = old.get_model("commerce_catalog", "Vendor").objects.create(name="V", slug="v")
        category = old.get_model("commerce_catalog", "Category").objects.create(
            name="C", slug="c", path="0001", depth=1
        )
        Product = old.get_model("commerce_catalog", "Product")
        Variant = old.get_model("commerce_catalog", "Variant")
        StockRecord = old.get_model("commerce_catalog", "StockRecord")

        def product(slug, *variants):
            made = Product.objects.create(vendor=vendor, category=category, name=slug, slug=slug)
            for sku, price, compare_at, quantity, active in variants:
                variant = Variant.objects.create(
                    product=made,
                    sku=sku,
                    price=Decimal(price),
                    price_currency="USD",
                    compare_at_price=None if compare_at is None else Decimal(compare_at),
                    compare_at_price_currency=None if compare_at is None else "USD",
                    is_active=active,
                )
                StockRecord.objects.create(variant=variant, quantity=quantity)
            return made

        sale = product("sale", ("S1", "9.00", "12.00", 0, True), ("S2", "5.00", "8.00", 0, False))
        stocked = product("stocked", ("T1", "3.00", None, 2, True))
        image = old.get_model("commerce_catalog", "ProductImage").objects.create(
            product=stocked, image="a.png", is_primary=True
        )
        bare = product("bare")

        executor.loader.build_graph()
        executor.migrate(after)
        new = executor.loader.project_state(after).apps.get_model("commerce_catalog", "Product")
        cards = {
            row["slug"]: row
            for row in new.objects.values(
                "slug",
                "compare_at_price",
                "compare_at_price_currency",
                "in_stock",
                "primary_image_id",
            )
        }
        # The cheapest *active* variant's compare-at price; stock on an active variant.
        assert cards[sale.slug]["compare_at_price"] == Decimal("12.00")
        assert cards[sale.slug]["in_stock"] is False
        assert cards[stocked.slug]["compare_at_price"] is None
        assert cards[stocked.slug]["in_stock"] is True
        assert cards[stocked.slug]["primary_image_id"] == image.pk
        assert cards[bare.slug]["in_stock"] is False
        assert cards[bare.slug]["primary_image_id"] is None
    finally:
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

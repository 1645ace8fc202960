"""The invariant checker on any host: the stock checks, the command, the docs and the query count.

These run on the full test host and on the catalog-only one
(``--ds tests.projects.catalog_only.settings``), where only the stock checks
exist. The order and payment checks are proven in ``tests/payments/test_invariants.py``.

Each test builds a correct state through the services, corrupts it with a raw
``QuerySet.update()`` that bypasses them, and asserts the checker reports
exactly that violation for that object. The stock table's check constraints
(``0 <= reserved <= quantity``) refuse every stock corruption the checker
looks for, so the tests first prove the database refuses it, then switch the
constraint off inside the test's transaction (see :func:`constraint_dropped`)
to prove the checker still catches it: a database that lost its constraints
(a hand-run migration, a restore) is what the nightly check is for.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from commerce.catalog import services as catalog_services
from commerce.catalog.models import StockRecord
from commerce.core import invariants
from commerce.core.invariants import Violation, check_invariants, checked_apps, codes
from commerce.testing.factories import VariantFactory
from tests.invariant_helpers import constraint_dropped, documented_codes, found

pytestmark = pytest.mark.django_db


def hold(variant, quantity: int) -> None:
    """Reserve ``quantity`` of ``variant`` the way this host does it.

    With the orders app, stock is reserved only by pending orders (anything
    else is ``stock.reserved_mismatch``), so a guest checks out; on a
    catalog-only host the catalog service reserves it directly.
    """
    if apps.is_installed("commerce.orders"):
        from tests.orders.helpers import place

        place(None, {variant: quantity})
    else:
        catalog_services.reserve({variant: quantity}, reference="test", reason="Held")


@pytest.fixture
def shirt(db):
    return VariantFactory(sku="SHIRT-M", quantity=10)


@pytest.fixture
def mug(db):
    return VariantFactory(sku="MUG-1", quantity=5)


def stock_of(variant):
    return StockRecord.objects.filter(variant=variant)


# --- a consistent catalog ---------------------------------------------------------------


def test_a_consistent_catalog_reports_nothing(shirt, mug):
    hold(shirt, 2)
    catalog_services.adjust_stock(mug, 3, reason="Delivery")
    assert check_invariants() == []


def test_only_the_installed_apps_are_checked():
    expected = {"commerce.catalog", "commerce.orders", "commerce.payments", "commerce.promotions"}
    assert set(checked_apps()) == {app for app in expected if apps.is_installed(app)}
    assert "commerce.catalog" in checked_apps()


def test_a_violation_is_a_small_frozen_value():
    violation = Violation(code="stock.negative_quantity", message="quantity is -1", object="SKU")
    assert str(violation) == "stock.negative_quantity SKU: quantity is -1"
    with pytest.raises(AttributeError):
        violation.code = "other"  # type: ignore[misc]


# --- stock corruptions -------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [{"quantity": -1}, {"reserved": -1}, {"reserved": 11}],
    ids=["negative-quantity", "negative-reserved", "reserved-over-quantity"],
)
def test_the_database_refuses_every_stock_corruption_the_checker_looks_for(shirt, change):
    with pytest.raises(IntegrityError), transaction.atomic():
        stock_of(shirt).update(**change)


def test_a_negative_quantity_is_reported(shirt, mug):
    # reserved <= quantity refuses it too (reserved is 0), so both are off here.
    with (
        constraint_dropped(StockRecord, "commerce_stock_reserved_gte_0"),
        constraint_dropped(StockRecord, "commerce_stock_reserved_lte_quantity"),
    ):
        stock_of(shirt).update(quantity=-1)
    # Written around the services, the card still says in stock: reported too.
    assert found() == [
        ("stock.negative_quantity", "SHIRT-M"),
        ("catalog.product_card", shirt.product.slug),
    ]


def test_a_negative_reservation_is_reported_once(shirt, mug):
    with constraint_dropped(StockRecord, "commerce_stock_reserved_gte_0"):
        stock_of(shirt).update(reserved=-1)
    # Not also stock.reserved_mismatch: no pending order can hold a negative quantity.
    assert found() == [("stock.negative_reserved", "SHIRT-M")]


def test_reserving_more_than_the_stock_holds_is_reported(shirt, mug):
    hold(shirt, 2)
    with constraint_dropped(StockRecord, "commerce_stock_reserved_lte_quantity"):
        stock_of(shirt).update(quantity=1)
    violation, card = check_invariants()
    assert (violation.code, violation.object) == ("stock.reserved_exceeds_quantity", "SHIRT-M")
    assert violation.message == "reserved 2, but only 1 in stock"
    assert (card.code, card.message) == (
        "catalog.product_card",
        "in_stock is True, should be False",
    )


# --- the command -------------------------------------------------------------------------


def test_the_command_is_quiet_and_succeeds_on_a_consistent_shop(shirt, capsys):
    call_command("commerce_check_invariants")
    out = capsys.readouterr().out
    checked = ", ".join(app.removeprefix("commerce.") for app in checked_apps())
    assert out.splitlines() == [f"Checked {checked}: no violations."]


def test_the_command_prints_each_violation_and_fails(shirt, mug, capsys):
    hold(shirt, 2)
    with (
        constraint_dropped(StockRecord, "commerce_stock_reserved_gte_0"),
        constraint_dropped(StockRecord, "commerce_stock_reserved_lte_quantity"),
    ):
        stock_of(shirt).update(quantity=1)
        stock_of(mug).update(quantity=-3)
    # Written around the services, both products' cards still say in stock.
    with pytest.raises(CommandError, match=r"^4 invariant violation\(s\) found\.$") as raised:
        call_command("commerce_check_invariants")
    assert raised.value.returncode == 1
    lines = capsys.readouterr().out.splitlines()
    cards = sorted(
        f"catalog.product_card\t{slug}\tin_stock is True, should be False"
        for slug in (shirt.product.slug, mug.product.slug)
    )
    assert lines[:4] == [
        "stock.negative_quantity\tMUG-1\tquantity is -3",
        "stock.reserved_exceeds_quantity\tSHIRT-M\treserved 2, but only 1 in stock",
        *cards,
    ]
    assert lines[4].endswith(
        ": 4 violation(s): 2 catalog.product_card, 1 stock.negative_quantity, "
        "1 stock.reserved_exceeds_quantity."
    )
    assert len(lines) == 5


@pytest.fixture
def keep_test_connection(monkeypatch):
    """``manage.py`` closes every connection when a command ends, which would end the
    test's transaction; keep it open so the test can run the real command line."""
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)


def test_the_command_line_exits_1_on_a_violation_and_0_when_clean(
    shirt, keep_test_connection, capsys
):
    execute_from_command_line(["manage.py", "commerce_check_invariants"])  # no SystemExit: 0
    assert "no violations" in capsys.readouterr().out
    with constraint_dropped(StockRecord, "commerce_stock_reserved_gte_0"):
        stock_of(shirt).update(reserved=-1)
    with pytest.raises(SystemExit) as exited:
        execute_from_command_line(["manage.py", "commerce_check_invariants"])
    assert exited.value.code == 1
    captured = capsys.readouterr()
    assert "stock.negative_reserved\tSHIRT-M\treserved is -1" in captured.out
    assert "CommandError: 1 invariant violation(s) found." in captured.err


# --- cost and docs -----------------------------------------------------------------------


def test_the_query_count_does_not_grow_with_the_catalog(shirt):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert check_invariants() == []
        return len(captured)

    few = queries()
    for n in range(20):
        hold(VariantFactory(sku=f"BULK-{n:02d}", quantity=3), 1)
    assert queries() == few
    assert few <= len(invariants.registered_checks())  # one query per check at most


def test_the_invariants_page_documents_every_code_this_host_checks():
    # tests/payments/test_invariants.py checks "exactly", with every app installed.
    documented = documented_codes()
    assert len(documented) == len(set(documented)), "a code is documented twice"
    assert set(codes()) <= set(documented)
    assert "stock.negative_quantity" in codes()


def test_reserved_mismatch_depends_on_orders_being_installed(shirt):
    # Without the orders app nothing says what stock should be reserved: a reservation
    # made through the catalog service is the host's own business.
    catalog_services.reserve({shirt: 1}, reference="test", reason="Held")
    expected = (
        [("stock.reserved_mismatch", "SHIRT-M")] if apps.is_installed("commerce.orders") else []
    )
    assert found() == expected
    stock_of(shirt).update(reserved=F("reserved") - 1)
    assert check_invariants() == []


# --- the registry ------------------------------------------------------------------------


@pytest.fixture
def own_registry(monkeypatch):
    """An empty registry for this test; the installed apps' checks are left out of it."""
    checks = []
    monkeypatch.setattr(invariants, "_checks", checks)
    return checks


def test_every_installed_app_with_checks_registered_them_from_its_app_config():
    # The stock checks live in the catalog app and are registered by its ready().
    from commerce.catalog import invariants as catalog_invariants

    functions = [check.function for check in invariants.registered_checks()]
    assert functions[0] is catalog_invariants.stock_records
    assert set(catalog_invariants.CODES) <= set(codes())
    assert all(check.app in checked_apps() for check in invariants.registered_checks())


def test_registered_checks_run_in_order_and_report_their_codes(own_registry):
    @invariants.register({"test.first": "First rule.", "test.shared": "Shared rule."})
    def first():
        yield Violation("test.first", "first broke", "A")

    @invariants.register({"test.shared": "Shared rule."})
    def second():
        yield Violation("test.shared", "second broke", "B")

    invariants.register({"test.first": "Again."})(first)  # a second registration: no-op
    assert [check.function for check in invariants.registered_checks()] == [first, second]
    assert [(v.code, v.object) for v in check_invariants()] == [
        ("test.first", "A"),
        ("test.shared", "B"),
    ]
    assert codes() == {"test.first": "First rule.", "test.shared": "Shared rule."}
    # Defined in a test module, which belongs to no installed app.
    assert checked_apps() == []


def test_the_command_runs_whatever_is_registered(own_registry, capsys):
    @invariants.register({"test.broken": "Always broken."})
    def always_broken():
        yield Violation("test.broken", "it is", "X")

    with pytest.raises(CommandError, match=r"^1 invariant violation\(s\) found\.$"):
        call_command("commerce_check_invariants")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "test.broken\tX\tit is"
    assert lines[1].endswith(": 1 violation(s): 1 test.broken.")
    assert len(lines) == 2

"""Every rule leaf, AND and OR, evaluated through the discount source."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.auth.models import Group

from commerce.pricing import types as pricing_types
from commerce.pricing.types import Customer, register_order_history
from commerce.testing.factories import BrandFactory, CategoryFactory, UserFactory, VendorFactory
from tests.promotions.helpers import (
    context,
    evaluate,
    line,
    off,
    percent_off,
    promotion,
    reasons,
    variant,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog():
    shoes = CategoryFactory(name="Shoes")
    boots = CategoryFactory(name="Boots", parent=shoes)
    hats = CategoryFactory(name="Hats")
    acme = BrandFactory(name="Acme")
    north = VendorFactory(name="North")
    boot = variant("40.00", category=boots, brand=acme, vendor=north)
    hat = variant("10.00", category=hats)
    return {
        "shoes": shoes,
        "boots": boots,
        "hats": hats,
        "acme": acme,
        "north": north,
        "boot": boot,
        "hat": hat,
    }


def applies(condition, *lines, customer=None, currency="USD", **fields) -> bool:
    """Whether a 10% promotion with ``condition`` applies to the lines; on refusal, the
    reason code is returned instead."""
    promotion("Ten", benefit=percent_off(10), condition=condition, currency=currency, **fields)
    result = evaluate(context(*lines, customer=customer))
    return True if off(result) else reasons(result)["Ten"]


def test_no_condition_always_applies(catalog):
    assert applies(None, line("a", catalog["hat"])) is True
    assert applies({}, line("a", catalog["hat"])) is True


@pytest.mark.parametrize(
    ("leaf", "matching"),
    [
        ("products", "product"),
        ("categories", "category"),
        ("brands", "brand"),
        ("vendors", "vendor"),
    ],
)
def test_id_leaves_hold_when_a_line_matches(catalog, leaf, matching):
    boot = catalog["boot"].product
    ident = {
        "product": boot.pk,
        "category": boot.category_id,
        "brand": boot.brand_id,
        "vendor": boot.vendor_id,
    }[matching]
    condition = {leaf: [str(ident)]}
    assert applies(condition, line("a", catalog["hat"]), line("b", catalog["boot"])) is True


@pytest.mark.parametrize("leaf", ["products", "categories", "brands", "vendors"])
def test_id_leaves_fail_when_no_line_matches(catalog, leaf):
    boot = catalog["boot"].product
    ident = {
        "products": boot.pk,
        "categories": boot.category_id,
        "brands": boot.brand_id,
        "vendors": boot.vendor_id,
    }[leaf]
    assert applies({leaf: [str(ident)]}, line("a", catalog["hat"])) == "conditions_not_met"


def test_a_category_includes_its_descendants(catalog):
    condition = {"categories": [str(catalog["shoes"].pk)]}
    assert applies(condition, line("a", catalog["boot"])) is True


def test_a_category_does_not_include_its_parent(catalog):
    condition = {"categories": [str(catalog["boots"].pk)]}
    shoe = variant("30.00", category=catalog["shoes"])
    assert applies(condition, line("a", shoe)) == "conditions_not_met"


def test_min_quantity(catalog):
    assert applies({"min_quantity": 3}, line("a", catalog["hat"], 2)) == "conditions_not_met"


def test_min_quantity_met(catalog):
    assert applies({"min_quantity": 3}, line("a", catalog["hat"], 3)) is True


def test_min_subtotal_is_a_minimum_spend(catalog):
    assert applies(
        {"min_subtotal": 5001}, line("a", catalog["boot"]), line("b", catalog["hat"])
    ) == ("below_minimum_spend")


def test_min_subtotal_met(catalog):
    assert (
        applies({"min_subtotal": 5000}, line("a", catalog["boot"]), line("b", catalog["hat"]))
        is True
    )


def test_min_quantity_counts_the_target_lines_only(catalog):
    target = {"products": [str(catalog["boot"].product_id)]}
    promotion("Ten", benefit=percent_off(10, target=target), condition={"min_quantity": 2})
    result = evaluate(context(line("a", catalog["boot"]), line("b", catalog["hat"], 5)))
    assert reasons(result) == {"Ten": "conditions_not_met"}


def test_customer_groups(catalog):
    vip = Group.objects.create(name="VIP")
    member, other = UserFactory(), UserFactory()
    member.groups.add(vip)
    condition = {"customer_groups": [vip.pk]}
    assert applies(condition, line("a", catalog["hat"]), customer=Customer(user=member)) is True
    result = evaluate(context(line("a", catalog["hat"]), customer=Customer(user=other)))
    assert reasons(result) == {"Ten": "not_eligible"}
    result = evaluate(context(line("a", catalog["hat"])))
    assert reasons(result) == {"Ten": "not_eligible"}


class GrouplessUser:
    """A signed-in user of a custom user model without ``PermissionsMixin``: no ``groups``."""

    is_authenticated = True
    pk = 1
    email = "groupless@example.com"


def test_customer_groups_on_a_user_model_without_groups(catalog):
    vip = Group.objects.create(name="VIP")
    customer = Customer(user=GrouplessUser())
    assert customer.group_ids == frozenset()
    condition = {"customer_groups": [vip.pk]}
    assert applies(condition, line("a", catalog["hat"]), customer=customer) == "not_eligible"


@pytest.fixture
def order_history():
    """An order history that knows one customer, as the orders app registers it."""
    ordered = set()

    def check(customer):
        return customer.email in ordered if customer.email else None

    register_order_history(check)
    yield ordered
    pricing_types._ORDER_HISTORY.remove(check)


def test_first_order(catalog, order_history):
    order_history.add("old@example.com")
    condition = {"first_order": True}
    hat = line("a", catalog["hat"])
    assert applies(condition, hat, customer=Customer(email="new@example.com")) is True
    result = evaluate(context(hat, customer=Customer(email="old@example.com")))
    assert reasons(result) == {"Ten": "not_eligible"}
    # A guest not known yet counts as a first order; checkout prices again with the email.
    assert off(evaluate(context(hat))) == {"a": 100}


def test_the_orders_app_registers_the_order_history_only_where_installed():
    registered = {check.__module__ for check in pricing_types._ORDER_HISTORY}
    assert registered == (
        {"commerce.orders.selectors"} if apps.is_installed("commerce.orders") else set()
    )


def test_first_order_without_an_order_history(catalog, monkeypatch):
    # A host without the orders app (and no history of its own): nobody is known to
    # have ordered, so a signed-in customer gets first-order promotions.
    monkeypatch.setattr(pricing_types, "_ORDER_HISTORY", [])
    customer = Customer(user=UserFactory(), email="old@example.com")
    assert customer.has_ordered is None
    assert applies({"first_order": True}, line("a", catalog["hat"]), customer=customer) is True


def test_all_needs_every_child(catalog):
    hat, boot = catalog["hat"], catalog["boot"]
    condition = {"all": [{"products": [str(hat.product_id)]}, {"products": [str(boot.product_id)]}]}
    assert applies(condition, line("a", hat)) == "conditions_not_met"


def test_all_holds_when_every_child_does(catalog):
    hat, boot = catalog["hat"], catalog["boot"]
    condition = {"all": [{"products": [str(hat.product_id)]}, {"products": [str(boot.product_id)]}]}
    assert applies(condition, line("a", hat), line("b", boot)) is True


def test_any_needs_one_child(catalog):
    hat, boot = catalog["hat"], catalog["boot"]
    condition = {"any": [{"products": [str(boot.product_id)]}, {"min_quantity": 5}]}
    assert applies(condition, line("a", hat, 5)) is True


def test_any_fails_with_the_childrens_shared_reason(catalog):
    condition = {"any": [{"min_subtotal": 100000}, {"all": [{"min_subtotal": 90000}]}]}
    assert applies(condition, line("a", catalog["hat"])) == "below_minimum_spend"


def test_any_fails_with_mixed_reasons_as_conditions_not_met(catalog):
    condition = {"any": [{"min_subtotal": 100000}, {"min_quantity": 9}]}
    assert applies(condition, line("a", catalog["hat"])) == "conditions_not_met"


def test_nested_all_of_any(catalog):
    hat, boot = catalog["hat"], catalog["boot"]
    condition = {
        "all": [
            {"any": [{"brands": [str(catalog["acme"].pk)]}, {"products": [str(hat.product_id)]}]},
            {"min_subtotal": 4000},
        ]
    }
    assert applies(condition, line("a", boot)) is True


@pytest.mark.parametrize(
    ("leaf", "target_of"),
    [("products", "pk"), ("brands", "brand_id"), ("vendors", "vendor_id")],
)
def test_target_leaves_pick_the_lines(catalog, leaf, target_of):
    boot, hat = catalog["boot"], catalog["hat"]
    target = {leaf: [str(getattr(boot.product, target_of))]}
    promotion("Ten", benefit=percent_off(10, target=target))
    assert off(evaluate(context(line("a", boot), line("b", hat)))) == {"a": 400}


def test_target_category_includes_descendants(catalog):
    promotion("Ten", benefit=percent_off(10, target={"categories": [str(catalog["shoes"].pk)]}))
    result = evaluate(context(line("a", catalog["boot"]), line("b", catalog["hat"])))
    assert off(result) == {"a": 400}


def test_target_all_and_any(catalog):
    boot, hat = catalog["boot"], catalog["hat"]
    both = {
        "all": [{"categories": [str(catalog["shoes"].pk)]}, {"brands": [str(catalog["acme"].pk)]}]
    }
    either = {"any": [{"products": [str(hat.product_id)]}, {"brands": [str(catalog["acme"].pk)]}]}
    promotion("Both", benefit=percent_off(10, target=both), combinable=True)
    promotion("Either", benefit=percent_off(50, target=either), combinable=True, priority=-1)
    result = evaluate(context(line("a", boot), line("b", hat)))
    # Boot: 10% of 4000 = 400, then 50% of 3600 = 1800; hat: 50% of 1000.
    assert off(result) == {"a": 2200, "b": 500}

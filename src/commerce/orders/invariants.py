"""The orders app's invariants: orders add up, and stock is reserved by pending orders.

Registered with :mod:`commerce.core.invariants` when the app is ready; the
invariants page of the docs says what each code means.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from commerce.catalog.models import StockRecord
from commerce.core.invariants import (
    Violation,
    differs,
    format_amount,
    register,
    rounded,
    stream,
)
from commerce.orders.models import Order, OrderAdjustment, OrderLine, OrderTaxLine

RESERVATION_CODES = {
    "stock.reserved_mismatch": (
        "A variant's reserved quantity differs from the quantity on its pending orders' lines."
    ),
}
ORDER_CODES = {
    "order.no_lines": "An order has no lines.",
    "order.subtotal_mismatch": "An order's subtotal is not the sum of its line totals.",
    "order.discount_mismatch": "An order's discount is not the sum of its lines' discounts.",
    "order.tax_mismatch": "An order's tax is not the sum of its tax lines.",
    "order.shipping_mismatch": (
        "An order's shipping is not its method's price less the discounts on shipping."
    ),
    "order.total_mismatch": (
        "An order's total is not its subtotal less its discount plus shipping plus the tax "
        "added to prices."
    ),
    "order.currency_mismatch": "An order amount or an order line is not in the order's currency.",
}
ORDER_LINE_CODES = {
    "order.line_total_mismatch": "An order line's total is not its unit price times its quantity.",
    "order.line_discount_mismatch": (
        "An order line's discount is not the sum of its adjustments, or is more than the line."
    ),
    "order.line_tax_mismatch": "An order line's tax is not the sum of its tax lines.",
    "order.line_cost_mismatch": (
        "What an order line cost is not its total less its discount plus the tax added to it."
    ),
    "order.currency_mismatch": ORDER_CODES["order.currency_mismatch"],
}


def _summed(model, *, line: bool | None, **filters):
    """The sum of ``model``'s ``amount`` for the outer order (``line=None``: all rows,
    ``False``: the shipping's rows) or the outer line (``line=True``), zero for none."""
    if line:
        rows = model.objects.filter(line=OuterRef("pk"), **filters)
        group = "line"
    else:
        rows = model.objects.filter(order=OuterRef("pk"), **filters)
        if line is False:
            rows = rows.filter(line__isnull=True)
        group = "order"
    total = rows.order_by().values(group).annotate(total=Sum("amount")).values("total")
    return Coalesce(Subquery(total), Value(Decimal(0)))


@register(RESERVATION_CODES)
def reservations() -> Iterator[Violation]:
    """Reserved stock equals the quantity on pending orders' lines, variant by variant.

    One statement (so one snapshot) of two halves: variants that pending
    orders hold, summed in one grouped join, and variants holding a
    reservation that no pending order explains (an anti-join).
    """
    pending = Order.Status.PENDING
    held = (
        OrderLine.objects.filter(order__status=pending, variant__stock__reserved__gte=0)
        .order_by()
        .values(
            "variant_id",
            variant_sku=F("variant__sku"),
            stock_reserved=F("variant__stock__reserved"),
        )
        .annotate(on_pending=Sum("quantity"))
        .filter(Q(stock_reserved__lt=F("on_pending")) | Q(stock_reserved__gt=F("on_pending")))
    )
    unexplained = (
        StockRecord.objects.filter(reserved__gt=0)
        .filter(
            ~Exists(
                OrderLine.objects.filter(variant_id=OuterRef("variant_id"), order__status=pending)
            )
        )
        .order_by()
        .values(
            "variant_id",
            variant_sku=F("variant__sku"),
            stock_reserved=F("reserved"),
            on_pending=Value(0),
        )
    )
    # A negative reservation is left to stock.negative_reserved, which says more.
    broken = held.union(unexplained, all=True).order_by("variant_sku")
    for row in stream(broken):
        yield Violation(
            "stock.reserved_mismatch",
            f"reserved {row['stock_reserved']}, but pending orders hold {row['on_pending']}",
            row["variant_sku"],
        )


@register(ORDER_CODES)
def orders() -> Iterator[Violation]:
    """Every order has lines, a subtotal, discount and tax that are their parts' sums,
    shipping that is its method's price less its discounts, a total that adds up, and
    amounts in its currency (one grouped join of orders and their lines, with the tax
    lines and shipping adjustments as subqueries)."""
    currency = F("currency")
    wrong_currency = (
        ~Q(subtotal_currency=currency)
        | ~Q(shipping_total_currency=currency)
        | ~Q(tax_total_currency=currency)
        | ~Q(total_currency=currency)
    )
    broken = (
        Order.objects.order_by()
        .values(
            "pk",
            "number",
            "currency",
            "subtotal_currency",
            "shipping_total_currency",
            "tax_total_currency",
            "total_currency",
            subtotal_r=rounded(F("subtotal")),
            discount_r=rounded(F("discount_total")),
            tax_r=rounded(F("tax_total")),
            tax_lines_r=rounded(_summed(OrderTaxLine, line=None)),
            shipping_r=rounded(F("shipping_total")),
            shipping_parts_r=rounded(F("shipping_price") - _summed(OrderAdjustment, line=False)),
            total_r=rounded(F("total")),
            parts_r=rounded(
                F("subtotal")
                - F("discount_total")
                + F("shipping_total")
                + _summed(OrderTaxLine, line=None, included=False)
            ),
        )
        .annotate(
            line_count=Count("lines"),
            lines_sum=rounded(Coalesce(Sum("lines__line_total"), Value(Decimal(0)))),
            lines_discount=rounded(Coalesce(Sum("lines__discount_total"), Value(Decimal(0)))),
        )
        .filter(
            Q(line_count=0)
            | (Q(line_count__gt=0) & differs("subtotal_r", "lines_sum"))
            | differs("discount_r", "lines_discount")
            | differs("tax_r", "tax_lines_r")
            | (Q(shipping_parts_r__isnull=False) & differs("shipping_r", "shipping_parts_r"))
            | differs("total_r", "parts_r")
            | wrong_currency
        )
        .order_by("number")
    )
    for row in stream(broken):
        number, cur = row["number"], row["currency"]
        if not row["line_count"]:
            yield Violation("order.no_lines", "the order has no lines", number)
        elif row["subtotal_r"] != row["lines_sum"]:
            yield Violation(
                "order.subtotal_mismatch",
                f"subtotal {format_amount(row['subtotal_r'], cur)}, "
                f"but its lines add up to {format_amount(row['lines_sum'], cur)}",
                number,
            )
        if row["discount_r"] != row["lines_discount"]:
            yield Violation(
                "order.discount_mismatch",
                f"discount {format_amount(row['discount_r'], cur)}, but its lines' discounts "
                f"add up to {format_amount(row['lines_discount'], cur)}",
                number,
            )
        if row["tax_r"] != row["tax_lines_r"]:
            yield Violation(
                "order.tax_mismatch",
                f"tax {format_amount(row['tax_r'], cur)}, but its tax lines add up to "
                f"{format_amount(row['tax_lines_r'], cur)}",
                number,
            )
        if row["shipping_parts_r"] is not None and row["shipping_r"] != row["shipping_parts_r"]:
            yield Violation(
                "order.shipping_mismatch",
                f"shipping {format_amount(row['shipping_r'], cur)}, but the method's price less "
                f"its discounts is {format_amount(row['shipping_parts_r'], cur)}",
                number,
            )
        if row["total_r"] != row["parts_r"]:
            yield Violation(
                "order.total_mismatch",
                f"total {format_amount(row['total_r'], cur)}, but subtotal - discount + "
                f"shipping + added tax is {format_amount(row['parts_r'], cur)}",
                number,
            )
        others = {
            name: row[f"{name}_currency"]
            for name in ("subtotal", "shipping_total", "tax_total", "total")
            if row[f"{name}_currency"] != cur
        }
        if others:
            found = ", ".join(f"{name} in {code}" for name, code in others.items())
            yield Violation(
                "order.currency_mismatch", f"the order is in {cur}, but {found}", number
            )


@register(ORDER_LINE_CODES)
def order_lines() -> Iterator[Violation]:
    """Each line's total is its unit price times its quantity, its discount the sum of
    its adjustments (never more than the line), its tax the sum of its tax lines, what
    it cost its total less its discount plus added tax, all in the order's currency."""
    currency = F("order__currency")
    broken = (
        OrderLine.objects.annotate(
            total_r=rounded(F("line_total")),
            product_r=rounded(F("unit_price") * F("quantity")),
            discount_r=rounded(F("discount_total")),
            adjustments_r=rounded(_summed(OrderAdjustment, line=True)),
            tax_r=rounded(F("tax_total")),
            tax_lines_r=rounded(_summed(OrderTaxLine, line=True)),
            cost_r=rounded(F("total")),
            cost_parts_r=rounded(
                F("line_total")
                - F("discount_total")
                + _summed(OrderTaxLine, line=True, included=False)
            ),
        )
        .filter(
            differs("total_r", "product_r")
            | differs("discount_r", "adjustments_r")
            | Q(discount_r__gt=F("total_r"))
            | differs("tax_r", "tax_lines_r")
            | differs("cost_r", "cost_parts_r")
            | ~Q(unit_price_currency=currency)
            | ~Q(line_total_currency=currency)
        )
        .order_by("order__number", "sku", "pk")
        .values(
            "order__number",
            "order__currency",
            "sku",
            "quantity",
            "unit_price",
            "unit_price_currency",
            "line_total_currency",
            "total_r",
            "product_r",
            "discount_r",
            "adjustments_r",
            "tax_r",
            "tax_lines_r",
            "cost_r",
            "cost_parts_r",
        )
    )
    for row in stream(broken):
        number, cur, sku = row["order__number"], row["order__currency"], row["sku"]
        if row["total_r"] != row["product_r"]:
            yield Violation(
                "order.line_total_mismatch",
                f"line {sku}: total {format_amount(row['total_r'], cur)}, but "
                f"{row['quantity']} x {format_amount(row['unit_price'], cur)} "
                f"is {format_amount(row['product_r'], cur)}",
                number,
            )
        if row["discount_r"] != row["adjustments_r"] or row["discount_r"] > row["total_r"]:
            yield Violation(
                "order.line_discount_mismatch",
                f"line {sku}: discount {format_amount(row['discount_r'], cur)}, its "
                f"adjustments {format_amount(row['adjustments_r'], cur)}, its total "
                f"{format_amount(row['total_r'], cur)}",
                number,
            )
        if row["tax_r"] != row["tax_lines_r"]:
            yield Violation(
                "order.line_tax_mismatch",
                f"line {sku}: tax {format_amount(row['tax_r'], cur)}, but its tax lines add "
                f"up to {format_amount(row['tax_lines_r'], cur)}",
                number,
            )
        if row["cost_r"] != row["cost_parts_r"]:
            yield Violation(
                "order.line_cost_mismatch",
                f"line {sku}: cost {format_amount(row['cost_r'], cur)}, but total - discount "
                f"+ added tax is {format_amount(row['cost_parts_r'], cur)}",
                number,
            )
        others = {
            name: row[f"{name}_currency"]
            for name in ("unit_price", "line_total")
            if row[f"{name}_currency"] != cur
        }
        if others:
            found = ", ".join(f"{name} in {code}" for name, code in others.items())
            yield Violation(
                "order.currency_mismatch",
                f"the order is in {cur}, but line {sku} has {found}",
                number,
            )

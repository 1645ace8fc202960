"""Refunds by order lines: what a line's units and the shipping give back.

A line's cost is what the order charged for it (``OrderLine.total``: after its
discounts, with the tax added to it). It is split over the line's units with
largest-remainder allocation, and units are refunded in a fixed order, so refunding
a line one unit at a time, or all at once, gives back exactly its cost; the shipping
gives back the order's shipping with the tax added to it. Refunding every line and
the shipping gives back the order's total, to the minor unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Sum
from djmoney.money import Money

from commerce.core.exceptions import CommerceValidationError
from commerce.core.money import allocate, to_minor_units
from commerce.orders.models import Order, OrderLine, OrderTaxLine
from commerce.payments.models import Refund, RefundLine

__all__ = [
    "RefundOptions",
    "RefundPart",
    "RefundableLine",
    "line_refund_parts",
    "refund_options",
    "shipping_cost",
]


@dataclass(frozen=True)
class RefundPart:
    """``quantity`` units of ``order_line`` (``None``: the shipping) give back ``amount``
    minor units."""

    order_line: OrderLine | None
    quantity: int
    amount: int


@dataclass(frozen=True)
class RefundableLine:
    """An order line, its units refunded so far, and what each unit left gives back."""

    order_line: OrderLine
    #: Units refunded by refunds that did not fail.
    refunded: int
    #: Minor units each unit left to refund gives back, in the order they are refunded.
    unit_amounts: tuple[int, ...]

    @property
    def refundable(self) -> int:
        """Units left to refund."""
        return len(self.unit_amounts)


@dataclass(frozen=True)
class RefundOptions:
    """What is left to refund of an order, by lines: see :func:`refund_options`."""

    lines: tuple[RefundableLine, ...]
    #: Minor units refunding the shipping gives back; 0 when there was no shipping
    #: or it is refunded already.
    shipping: int


def _counted(order: Order):
    """The order's refund lines that count: those of refunds that did not fail."""
    return RefundLine.objects.filter(refund__payment__order=order).exclude(
        refund__status=Refund.Status.FAILED
    )


def _unit_shares(line: OrderLine) -> list[int]:
    """The line's cost split over its units, the extra minor units going to the first."""
    return allocate(to_minor_units(line.total), [1] * line.quantity)


def shipping_cost(order: Order) -> int:
    """What the shipping cost: after its discounts, with the tax added to it."""
    added = (
        OrderTaxLine.objects.filter(order=order, line__isnull=True, included=False).aggregate(
            total=Sum("amount")
        )["total"]
        or 0
    )
    return to_minor_units(order.shipping_total) + to_minor_units(Money(added, order.currency))


def line_refund_parts(
    order: Order, lines: Mapping[Any, int], *, shipping: bool = False
) -> list[RefundPart]:
    """The parts of a refund of ``lines`` (order line id -> units) and, with
    ``shipping``, of the shipping.

    Call with the payment locked, so two refunds of one line count one after the
    other. Units already refunded (by refunds that did not fail) are skipped: the next
    units are refunded. Raises
    :class:`~commerce.core.exceptions.CommerceValidationError` (400,
    ``invalid_refund_lines``) naming each line that is not the order's, a quantity that
    is not a whole number of at least 1, more units than are left to refund, the
    shipping refunded twice or refunded when there was none, or units that together
    cost nothing.
    """
    problems: dict[str, list[str]] = {}
    wanted = {str(key): quantity for key, quantity in lines.items()}
    found = {str(line.pk): line for line in order.lines.filter(pk__in=list(wanted))}
    counted = _counted(order)
    refunded = dict(
        counted.filter(order_line__in=list(found.values()))
        .values_list("order_line")
        .annotate(units=Sum("quantity"))
    )
    parts = []
    for key in sorted(wanted):
        quantity = wanted[key]
        line = found.get(key)
        if line is None:
            problems[key] = ["Not a line of this order."]
            continue
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            problems[key] = ["A whole number of units, at least 1."]
            continue
        done = refunded.get(line.pk, 0)
        if quantity > line.quantity - done:
            problems[key] = [f"Only {line.quantity - done} of {line.quantity} left to refund."]
            continue
        shares = _unit_shares(line)
        parts.append(RefundPart(line, quantity, sum(shares[done : done + quantity])))
    if shipping:
        cost = shipping_cost(order)
        if counted.filter(order_line__isnull=True).exists():
            problems["shipping"] = ["The shipping is refunded already."]
        elif cost <= 0:
            problems["shipping"] = ["This order has no shipping to refund."]
        else:
            parts.append(RefundPart(None, 0, cost))
    if problems:
        raise CommerceValidationError(
            "Some of the lines cannot be refunded.",
            code="invalid_refund_lines",
            details={"lines": problems},
        )
    if not parts:
        raise CommerceValidationError(
            "Name the lines (or the shipping) to refund.",
            code="invalid_refund_lines",
            details={"lines": ["Empty."]},
        )
    if not any(part.amount for part in parts):
        # No provider refunds nothing: say so, rather than a bare "amount" error.
        raise CommerceValidationError(
            "These units cost nothing: there is nothing to give back.",
            code="invalid_refund_lines",
            details={"lines": {str(part.order_line.pk): ["Costs nothing."] for part in parts}},
        )
    return parts


def refund_options(order: Order) -> RefundOptions:
    """What is left to refund of ``order`` by lines: each line's units refunded and
    what each unit left would give back (the amounts :func:`line_refund_parts` gives),
    and what the shipping would.

    Reads only (four queries, whatever the number of lines); what a refund gives back
    is decided when it is made, under the payment's lock, by :func:`line_refund_parts`.
    """
    counted = _counted(order)
    refunded = dict(
        counted.filter(order_line__isnull=False)
        .values_list("order_line")
        .annotate(units=Sum("quantity"))
    )
    lines = []
    for line in order.lines.order_by("created_at", "sku", "pk"):
        done = refunded.get(line.pk, 0)
        lines.append(RefundableLine(line, done, tuple(_unit_shares(line)[done:])))
    shipping = 0 if counted.filter(order_line__isnull=True).exists() else shipping_cost(order)
    return RefundOptions(tuple(lines), max(shipping, 0))

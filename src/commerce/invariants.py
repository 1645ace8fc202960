"""The invariant checker: what must always hold across stock, orders and payments.

The services keep these rules inside their transactions; the checker proves,
after the fact, that nothing (a bug, a crash, a hand-edited row, a migration)
broke them. Run it nightly with ``manage.py commerce_check_invariants``, or
call :func:`check_invariants` from tests: it is the judge of the fault and
load tests.

Only the installed apps are checked (a catalog-only site gets the stock
checks). Each check is one aggregate query whose ``WHERE`` keeps only the
broken rows, so the number of queries does not grow with the shop, and each
invariant is judged within one statement, so on PostgreSQL it sees one
committed snapshot and the checker can run against a live shop. Results are
streamed (:func:`iter_violations`), never loaded whole.

Amounts are compared rounded to the money columns' decimal places, so
SQLite's floating-point arithmetic cannot invent a difference. The amount
checks add up amounts whatever their currency; a wrong currency is reported
once, by the ``*.currency_mismatch`` checks, rather than again as every sum
it would spoil.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db.models import (
    Count,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Replace, Round, Substr

from commerce.core.money import MONEY_FIELD_OPTIONS

__all__ = ["CODES", "Violation", "check_invariants", "checked_apps", "iter_violations"]


@dataclass(frozen=True)
class Violation:
    """One broken invariant.

    ``code`` is stable (one of :data:`CODES`), ``message`` says what was
    found, and ``object`` names the row to look at: a SKU, an order number, a
    payment reference, or ``gateway:event_id`` for a webhook event.
    """

    code: str
    message: str
    object: str

    def __str__(self) -> str:
        return f"{self.code} {self.object}: {self.message}"


#: Every code the checker can report, with the rule it stands for.
CODES: dict[str, str] = {
    "stock.negative_quantity": "A stock record's quantity is below zero.",
    "stock.negative_reserved": "A stock record's reserved quantity is below zero.",
    "stock.reserved_exceeds_quantity": "A stock record reserves more than it holds.",
    "stock.reserved_mismatch": (
        "A variant's reserved quantity differs from the quantity on its pending orders' lines."
    ),
    "order.no_lines": "An order has no lines.",
    "order.line_total_mismatch": "An order line's total is not its unit price times its quantity.",
    "order.subtotal_mismatch": "An order's subtotal is not the sum of its line totals.",
    "order.total_mismatch": "An order's total is not its subtotal plus shipping plus tax.",
    "order.currency_mismatch": "An order amount or an order line is not in the order's currency.",
    "payment.capture_shortfall": (
        "A paid, shipped, delivered or refunded order's captured payments do not cover its total."
    ),
    "payment.refund_exceeds_capture": "A payment has more refunded than captured.",
    "payment.refund_mismatch": (
        "A payment's refunded amount differs from the sum of its succeeded refunds."
    ),
    "payment.multiple_active": "An order has more than one pending, processing or authorized "
    "payment.",
    "payment.currency_mismatch": "A payment amount or a refund is not in the order's currency.",
    "webhook.duplicate_event": "A webhook event is stored more than once.",
    "webhook.applied_twice": "A webhook event drove more than one payment status change.",
}

#: Rows fetched per round trip while streaming; a check stays one query.
CHUNK_SIZE = 2000

#: Order statuses that say the money was collected.
SETTLED_ORDER_STATUSES = ("paid", "shipped", "delivered", "refunded")
#: Payment statuses whose ``captured_amount`` was taken from the customer.
CAPTURED_PAYMENT_STATUSES = ("captured", "partially_refunded", "refunded")
#: The prefix of a payment transition's reason when a webhook drove it (see
#: ``commerce.payments.services.apply_webhook_event``: ``source="webhook <event id>"``,
#: with `` (deferred)`` appended when a refund waited for its capture).
WEBHOOK_REASON_PREFIX = "webhook "
DEFERRED_SUFFIX = " (deferred)"


def check_invariants() -> list[Violation]:
    """Check every invariant of the installed commerce apps; return what is broken.

    An empty list means the shop is consistent. See :data:`CODES` for what is
    checked, and :func:`iter_violations` to stream the results instead.
    """
    return list(iter_violations())


def iter_violations() -> Iterator[Violation]:
    """Yield each broken invariant as it is found (one query per check)."""
    for app, check in _CHECKS:
        if apps.is_installed(app):
            yield from check()


def checked_apps() -> list[str]:
    """The installed commerce apps whose invariants :func:`check_invariants` checks."""
    return sorted({app for app, _ in _CHECKS if apps.is_installed(app)})


# --- helpers ---------------------------------------------------------------------------


def _places() -> int:
    return MONEY_FIELD_OPTIONS["decimal_places"]


def _money_field() -> DecimalField:
    # Wide enough for sums of many amounts; the scale of the money columns.
    return DecimalField(max_digits=28, decimal_places=_places())


def _rounded(expression) -> Round:
    """``expression`` rounded to the money columns' scale: exact on PostgreSQL (where it
    changes nothing) and free of float noise on SQLite."""
    return Round(expression, _places(), output_field=_money_field())


def _amount(value: Decimal | None, currency: str | None) -> str:
    """``25.00 USD``: the amount at its currency's precision when that loses nothing."""
    if value is None:
        return "none"
    from commerce.core.money import currency_exponent, is_known_currency

    if is_known_currency(currency):
        exact = value.quantize(Decimal(1).scaleb(-currency_exponent(currency)))
        if exact == value:
            value = exact
    return f"{value} {currency}"


def _stream(queryset: QuerySet) -> Iterator[dict[str, Any]]:
    return queryset.iterator(chunk_size=CHUNK_SIZE)


# --- stock -----------------------------------------------------------------------------


def _stock_records() -> Iterator[Violation]:
    """Quantities and reservations that the database constraints should already forbid
    (kept for databases or migrations that lost them)."""
    from commerce.catalog.models import StockRecord

    broken = (
        StockRecord.objects.filter(
            Q(quantity__lt=0) | Q(reserved__lt=0) | Q(reserved__gt=F("quantity"))
        )
        .order_by("variant__sku")
        .values("variant__sku", "quantity", "reserved")
    )
    for row in _stream(broken):
        sku, quantity, reserved = row["variant__sku"], row["quantity"], row["reserved"]
        if quantity < 0:
            yield Violation("stock.negative_quantity", f"quantity is {quantity}", sku)
        if reserved < 0:
            yield Violation("stock.negative_reserved", f"reserved is {reserved}", sku)
        # A negative quantity is the fault to fix; "reserves more" would only repeat it.
        if reserved > quantity >= 0:
            yield Violation(
                "stock.reserved_exceeds_quantity",
                f"reserved {reserved}, but only {quantity} in stock",
                sku,
            )


def _reservations() -> Iterator[Violation]:
    """Reserved stock equals the quantity on pending orders' lines, variant by variant.

    One statement (so one snapshot) of two halves: variants that pending
    orders hold, summed in one grouped join, and variants holding a
    reservation that no pending order explains (an anti-join).
    """
    from commerce.catalog.models import StockRecord
    from commerce.orders.models import Order, OrderLine

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
    for row in _stream(broken):
        yield Violation(
            "stock.reserved_mismatch",
            f"reserved {row['stock_reserved']}, but pending orders hold {row['on_pending']}",
            row["variant_sku"],
        )


# --- orders ----------------------------------------------------------------------------


def _differs(left: str, right: str) -> Q:
    """``left != right`` for two non-null annotations, without negation's NULL rules."""
    return Q(**{f"{left}__lt": F(right)}) | Q(**{f"{left}__gt": F(right)})


def _orders() -> Iterator[Violation]:
    """Every order has lines, a subtotal that is their sum, a total that adds up, and
    amounts in its currency (one grouped join of orders and their lines)."""
    from commerce.orders.models import Order

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
            subtotal_r=_rounded(F("subtotal")),
            total_r=_rounded(F("total")),
            parts_r=_rounded(F("subtotal") + F("shipping_total") + F("tax_total")),
        )
        .annotate(
            line_count=Count("lines"),
            lines_sum=_rounded(Coalesce(Sum("lines__line_total"), Value(Decimal(0)))),
        )
        .filter(
            Q(line_count=0)
            | (Q(line_count__gt=0) & _differs("subtotal_r", "lines_sum"))
            | _differs("total_r", "parts_r")
            | wrong_currency
        )
        .order_by("number")
    )
    for row in _stream(broken):
        number, cur = row["number"], row["currency"]
        if not row["line_count"]:
            yield Violation("order.no_lines", "the order has no lines", number)
        elif row["subtotal_r"] != row["lines_sum"]:
            yield Violation(
                "order.subtotal_mismatch",
                f"subtotal {_amount(row['subtotal_r'], cur)}, "
                f"but its lines add up to {_amount(row['lines_sum'], cur)}",
                number,
            )
        if row["total_r"] != row["parts_r"]:
            yield Violation(
                "order.total_mismatch",
                f"total {_amount(row['total_r'], cur)}, but subtotal + shipping + tax "
                f"is {_amount(row['parts_r'], cur)}",
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


def _order_lines() -> Iterator[Violation]:
    """Each line's total is its unit price times its quantity, in the order's currency."""
    from commerce.orders.models import OrderLine

    currency = F("order__currency")
    broken = (
        OrderLine.objects.annotate(
            total_r=_rounded(F("line_total")),
            product_r=_rounded(F("unit_price") * F("quantity")),
        )
        .filter(
            _differs("total_r", "product_r")
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
        )
    )
    for row in _stream(broken):
        number, cur, sku = row["order__number"], row["order__currency"], row["sku"]
        if row["total_r"] != row["product_r"]:
            yield Violation(
                "order.line_total_mismatch",
                f"line {sku}: total {_amount(row['total_r'], cur)}, but "
                f"{row['quantity']} x {_amount(row['unit_price'], cur)} "
                f"is {_amount(row['product_r'], cur)}",
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


# --- payments --------------------------------------------------------------------------


def _captures() -> Iterator[Violation]:
    """A paid (shipped, delivered, refunded) order's captured payments cover its total."""
    from commerce.orders.models import Order

    captured = Sum(
        "payments__captured_amount", filter=Q(payments__status__in=CAPTURED_PAYMENT_STATUSES)
    )
    broken = (
        Order.objects.filter(status__in=SETTLED_ORDER_STATUSES)
        .order_by()
        .values("pk", "number", "status", "currency", total_r=_rounded(F("total")))
        .annotate(captured=_rounded(Coalesce(captured, Value(Decimal(0)))))
        .filter(captured__lt=F("total_r"))
        .order_by("number")
    )
    for row in _stream(broken):
        cur = row["currency"]
        yield Violation(
            "payment.capture_shortfall",
            f"the order is {row['status']} with a total of {_amount(row['total_r'], cur)}, "
            f"but its payments captured {_amount(row['captured'], cur)}",
            row["number"],
        )


def _payments() -> Iterator[Violation]:
    """Refunds never exceed the capture and add up to the refunded amount; every amount of
    a payment and its refunds is in the order's currency (one grouped join of payments
    and their refunds)."""
    from commerce.payments.models import Payment, Refund

    currency = F("order__currency")
    zero = Value(Decimal(0))
    succeeded = Sum("refunds__amount", filter=Q(refunds__status=Refund.Status.SUCCEEDED))
    wrong_currency = (
        ~Q(amount_currency=currency)
        | (Q(authorized_amount__isnull=False) & ~Q(authorized_amount_currency=currency))
        | (Q(captured_amount__isnull=False) & ~Q(captured_amount_currency=currency))
        | (Q(refunded_amount__isnull=False) & ~Q(refunded_amount_currency=currency))
        | Q(foreign_refunds__gt=0)
    )
    broken = (
        Payment.objects.order_by()
        .values(
            "pk",
            "reference",
            "order__currency",
            "amount_currency",
            "authorized_amount",
            "authorized_amount_currency",
            "captured_amount",
            "captured_amount_currency",
            "refunded_amount",
            "refunded_amount_currency",
            captured_r=_rounded(Coalesce(F("captured_amount"), zero)),
            refunded_r=_rounded(Coalesce(F("refunded_amount"), zero)),
        )
        .annotate(
            refunds_sum=_rounded(Coalesce(succeeded, zero)),
            # Compared both ways: a negated lookup across a to-many join is a subquery.
            foreign_refunds=Count(
                "refunds",
                filter=Q(refunds__amount_currency__lt=currency)
                | Q(refunds__amount_currency__gt=currency),
            ),
        )
        .filter(
            Q(refunded_r__gt=F("captured_r"))
            | _differs("refunded_r", "refunds_sum")
            | wrong_currency
        )
        .order_by("reference")
    )
    for row in _stream(broken):
        reference, cur = row["reference"], row["order__currency"]
        if row["refunded_r"] > row["captured_r"]:
            yield Violation(
                "payment.refund_exceeds_capture",
                f"refunded {_amount(row['refunded_r'], cur)}, "
                f"but captured {_amount(row['captured_r'], cur)}",
                reference,
            )
        if row["refunded_r"] != row["refunds_sum"]:
            yield Violation(
                "payment.refund_mismatch",
                f"refunded {_amount(row['refunded_r'], cur)}, but its succeeded refunds "
                f"add up to {_amount(row['refunds_sum'], cur)}",
                reference,
            )
        others = [
            f"{name} in {row[f'{name}_currency']}"
            for name in ("amount", "authorized_amount", "captured_amount", "refunded_amount")
            if (name == "amount" or row[name] is not None) and row[f"{name}_currency"] != cur
        ]
        if row["foreign_refunds"]:
            others.append("a refund in another currency")
        if others:
            yield Violation(
                "payment.currency_mismatch",
                f"the order is in {cur}, but {', '.join(others)}",
                reference,
            )


def _active_payments() -> Iterator[Violation]:
    """At most one pending, processing or authorized payment per order."""
    from commerce.payments.models import Payment

    broken = (
        Payment.objects.filter(status__in=Payment.ACTIVE)
        .order_by()
        .values("order__number")
        .annotate(active=Count("pk"))
        .filter(active__gt=1)
        .order_by("order__number")
    )
    for row in _stream(broken):
        yield Violation(
            "payment.multiple_active",
            f"{row['active']} payments are pending, processing or authorized at once",
            row["order__number"],
        )


def _webhook_rows() -> Iterator[Violation]:
    """A webhook event is stored once per (gateway, event id)."""
    from commerce.payments.models import WebhookEvent

    broken = (
        WebhookEvent.objects.order_by()
        .values("gateway", "event_id")
        .annotate(rows=Count("pk"))
        .filter(rows__gt=1)
        .order_by("gateway", "event_id")
    )
    for row in _stream(broken):
        yield Violation(
            "webhook.duplicate_event",
            f"stored {row['rows']} times",
            f"{row['gateway']}:{row['event_id']}",
        )


def _webhook_transitions() -> Iterator[Violation]:
    """A webhook event moves a payment's status at most once.

    The payment services write one :class:`~commerce.payments.models.PaymentEvent`
    per status change, with both statuses set; when a webhook drove it, its
    reason is ``webhook <event id>`` (``webhook <event id> (deferred)`` for a
    refund applied once its capture arrived). Two such rows for one event id of
    one gateway mean the event was applied twice.
    """
    from commerce.payments.models import PaymentEvent

    start = len(WEBHOOK_REASON_PREFIX) + 1  # SQL strings are 1-indexed
    broken = (
        PaymentEvent.objects.exclude(from_status="")
        .exclude(to_status="")
        .filter(reason__startswith=WEBHOOK_REASON_PREFIX)
        .annotate(event_id=Replace(Substr("reason", start), Value(DEFERRED_SUFFIX), Value("")))
        .order_by()
        .values("payment__gateway", "event_id")
        .annotate(transitions=Count("pk"))
        .filter(transitions__gt=1)
        .order_by("payment__gateway", "event_id")
    )
    for row in _stream(broken):
        yield Violation(
            "webhook.applied_twice",
            f"drove {row['transitions']} payment status changes",
            f"{row['payment__gateway']}:{row['event_id']}",
        )


#: (app that must be installed, check), in the order they run and report.
_CHECKS: tuple[tuple[str, Callable[[], Iterator[Violation]]], ...] = (
    ("commerce.catalog", _stock_records),
    ("commerce.orders", _reservations),
    ("commerce.orders", _orders),
    ("commerce.orders", _order_lines),
    ("commerce.payments", _captures),
    ("commerce.payments", _payments),
    ("commerce.payments", _active_payments),
    ("commerce.payments", _webhook_rows),
    ("commerce.payments", _webhook_transitions),
)

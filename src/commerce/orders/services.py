"""Checkout and the order lifecycle.

:func:`place_order` turns a cart into an order in one transaction: it locks
the cart, reserves stock through :func:`commerce.catalog.services.reserve`
(which locks the stock rows in a stable order), snapshots prices and
addresses, and empties the cart. Nothing is half-created: any error rolls the
whole transaction back.

Every status change goes through :func:`transition_order`, which locks the
order row, applies the django-fsm-2 transition, writes an
:class:`~commerce.orders.models.OrderEvent` and sends the matching signal once
the transaction commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django_fsm import can_proceed
from djmoney.money import Money

from commerce.cart import services as cart_services
from commerce.cart.exceptions import CodeNotAppliedError
from commerce.cart.models import Cart, CartLine
from commerce.cart.services import cart_fingerprint
from commerce.catalog import services as catalog_services
from commerce.conf import commerce_settings
from commerce.core import batching
from commerce.core.exceptions import (
    CommerceValidationError,
    ConflictError,
    LimitExceededError,
)
from commerce.core.prefetch import set_prefetched
from commerce.core.transactions import atomic
from commerce.orders import signals
from commerce.orders.exceptions import (
    CartChangedError,
    EmptyCartError,
    InvalidTransitionError,
    PriceChangedError,
    ShippingMethodRequiredError,
    UnavailableLinesError,
)
from commerce.orders.models import (
    Address,
    AddressFields,
    Order,
    OrderAddress,
    OrderAdjustment,
    OrderEvent,
    OrderLine,
    OrderTaxLine,
)
from commerce.pricing import discounts
from commerce.pricing.exceptions import ShippingMethodUnavailableError
from commerce.pricing.pipeline import LINE_RELATIONS, price_cart
from commerce.pricing.shipping import shipping_required
from commerce.pricing.types import Customer, PricedCart

__all__ = [
    "PlacedOrder",
    "cancel_order",
    "create_address",
    "deliver_order",
    "expire_orders",
    "hold_expiry",
    "mark_order_paid",
    "mark_order_refunded",
    "order_access_token",
    "place_order",
    "save_address",
    "ship_order",
    "transition_order",
    "update_address",
]

SIGNALS = {
    "mark_paid": signals.order_paid,
    "ship": signals.order_shipped,
    "deliver": signals.order_delivered,
    "cancel": signals.order_cancelled,
    "mark_refunded": signals.order_refunded,
}


#: Transitions that settle the order's stock reservation: a cancelled (or
#: expired) order gives it back; a paid one turns it into a sale.
STOCK_OPERATIONS = {
    "cancel": (catalog_services.release, "Cancelled"),
    "mark_paid": (catalog_services.commit, "Sold"),
}


ACCESS_TOKEN_SALT = "commerce.orders.access-token"


def order_access_token(order_or_number: Order | str) -> str:
    """The token that opens an order without signing in (guests send it as ``X-Order-Token``).

    It is an HMAC of the order number with ``SECRET_KEY``, so it is stored
    nowhere and can be recomputed, for instance to email it from an
    ``order_placed`` receiver. Rotating ``SECRET_KEY`` invalidates old tokens
    unless the old key is kept in ``SECRET_KEY_FALLBACKS``.
    """
    number = getattr(order_or_number, "number", order_or_number)
    return salted_hmac(ACCESS_TOKEN_SALT, number, algorithm="sha256").hexdigest()


@dataclass
class PlacedOrder:
    """The new order and its access token (see :func:`order_access_token`)."""

    order: Order
    access_token: str


def _address_snapshot(address: Address | Mapping[str, Any] | None) -> OrderAddress | None:
    if address is None:
        return None
    data = (
        address.address_data()
        if isinstance(address, AddressFields)
        else {name: address.get(name, "") for name in AddressFields.ADDRESS_FIELDS}
    )
    snapshot = OrderAddress(**data)
    # A fresh UUID needs no uniqueness query; the fields still get validated.
    snapshot.full_clean(validate_unique=False, validate_constraints=False)
    snapshot.save()
    return snapshot


def _new_order_number() -> str:
    generate = commerce_settings.ORDER_NUMBER_GENERATOR
    for _ in range(10):
        number = generate()
        if not Order.objects.filter(number=number).exists():
            return number
    raise RuntimeError("Could not generate a free order number in 10 tries.")


@atomic
def place_order(
    *,
    cart: Cart,
    shipping_address: Address | Mapping[str, Any],
    billing_address: Address | Mapping[str, Any] | None = None,
    email: str = "",
    user=None,
    note: str = "",
    expected_cart_version: str | None = None,
    shipping_method: str | None = None,
    codes: Iterable[str] | None = None,
    expected_total: Money | None = None,
) -> PlacedOrder:
    """Check out ``cart``: price it, reserve its stock, spend its discounts, create a
    pending order that keeps every figure.

    The cart is priced again here, inside the transaction, by
    :func:`~commerce.pricing.pipeline.price_cart` with ``shipping_method`` (a
    method's code) and ``codes`` (default: the codes on the cart). The order keeps
    what it was charged: base prices, each discount per line, the shipping method
    and its price, and tax lines per line and for shipping; nothing is recomputed
    from live promotions or rates afterwards. Discount budgets and code uses are
    spent with conditional updates in the same transaction.

    A cart over the size limits (filled before ``CART_MAX_LINES`` or
    ``CART_MAX_LINE_QUANTITY`` were lowered) is refused, so checkout's work
    stays bounded.

    Raises :class:`EmptyCartError` (400),
    :class:`~commerce.cart.exceptions.CartFullError` or
    :class:`~commerce.cart.exceptions.CartLineError` (400, a cart over the
    limits), :class:`CartChangedError` (409) when ``expected_cart_version`` is
    given and differs from the cart's current
    :func:`~commerce.cart.services.cart_fingerprint` (edited, repriced or withdrawn
    items, a discount that started or ended), :class:`PriceChangedError` (409, with
    the new figures) when ``expected_total`` is given and differs,
    :class:`UnavailableLinesError` (400),
    :class:`~commerce.cart.exceptions.CodeNotAppliedError` (400) for a code that
    does not apply, :class:`ShippingMethodRequiredError` or
    :class:`~commerce.pricing.exceptions.ShippingMethodUnavailableError` (400),
    :class:`~commerce.pricing.exceptions.DiscountUnavailableError` (409) when a
    discount's budget or uses ran out meanwhile, or
    :class:`~commerce.core.exceptions.InsufficientStockError` (409).

    The order returned carries its lines, their adjustments and tax lines and the
    shipping's, as :func:`~commerce.orders.selectors.order_detail_queryset` prefetches
    them: showing it reads nothing back.
    """
    cart = Cart.objects.select_for_update().get(pk=cart.pk)
    max_lines = commerce_settings.CART_MAX_LINES
    # One line past the limit is enough to refuse: never read an unbounded cart.
    lines = list(
        cart.lines.select_related(*LINE_RELATIONS).order_by("created_at", "pk")[: max_lines + 1]
    )
    if not lines:
        raise EmptyCartError()
    cart_services.check_limits(cart, lines)
    currency = cart.currency or str(lines[0].variant.price.currency)
    # A line repriced into another currency cannot be added up with the rest.
    unavailable = [
        line.variant.sku
        for line in lines
        if not line.variant.is_purchasable or str(line.variant.price.currency) != currency
    ]
    if unavailable:
        raise UnavailableLinesError(details={"skus": unavailable})
    if user is not None and not user.is_authenticated:
        user = None
    email = (email or (user.email if user is not None else "")).strip()
    if not email:
        raise CommerceValidationError(
            "An email address is required.", details={"email": ["Required for guests."]}
        )

    customer = Customer(user=user, email=email)
    shipping_snapshot = _address_snapshot(shipping_address)
    billing_snapshot = _address_snapshot(billing_address)
    priced = price_cart(
        cart,
        shipping_address=shipping_snapshot,
        shipping_method=shipping_method,
        codes=cart.codes if codes is None else codes,
        customer=customer,
        lines=lines,
    )
    version = cart_fingerprint(lines, priced)
    if expected_cart_version is not None and version != expected_cart_version:
        raise CartChangedError(
            details={"expected_version": expected_cart_version, "version": version}
        )
    refused = next((status for status in priced.codes if not status.applied), None)
    if refused is not None:
        raise CodeNotAppliedError.for_reason(refused.code, refused.reason)
    if priced.shipping is None and priced.shipping_methods:
        raise ShippingMethodRequiredError(
            details={"available": [option.code for option in priced.shipping_methods]}
        )
    if priced.shipping is None and shipping_required(currency):
        raise ShippingMethodUnavailableError(
            "No shipping method serves this address.", details={"available": []}
        )
    charged = priced.money(priced.total)
    if expected_total is not None and (
        str(expected_total.currency) != priced.currency or expected_total.amount != charged.amount
    ):
        raise PriceChangedError(details=price_figures(priced))

    number = _new_order_number()
    catalog_services.reserve(
        {line.variant_id: line.quantity for line in lines},
        reference=number,
        reason="Checkout",
    )
    discounts.spend(priced.claims, order_reference=number, customer=customer)
    money = priced.money
    shipping = priced.shipping
    try:
        with atomic():
            order = Order.objects.create(
                number=number,
                user=user,
                email=email,
                currency=currency,
                subtotal=money(priced.subtotal),
                discount_total=money(priced.discount_total),
                shipping_total=money(priced.shipping_total),
                tax_total=money(priced.tax_total),
                total=money(priced.total),
                prices_include_tax=priced.prices_include_tax,
                shipping_method_code=shipping.option.code if shipping else "",
                shipping_method_name=shipping.option.name[:200] if shipping else "",
                shipping_price=money(shipping.option.price) if shipping else None,
                shipping_address=shipping_snapshot,
                billing_address=billing_snapshot,
                note=note,
                reservation_expires_at=timezone.now()
                + timedelta(seconds=commerce_settings.RESERVATION_TTL),
            )
    except IntegrityError as exc:  # an order number taken between check and insert
        raise ConflictError("Please retry the checkout.", code="retry") from exc
    order_lines = [
        OrderLine(
            order=order,
            variant=line.variant,
            vendor_id=line.variant.product.vendor_id,
            product_name=line.variant.product.name,
            variant_name=line.variant.name,
            sku=line.variant.sku,
            options=line.variant.options,
            unit_price=money(p.unit_price),
            quantity=p.quantity,
            line_total=money(p.base_total),
            discount_total=money(p.discount),
            tax_total=money(p.tax),
            total=money(p.total),
        )
        for line, p in zip(lines, priced.lines, strict=True)
    ]
    OrderLine.objects.bulk_create(order_lines, batch_size=batching.BATCH_SIZE)
    adjustments, tax_lines = _snapshot_adjustments_and_tax(order, priced, order_lines)
    _attach_details(order, order_lines, adjustments, tax_lines)
    OrderEvent.objects.create(
        order=order,
        actor=user,
        from_status="",
        to_status=order.status,
        reason="Order placed",
        data={"codes": [status.code for status in priced.codes]} if priced.codes else {},
    )
    CartLine.objects.filter(cart=cart).delete()
    Cart.objects.filter(pk=cart.pk).update(
        currency="", codes=[], revision=cart.revision + 1, updated_at=timezone.now()
    )
    transaction.on_commit(
        lambda: signals.order_placed.send(sender=Order, order=order, actor=user, reason="")
    )
    return PlacedOrder(order=order, access_token=order_access_token(order))


def _attach_details(order: Order, order_lines, adjustments, tax_lines) -> None:
    """Give the new order what :func:`~commerce.orders.selectors.order_detail_queryset`
    prefetches, from the rows just written and in its order, so showing it reads nothing."""
    order_lines = sorted(order_lines, key=lambda line: (line.created_at, line.sku))
    set_prefetched(order, "lines", order_lines)
    for name, rows in (("adjustments", adjustments), ("tax_lines", tax_lines)):
        by_line: dict[Any, list] = {}
        for row in rows:
            by_line.setdefault(row.line_id, []).append(row)
        for line in order_lines:
            set_prefetched(line, name, by_line.get(line.pk, []))
        # The shipping's rows (no line), under the names the detail queryset gives them.
        setattr(order, f"shipping_{name}", by_line.get(None, []))


def _snapshot_adjustments_and_tax(order: Order, priced: PricedCart, order_lines):
    """Write the adjustments and tax lines; return them, each list in its reading order."""
    # One row per discount and per tax on each line and on shipping (``line`` empty).
    by_key = {p.key: order_line for p, order_line in zip(priced.lines, order_lines, strict=True)}
    money = priced.money
    adjustments = [
        OrderAdjustment(
            order=order,
            line=by_key.get(adjustment.line_key),
            source=adjustment.discount.source[:32],
            promotion=adjustment.discount.promotion[:64],
            code=adjustment.discount.code[:64],
            name=adjustment.discount.name[:200],
            lane=adjustment.discount.lane[:32],
            amount=money(adjustment.amount),
        )
        for adjustment in priced.adjustments
    ]
    shipping_tax = priced.shipping.tax_lines if priced.shipping else ()
    tax_lines = [
        OrderTaxLine(
            order=order,
            line=by_key.get(tax.key),
            name=tax.name[:200],
            rate=tax.rate,
            amount=money(tax.amount),
            included=tax.included,
        )
        for tax in [*(t for p in priced.lines for t in p.tax_lines), *shipping_tax]
    ]
    OrderAdjustment.objects.bulk_create(adjustments, batch_size=batching.BATCH_SIZE)
    OrderTaxLine.objects.bulk_create(tax_lines, batch_size=batching.BATCH_SIZE)
    # Read back ordered by (created_at, pk), as their models' Meta says.
    adjustments.sort(key=lambda row: (row.created_at, row.pk))
    tax_lines.sort(key=lambda row: (row.created_at, row.pk))
    return adjustments, tax_lines


def price_figures(priced: PricedCart) -> dict[str, Any]:
    """The totals of ``priced`` as decimal strings, for an error's ``details``."""
    return {
        "currency": priced.currency,
        **{
            name: str(priced.money(getattr(priced, name)).amount)
            for name in ("subtotal", "discount_total", "shipping_total", "tax_total", "total")
        },
    }


def _stock_lines(order: Order) -> dict[Any, int]:
    totals: dict[Any, int] = {}
    for variant_id, quantity in order.lines.filter(variant__isnull=False).values_list(
        "variant_id", "quantity"
    ):
        totals[variant_id] = totals.get(variant_id, 0) + quantity
    return totals


@transaction.atomic
def transition_order(
    order: Order,
    name: str,
    *,
    actor=None,
    reason: str = "",
    data: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> Order:
    """Apply transition ``name`` to ``order`` under a row lock, with an event and a signal.

    Raises :class:`InvalidTransitionError` (409) naming the current status and
    the allowed transitions when ``name`` is not allowed now.
    """
    locked = Order.objects.select_for_update().get(pk=order.pk)
    method = getattr(locked, name)
    if not can_proceed(method):
        raise InvalidTransitionError(
            f"Cannot {name.replace('_', ' ')} an order that is {locked.status}.",
            details={"status": locked.status, "allowed": locked.allowed_transitions()},
        )
    from_status = locked.status
    method(**kwargs)
    locked.save()
    if name in STOCK_OPERATIONS:
        operation, default_reason = STOCK_OPERATIONS[name]
        lines = _stock_lines(locked)
        if lines:
            operation(lines, reference=locked.number, reason=reason or default_reason)
    if name == "cancel":
        # Vouchers and budgets go back with the stock, in the same transaction: a
        # cancel racing an expiry gives them back once (the order row is locked).
        discounts.release(locked.number)
    actor = actor if getattr(actor, "is_authenticated", False) else None
    OrderEvent.objects.create(
        order=locked,
        actor=actor,
        from_status=from_status,
        to_status=locked.status,
        reason=reason[:255],
        data=dict(data or {}),
    )
    signal = SIGNALS[name]
    transaction.on_commit(
        lambda: signal.send(sender=Order, order=locked, actor=actor, reason=reason)
    )
    return locked


def cancel_order(order: Order, *, actor=None, reason: str = "Cancelled by customer") -> Order:
    """Cancel a pending order and release its stock reservation."""
    return transition_order(order, "cancel", actor=actor, reason=reason)


def ship_order(order: Order, *, actor=None, carrier: str, tracking_number: str) -> Order:
    """Mark a paid order shipped with its carrier and tracking number."""
    return transition_order(
        order,
        "ship",
        actor=actor,
        reason="Shipped",
        data={"carrier": carrier, "tracking_number": tracking_number},
        carrier=carrier,
        tracking_number=tracking_number,
    )


def deliver_order(order: Order, *, actor=None) -> Order:
    """Mark a shipped order delivered."""
    return transition_order(order, "deliver", actor=actor, reason="Delivered")


def mark_order_paid(order: Order, *, actor=None, reason: str = "Payment captured") -> Order:
    """Mark a pending order paid and turn its stock reservation into a sale.

    The payments app calls this after a full capture.
    """
    return transition_order(order, "mark_paid", actor=actor, reason=reason)


def mark_order_refunded(order: Order, *, actor=None, reason: str = "Refunded in full") -> Order:
    """Mark a paid, shipped or delivered order refunded."""
    return transition_order(order, "mark_refunded", actor=actor, reason=reason)


#: What keeps a pending order from expiring besides its reservation time; see :func:`hold_expiry`.
_EXPIRY_HOLDS: list[Callable[[], Q]] = []


def hold_expiry(condition: Callable[[], Q]) -> Callable[[], Q]:
    """Keep the pending orders that ``condition()`` (a ``Q`` over orders) matches from expiring.

    An app above orders registers its reason from its ``AppConfig.ready()``, so
    orders need not know it: the payments app keeps an order whose payment holds
    the customer's money (authorized, or captured awaiting staff) until that
    payment is captured or cancelled. :func:`expire_orders` excludes every
    registered condition, also when it re-checks an order under its lock.
    Returns ``condition`` (usable as a decorator); registering it again changes
    nothing.
    """
    if condition not in _EXPIRY_HOLDS:
        _EXPIRY_HOLDS.append(condition)
    return condition


def expire_orders(*, now=None) -> int:
    """Cancel pending orders whose reservation expired, releasing their stock.

    Safe to run from several processes at once: each order is claimed with
    ``SELECT ... FOR UPDATE SKIP LOCKED`` and re-checked under the lock, so an
    order is cancelled (and its stock released) exactly once. Returns how many
    orders this call cancelled.
    """
    now = now or timezone.now()
    expired = 0
    expiring = Order.objects.filter(status=Order.Status.PENDING, reservation_expires_at__lte=now)
    for hold in _EXPIRY_HOLDS:
        expiring = expiring.exclude(hold())
    # Candidates are read a batch at a time, in id order, so neither a statement nor
    # this process's memory grows with the number of expired orders.
    after = None
    while True:
        page = expiring.order_by("pk")
        if after is not None:
            page = page.filter(pk__gt=after)
        candidates = list(page.values_list("pk", flat=True)[: batching.BATCH_SIZE])
        if not candidates:
            return expired
        for pk in candidates:
            with transaction.atomic():
                # Re-checked under the lock: a payment may have been authorized meanwhile.
                order = expiring.select_for_update(skip_locked=True).filter(pk=pk).first()
                if order is None:
                    continue
                transition_order(order, "cancel", reason="Reservation expired")
                expired += 1
        after = candidates[-1]


# --- address book --------------------------------------------------------------------

ADDRESS_BOOK_FIELDS = {*AddressFields.ADDRESS_FIELDS, "is_default_shipping", "is_default_billing"}


@transaction.atomic
def save_address(address: Address) -> Address:
    """Validate and save an address-book entry; a new default replaces the user's old one."""
    address.full_clean()
    others = Address.objects.filter(user_id=address.user_id).exclude(pk=address.pk)
    if address.is_default_shipping:
        others.filter(is_default_shipping=True).update(is_default_shipping=False)
    if address.is_default_billing:
        others.filter(is_default_billing=True).update(is_default_billing=False)
    address.save()
    return address


def _check_address_fields(fields: Mapping[str, Any]) -> None:
    unknown = set(fields) - ADDRESS_BOOK_FIELDS
    if unknown:
        raise CommerceValidationError(
            details={name: ["Unknown field."] for name in sorted(unknown)}
        )


@transaction.atomic
def create_address(user, **fields: Any) -> Address:
    """Add an address to ``user``'s book.

    A book holds at most ``ADDRESS_BOOK_MAX_ENTRIES`` addresses; one more
    raises :class:`~commerce.core.exceptions.LimitExceededError` (400,
    ``address_book_full``).
    """
    _check_address_fields(fields)
    # Lock the user's row so two concurrent adds count one after the other.
    get_user_model().objects.select_for_update().filter(pk=user.pk).exists()
    maximum = commerce_settings.ADDRESS_BOOK_MAX_ENTRIES
    if Address.objects.filter(user=user).count() >= maximum:
        raise LimitExceededError(
            f"An address book holds at most {maximum} addresses; delete one first.",
            code="address_book_full",
            setting="ADDRESS_BOOK_MAX_ENTRIES",
            maximum=maximum,
        )
    return save_address(Address(user=user, **fields))


def update_address(address: Address, **changes: Any) -> Address:
    """Change an address in the book; orders keep their own snapshot, so they do not move."""
    _check_address_fields(changes)
    for name, value in changes.items():
        setattr(address, name, value)
    return save_address(address)

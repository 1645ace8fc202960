"""Cart operations: plain arguments in, model instances out, one transaction each.

Prices are never taken from the client. A line remembers the price it was
added at only to warn the shopper when the catalog price moves.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from djmoney.money import Money

from commerce.cart.exceptions import (
    CartFullError,
    CartLineError,
    CartNotFoundError,
    CodeNotAppliedError,
    InvalidCodeError,
    QuantityUnavailableError,
    VariantUnavailableError,
)
from commerce.cart.models import Cart, CartLine
from commerce.catalog.models import Variant
from commerce.conf import commerce_settings
from commerce.core import batching
from commerce.core.exceptions import CurrencyMismatchError, LimitExceededError, NotFoundError
from commerce.core.money import from_minor_units
from commerce.pricing.pipeline import LINE_RELATIONS, price_cart
from commerce.pricing.types import Customer, PricedCart, PricedLine

__all__ = [
    "MergeResult",
    "ViewedCart",
    "ViewedCartLine",
    "add_code",
    "add_line",
    "add_to_cart",
    "cart_fingerprint",
    "check_limits",
    "clear_cart",
    "create_anonymous_cart",
    "delete_expired_carts",
    "digest_token",
    "find_cart",
    "get_or_create_cart",
    "merge_carts",
    "normalize_code",
    "remove_code",
    "remove_line",
    "set_line_quantity",
    "view_cart",
]


def digest_token(token: str) -> str:
    """SHA-256 of a cart token: what the database stores and looks up."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_anonymous_cart() -> tuple[Cart, str]:
    """Create an anonymous cart; return it with its token (shown once, never stored)."""
    token = secrets.token_urlsafe(32)
    cart = Cart.objects.create(token_digest=digest_token(token))
    return cart, token


def find_cart(*, user=None, token: str | None = None) -> Cart | None:
    """The signed-in user's cart, or the anonymous cart for ``token``, or ``None``.

    A token that matches nothing (or an expired cart) raises
    :class:`CartNotFoundError`, so a client learns to drop it.
    """
    if user is not None and user.is_authenticated:
        return Cart.objects.filter(user=user).first()
    if token:
        cart = Cart.objects.filter(token_digest=digest_token(token), user__isnull=True).first()
        if cart is None or _is_expired(cart):
            raise CartNotFoundError()
        return cart
    return None


def get_or_create_cart(*, user=None, token: str | None = None) -> tuple[Cart, str | None]:
    """Find the cart as :func:`find_cart` does, creating one if there is none.

    Returns ``(cart, new_token)``; ``new_token`` is set only when an anonymous
    cart was just created.
    """
    if user is not None and user.is_authenticated:
        cart, _ = Cart.objects.get_or_create(user=user)
        return cart, None
    cart = find_cart(token=token)
    if cart is not None:
        return cart, None
    return create_anonymous_cart()


def _is_expired(cart: Cart) -> bool:
    return cart.updated_at < timezone.now() - timedelta(seconds=commerce_settings.CART_TTL)


def _purchasable_variant(variant_id) -> Variant:
    variant = (
        Variant.objects.select_related("product__vendor", "stock").filter(pk=variant_id).first()
    )
    if variant is None:
        raise NotFoundError("Unknown variant.", details={"variant": str(variant_id)})
    if not variant.is_purchasable:
        raise VariantUnavailableError(details={"sku": variant.sku})
    return variant


def _check_positive(quantity: Any) -> None:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise CartLineError(
            "Quantity must be a whole number of at least 1.",
            code="invalid_quantity",
            details={"quantity": str(quantity), "minimum": 1},
        )


def _check_quantity(variant: Variant, quantity: int) -> None:
    """Refuse a line quantity over the per-line maximum or over what is available."""
    _check_positive(quantity)
    maximum = commerce_settings.CART_MAX_LINE_QUANTITY
    if quantity > maximum:
        raise CartLineError(
            f"At most {maximum} of one item per order.",
            code="invalid_quantity",
            details={"quantity": quantity, "maximum": maximum},
        )
    available = variant.stock.available if hasattr(variant, "stock") else 0
    if quantity > available:
        raise QuantityUnavailableError(variant.sku, quantity, available)


def _check_room(lines: int) -> None:
    """Refuse a new line when the cart already holds ``CART_MAX_LINES``."""
    maximum = commerce_settings.CART_MAX_LINES
    if lines >= maximum:
        raise CartFullError(maximum, lines)


def check_limits(cart: Cart, lines: list[CartLine]) -> None:
    """Refuse a cart over ``CART_MAX_LINES`` or with a line over ``CART_MAX_LINE_QUANTITY``.

    For checkout: a cart filled before either limit was lowered is refused whole
    (adding and changing lines check the limits one line at a time). ``lines`` may
    stop one past ``CART_MAX_LINES``: that is enough to refuse.
    """
    max_lines = commerce_settings.CART_MAX_LINES
    if len(lines) > max_lines:
        raise CartFullError(
            max_lines,
            cart.lines.count(),
            f"A cart holds at most {max_lines} different items; remove some to check out.",
        )
    max_quantity = commerce_settings.CART_MAX_LINE_QUANTITY
    over = [line.variant.sku for line in lines if line.quantity > max_quantity]
    if over:
        raise CartLineError(
            f"At most {max_quantity} of one item per order.",
            code="invalid_quantity",
            details={"skus": over, "maximum": max_quantity},
        )


def _locked(cart: Cart) -> Cart:
    locked = Cart.objects.select_for_update().filter(pk=cart.pk).first()
    if locked is None:
        # Merged, emptied by checkout's cleanup or expired since the caller found it.
        raise CartNotFoundError()
    return locked


def _touch(cart: Cart) -> Cart:
    """Record a change on a locked cart: bump the revision; ``updated_at`` restarts expiry."""
    cart.revision += 1
    cart.save(update_fields=["revision", "currency", "codes", "updated_at"])
    return cart


@transaction.atomic
def add_line(cart: Cart, *, variant_id, quantity: int) -> Cart:
    """Add ``quantity`` of a variant (an existing line for it grows); return the cart.

    Raises :class:`VariantUnavailableError`, :class:`QuantityUnavailableError`,
    :class:`CartLineError` (quantity out of range),
    :class:`~commerce.cart.exceptions.CartFullError` (a new line in a cart of
    ``CART_MAX_LINES`` lines) or
    :class:`~commerce.core.exceptions.CurrencyMismatchError`.
    """
    _check_positive(quantity)
    return _add_line(_locked(cart), variant_id=variant_id, quantity=quantity)


@transaction.atomic
def add_to_cart(
    *, variant_id, quantity: int, user=None, token: str | None = None
) -> tuple[Cart, str | None]:
    """Find the shopper's cart as :func:`get_or_create_cart` does and :func:`add_line`
    to it, in one transaction; return ``(cart, new_token)``.

    What ``POST /cart/lines/`` calls. The cart is read once, already locked; a
    refused line leaves no new anonymous cart behind. Raises what
    :func:`add_line` and :func:`find_cart` raise.
    """
    _check_positive(quantity)
    if user is not None and user.is_authenticated:
        cart, new_token = Cart.objects.select_for_update().filter(user=user).first(), None
        if cart is None:
            # get_or_create's savepoint absorbs a concurrent first add's insert.
            cart, created = Cart.objects.get_or_create(user=user)
            if not created:
                cart = _locked(cart)
    elif token:
        cart, new_token = (
            Cart.objects.select_for_update()
            .filter(token_digest=digest_token(token), user__isnull=True)
            .first(),
            None,
        )
        if cart is None or _is_expired(cart):
            raise CartNotFoundError()
    else:
        cart, new_token = create_anonymous_cart()
    return _add_line(cart, variant_id=variant_id, quantity=quantity), new_token


def _add_line(cart: Cart, *, variant_id, quantity: int) -> Cart:
    """:func:`add_line` on a cart locked by the caller's transaction."""
    variant = _purchasable_variant(variant_id)
    currency = str(variant.price.currency)
    # One read for the line to grow, whether the cart is empty and whether a new
    # line fits: the cart holds at most CART_MAX_LINES lines.
    lines = list(cart.lines.order_by().values_list("pk", "variant_id", "quantity"))
    line_id, current = next(((pk, qty) for pk, v, qty in lines if v == variant.pk), (None, 0))
    if cart.currency and cart.currency != currency and lines:
        raise CurrencyMismatchError(
            f"This cart is in {cart.currency}; {variant.sku} is priced in {currency}.",
            details={"cart_currency": cart.currency, "currency": currency, "sku": variant.sku},
        )
    new_quantity = current + quantity
    _check_quantity(variant, new_quantity)
    line = CartLine(
        cart=cart, variant=variant, quantity=new_quantity, price_when_added=variant.price
    )
    if line_id is None:
        # The cart row is locked, so concurrent adds count one after another.
        _check_room(len(lines))
        line.save(force_insert=True)
    else:
        # The row exists: an UPDATE of what changed, not the INSERT a new instance gets.
        line.pk, line._state.adding = line_id, False
        line.save(
            update_fields=[
                "quantity",
                "price_when_added",
                "price_when_added_currency",
                "updated_at",
            ]
        )
    cart.currency = currency
    return _touch(cart)


def _get_line(cart: Cart, line_id) -> CartLine:
    line = (
        CartLine.objects.select_related("variant__product__vendor", "variant__stock")
        .filter(cart=cart, pk=line_id)
        .first()
    )
    if line is None:
        raise NotFoundError("No such line in this cart.")
    return line


@transaction.atomic
def set_line_quantity(cart: Cart, *, line_id, quantity: int) -> Cart:
    """Set a line's quantity: from 1 to ``CART_MAX_LINE_QUANTITY``, within stock."""
    cart = _locked(cart)
    line = _get_line(cart, line_id)
    _purchasable_variant(line.variant_id)
    _check_quantity(line.variant, quantity)
    line.quantity = quantity
    line.price_when_added = line.variant.price
    line.save(
        update_fields=["quantity", "price_when_added", "price_when_added_currency", "updated_at"]
    )
    return _touch(cart)


@transaction.atomic
def remove_line(cart: Cart, *, line_id) -> Cart:
    """Remove one line; an emptied cart forgets its currency."""
    cart = _locked(cart)
    _get_line(cart, line_id).delete()
    if not cart.lines.exists():
        cart.currency = ""
    return _touch(cart)


@transaction.atomic
def clear_cart(cart: Cart) -> Cart:
    """Remove every line."""
    cart = _locked(cart)
    cart.lines.all().delete()
    cart.currency = ""
    return _touch(cart)


@dataclass
class MergeResult:
    """What :func:`merge_carts` did: the user's cart, and each line it could not merge in full."""

    cart: Cart
    #: Lines not merged or merged with less than asked, with the reason.
    adjustments: list[dict[str, Any]] = field(default_factory=list)


def _adjustment(line: CartLine, reason: str, merged: int = 0) -> dict[str, Any]:
    return {"sku": line.variant.sku, "reason": reason, "requested": line.quantity, "merged": merged}


@transaction.atomic
def merge_carts(*, user, token: str) -> MergeResult:
    """Move an anonymous cart's lines into ``user``'s cart and delete the anonymous one.

    The merged cart keeps both limits: quantities are capped at availability
    and ``CART_MAX_LINE_QUANTITY``, and once it holds ``CART_MAX_LINES`` lines
    the anonymous cart's remaining new items are left out (in the order they
    were added, so the first ones the shopper chose win). Lines that cannot be
    merged (unavailable, other currency) are dropped. Each line moved with
    less than its quantity is reported in ``adjustments`` as ``{sku, reason,
    requested, merged}``: ``requested`` units were in the anonymous line,
    ``merged`` of them were added; ``reason`` is ``capped``, ``cart_full``,
    ``unavailable`` or ``currency_mismatch``. The user's own lines never
    shrink nor go. Call it from your login flow, or let clients call
    ``POST /cart/merge/``. An unknown or expired token raises
    :class:`CartNotFoundError`.
    """
    anonymous = find_cart(token=token) if token else None
    if anonymous is None:
        raise CartNotFoundError()
    anonymous = _locked(anonymous)
    cart, _ = Cart.objects.get_or_create(user=user)
    cart = _locked(cart)
    adjustments: list[dict[str, Any]] = []
    existing = {line.variant_id: line for line in cart.lines.select_related("variant__stock")}
    incoming = anonymous.lines.select_related(
        "variant__product__vendor", "variant__stock"
    ).order_by("created_at", "pk")
    max_lines = commerce_settings.CART_MAX_LINES
    created: list[CartLine] = []
    grown: list[CartLine] = []
    now = timezone.now()
    for line in incoming:
        variant = line.variant
        if not variant.is_purchasable:
            adjustments.append(_adjustment(line, "unavailable"))
            continue
        currency = str(variant.price.currency)
        if existing and (cart.currency or currency) != currency:
            adjustments.append(_adjustment(line, "currency_mismatch"))
            continue
        current = existing.get(variant.pk)
        if current is None and len(existing) >= max_lines:
            adjustments.append(_adjustment(line, "cart_full"))
            continue
        have = current.quantity if current else 0
        available = variant.stock.available if hasattr(variant, "stock") else 0
        limit = min(available, commerce_settings.CART_MAX_LINE_QUANTITY)
        # Add what fits; a line of the user's already over the limit stays as it is.
        merged = max(0, min(line.quantity, limit - have))
        if merged < line.quantity:
            adjustments.append(_adjustment(line, "capped", merged))
        if merged == 0:
            continue
        if current is None:
            # Keep the price the shopper saw, so a change since then is still flagged.
            existing[variant.pk] = CartLine(
                cart=cart,
                variant=variant,
                quantity=merged,
                price_when_added=line.price_when_added,
            )
            created.append(existing[variant.pk])
        else:
            current.quantity = have + merged
            # bulk_update does not run auto_now.
            current.updated_at = now
            grown.append(current)
        cart.currency = currency
    CartLine.objects.bulk_create(created, batch_size=batching.BATCH_SIZE)
    CartLine.objects.bulk_update(grown, ["quantity", "updated_at"], batch_size=batching.BATCH_SIZE)
    # The anonymous cart's codes come along, after the user's, up to the limit.
    codes = list(dict.fromkeys([*cart.codes, *anonymous.codes]))
    cart.codes = codes[: max(commerce_settings.CART_MAX_CODES, len(cart.codes))]
    anonymous.delete()
    cart = _touch(cart)
    return MergeResult(cart=cart, adjustments=adjustments)


def delete_expired_carts(*, now=None) -> int:
    """Delete anonymous carts untouched for ``CART_TTL`` seconds; return how many.

    Carts go :data:`~commerce.core.batching.BATCH_SIZE` at a time, each batch
    in its own transaction: anyone may create anonymous carts, so one
    ``DELETE`` over all of them would grow without bound (and hold its locks
    as long).
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=commerce_settings.CART_TTL)
    expired = Cart.objects.filter(user__isnull=True, updated_at__lt=cutoff)
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(expired.order_by("pk").values_list("pk", flat=True)[: batching.BATCH_SIZE])
            if not ids:
                return deleted
            # Filtered again: a cart touched since it was listed is no longer expired.
            _, per_model = expired.filter(pk__in=ids).delete()
        # ``delete()``'s total also counts the lines that cascade with the carts.
        deleted += per_model.get(Cart._meta.label, 0)


# --- voucher codes ----------------------------------------------------------------------

#: What a voucher code may look like once normalised (see :func:`normalize_code`).
CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,63}$")


def normalize_code(code: Any) -> str:
    """A voucher code as stored and compared: stripped and upper-cased.

    Raises :class:`InvalidCodeError` (400, ``invalid_code``) for anything but 1-64
    letters, digits, ``-`` and ``_`` starting with a letter or digit.
    """
    normalized = code.strip().upper() if isinstance(code, str) else ""
    if not CODE_PATTERN.match(normalized):
        raise InvalidCodeError(details={"code": str(code)[:64]})
    return normalized


@transaction.atomic
def add_code(cart: Cart, code: str) -> Cart:
    """Enter a voucher code on the cart, if it applies to the cart now.

    A code that does not apply is refused with the reason the pricing pipeline
    gives (:class:`CodeNotAppliedError`, 400, with that reason as its code:
    ``unknown_code``, ``expired``, ``used_up``, ``below_minimum_spend``...), and
    is not kept. A code already on the cart is ``duplicate_code`` (400); a cart
    holds at most ``CART_MAX_CODES`` codes (``cart_codes_full``). A code kept on the
    cart that stops applying later (the shopper removed items) stays, shown with
    its reason, until it is removed; checkout refuses it.
    """
    code = normalize_code(code)
    cart = _locked(cart)
    if code in cart.codes:
        raise CodeNotAppliedError(
            "This code is already on the cart.", code="duplicate_code", details={"code": code}
        )
    maximum = commerce_settings.CART_MAX_CODES
    if len(cart.codes) >= maximum:
        raise LimitExceededError(
            f"A cart holds at most {maximum} voucher codes; remove one first.",
            code="cart_codes_full",
            setting="CART_MAX_CODES",
            maximum=maximum,
        )
    priced = price_cart(cart, codes=[*cart.codes, code])
    status = next(status for status in priced.codes if status.code == code)
    if not status.applied:
        raise CodeNotAppliedError.for_reason(code, status.reason)
    cart.codes = [*cart.codes, code]
    cart.revision += 1
    cart.save(update_fields=["codes", "revision", "updated_at"])
    return cart


@transaction.atomic
def remove_code(cart: Cart, code: str) -> Cart:
    """Take a voucher code off the cart; one that is not on it is a 404 (``code_not_found``)."""
    normalized = code.strip().upper() if isinstance(code, str) else ""
    cart = _locked(cart)
    if normalized not in cart.codes:
        raise NotFoundError(
            "This code is not on the cart.", code="code_not_found", details={"code": code[:64]}
        )
    cart.codes = [c for c in cart.codes if c != normalized]
    cart.revision += 1
    cart.save(update_fields=["codes", "revision", "updated_at"])
    return cart


# --- reading ------------------------------------------------------------------------


def cart_fingerprint(lines, priced: PricedCart | None = None) -> str:
    """The cart ``version``: a digest of exactly what the shopper is shown.

    It covers each line's variant, quantity, current price and whether it is
    for sale and, given the cart ``priced`` by the pipeline, each line's discount
    and the codes that apply, so it changes when the shopper edits the cart *and*
    when the catalog reprices or withdraws something or a promotion starts or ends.
    Checkout compares it with the ``cart_version`` the client sends. ``lines`` are
    ``CartLine`` objects with ``variant__product__vendor`` selected.
    """
    discounts = {line.key: line.discount for line in priced.lines} if priced else {}
    parts = sorted(
        f"{line.variant_id}:{line.quantity}:{line.variant.price.amount}:"
        f"{line.variant.price.currency}:{int(line.variant.is_purchasable)}:"
        f"{discounts.get(str(line.pk), 0)}"
        for line in lines
    )
    if priced:
        parts.append(",".join(sorted(status.code for status in priced.codes if status.applied)))
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:20]


@dataclass
class ViewedCartLine:
    """One line of a :class:`ViewedCart`: its pricing (``None`` when it is priced in
    another currency than the cart's and cannot be bought in it) and its warnings."""

    line: CartLine
    priced: PricedLine | None
    unit_price: Money
    line_total: Money
    discount: Money
    total: Money
    available: int
    warnings: list[dict[str, Any]]

    @property
    def adjustments(self) -> list[dict[str, Any]]:
        """Each discount on the line: ``{name, source, code, lane, amount}``."""
        if self.priced is None:
            return []
        currency = str(self.unit_price.currency)
        return [_adjustment_data(a, currency) for a in self.priced.adjustments]

    @property
    def tax_lines(self) -> list[dict[str, Any]]:
        """Each tax on the line: ``{name, rate, amount, included}``."""
        if self.priced is None:
            return []
        currency = str(self.unit_price.currency)
        return [_tax_data(t, currency) for t in self.priced.tax_lines]


def _adjustment_data(adjustment, currency: str) -> dict[str, Any]:
    discount = adjustment.discount
    return {
        "name": discount.name,
        "source": discount.source,
        "code": discount.code,
        "lane": discount.lane,
        "amount": from_minor_units(adjustment.amount, currency),
    }


def _tax_data(tax, currency: str) -> dict[str, Any]:
    return {
        "name": tax.name,
        "rate": tax.rate,
        "amount": from_minor_units(tax.amount, currency),
        "included": tax.included,
    }


@dataclass
class ViewedCart:
    """A cart priced by the pipeline right now, with a warning per changed line."""

    cart: Cart | None
    lines: list[ViewedCartLine]
    #: The pipeline's answer; ``None`` for no cart.
    priced: PricedCart | None
    item_count: int
    #: :func:`cart_fingerprint` of the lines.
    version: str

    @property
    def warnings(self) -> list[dict[str, Any]]:
        return [
            {**warning, "line": str(view.line.pk), "sku": view.line.variant.sku}
            for view in self.lines
            for warning in view.warnings
        ]

    def _money(self, name: str) -> Money | None:
        # An empty cart has no currency, hence no totals.
        if self.priced is None or not (self.lines or (self.cart and self.cart.currency)):
            return None
        return self.priced.money(getattr(self.priced, name))

    @property
    def subtotal(self) -> Money | None:
        return self._money("subtotal")

    @property
    def discount_total(self) -> Money | None:
        return self._money("discount_total")

    @property
    def shipping_total(self) -> Money | None:
        return self._money("shipping_total")

    @property
    def tax_total(self) -> Money | None:
        return self._money("tax_total")

    @property
    def total(self) -> Money | None:
        return self._money("total")

    @property
    def codes(self) -> list[dict[str, Any]]:
        """The codes on the cart: ``{code, applied, reason}``, ``reason`` being
        ``{code, message}`` for one that does not apply now."""
        if self.priced is None:
            return []
        return [
            {
                "code": status.code,
                "applied": status.applied,
                "reason": (
                    {"code": status.reason.code, "message": status.reason.message}
                    if status.reason and not status.applied
                    else None
                ),
            }
            for status in self.priced.codes
        ]

    @property
    def shipping_methods(self) -> list[dict[str, Any]]:
        """The methods that serve the address asked about, priced for this cart."""
        if self.priced is None:
            return []
        return [
            {"code": o.code, "name": o.name, "price": self.priced.money(o.price)}
            for o in self.priced.shipping_methods
        ]

    @property
    def shipping(self) -> dict[str, Any] | None:
        """The chosen method: price, discounts, tax and what it costs in all."""
        charge = self.priced.shipping if self.priced else None
        if charge is None:
            return None
        money, currency = self.priced.money, self.priced.currency
        return {
            "code": charge.option.code,
            "name": charge.option.name,
            "price": money(charge.option.price),
            "discount": money(charge.discount),
            "adjustments": [_adjustment_data(a, currency) for a in charge.adjustments],
            "tax_lines": [_tax_data(t, currency) for t in charge.tax_lines],
            "total": money(charge.total),
        }


def view_cart(
    cart: Cart | None,
    *,
    shipping_address: Any = None,
    shipping_method: str | None = None,
    customer: Customer | None = None,
) -> ViewedCart:
    """Price ``cart`` with the pipeline, with its codes, for ``shipping_address`` (an
    estimate of shipping and tax when given) and ``shipping_method``.

    A constant number of queries whatever the number of lines and promotions. Raises
    what :func:`~commerce.pricing.pipeline.price_cart` raises for a shipping method
    that does not serve the address.
    """
    if cart is None:
        return ViewedCart(
            cart=None, lines=[], priced=None, item_count=0, version=cart_fingerprint([])
        )
    lines = list(
        CartLine.objects.filter(cart=cart)
        .select_related(*LINE_RELATIONS)
        .order_by("created_at", "pk")
    )
    priced = price_cart(
        cart,
        shipping_address=shipping_address,
        shipping_method=shipping_method,
        codes=cart.codes,
        customer=customer,
        lines=lines,
    )
    by_key = {line.key: line for line in priced.lines}
    views = []
    for line in lines:
        variant = line.variant
        available = variant.stock.available if hasattr(variant, "stock") else 0
        warnings = []
        priced_line = by_key.get(str(line.pk))
        if priced_line is None:
            # A vendor repriced the variant in another currency after it was added:
            # such a line cannot be bought in this cart, nor summed with the others.
            warnings.append(
                {
                    "code": "unavailable",
                    "message": f"Now priced in {variant.price.currency}; "
                    f"this cart is in {cart.currency}.",
                }
            )
        elif not variant.is_purchasable:
            warnings.append({"code": "unavailable", "message": "No longer for sale."})
        elif available < line.quantity:
            warnings.append(
                {
                    "code": "insufficient_stock",
                    "message": f"Only {max(available, 0)} available.",
                    "available": max(available, 0),
                }
            )
        if line.price_when_added != variant.price:
            warnings.append(
                {
                    "code": "price_changed",
                    "message": "The price changed since this was added.",
                    "previous": line.price_when_added,
                    "current": variant.price,
                }
            )
        line_total = variant.price * line.quantity
        if priced_line is None:
            discount, total = Money(0, variant.price.currency), line_total
        else:
            discount = priced.money(priced_line.discount)
            total = priced.money(priced_line.total)
        views.append(
            ViewedCartLine(
                line=line,
                priced=priced_line,
                unit_price=variant.price,
                line_total=line_total,
                discount=discount,
                total=total,
                available=max(available, 0),
                warnings=warnings,
            )
        )
    return ViewedCart(
        cart=cart,
        lines=views,
        priced=priced,
        item_count=sum(view.line.quantity for view in views),
        version=cart_fingerprint(lines, priced),
    )

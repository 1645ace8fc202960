"""The values that flow through the pricing pipeline.

Every amount here is an ``int`` of minor units of the cart's currency (cents for
USD, yen for JPY, fils for KWD: see :func:`commerce.core.money.currency_exponent`).
Nothing here is a float, and nothing here is a :class:`~djmoney.money.Money`
until :meth:`PricedCart.money` turns an amount into one for display.

Discounts are positive amounts that are taken off. A line's ``key`` is the text
of the cart line's id: it names the line in adjustments and tax lines, and breaks
ties in allocations, so a cart prices the same whichever order its lines come in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cached_property
from typing import Any

from djmoney.money import Money

from commerce.core.money import from_minor_units

#: The key of the shipping charge in tax requests and results.
SHIPPING_KEY = "shipping"


class Lane:
    """Where a discount applies, in pipeline order. A source may use lanes of its own;
    these are the ones the promotions app knows."""

    #: Discounts on lines (catalog promotions): each line keeps its best one.
    CATALOG = "catalog"
    #: Discounts on the order after the catalog lane, allocated to the lines.
    ORDER = "order"
    #: Voucher codes, after the promotions.
    VOUCHER = "voucher"
    #: Discounts on shipping.
    SHIPPING = "shipping"


# --- what the pipeline prices ----------------------------------------------------------


@dataclass(frozen=True)
class PricingLine:
    """One cart line as the pipeline prices it.

    ``variant`` is the catalog variant with ``product`` (and its ``vendor``,
    ``category``, ``brand``) selected, so rules and strategies read ids without
    queries.
    """

    key: str
    variant: Any
    quantity: int
    #: The catalog's price for one unit now.
    unit_price: int

    @property
    def base_total(self) -> int:
        return self.unit_price * self.quantity

    @property
    def product(self) -> Any:
        return self.variant.product

    @property
    def tax_class_id(self) -> Any:
        """The product's tax class id, or ``None`` for the default class."""
        return self.variant.product.tax_class_id

    @property
    def weight(self) -> int:
        """The weight of one unit, in grams (0 when unknown)."""
        return self.variant.weight or 0


#: Callables ``(customer) -> bool | None`` telling whether a customer has ordered before;
#: see :func:`register_order_history`.
_ORDER_HISTORY: list[Callable[[Customer], bool | None]] = []


def register_order_history(
    check: Callable[[Customer], bool | None],
) -> Callable[[Customer], bool | None]:
    """Teach the pipeline whether a customer has ordered before (for first-order rules).

    The orders app registers its check from ``AppConfig.ready()``, so pricing need
    not import it. Returns ``check``; registering it again changes nothing.
    """
    if check not in _ORDER_HISTORY:
        _ORDER_HISTORY.append(check)
    return check


@dataclass(frozen=True)
class Customer:
    """Who is buying, as far as discount rules need to know. Read lazily: a cart
    whose rules never ask for groups or order history costs no query for them."""

    user: Any = None
    email: str = ""

    @property
    def is_authenticated(self) -> bool:
        return bool(getattr(self.user, "is_authenticated", False))

    @cached_property
    def group_ids(self) -> frozenset[Any]:
        """The primary keys of the user's groups; empty for a guest, or for a custom
        user model without ``groups`` (one that leaves out ``PermissionsMixin``)."""
        groups = getattr(self.user, "groups", None) if self.is_authenticated else None
        if groups is None:
            return frozenset()
        return frozenset(groups.values_list("pk", flat=True))

    @cached_property
    def has_ordered(self) -> bool | None:
        """Whether this customer has ordered before; ``None`` when it cannot be told
        (no order history registered, or a guest whose email is not known yet).
        First-order rules treat ``None`` as a first order; checkout prices again once
        the email is known."""
        if not self.is_authenticated and not self.email:
            return None
        answers = [check(self) for check in _ORDER_HISTORY]
        known = [answer for answer in answers if answer is not None]
        return any(known) if known else None


@dataclass(frozen=True)
class Destination:
    """Where a parcel goes, as zones match it: ISO 3166-1 alpha-2 country, region
    (subdivision code or name) and postal code, each stripped; country upper-cased."""

    country: str
    region: str = ""
    postal_code: str = ""

    @classmethod
    def of(cls, address: Any) -> Destination | None:
        """Read an address model, an order snapshot or a mapping; ``None`` for ``None``.
        A missing country gives ``country == ""``, which nothing matches."""
        if address is None or isinstance(address, Destination):
            return address
        read = (
            address.get
            if isinstance(address, Mapping)
            else (lambda name, default="": getattr(address, name, default))
        )
        return cls(
            country=str(read("country", "") or "").strip().upper(),
            region=str(read("region", "") or "").strip(),
            postal_code=str(read("postal_code", "") or "").strip(),
        )


@dataclass(frozen=True)
class PricingContext:
    """What a discount source sees: the lines at base price, who buys, which codes.

    ``discounted`` maps a line key to what earlier discount sources already took off
    that line, so a percentage is taken from the price after them.
    """

    currency: str
    exponent: int
    lines: tuple[PricingLine, ...]
    customer: Customer
    codes: tuple[str, ...]
    now: datetime
    destination: Destination | None = None
    discounted: dict[str, int] = field(default_factory=dict)

    @property
    def subtotal(self) -> int:
        return sum(line.base_total for line in self.lines)

    def line_total(self, line: PricingLine) -> int:
        """``line``'s total after earlier sources' discounts."""
        return line.base_total - self.discounted.get(line.key, 0)


# --- what discount sources answer ------------------------------------------------------


@dataclass(frozen=True)
class Discount:
    """Which promotion or code a discount comes from, as orders will snapshot it."""

    #: ``"promotion"`` or ``"voucher"`` (or a source's own word).
    source: str
    #: The promotion's id as text.
    promotion: str
    #: The voucher code, or ``""``.
    code: str
    name: str
    lane: str


@dataclass(frozen=True)
class LineAdjustment:
    """``amount`` taken off the line ``line_key`` by ``discount``."""

    line_key: str
    discount: Discount
    amount: int


@dataclass(frozen=True)
class OrderDiscount:
    """``amount`` taken off the order by ``discount``; the pipeline allocates it to lines."""

    discount: Discount
    amount: int


@dataclass(frozen=True)
class ShippingDiscount:
    """A discount on the chosen shipping method: ``percent`` of its price (100 is free
    shipping), or a fixed ``amount``, never more than the price."""

    discount: Discount
    percent: Decimal | None = None
    amount: int | None = None


@dataclass(frozen=True)
class Reason:
    """Why a promotion or code did not apply.

    ``code`` is stable and machine-readable: ``not_started``, ``expired``,
    ``inactive``, ``wrong_currency``, ``below_minimum_spend``, ``not_in_range``
    (no line is a target), ``conditions_not_met``, ``budget_spent``, ``used_up``,
    ``already_used`` (this customer's limit), ``sign_in_required``,
    ``not_eligible`` (customer group, first order), ``better_discount_applied``,
    ``not_combinable``, ``unknown_code``, ``duplicate_code``.
    """

    discount: Discount | None
    code: str
    message: str


@dataclass(frozen=True)
class CodeStatus:
    """A voucher code the shopper entered: whether it applies now, and if not, why."""

    code: str
    applied: bool
    reason: Reason | None = None


@dataclass(frozen=True)
class Claim:
    """What checkout must spend for an applied discount: a use of a promotion's
    budget or a code's limit, and the amount it took off."""

    discount: Discount
    amount: int
    #: The cart's currency (what ``amount`` counts minor units of); blank when unknown.
    currency: str = ""


@dataclass(frozen=True)
class DiscountResult:
    """A discount source's answer for one context."""

    line_adjustments: tuple[LineAdjustment, ...] = ()
    order_discounts: tuple[OrderDiscount, ...] = ()
    shipping_discounts: tuple[ShippingDiscount, ...] = ()
    not_applied: tuple[Reason, ...] = ()
    codes: tuple[CodeStatus, ...] = ()


# --- shipping ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ShippingRequest:
    """What a rate strategy prices: the lines, their total after discounts, their weight."""

    currency: str
    exponent: int
    destination: Destination
    lines: tuple[PricingLine, ...]
    #: The lines' total after every discount.
    subtotal: int
    #: Grams, all units of all lines.
    weight: int
    #: The zones ``destination`` is in, best first, as the pipeline matched them once
    #: for shipping and tax (:func:`~commerce.pricing.zones.match_zones`); ``None``
    #: when the caller did not match them.
    zones: tuple[Any, ...] | None = None


@dataclass(frozen=True)
class ShippingOption:
    """A method available for the address, priced for this cart (before any discount)."""

    method_id: str
    code: str
    name: str
    price: int
    tax_class_id: Any = None


class Taxed:
    """What a priced line and a shipping charge share: tax lines on a net amount."""

    tax_lines: tuple[TaxLine, ...]

    @property
    def net(self) -> int:
        raise NotImplementedError

    @property
    def tax(self) -> int:
        return sum(line.amount for line in self.tax_lines)

    @property
    def added_tax(self) -> int:
        return sum(line.amount for line in self.tax_lines if not line.included)

    @property
    def total(self) -> int:
        """What it costs the shopper: after discounts, with the tax added to it."""
        return self.net + self.added_tax


@dataclass(frozen=True)
class ShippingCharge(Taxed):
    """The chosen method: its price, the discounts on it and its tax."""

    option: ShippingOption
    adjustments: tuple[LineAdjustment, ...]
    discount: int
    tax_lines: tuple[TaxLine, ...]

    @property
    def net(self) -> int:
        """The price after discounts (with tax when prices include it)."""
        return self.option.price - self.discount


# --- tax --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaxableItem:
    """One thing to tax: a line (``key`` is its key) or shipping (:data:`SHIPPING_KEY`)."""

    key: str
    tax_class_id: Any
    quantity: int
    #: The item's total after discounts, as prices are entered (tax included when
    #: ``TaxRequest.prices_include_tax``).
    amount: int


@dataclass(frozen=True)
class TaxRequest:
    """What a :class:`~commerce.pricing.tax.TaxStrategy` computes tax for."""

    currency: str
    exponent: int
    destination: Destination | None
    items: tuple[TaxableItem, ...]
    prices_include_tax: bool
    #: ``"unit"``, ``"line"`` or ``"document"`` (``COMMERCE["TAX_ROUNDING"]``).
    rounding: str
    customer: Customer = field(default_factory=Customer)
    #: The zones ``destination`` is in, best first, as the pipeline matched them once
    #: for shipping and tax; ``None`` when the caller did not match them (a strategy
    #: then matches them itself if it needs them).
    zones: tuple[Any, ...] | None = None


@dataclass(frozen=True)
class TaxLine:
    """Tax on one item at one rate. ``included`` amounts are inside the item's price;
    the others are added to it."""

    key: str
    name: str
    rate: Decimal
    amount: int
    included: bool


@dataclass(frozen=True)
class TaxResult:
    lines: tuple[TaxLine, ...] = ()


# --- the result ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PricedLine(Taxed):
    """One line, priced: base, discounts, tax."""

    line: PricingLine
    adjustments: tuple[LineAdjustment, ...]
    tax_lines: tuple[TaxLine, ...]

    @property
    def key(self) -> str:
        return self.line.key

    @property
    def quantity(self) -> int:
        return self.line.quantity

    @property
    def unit_price(self) -> int:
        return self.line.unit_price

    @property
    def base_total(self) -> int:
        return self.line.base_total

    @property
    def discount(self) -> int:
        return sum(adjustment.amount for adjustment in self.adjustments)

    @property
    def net_total(self) -> int:
        """The line after discounts (with tax when prices include it)."""
        return self.base_total - self.discount

    @property
    def net(self) -> int:
        return self.net_total


@dataclass(frozen=True)
class PricedCart:
    """The pipeline's answer. Totals are properties, so each is the sum of its parts:

    ``total == subtotal - discount_total + shipping_total + added tax``, where
    ``tax_total`` counts included and added tax alike.
    """

    currency: str
    exponent: int
    lines: tuple[PricedLine, ...]
    customer: Customer
    prices_include_tax: bool
    #: The chosen shipping method, priced; ``None`` when none was chosen.
    shipping: ShippingCharge | None
    #: The methods available for the address, priced before shipping discounts.
    shipping_methods: tuple[ShippingOption, ...]
    #: The order-level discounts before allocation (their allocation is in the lines).
    order_discounts: tuple[OrderDiscount, ...]
    #: Promotions and codes that exist but did not apply, and why.
    not_applied: tuple[Reason, ...]
    #: The codes the shopper entered, each with whether it applied.
    codes: tuple[CodeStatus, ...]

    @property
    def subtotal(self) -> int:
        return sum(line.base_total for line in self.lines)

    @property
    def discount_total(self) -> int:
        """Every discount on the lines (shipping discounts are in ``shipping_total``)."""
        return sum(line.discount for line in self.lines)

    @property
    def shipping_total(self) -> int:
        return self.shipping.net if self.shipping else 0

    @property
    def tax_total(self) -> int:
        return sum(line.tax for line in self.lines) + (self.shipping.tax if self.shipping else 0)

    @property
    def added_tax(self) -> int:
        return sum(line.added_tax for line in self.lines) + (
            self.shipping.added_tax if self.shipping else 0
        )

    @property
    def total(self) -> int:
        return self.subtotal - self.discount_total + self.shipping_total + self.added_tax

    @property
    def adjustments(self) -> tuple[LineAdjustment, ...]:
        """Every adjustment, on lines and on shipping."""
        shipping = self.shipping.adjustments if self.shipping else ()
        return tuple(a for line in self.lines for a in line.adjustments) + tuple(shipping)

    @property
    def claims(self) -> tuple[Claim, ...]:
        """One per applied discount, with what it took off in all: what checkout spends."""
        amounts: dict[Discount, int] = {}
        for adjustment in self.adjustments:
            amounts[adjustment.discount] = amounts.get(adjustment.discount, 0) + adjustment.amount
        return tuple(Claim(discount, amount, self.currency) for discount, amount in amounts.items())

    @property
    def reasons(self) -> tuple[Reason, ...]:
        """Why each promotion and code that exists did not apply, and each entered code
        that did not (``unknown_code`` for one that does not exist): what
        :func:`~commerce.pricing.pipeline.explain` answers."""
        entered = tuple(status.reason for status in self.codes if status.reason is not None)
        return self.not_applied + tuple(r for r in entered if r not in self.not_applied)

    def money(self, amount: int) -> Money:
        """``amount`` minor units as a :class:`~djmoney.money.Money` in the cart's currency."""
        return from_minor_units(amount, self.currency)

"""Orders: snapshots of what was bought, at what price, shipped where.

An order never reads the catalog after it is placed: names, SKUs, prices and
addresses are copied onto it. Its status is a django-fsm-2 state machine that
only :mod:`commerce.orders.services` drives, each transition leaving an
:class:`OrderEvent`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from djmoney.models.fields import MoneyField

from commerce.core.apps import require_installed

require_installed("commerce.orders", "commerce.core", "commerce.catalog", "commerce.cart")

from commerce.catalog.models import Variant, Vendor  # noqa: E402
from commerce.core.models import BaseModel  # noqa: E402
from commerce.core.money import MONEY_FIELD_OPTIONS  # noqa: E402


class AddressFields(models.Model):
    """The postal fields shared by the address book and order snapshots."""

    full_name = models.CharField(_("full name"), max_length=200)
    company = models.CharField(_("company"), max_length=200, blank=True)
    line1 = models.CharField(_("address line 1"), max_length=200)
    line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100)
    region = models.CharField(_("region"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    country = CountryField(_("country"))
    phone = models.CharField(_("phone"), max_length=32, blank=True)

    ADDRESS_FIELDS = (
        "full_name",
        "company",
        "line1",
        "line2",
        "city",
        "region",
        "postal_code",
        "country",
        "phone",
    )

    class Meta:
        abstract = True

    def address_data(self) -> dict[str, str]:
        return {name: str(getattr(self, name)) for name in self.ADDRESS_FIELDS}


class Address(AddressFields, BaseModel):
    """An entry in a signed-in customer's address book."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="commerce_addresses",
        verbose_name=_("user"),
    )
    is_default_shipping = models.BooleanField(_("default shipping address"), default=False)
    is_default_billing = models.BooleanField(_("default billing address"), default=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(is_default_shipping=True),
                name="commerce_address_one_default_shipping",
            ),
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(is_default_billing=True),
                name="commerce_address_one_default_billing",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name}, {self.line1}, {self.city}"

    def validate_constraints(self, exclude=None) -> None:
        # One default of each kind per user: services.save_address() steps the old
        # default down as it saves the new one, and the database enforces the rule.
        # Validating it beforehand (full_clean, admin forms) would refuse every new default.
        exclude = {*(exclude or ()), "is_default_shipping", "is_default_billing"}
        super().validate_constraints(exclude=exclude)


class OrderAddress(AddressFields, BaseModel):
    """A copy of an address as it was when the order was placed."""

    class Meta:
        verbose_name = _("order address")
        verbose_name_plural = _("order addresses")

    def __str__(self) -> str:
        return f"{self.full_name}, {self.line1}, {self.city}"


class Order(ConcurrentTransitionMixin, BaseModel):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending payment")
        PAID = "paid", _("Paid")
        SHIPPED = "shipped", _("Shipped")
        DELIVERED = "delivered", _("Delivered")
        CANCELLED = "cancelled", _("Cancelled")
        REFUNDED = "refunded", _("Refunded")

    number = models.CharField(_("number"), max_length=32, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="commerce_orders",
        verbose_name=_("customer"),
    )
    email = models.EmailField(_("email"))
    status = FSMField(
        _("status"),
        max_length=16,
        choices=Status.choices,
        default=Status.PENDING,
        protected=True,
        db_index=True,
    )
    currency = models.CharField(_("currency"), max_length=3)
    # The pricing pipeline's totals, snapshotted at checkout:
    # total = subtotal - discount_total + shipping_total + tax added to prices.
    subtotal = MoneyField(_("subtotal"), **MONEY_FIELD_OPTIONS)
    discount_total = MoneyField(_("discount"), **MONEY_FIELD_OPTIONS)
    # After shipping discounts (an OrderAdjustment without a line records each).
    shipping_total = MoneyField(_("shipping"), **MONEY_FIELD_OPTIONS)
    # Every OrderTaxLine's amount, included in prices or added to them.
    tax_total = MoneyField(_("tax"), **MONEY_FIELD_OPTIONS)
    total = MoneyField(_("total"), **MONEY_FIELD_OPTIONS)
    prices_include_tax = models.BooleanField(_("prices include tax"), default=False)
    shipping_method_code = models.CharField(_("shipping method code"), max_length=64, blank=True)
    shipping_method_name = models.CharField(_("shipping method"), max_length=200, blank=True)
    # The shipping method's price before its discounts.
    shipping_price = MoneyField(_("shipping price"), null=True, blank=True, **MONEY_FIELD_OPTIONS)
    shipping_address = models.OneToOneField(
        OrderAddress, on_delete=models.PROTECT, related_name="+", verbose_name=_("ship to")
    )
    billing_address = models.OneToOneField(
        OrderAddress,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("bill to"),
    )
    note = models.TextField(_("note"), blank=True)
    reservation_expires_at = models.DateTimeField(_("reservation expires at"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    carrier = models.CharField(_("carrier"), max_length=100, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=100, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        indexes = [
            models.Index(fields=["user", "-created_at"], name="commerce_order_user_created"),
            models.Index(
                fields=["reservation_expires_at"],
                name="commerce_order_pending_expiry",
                condition=Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return self.number

    # Transitions change the row in memory only; services save them inside a
    # transaction and write the OrderEvent.

    @transition(field=status, source=Status.PENDING, target=Status.PAID)
    def mark_paid(self) -> None:
        self.paid_at = timezone.now()

    @transition(field=status, source=Status.PAID, target=Status.SHIPPED)
    def ship(self, *, carrier: str = "", tracking_number: str = "") -> None:
        self.shipped_at = timezone.now()
        self.carrier = carrier
        self.tracking_number = tracking_number

    @transition(field=status, source=Status.SHIPPED, target=Status.DELIVERED)
    def deliver(self) -> None:
        self.delivered_at = timezone.now()

    @transition(field=status, source=Status.PENDING, target=Status.CANCELLED)
    def cancel(self) -> None:
        self.cancelled_at = timezone.now()

    @transition(
        field=status,
        source=[Status.PAID, Status.SHIPPED, Status.DELIVERED],
        target=Status.REFUNDED,
    )
    def mark_refunded(self) -> None:
        pass

    def allowed_transitions(self) -> list[str]:
        """Names of the transitions allowed from the current status."""
        return sorted(t.name for t in self.get_available_status_transitions())


class OrderLine(BaseModel):
    """One bought variant, copied at checkout."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(
        Variant, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    vendor = models.ForeignKey(
        Vendor, on_delete=models.SET_NULL, null=True, blank=True, related_name="order_lines"
    )
    product_name = models.CharField(_("product"), max_length=200)
    variant_name = models.CharField(_("variant"), max_length=200, blank=True)
    sku = models.CharField(_("SKU"), max_length=64)
    options = models.JSONField(_("options"), default=dict, blank=True)
    # The catalog's price at checkout, and times the quantity: before any discount.
    unit_price = MoneyField(_("unit price"), **MONEY_FIELD_OPTIONS)
    quantity = models.PositiveIntegerField(_("quantity"))
    line_total = MoneyField(_("line total"), **MONEY_FIELD_OPTIONS)
    # The sum of this line's OrderAdjustments and of its OrderTaxLines.
    discount_total = MoneyField(_("discount"), **MONEY_FIELD_OPTIONS)
    tax_total = MoneyField(_("tax"), **MONEY_FIELD_OPTIONS)
    # What the line cost: line_total - discount_total + tax added to the price.
    total = MoneyField(_("total"), **MONEY_FIELD_OPTIONS)

    class Meta:
        ordering = ["created_at", "sku"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="commerce_orderline_qty_gt_0")
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.sku}"


class OrderAdjustment(BaseModel):
    """A discount on one line (or, without a line, on shipping), as priced at checkout.

    The promotion is kept by id and name, not by foreign key: an order does not
    depend on the promotions app, and deleting a promotion changes no order.
    """

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="adjustments")
    line = models.ForeignKey(
        OrderLine, on_delete=models.CASCADE, null=True, blank=True, related_name="adjustments"
    )
    source = models.CharField(_("source"), max_length=32)
    promotion = models.CharField(_("promotion id"), max_length=64, blank=True)
    code = models.CharField(_("code"), max_length=64, blank=True)
    name = models.CharField(_("name"), max_length=200)
    lane = models.CharField(_("lane"), max_length=32, blank=True)
    amount = MoneyField(_("amount"), **MONEY_FIELD_OPTIONS)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("order adjustment")
        verbose_name_plural = _("order adjustments")

    def __str__(self) -> str:
        return f"{self.name}: -{self.amount}"


class OrderTaxLine(BaseModel):
    """Tax on one line (or, without a line, on shipping) at one rate."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="tax_lines")
    line = models.ForeignKey(
        OrderLine, on_delete=models.CASCADE, null=True, blank=True, related_name="tax_lines"
    )
    name = models.CharField(_("name"), max_length=200)
    rate = models.DecimalField(_("rate (%)"), max_digits=7, decimal_places=4)
    amount = MoneyField(_("amount"), **MONEY_FIELD_OPTIONS)
    # Included in the price (VAT-style) or added to it (sales-tax-style).
    included = models.BooleanField(_("included in price"))

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("order tax line")
        verbose_name_plural = _("order tax lines")

    def __str__(self) -> str:
        return f"{self.name} {self.rate}%: {self.amount}"


class OrderEvent(BaseModel):
    """One row per status change (and per notable action): who, when, from, to, why."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    from_status = models.CharField(_("from"), max_length=16, blank=True)
    to_status = models.CharField(_("to"), max_length=16)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("order event")
        verbose_name_plural = _("order events")

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_status or '-'} -> {self.to_status}"

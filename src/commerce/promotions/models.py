"""Promotions, their benefits, voucher codes and redemptions.

Rules (a promotion's ``condition`` and a benefit's ``target``) are small JSON
trees checked by :mod:`commerce.promotions.rules`; every write goes through
:mod:`commerce.promotions.services`, which also keeps :class:`PromotionTarget`
(the ids a benefit's target names) so the pipeline loads only the promotions
that can match a cart. Counters (``uses``, ``budget_spent``) change only by
conditional updates in :mod:`commerce.promotions.discounts`; the check
constraints are the last line against spending past a limit.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from djmoney.models.fields import MoneyField

from commerce.core.apps import require_installed

require_installed("commerce.promotions", "commerce.core", "commerce.catalog", "commerce.pricing")

from commerce.core.exceptions import CommerceError  # noqa: E402
from commerce.core.models import BaseModel  # noqa: E402
from commerce.core.money import MONEY_FIELD_OPTIONS  # noqa: E402
from commerce.pricing.types import Lane  # noqa: E402


class PromotionLane(models.TextChoices):
    """The lanes a promotion may run in (voucher codes run after the automatic ones)."""

    CATALOG = Lane.CATALOG, _("Catalog (line discounts)")
    ORDER = Lane.ORDER, _("Order (order discounts)")
    SHIPPING = Lane.SHIPPING, _("Shipping")


def running_at(now) -> Q:
    """The condition of a promotion that is active and inside its window at ``now``."""
    return Q(
        Q(starts_at__isnull=True) | Q(starts_at__lte=now),
        Q(ends_at__isnull=True) | Q(ends_at__gt=now),
        is_active=True,
    )


class PromotionQuerySet(models.QuerySet):
    def running(self, now):
        """Active and inside their window at ``now``."""
        return self.filter(running_at(now))


class Promotion(BaseModel):
    """A discount rule: when it applies (``condition``), what it gives (its
    :class:`Benefit`), in which lane and order, and how much of it may be spent."""

    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    lane = models.CharField(
        _("lane"), max_length=16, choices=PromotionLane, default=PromotionLane.CATALOG
    )
    priority = models.IntegerField(
        _("priority"), default=0, help_text=_("Higher runs first inside its lane.")
    )
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    combinable = models.BooleanField(
        _("combinable"),
        default=False,
        help_text=_("Adds to other combinable promotions of its lane instead of competing."),
    )
    currency = models.CharField(
        _("currency"),
        max_length=3,
        blank=True,
        help_text=_("Blank: any currency (only for benefits without a fixed amount or budget)."),
    )
    condition = models.JSONField(_("condition"), null=True, blank=True)
    budget = MoneyField(_("budget"), null=True, blank=True, **MONEY_FIELD_OPTIONS)
    # In the budget's currency; a decimal, so a conditional F() update can add to it.
    budget_spent = models.DecimalField(
        _("budget spent"), max_digits=14, decimal_places=3, default=0, editable=False
    )
    max_uses = models.PositiveIntegerField(_("maximum uses"), null=True, blank=True)
    # Counted only while max_uses is set (as budget_spent only with a budget), so that
    # checkouts spending a promotion without limits do not queue on its row.
    uses = models.PositiveIntegerField(
        _("uses"),
        default=0,
        editable=False,
        help_text=_("Unreleased redemptions, counted while it has maximum uses."),
    )
    requires_code = models.BooleanField(
        _("requires a code"),
        default=False,
        help_text=_("Applies only when the shopper enters one of its voucher codes."),
    )

    objects = PromotionQuerySet.as_manager()

    class Meta:
        ordering = ["lane", "-priority", "name"]
        verbose_name = _("promotion")
        verbose_name_plural = _("promotions")
        indexes = [
            models.Index(
                fields=["requires_code", "is_active", "currency"],
                name="commerce_promotion_lookup",
            )
        ]
        constraints = [
            models.CheckConstraint(condition=Q(uses__gte=0), name="commerce_promotion_uses_gte_0"),
            models.CheckConstraint(
                condition=Q(max_uses__isnull=True) | Q(uses__lte=F("max_uses")),
                name="commerce_promotion_uses_lte_max",
            ),
            models.CheckConstraint(
                condition=Q(budget_spent__gte=0), name="commerce_promotion_spent_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(budget__isnull=True) | Q(budget_spent__lte=F("budget")),
                name="commerce_promotion_spent_lte_budget",
            ),
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True)
                | Q(ends_at__isnull=True)
                | Q(starts_at__lt=F("ends_at")),
                name="commerce_promotion_window",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from commerce.promotions import services

        try:
            services.validate_promotion(self)
        except CommerceError as error:
            raise ValidationError(_details_as_errors(self, error)) from error


class BenefitKind(models.TextChoices):
    PERCENTAGE_OFF = "percentage_off", _("Percentage off")
    AMOUNT_OFF = "amount_off", _("Amount off")
    FIXED_PRICE = "fixed_price", _("Fixed unit price")
    BUY_X_GET_Y = "buy_x_get_y", _("Buy X get Y")
    FREE_SHIPPING = "free_shipping", _("Free shipping")
    SHIPPING_DISCOUNT = "shipping_discount", _("Shipping discount")


class BenefitAllocation(models.TextChoices):
    EACH = "each", _("Each target unit")
    ACROSS = "across", _("Spread across the target lines")


class Benefit(BaseModel):
    """What a promotion gives, and to which lines (``target``; null is every line)."""

    promotion = models.OneToOneField(
        Promotion, on_delete=models.CASCADE, related_name="benefit", verbose_name=_("promotion")
    )
    kind = models.CharField(_("kind"), max_length=24, choices=BenefitKind)
    percent = models.DecimalField(
        _("percent"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    amount = MoneyField(
        _("amount"),
        null=True,
        blank=True,
        help_text=_("Amount off, or the fixed unit price, in the promotion's currency."),
        **MONEY_FIELD_OPTIONS,
    )
    target = models.JSONField(_("target"), null=True, blank=True)
    allocation = models.CharField(
        _("allocation"), max_length=8, choices=BenefitAllocation, default=BenefitAllocation.EACH
    )
    max_units = models.PositiveIntegerField(
        _("maximum units"),
        null=True,
        blank=True,
        help_text=_("Discount at most this many units, the cheapest first. Blank: all."),
    )
    buy_quantity = models.PositiveIntegerField(_("buy quantity"), null=True, blank=True)
    get_quantity = models.PositiveIntegerField(_("get quantity"), null=True, blank=True)

    class Meta:
        verbose_name = _("benefit")
        verbose_name_plural = _("benefits")
        constraints = [
            models.CheckConstraint(
                condition=Q(percent__isnull=True) | Q(percent__gt=0, percent__lte=100),
                name="commerce_benefit_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()

    def clean(self) -> None:
        from commerce.promotions import services

        # An admin inline's benefit holds its (unsaved) promotion without its id.
        if self.promotion_id is None and not Benefit.promotion.is_cached(self):
            return
        try:
            services.validate_benefit(self, self.promotion)
        except CommerceError as error:
            raise ValidationError(_details_as_errors(self, error)) from error


class PromotionTarget(models.Model):
    """One id a benefit's target names (denormalized by the services), so the
    pipeline pre-filters promotions by a cart's product, category, brand and vendor
    ids in SQL. A promotion without rows here targets every line."""

    class Kind(models.TextChoices):
        PRODUCT = "products", _("Product")
        CATEGORY = "categories", _("Category")
        BRAND = "brands", _("Brand")
        VENDOR = "vendors", _("Vendor")

    promotion = models.ForeignKey(
        Promotion, on_delete=models.CASCADE, related_name="targets", verbose_name=_("promotion")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind)
    object_id = models.UUIDField(_("object id"))

    class Meta:
        verbose_name = _("promotion target")
        verbose_name_plural = _("promotion targets")
        indexes = [models.Index(fields=["kind", "object_id"], name="commerce_promo_target_lookup")]
        constraints = [
            models.UniqueConstraint(
                fields=["promotion", "kind", "object_id"], name="commerce_promotiontarget_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id}"


class VoucherCode(BaseModel):
    """A code that unlocks a promotion, with limits of its own. Stored upper-cased,
    so codes are unique whatever the case they are typed in."""

    promotion = models.ForeignKey(
        Promotion, on_delete=models.CASCADE, related_name="codes", verbose_name=_("promotion")
    )
    code = models.CharField(_("code"), max_length=32, unique=True)
    max_uses = models.PositiveIntegerField(_("maximum uses"), null=True, blank=True)
    uses = models.PositiveIntegerField(_("uses"), default=0, editable=False)
    per_customer_limit = models.PositiveIntegerField(_("uses per customer"), null=True, blank=True)
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("voucher code")
        verbose_name_plural = _("voucher codes")
        constraints = [
            models.CheckConstraint(
                condition=Q(uses__gte=0), name="commerce_vouchercode_uses_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(max_uses__isnull=True) | Q(uses__lte=F("max_uses")),
                name="commerce_vouchercode_uses_lte_max",
            ),
            models.CheckConstraint(
                condition=Q(code=models.functions.Upper("code")),
                name="commerce_vouchercode_upper",
            ),
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True)
                | Q(ends_at__isnull=True)
                | Q(starts_at__lt=F("ends_at")),
                name="commerce_vouchercode_window",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def clean(self) -> None:
        from commerce.promotions import services

        try:
            services.validate_code_fields(self)
        except CommerceError as error:
            raise ValidationError(_details_as_errors(self, error)) from error


class Redemption(BaseModel):
    """A promotion (and code) spent by an order, named by its reference; released
    (``released_at``) when the order is cancelled or expires, exactly once."""

    promotion = models.ForeignKey(
        Promotion,
        on_delete=models.PROTECT,
        related_name="redemptions",
        verbose_name=_("promotion"),
    )
    code = models.ForeignKey(
        VoucherCode,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="redemptions",
        verbose_name=_("code"),
    )
    order_reference = models.CharField(_("order reference"), max_length=64, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="commerce_redemptions",
        verbose_name=_("user"),
    )
    email = models.EmailField(_("email"), blank=True)
    amount = MoneyField(_("amount"), **MONEY_FIELD_OPTIONS)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        indexes = [
            models.Index(
                fields=["code", "user"],
                name="commerce_redemption_open_user",
                condition=Q(released_at__isnull=True),
            ),
            models.Index(
                fields=["code", "email"],
                name="commerce_redemption_open_mail",
                condition=Q(released_at__isnull=True),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["order_reference", "code"],
                condition=Q(code__isnull=False),
                name="commerce_redemption_order_code",
            ),
            models.UniqueConstraint(
                fields=["order_reference", "promotion"],
                condition=Q(code__isnull=True),
                name="commerce_redemption_order_promotion",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_reference}: {self.code or self.promotion}"


def _details_as_errors(instance: models.Model, error: CommerceError) -> dict | str:
    """A service error's ``details`` (field -> problems) as a model ValidationError's
    dict; problems of what is not an editable field of ``instance`` go to the form's
    non-field errors, where a form can show them."""
    editable = {field.name for field in instance._meta.fields if field.editable}
    errors: dict[str, list[str]] = {}
    for name, problems in error.details.items():
        if isinstance(problems, list | tuple):
            key = name if name in editable else NON_FIELD_ERRORS
            errors.setdefault(key, []).extend(str(problem) for problem in problems)
    return errors or error.message

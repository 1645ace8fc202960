"""Server-side carts: one per signed-in user, or anonymous behind a bearer token."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from djmoney.models.fields import MoneyField

from commerce.core.apps import require_installed

require_installed("commerce.cart", "commerce.core", "commerce.catalog", "commerce.pricing")

from commerce.catalog.models import Variant  # noqa: E402
from commerce.core.models import BaseModel  # noqa: E402
from commerce.core.money import MONEY_FIELD_OPTIONS  # noqa: E402


class Cart(BaseModel):
    """A shopper's cart. Prices are never stored as truth: they come from the catalog.

    An anonymous cart is found by the SHA-256 digest of its token; the token
    itself is shown once, when the cart is created, and never stored.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="commerce_cart",
        verbose_name=_("user"),
    )
    token_digest = models.CharField(
        _("token digest"), max_length=64, unique=True, null=True, blank=True, editable=False
    )
    # Set by the first line; a cart holds one currency.
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    # Bumped on every change to the cart's lines (a cheap "has it been edited" counter;
    # the API's ``version`` is a fingerprint that also covers catalog price changes).
    revision = models.PositiveIntegerField(_("revision"), default=0)
    # Voucher codes the shopper entered, upper-cased, in the order entered (at most
    # CART_MAX_CODES); checkout spends those that apply.
    codes = models.JSONField(_("voucher codes"), default=list, blank=True)

    class Meta:
        verbose_name = _("cart")
        verbose_name_plural = _("carts")
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False) | Q(token_digest__isnull=False),
                name="commerce_cart_has_owner",
            )
        ]

    def __str__(self) -> str:
        return f"Cart of {self.user}" if self.user_id else f"Anonymous cart {self.pk}"

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None


class CartLine(BaseModel):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(
        Variant, on_delete=models.CASCADE, related_name="+", verbose_name=_("variant")
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    # The price when the line was added or last changed: only to warn the
    # shopper that it moved; totals always use the catalog's current price.
    price_when_added = MoneyField(_("price when added"), **MONEY_FIELD_OPTIONS)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("cart line")
        verbose_name_plural = _("cart lines")
        constraints = [
            models.UniqueConstraint(fields=["cart", "variant"], name="commerce_cartline_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="commerce_cartline_qty_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.variant_id}"

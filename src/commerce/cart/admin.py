"""Cart admin: carts are for looking at (and deleting), with their pricing now, and a
preview of one promotion on a cart.

The promotion preview lives here, not in the promotions admin: promotions sit below
cart in the layers (catalog < pricing < promotions < cart < orders < payments), so
promotions may not import carts, while a cart is priced through pricing's generic API
(:func:`~commerce.pricing.pipeline.price_cart`, :func:`~commerce.pricing.pipeline.explain`)
whose answers name the promotion behind each discount. So the page needs nothing from
promotions either: the promotion's page links to it by URL name with the promotion's
id (and a code when it needs one), and the page filters the pricing to that id.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from commerce.cart.models import Cart, CartLine
from commerce.cart.services import normalize_code
from commerce.core.exceptions import CommerceError
from commerce.pricing.pipeline import normalize_codes, price_cart
from commerce.pricing.types import SHIPPING_KEY, PricedCart

#: How many recently changed carts the promotion preview offers to pick from.
RECENT_CARTS = 10


def _line_labels(priced: PricedCart) -> dict[str, str]:
    labels = {line.key: f"{line.line.variant.sku} x {line.quantity}" for line in priced.lines}
    labels[SHIPPING_KEY] = "shipping"
    return labels


def render_pricing(priced: PricedCart, *, promotion: str | None = None) -> SafeString:
    """``priced`` as staff read it: totals, each adjustment (its discount, amount and
    line) and each reason a promotion or code did not apply (``priced.reasons``, what
    :func:`~commerce.pricing.pipeline.explain` gives, without pricing the cart again).

    With ``promotion`` (a promotion's id), only that promotion's adjustments and
    reasons, after a sentence saying whether it applies.
    """
    money = priced.money
    labels = _line_labels(priced)
    adjustments = [
        a for a in priced.adjustments if promotion is None or a.discount.promotion == promotion
    ]
    reasons = [
        r
        for r in priced.reasons
        if promotion is None or (r.discount is not None and r.discount.promotion == promotion)
    ]
    applied = format_html_join(
        "",
        "<li>{}: -{} ({})</li>",
        (
            (a.discount.name, money(a.amount), labels.get(a.line_key, a.line_key))
            for a in adjustments
        ),
    )
    not_applied = format_html_join(
        "",
        "<li>{} ({}): {}</li>",
        (
            (r.discount.code or r.discount.name if r.discount else "?", r.code, r.message)
            for r in reasons
        ),
    )
    verdict = ""
    if promotion is not None:
        if adjustments:
            verdict = format_html(
                "<p><strong>{} applies: it takes off {}.</strong></p>",
                adjustments[0].discount.name,
                money(sum(a.amount for a in adjustments)),
            )
        elif reasons:
            verdict = format_html("<p><strong>{}</strong></p>", "It does not apply to this cart.")
        else:
            verdict = format_html(
                "<p><strong>{}</strong> {}</p>",
                "It was not considered for this cart:",
                "it is not running, has no benefit, or needs a code (enter one of its codes).",
            )
    nothing = format_html("<li>{}</li>", "nothing")
    return format_html(
        "{}<p>Subtotal {}, discount {}, tax {}, total {} (before shipping).</p>"
        "<p>Applied:</p><ul>{}</ul><p>Not applied:</p><ul>{}</ul>",
        verdict,
        money(priced.subtotal),
        money(priced.discount_total),
        money(priced.tax_total),
        money(priced.total),
        applied or nothing,
        not_applied or nothing,
    )


class PromotionPreviewForm(forms.Form):
    promotion = forms.UUIDField(label=_("promotion id"))
    cart = forms.UUIDField(label=_("cart id"), required=False)
    code = forms.CharField(
        label=_("voucher code"),
        required=False,
        max_length=64,
        help_text=_("For a promotion that needs one; added to the cart's own codes."),
    )

    def clean_code(self) -> str:
        code = self.cleaned_data["code"]
        if not code:
            return ""
        try:
            return normalize_code(code)  # the cart's own rule for a code
        except CommerceError as error:
            raise forms.ValidationError(error.message) from error


class CartLineInline(admin.TabularInline):
    model = CartLine
    extra = 0
    fields = ["variant", "quantity", "price_when_added", "created_at", "updated_at"]
    readonly_fields = fields

    # Lines change only through the cart services, which check stock and bump the revision.
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Cart)
class CartAdmin(admin.ModelAdmin):
    """Carts are for looking at (and deleting): shoppers change them through the services."""

    list_display = ["id", "user", "currency", "revision", "updated_at"]
    list_filter = [("user", admin.EmptyFieldListFilter)]
    # ``user`` is nullable, which the admin's automatic select_related() skips.
    list_select_related = ["user"]
    search_fields = ["user__email", "id"]
    readonly_fields = [
        "user",
        "token_digest",
        "currency",
        "codes",
        "revision",
        "pricing_preview",
        "created_at",
        "updated_at",
    ]
    inlines = [CartLineInline]

    @admin.display(description=_("pricing now"))
    def pricing_preview(self, cart: Cart) -> str:
        """The cart priced by the pipeline now, with its codes, and why each promotion
        and code that exists did not apply (:func:`~commerce.pricing.pipeline.explain`)."""
        if cart.pk is None or not cart.currency:
            return "-"
        return render_pricing(price_cart(cart, codes=cart.codes))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path(
                "promotion-preview/",
                self.admin_site.admin_view(self.promotion_preview_view),
                name="commerce_cart_cart_promotion_preview",
            ),
            *super().get_urls(),
        ]

    def promotion_preview_view(self, request):
        """``?promotion=<id>&cart=<id>[&code=...]``: whether the promotion applies to
        the cart now, with its adjustments, or why not. Reads only; staff who may view
        carts."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = PromotionPreviewForm(request.GET or None)
        result = cart = None
        if form.is_valid() and form.cleaned_data["cart"]:
            cart = Cart.objects.filter(pk=form.cleaned_data["cart"]).first()
            if cart is None:
                self.message_user(
                    request, f"No cart with id {form.cleaned_data['cart']}.", messages.ERROR
                )
            else:
                codes = normalize_codes([*cart.codes, form.cleaned_data["code"]])
                result = render_pricing(
                    price_cart(cart, codes=codes), promotion=str(form.cleaned_data["promotion"])
                )
        elif form.is_bound and not form.is_valid():
            self.message_user(
                request, "Enter a promotion id, a cart id and a valid code.", messages.ERROR
            )
        recent = Cart.objects.filter(lines__isnull=False).distinct().order_by("-updated_at")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Preview a promotion on a cart"),
            "form": form,
            "cart": cart,
            "result": result,
            "promotion": form.cleaned_data.get("promotion") if form.is_valid() else None,
            "code": form.cleaned_data.get("code", "") if form.is_valid() else "",
            "recent_carts": recent.select_related("user")[:RECENT_CARTS],
        }
        return TemplateResponse(request, "admin/commerce_cart/cart/promotion_preview.html", context)

from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from commerce.cart.models import Cart, CartLine
from commerce.pricing.pipeline import explain, price_cart


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
        priced = price_cart(cart, codes=cart.codes)
        money = priced.money
        applied = format_html_join(
            "",
            "<li>{}: -{}</li>",
            ((a.discount.name, money(a.amount)) for a in priced.adjustments),
        )
        reasons = format_html_join(
            "",
            "<li>{} ({}): {}</li>",
            (
                (r.discount.code or r.discount.name if r.discount else "?", r.code, r.message)
                for r in explain(cart, codes=cart.codes)
            ),
        )
        return format_html(
            "<p>Subtotal {}, discount {}, tax {}, total {} (before shipping).</p>"
            "<p>Applied:</p><ul>{}</ul><p>Not applied:</p><ul>{}</ul>",
            money(priced.subtotal),
            money(priced.discount_total),
            money(priced.tax_total),
            money(priced.total),
            applied or format_html("<li>{}</li>", "nothing"),
            reasons or format_html("<li>{}</li>", "nothing"),
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

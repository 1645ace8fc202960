from django.contrib import admin

from commerce.cart.models import Cart, CartLine


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
    readonly_fields = ["user", "token_digest", "currency", "revision", "created_at", "updated_at"]
    inlines = [CartLineInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

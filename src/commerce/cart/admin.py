from django.contrib import admin

from commerce.cart.models import Cart, CartLine


class CartLineInline(admin.TabularInline):
    model = CartLine
    extra = 0
    raw_id_fields = ["variant"]
    readonly_fields = ["price_when_added", "created_at", "updated_at"]


@admin.register(Cart)
class CartAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "currency", "version", "updated_at"]
    list_filter = [("user", admin.EmptyFieldListFilter)]
    search_fields = ["user__email", "id"]
    readonly_fields = ["token_digest", "version", "created_at", "updated_at"]
    raw_id_fields = ["user"]
    inlines = [CartLineInline]

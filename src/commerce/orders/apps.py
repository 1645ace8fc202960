from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "commerce.orders"
    label = "commerce_orders"
    verbose_name = _("Orders")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Importing invariants registers the order checks.
        from commerce.orders import invariants  # noqa: F401
        from commerce.orders.selectors import has_ordered
        from commerce.pricing.types import register_order_history

        # First-order promotions ask the pipeline, which asks the orders.
        register_order_history(has_ordered)

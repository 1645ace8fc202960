from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CartConfig(AppConfig):
    name = "commerce.cart"
    label = "commerce_cart"
    verbose_name = _("Cart")
    default_auto_field = "django.db.models.BigAutoField"

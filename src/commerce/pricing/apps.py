from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PricingConfig(AppConfig):
    name = "commerce.pricing"
    label = "commerce_pricing"
    verbose_name = _("Commerce pricing")
    default_auto_field = "django.db.models.BigAutoField"

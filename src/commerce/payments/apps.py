from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "commerce.payments"
    label = "commerce_payments"
    verbose_name = _("Payments")
    default_auto_field = "django.db.models.BigAutoField"

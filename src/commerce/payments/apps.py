from django.apps import AppConfig
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


def holds_money() -> Q:
    """Orders (a ``Q`` over ``Order``) with a payment that holds the customer's money."""
    from commerce.payments.models import Payment

    return Q(payments__status__in=Payment.HOLDS_MONEY)


class PaymentsConfig(AppConfig):
    name = "commerce.payments"
    label = "commerce_payments"
    verbose_name = _("Payments")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Importing invariants registers the payment checks.
        from commerce.orders.services import hold_expiry
        from commerce.payments import invariants  # noqa: F401

        # An order must not expire (and release its stock) under a payment holding money.
        hold_expiry(holds_money)

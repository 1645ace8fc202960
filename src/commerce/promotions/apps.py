from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PromotionsConfig(AppConfig):
    name = "commerce.promotions"
    label = "commerce_promotions"
    verbose_name = _("Promotions")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from commerce.pricing.discounts import register_discount_source
        from commerce.promotions.discounts import PromotionDiscountSource

        register_discount_source(PromotionDiscountSource())

        # Importing invariants registers the promotion and voucher code checks.
        from commerce.promotions import invariants  # noqa: F401

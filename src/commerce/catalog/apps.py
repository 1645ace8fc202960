from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "commerce.catalog"
    label = "commerce_catalog"
    verbose_name = _("Catalog")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Importing invariants registers the stock checks.
        from commerce.catalog import cache, invariants  # noqa: F401

        cache.connect_signals(self)

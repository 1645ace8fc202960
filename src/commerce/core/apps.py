from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "commerce.core"
    label = "commerce_core"
    verbose_name = _("Commerce core")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the system checks and the setting_changed receiver.
        from commerce import checks, conf  # noqa: F401

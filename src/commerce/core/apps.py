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


def require_installed(app: str, *needed: str) -> None:
    """Raise ``ImproperlyConfigured`` naming what ``app`` needs but is not installed.

    Called at the top of an app's ``models`` module, before it imports another
    app's models: otherwise Django fails with an obscure "doesn't declare an
    explicit app_label" error.
    """
    from django.apps import apps
    from django.core.exceptions import ImproperlyConfigured

    missing = [name for name in needed if not apps.is_installed(name)]
    if missing:
        raise ImproperlyConfigured(f"{app} needs {', '.join(missing)} in INSTALLED_APPS.")

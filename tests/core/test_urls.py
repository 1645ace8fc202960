"""``commerce.urls`` mounts the API of installed commerce apps only."""

import importlib

import pytest
from django.apps import apps
from django.urls import clear_url_caches, resolve, reverse

import commerce.urls


def test_installed_catalog_is_mounted():
    match = resolve("/api/v1/catalog/products/")
    assert match.namespace == "commerce_catalog"
    assert reverse("commerce_catalog:product-list") == "/api/v1/catalog/products/"


def test_health_probes_are_mounted_by_core_urls():
    assert reverse("commerce_health:healthz") == "/healthz"
    assert reverse("commerce_health:readyz") == "/readyz"


@pytest.fixture
def reload_urls(monkeypatch):
    """Reload ``commerce.urls`` as if only some apps were installed; restore afterwards."""

    def reload_with(installed):
        monkeypatch.setattr(apps, "is_installed", lambda name: name in installed)
        return importlib.reload(commerce.urls).urlpatterns

    yield reload_with
    monkeypatch.undo()
    importlib.reload(commerce.urls)
    clear_url_caches()


def test_apps_not_installed_are_not_mounted(reload_urls):
    assert reload_urls(installed={"commerce.core"}) == []


def test_every_installed_app_url_is_mounted(reload_urls):
    # Only the apps this host really installs: importing another app's urls would
    # import its models, which Django refuses for an app outside INSTALLED_APPS.
    installed = {app for app, _prefix in commerce.urls.APP_URLS if apps.is_installed(app)}
    assert "commerce.catalog" in installed
    patterns = reload_urls(installed=installed)
    assert [str(pattern.pattern) for pattern in patterns] == [
        prefix for app, prefix in commerce.urls.APP_URLS if app in installed
    ]

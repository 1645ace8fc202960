"""The admin site as a whole, in whichever host runs it: the index lists every
installed commerce app, and each registered model's list and add pages load.

Each app's own admin tests go further with data; this one catches an admin that
reaches for an app the host did not install (the cart-and-promotions host has no
orders or payments).
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

pytestmark = pytest.mark.django_db

COMMERCE_MODELS = [
    model for model in admin.site._registry if model._meta.app_label.startswith("commerce_")
]


def test_the_index_lists_every_installed_commerce_app_with_models(admin_client):
    response = admin_client.get(reverse("admin:index"))
    assert response.status_code == 200
    listed = {app["app_label"] for app in response.context["app_list"]}
    with_models = {model._meta.app_label for model in COMMERCE_MODELS}
    assert {label for label in listed if label.startswith("commerce_")} == with_models
    # Orders and payments appear exactly where they are installed.
    for app in ("commerce.orders", "commerce.payments"):
        label = app.replace(".", "_")
        assert (label in listed) == apps.is_installed(app)


@pytest.mark.parametrize("model", COMMERCE_MODELS, ids=lambda model: model._meta.label)
def test_every_list_and_add_page_loads(admin_client, rf, admin_user, model):
    name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    assert admin_client.get(reverse(f"{name}_changelist")).status_code == 200
    request = rf.get("/")
    request.user = admin_user
    if admin.site._registry[model].has_add_permission(request):
        assert admin_client.get(reverse(f"{name}_add")).status_code == 200

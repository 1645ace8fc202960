"""Promotion endpoints (staff only), mounted at ``promotions/`` by :mod:`commerce.urls`."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from commerce.core.api import converters  # noqa: F401 - registers commerce_slug, commerce_key
from commerce.promotions.api import views

app_name = "commerce_promotions"

router = SimpleRouter()
router.register("", views.PromotionViewSet, basename="promotion")

code_list = views.VoucherCodeViewSet.as_view({"get": "list", "post": "create"})
code_detail = views.VoucherCodeViewSet.as_view({"patch": "partial_update"})

urlpatterns = [
    *router.urls,
    path("<uuid:promotion_pk>/codes/", code_list, name="code-list"),
    path("<uuid:promotion_pk>/codes/<commerce_slug:code>/", code_detail, name="code-detail"),
]

"""URLs of the demo shop: the commerce API, auth, schema and docs, admin, health."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="swagger-ui", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/v1/auth/", include("accounts.api.urls")),
    path("api/v1/", include("commerce.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path(
        "api/redoc/",
        SpectacularRedocView.as_view(url_name="schema", template_name="shop/redoc.html"),
        name="redoc",
    ),
    path("", include("commerce.core.urls")),
]

# JSON errors under /api/, Django's HTML pages elsewhere (the admin).
handler404 = "shop.views.page_not_found"
handler500 = "shop.views.server_error"

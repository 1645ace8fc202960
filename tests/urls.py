from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("commerce.urls")),
    path("", include("commerce.core.urls")),
]

handler404 = "commerce.core.views.page_not_found"
handler500 = "commerce.core.views.server_error"

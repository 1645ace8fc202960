"""A test-only URLconf: the real test host's routes plus views that fail on purpose."""

from django.urls import include, path

from tests.core import views

urlpatterns = [
    path("errors/private/", views.PrivateView.as_view()),
    path("errors/atomic/", views.AtomicWriteView.as_view()),
    path("slow/<slug:slug>/", views.SlowWriteView.as_view()),
    path("errors/<str:name>/", views.RaiseView.as_view()),
    path("plain/error/", views.plain_django_error),
    path("plain/404/", views.plain_django_404),
    path("plain/ok/", views.plain_ok),
    path("pages/brands/cursor/", views.BrandCursorList.as_view()),
    path("pages/brands/numbers/", views.BrandPageList.as_view()),
    path("pages/variants/", views.VariantsByPrice.as_view()),
    path("", include("tests.urls")),
]

handler404 = "commerce.core.views.page_not_found"
handler500 = "commerce.core.views.server_error"

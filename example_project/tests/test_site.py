"""The host around the API: schema and docs without a CDN, admin, health, errors, migrations."""

import io
import re

import pytest
import yaml
from django.core.management import call_command
from drf_spectacular.validation import validate_schema

from accounts.models import User
from support import PASSWORD, assert_envelope

pytestmark = pytest.mark.django_db

ASSET = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")
# Swagger UI builds some asset URLs in JavaScript ("...bundle.js"), not in attributes.
QUOTED_URL = re.compile(r"""["']((?:https?:)?//[^"']+|/static/[^"']+)["']""")


def test_root_redirects_to_the_api_docs(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response.headers["Location"] == "/api/docs/"


def test_schema_is_a_valid_openapi_document(client):
    response = client.get("/api/schema/")

    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")
    for path in [
        "/api/v1/auth/register/",
        "/api/v1/auth/token/",
        "/api/v1/auth/token/refresh/",
        "/api/v1/auth/logout/",
        "/api/v1/auth/me/",
        "/api/v1/catalog/products/",
    ]:
        assert path in schema["paths"]
    assert "jwtAuth" in schema["components"]["securitySchemes"]


def test_spectacular_validate_fail_on_warn_passes():
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null", stdout=io.StringIO()
    )


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_docs_render_with_assets_from_this_host_only(client, path):
    response = client.get(path)

    assert response.status_code == 200
    html = response.content.decode()
    urls = set(ASSET.findall(html)) | set(QUOTED_URL.findall(html))
    external = {url for url in urls if url.startswith(("http:", "https:", "//"))}
    assert not external, external
    for cdn in ("cdn.", "jsdelivr", "unpkg", "cdnjs"):
        assert cdn not in html
    assets = {url for url in urls if url.startswith("/static/")}
    assert assets, html
    # WhiteNoise serves them even with DEBUG off.
    for url in assets:
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert b"".join(asset.streaming_content)


def test_staff_user_can_log_into_the_admin(client):
    User.objects.create_superuser("staff@example.com", PASSWORD)

    assert client.login(email="staff@example.com", password=PASSWORD)
    response = client.get("/admin/")

    assert response.status_code == 200
    assert "Site administration" in response.content.decode()


def test_admin_login_form_works(client):
    User.objects.create_superuser("staff@example.com", PASSWORD)

    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "STAFF@example.com", "password": PASSWORD, "next": "/admin/"},
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_customer_cannot_use_the_admin(client):
    User.objects.create_user("customer@example.com", PASSWORD)

    client.login(email="customer@example.com", password=PASSWORD)
    response = client.get("/admin/")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login/")


def test_admin_static_files_are_served(client):
    response = client.get("/static/admin/css/base.css")

    assert response.status_code == 200


def test_health_endpoints(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200


def test_an_unknown_api_path_is_a_404_envelope(client):
    assert_envelope(client.get("/api/v1/nothing-here/"), 404, "not_found")


def test_an_unknown_page_elsewhere_is_django_html_404(client):
    response = client.get("/nothing-here/")

    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("text/html")


def test_no_missing_migrations():
    call_command("makemigrations", "--check", "--dry-run", stdout=io.StringIO())


def test_system_checks_pass():
    call_command("check", fail_level="WARNING", stdout=io.StringIO())

"""README's "Add it to your site" works as pasted into a fresh ``startproject`` site.

The snippet is read from README.md itself (its one ``python`` block in that section,
split at ``# urls.py``) and appended to the ``settings.py`` and ``urls.py`` that
``django-admin startproject`` writes, so the test fails as soon as README drifts.
The site then passes the system checks (``check --deploy`` reports only Django's own
production settings, which the snippet leaves to the site), migrates, serves the
schema and docs, and sells a product through the API with the dummy gateway.
Everything runs in subprocesses of the current interpreter, in a temporary directory.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SECTION = "## Add it to your site"
PROJECT = "mysite"
# A system check's id as Django prints it: "?: (security.W004) ...".
CHECK_ID = re.compile(r"\((\w+\.[EWCI]\d+)\)")

# Seeds one product with the services, then buys it through the API as a guest.
PURCHASE = """
import json

import django

django.setup()

from django.contrib.auth import get_user_model
from django.test import Client
from djmoney.money import Money

import commerce
from commerce.catalog import services
from commerce.catalog.models import StockRecord

staff = get_user_model().objects.create_superuser("staff", "staff@example.com", "x" * 20)
vendor = services.create_vendor(name="Acme Outfitters", owner=staff)
services.verify_vendor(vendor, verified_by=staff)
category = services.create_category(name="Shirts")
product = services.create_product(
    vendor=vendor, category=category, name="Linen shirt", status="published"
)
variant = services.create_variant(product, sku="LS-1", price=Money("59.00", "USD"), quantity=3)

client = Client(HTTP_HOST="localhost")


def call(method, url, body=None, expect=200, **headers):
    response = getattr(client, method)(
        url, json.dumps(body) if body is not None else None,
        content_type="application/json", **headers
    )
    assert response.status_code == expect, (method, url, response.status_code, response.content)
    return response.json() if response["Content-Type"].startswith("application/json") else None


listed = call("get", "/api/v1/catalog/products/")["results"]
added = client.post(
    "/api/v1/cart/lines/", json.dumps({"variant": str(variant.pk), "quantity": 1}),
    content_type="application/json",
)
assert added.status_code == 201, added.content
cart = {"HTTP_X_CART_TOKEN": added.headers["X-Cart-Token"]}
address = {
    "full_name": "Ada Lovelace", "line1": "1 Loop Road", "city": "London",
    "postal_code": "N1 9GU", "country": "GB",
}
order = call(
    "post", "/api/v1/checkout/", {"email": "ada@example.com", "shipping_address": address},
    expect=201, **cart
)
token = {"HTTP_X_ORDER_TOKEN": order["access_token"]}
gateways = call("get", "/api/v1/payments/gateways/")
payment = call(
    "post", f"/api/v1/orders/{order['number']}/payments/",
    {"gateway": "dummy", "return_url": "http://localhost/thanks/"},
    expect=201, HTTP_IDEMPOTENCY_KEY="readme-purchase", **token
)
redirect = payment["next_action"]["redirect_url"]
confirmed = call("post", redirect.split("?")[0], {"choice": "succeed"})
final = call("get", f"/api/v1/orders/{order['number']}/", **token)
stock = StockRecord.objects.get(variant=variant)

schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
assert schema.status_code == 200, schema.content
schema = json.loads(schema.content)
tags = sorted({
    tag for item in schema["paths"].values() for operation in item.values()
    if isinstance(operation, dict) for tag in operation.get("tags", [])
})
print(json.dumps({
    "listed": [p["slug"] for p in listed],
    "gateways": [g["alias"] for g in gateways],
    "payment": confirmed["status"],
    "order": final["status"],
    "total": final["total"],
    "stock": [stock.quantity, stock.reserved],
    "title": schema["info"]["title"],
    "version": schema["info"]["version"],
    "package_version": commerce.__version__,
    "tags": tags,
    "docs": client.get("/api/docs/").status_code,
    "healthz": client.get("/healthz").status_code,
}))
"""


def readme_snippet() -> tuple[str, str]:
    """The settings and urls lines of README's "Add it to your site" section."""
    text = README.read_text()
    assert SECTION in text, f"README.md has no {SECTION!r} section"
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```python\n(.*?)^```", section, re.MULTILINE | re.DOTALL)
    assert len(blocks) == 1, "the section should have exactly one python block"
    settings_lines, marker, urls_lines = blocks[0].partition("# urls.py\n")
    assert marker, "the python block should have a '# urls.py' part"
    return settings_lines, urls_lines


def run(*args: str, cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    # pytest-django points DJANGO_SETTINGS_MODULE at the test settings: the new
    # site must use its own.
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["DJANGO_SETTINGS_MODULE"] = f"{PROJECT}.settings"
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def succeed(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_the_snippet_is_read_from_the_readme():
    settings_lines, urls_lines = readme_snippet()
    assert "INSTALLED_APPS +=" in settings_lines
    assert "PAYMENT_GATEWAYS" in settings_lines
    assert "include(" in urls_lines
    assert "import include" in urls_lines


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """A fresh ``startproject`` site with exactly README's lines added, migrated."""
    directory = tmp_path_factory.mktemp("readme-site")
    succeed(run("-m", "django", "startproject", PROJECT, str(directory), cwd=directory))
    settings_lines, urls_lines = readme_snippet()
    for name, lines in (("settings.py", settings_lines), ("urls.py", urls_lines)):
        with (directory / PROJECT / name).open("a") as module:
            module.write("\n\n" + lines)
    succeed(run("manage.py", "migrate", "--noinput", cwd=directory))
    return directory


def test_the_site_passes_the_system_checks(site):
    output = succeed(run("manage.py", "check", "--fail-level", "WARNING", cwd=site))
    assert "no issues" in output


def test_check_deploy_reports_only_djangos_own_production_settings(site):
    # Django's own deployment checks may be errors (Django 6.1's mail.E001 for
    # startproject's console email backend): report everything, fail on nothing.
    result = run("manage.py", "check", "--deploy", "--fail-level", "CRITICAL", cwd=site)
    ids = CHECK_ID.findall(succeed(result) + result.stderr)
    # DEBUG, SECRET_KEY, HTTPS, ALLOWED_HOSTS (and the email backend) are the site's
    # own production settings, and startproject's cache is per-process (as README
    # says); nothing else of commerce's or drf-spectacular's may be reported.
    assert ids, "check --deploy found nothing: the startproject defaults should warn"
    per_process_cache = {"commerce.W020", "commerce.W021", "commerce.W022"}
    assert per_process_cache <= set(ids)
    djangos_own = ("security.", "mail.")
    assert [c for c in ids if not c.startswith(djangos_own) and c not in per_process_cache] == []


def test_a_guest_buys_through_the_api_with_the_dummy_gateway(site):
    output = succeed(run("-c", PURCHASE, cwd=site))
    result = json.loads(output.strip().splitlines()[-1])

    assert result["listed"] == ["linen-shirt"]
    assert result["gateways"] == ["dummy"]
    assert result["payment"] == "captured"
    assert result["order"] == "paid"
    assert result["stock"] == [2, 0]
    assert result["title"] == "commerce API"
    assert result["version"] == result["package_version"]
    assert result["tags"] == ["cart", "catalog", "orders", "payments", "pricing", "promotions"]
    assert result["docs"] == 200
    assert result["healthz"] == 200

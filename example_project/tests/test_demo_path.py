"""The demo shop's whole path over HTTP, as a newcomer clicks it in Swagger UI.

Browse → cart → checkout → pay with the dummy gateway (no keys) → the order
is paid and its stock committed. Signed-in and guest shoppers both.
"""

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from commerce.catalog.models import StockRecord
from support import obtain_tokens

pytestmark = pytest.mark.django_db

ADDRESS = {
    "full_name": "Ada Lovelace",
    "line1": "1 Loop Road",
    "city": "Lagos",
    "postal_code": "100001",
    "country": "NG",
}


@pytest.fixture
def seeded():
    call_command("seed_demo", products=5, stdout=open("/dev/null", "w"))  # noqa: SIM115


def buy_and_pay(client, *, headers=None, email=None):
    headers = dict(headers or {})
    products = client.get("/api/v1/catalog/products/?in_stock=true").json()["results"]
    product = client.get(f"/api/v1/catalog/products/{products[0]['slug']}/").json()
    variant = next(v for v in product["variants"] if v["availability"] != "out_of_stock")
    added = client.post(
        "/api/v1/cart/lines/", {"variant": variant["id"], "quantity": 2}, format="json", **headers
    )
    assert added.status_code in (200, 201), added.content
    if "X-Cart-Token" in added.headers:
        headers["HTTP_X_CART_TOKEN"] = added.headers["X-Cart-Token"]
    methods = client.get("/api/v1/cart/shipping-methods/?country=NG", **headers).json()
    assert methods, "the demo ships to Nigeria"
    body = {
        "shipping_address": ADDRESS,
        "shipping_method": methods[0]["code"],
        **({"email": email} if email else {}),
    }
    placed = client.post("/api/v1/checkout/", body, format="json", **headers)
    assert placed.status_code == 201, placed.content
    order = placed.json()
    order_headers = {k: v for k, v in headers.items() if k != "HTTP_X_CART_TOKEN"}
    if email:
        order_headers["HTTP_X_ORDER_TOKEN"] = order["access_token"]
    gateways = client.get("/api/v1/payments/gateways/").json()
    assert [g["alias"] for g in gateways] == ["dummy"]
    started = client.post(
        f"/api/v1/orders/{order['number']}/payments/",
        {"gateway": "dummy", "return_url": "http://localhost:8000/thanks/"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=f"pay-{order['number']}",
        **order_headers,
    )
    assert started.status_code == 201, started.content
    payment = started.json()
    # The customer follows the redirect to the dummy provider and pays.
    confirm_url = payment["next_action"]["redirect_url"].split("?")[0]
    page = client.get(payment["next_action"]["redirect_url"])
    assert page.status_code == 200
    assert b"Succeed" in page.content
    confirmed = client.post(confirm_url, {"choice": "succeed"}, format="json")
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["status"] == "captured"
    final = client.get(f"/api/v1/orders/{order['number']}/", **order_headers)
    assert final.status_code == 200, final.content
    return variant, final.json()


def test_a_signed_in_shopper_pays_with_the_dummy_gateway(seeded, user):
    client = APIClient()
    token = obtain_tokens(client, user.email)["access"]
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    client.credentials(**headers)
    variant, order = buy_and_pay(client)
    assert order["status"] == "paid"
    stock = StockRecord.objects.get(variant_id=variant["id"])
    assert stock.reserved == 0


def test_a_guest_pays_with_the_dummy_gateway(seeded):
    client = APIClient()
    variant, order = buy_and_pay(client, email="guest@example.com")
    assert order["status"] == "paid"
    assert StockRecord.objects.get(variant_id=variant["id"]).reserved == 0


def test_the_demo_voucher_and_shipping_show_in_the_cart(seeded):
    client = APIClient()
    products = client.get("/api/v1/catalog/products/?in_stock=true").json()["results"]
    product = client.get(f"/api/v1/catalog/products/{products[0]['slug']}/").json()
    variant = next(v for v in product["variants"] if v["availability"] != "out_of_stock")
    added = client.post("/api/v1/cart/lines/", {"variant": variant["id"]}, format="json")
    headers = {"HTTP_X_CART_TOKEN": added.headers["X-Cart-Token"]}
    entered = client.post("/api/v1/cart/codes/", {"code": "welcome10"}, format="json", **headers)
    assert entered.status_code == 201, entered.content
    cart = entered.json()
    assert cart["codes"] == [{"code": "WELCOME10", "applied": True, "reason": None}]
    assert cart["discount_total"]["amount"] != "0.00"
    priced = client.get("/api/v1/cart/?country=DE&shipping_method=eu-standard", **headers)
    if priced.status_code == 400:  # a product in EUR or GBP ships by that currency's method
        currency = cart["currency"].lower()
        priced = client.get(
            f"/api/v1/cart/?country=DE&shipping_method=eu-standard-{currency}", **headers
        )
    assert priced.status_code == 200, priced.content
    body = priced.json()
    assert body["shipping"] is not None
    assert [t["name"] for line in body["lines"] for t in line["tax_lines"]] == ["VAT"]
    assert body["lines"][0]["tax_lines"][0]["included"] is True

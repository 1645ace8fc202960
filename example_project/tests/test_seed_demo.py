"""``manage.py seed_demo``: what it creates, that it is idempotent, and that the API serves it."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Min

from accounts.models import User
from commerce.catalog import services
from commerce.catalog.models import (
    Brand,
    Category,
    Product,
    StockMovement,
    StockRecord,
    Variant,
    Vendor,
)
from commerce.pricing.models import ShippingMethod, TaxRate, Zone
from commerce.promotions.models import Promotion, VoucherCode
from demo import seed

pytestmark = pytest.mark.django_db

MODELS = [
    User,
    Vendor,
    Category,
    Brand,
    Product,
    Variant,
    StockRecord,
    StockMovement,
    Zone,
    ShippingMethod,
    TaxRate,
    Promotion,
    VoucherCode,
]


def run_seed(products):
    out = io.StringIO()
    call_command("seed_demo", products=products, stdout=out)
    return out.getvalue()


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def test_seed_creates_the_demo_shop():
    output = run_seed(25)

    assert Product.objects.count() == 25
    assert Product.objects.published().count() == 25
    assert Variant.objects.count() >= 25
    assert StockRecord.objects.count() == Variant.objects.count()
    # Users: staff, customer and one owner per vendor.
    staff = User.objects.get(email=seed.STAFF_EMAIL)
    assert staff.is_staff
    assert staff.is_superuser
    assert staff.check_password(seed.DEMO_PASSWORD)
    customer = User.objects.get(email=seed.CUSTOMER_EMAIL)
    assert not customer.is_staff
    assert customer.check_password(seed.DEMO_PASSWORD)
    # Vendors: all verified by the staff user, each with a member who can sign in.
    assert Vendor.objects.count() == len(seed.VENDORS)
    for vendor in Vendor.objects.prefetch_related("members"):
        assert vendor.is_verified
        assert vendor.verified_by == staff
        (member,) = vendor.members.all()
        assert member.email == f"{vendor.slug}@vendors.example.com"
        assert member.check_password(seed.DEMO_PASSWORD)
    # A category tree three levels deep, products only in leaves.
    assert Category.objects.filter(depth=1).count() == len(seed.TREE)
    assert Category.objects.filter(depth=3).exists()
    leaves = [c for c in Category.objects.all() if c.is_leaf()]
    assert set(Product.objects.values_list("category", flat=True)) <= {c.pk for c in leaves}
    assert Brand.objects.count() == len(seed.BRANDS)
    # Progress, then how to get in.
    assert "Creating products: 25/25 (100%)" in output
    for text in [
        seed.STAFF_EMAIL,
        seed.CUSTOMER_EMAIL,
        seed.DEMO_PASSWORD,
        "/api/docs/",
        "/admin/",
        seed.VOUCHER_CODE,
    ]:
        assert text in output
    # Two zones with shipping methods in every demo currency, a VAT rate, promotions
    # and the voucher printed above.
    assert Zone.objects.count() == 2
    assert set(ShippingMethod.objects.values_list("currency", flat=True)) == {
        code for code, _ in seed.CURRENCY_WEIGHTS
    }
    assert TaxRate.objects.get().prices_include_tax is True
    assert Promotion.objects.count() == 3
    assert VoucherCode.objects.get().code == seed.VOUCHER_CODE


def test_seed_is_idempotent():
    run_seed(20)
    before = counts()

    output = run_seed(20)

    assert counts() == before
    assert "0 products (0 variants) created, 20 already there" in output
    assert "Creating products" not in output


def test_a_larger_run_adds_only_the_missing_products():
    run_seed(10)
    first_ten = set(Product.objects.values_list("slug", flat=True))

    run_seed(30)

    assert Product.objects.count() == 30
    assert first_ten < set(Product.objects.values_list("slug", flat=True))
    assert Vendor.objects.count() == len(seed.VENDORS)
    assert User.objects.count() == 2 + len(seed.VENDORS)


def test_seeded_products_are_generated_the_same_every_time():
    run_seed(5)
    slugs = sorted(Product.objects.values_list("slug", flat=True))
    Product.objects.all().delete()

    run_seed(5)

    assert sorted(Product.objects.values_list("slug", flat=True)) == slugs


def test_negative_products_is_an_error():
    with pytest.raises(CommandError):
        call_command("seed_demo", products=-1, stdout=io.StringIO())


def test_bulk_rows_match_what_the_services_write():
    """Each seeded product equals the same product created through the services."""
    run_seed(15)
    for product in Product.objects.prefetch_related("variants__stock__movements"):
        copy = services.create_product(
            vendor=product.vendor,
            category=product.category,
            brand=product.brand,
            name=product.name,
            slug=f"{product.slug}-copy",
            description=product.description,
            status=product.status,
            is_featured=product.is_featured,
        )
        for variant in product.variants.all():
            services.create_variant(
                copy,
                sku=f"{variant.sku}-copy",
                price=variant.price,
                name=variant.name,
                options=variant.options,
                compare_at_price=variant.compare_at_price,
                cost_price=variant.cost_price,
                is_active=variant.is_active,
                position=variant.position,
                quantity=variant.stock.quantity,
            )
        copy.refresh_from_db()

        # The whole product card, as the services keep it.
        assert (product.price, product.compare_at_price, product.in_stock) == (
            copy.price,
            copy.compare_at_price,
            copy.in_stock,
        )
        assert product.price == lowest_active_price(product)
        assert product.published_at is not None
        assert copy.published_at is not None
        for original, made in zip(
            product.variants.all(), copy.variants.order_by("position"), strict=True
        ):
            assert stock_fields(original.stock) == stock_fields(made.stock)
            assert movement_fields(original.stock) == movement_fields(made.stock)


def test_seeded_cards_pass_the_invariant_checker():
    from commerce.core.invariants import check_invariants

    run_seed(40)
    assert Product.objects.filter(in_stock=True).exists()
    assert Product.objects.filter(compare_at_price__isnull=False).exists()
    assert [v for v in check_invariants() if v.code == "catalog.product_card"] == []


def lowest_active_price(product):
    lowest = product.variants.filter(is_active=True).aggregate(m=Min("price"))["m"]
    return type(product.price)(lowest, product.price.currency)


def stock_fields(record):
    return (record.quantity, record.reserved, record.low_stock_threshold)


def movement_fields(record):
    return [
        (
            m.kind,
            m.quantity_change,
            m.reserved_change,
            m.quantity_after,
            m.reserved_after,
            m.reason,
            m.reference,
            m.actor_id,
        )
        for m in record.movements.all()
    ]


def test_seeded_products_are_served_by_the_catalog_api(api_client):
    run_seed(30)

    slugs, url = [], "/api/v1/catalog/products/?page_size=7"
    while url:
        response = api_client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        slugs += [item["slug"] for item in body["results"]]
        url = body["next"]

    assert sorted(slugs) == sorted(Product.objects.values_list("slug", flat=True))
    detail = api_client.get(f"/api/v1/catalog/products/{slugs[0]}/")
    assert detail.status_code == 200
    assert detail.json()["variants"]


def test_demo_credentials_work_against_the_api(api_client):
    run_seed(1)

    for email in [seed.STAFF_EMAIL, seed.CUSTOMER_EMAIL, "northwind@vendors.example.com"]:
        response = api_client.post(
            "/api/v1/auth/token/", {"email": email, "password": seed.DEMO_PASSWORD}
        )
        assert response.status_code == 200, (email, response.content)


@pytest.mark.parametrize(
    ("addrport", "base"),
    [
        ("0.0.0.0:8080", "http://127.0.0.1:8080"),
        ("9000", "http://127.0.0.1:9000"),
        ("[::1]:8001", "http://[::1]:8001"),
        ("shop.test:80", "http://shop.test:80"),
    ],
)
def test_links_point_at_the_address_runserver_serves_on(addrport, base):
    out = io.StringIO()
    call_command("seed_demo", products=0, addrport=addrport, stdout=out)
    output = out.getvalue()

    for path in ("/api/docs/", "/api/v1/catalog/products/", "/admin/", "/api/v1/auth/token/"):
        assert f"{base}{path}" in output
    assert ":8000" not in output


def test_links_default_to_port_8000_or_demo_addrport(monkeypatch):
    monkeypatch.delenv("DEMO_ADDRPORT", raising=False)
    assert "http://127.0.0.1:8000/admin/" in run_seed(0)

    monkeypatch.setenv("DEMO_ADDRPORT", "127.0.0.1:8123")
    output = run_seed(0)
    assert "http://127.0.0.1:8123/admin/" in output
    assert ":8000" not in output


@pytest.mark.parametrize("addrport", ["127.0.0.1:", "localhost:http", "127.0.0.1:70000"])
def test_a_bad_addrport_is_refused_before_seeding(addrport):
    with pytest.raises(CommandError, match="addrport"):
        call_command("seed_demo", products=5, addrport=addrport, stdout=io.StringIO())
    assert Product.objects.count() == 0

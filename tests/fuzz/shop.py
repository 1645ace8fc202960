"""A small, realistic shop for the schema fuzzing to aim at.

Every object is made through the services, as the API would make it, so that
generated requests meet real slugs, SKUs, order numbers, payment references,
cart lines and tokens, not only 404s.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from djmoney.money import Money
from PIL import Image

from commerce.cart import services as cart_services
from commerce.catalog import services as catalog_services
from commerce.catalog.models import Category
from commerce.orders import services as order_services
from commerce.payments import services as payment_services
from commerce.payments.gateways.base import EventType
from commerce.payments.gateways.registry import get_gateway
from commerce.pricing import services as pricing_services
from commerce.promotions import services as promotion_services
from commerce.testing.factories import StaffUserFactory, UserFactory

ADDRESS = {
    "full_name": "Ada Lovelace",
    "line1": "1 Loop Road",
    "city": "Lagos",
    "postal_code": "100001",
    "country": "NG",
}


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


def png_bytes() -> bytes:
    """A real, tiny PNG."""
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "navy").save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass
class Shop:
    """What the seed made: the real values generated requests may use."""

    #: caller name -> user primary key
    users: dict[str, object] = field(default_factory=dict)
    category_slugs: list[str] = field(default_factory=list)
    vendor_slugs: list[str] = field(default_factory=list)
    brand_slugs: list[str] = field(default_factory=list)
    #: "reduced" is the shirt's; "spare" nothing uses, so staff may delete it
    tax_class_slugs: list[str] = field(default_factory=list)
    product_slugs: list[str] = field(default_factory=list)
    #: (product slug, sku) of every variant
    variants: list[tuple[str, str]] = field(default_factory=list)
    variant_ids: list[str] = field(default_factory=list)
    #: (product slug, image id)
    images: list[tuple[str, str]] = field(default_factory=list)
    address_ids: list[str] = field(default_factory=list)
    #: the customer's and the anonymous cart's lines
    cart_line_ids: list[str] = field(default_factory=list)
    cart_tokens: list[str] = field(default_factory=list)
    order_numbers: list[str] = field(default_factory=list)
    order_tokens: list[str] = field(default_factory=list)
    payment_references: list[str] = field(default_factory=list)
    gateway_references: list[str] = field(default_factory=list)
    #: the dummy provider's state (kept in the cache) for each seeded payment
    provider_state: dict[str, object] = field(default_factory=dict)
    #: orders and payments by what may be done to them next
    unpaid_number: str = ""
    paid_number: str = ""
    shipped_number: str = ""
    authorized_reference: str = ""
    captured_reference: str = ""
    #: gateway alias -> webhook bodies its provider would send about a waiting payment
    webhook_bodies: dict[str, list[bytes]] = field(default_factory=dict)
    #: the staff's configuration; the first of each is in use, the last one spare
    #: (nothing uses it, so staff may delete it)
    promotion_ids: list[str] = field(default_factory=list)
    #: (promotion id, code)
    voucher_codes: list[tuple[str, str]] = field(default_factory=list)
    zone_ids: list[str] = field(default_factory=list)
    shipping_method_ids: list[str] = field(default_factory=list)
    tax_rate_ids: list[str] = field(default_factory=list)


def _pay(order, alias: str, choice: str | None):
    gateway = get_gateway(alias)
    payment = payment_services.start_payment(order, alias).payment
    if choice is not None:
        for body in gateway.confirm(payment.gateway_reference, choice):
            payment_services.handle_webhook(alias, body, gateway.sign(body))
    payment.refresh_from_db()
    return payment


def seed() -> Shop:
    """Build the shop. Needs database access; returns what it made."""
    shop = Shop()
    customer = UserFactory(email="ada@example.com")
    staff = StaffUserFactory(email="staff@example.com")
    member = UserFactory(email="member@acme.example")
    shop.users = {"customer": customer.pk, "staff": staff.pk, "vendor_member": member.pk}

    apparel = catalog_services.create_category(name="Apparel", slug="apparel")
    shirts = catalog_services.create_category(name="Shirts", slug="shirts", parent=apparel)
    kitchen = catalog_services.create_category(name="Kitchen", slug="kitchen")
    northwind = catalog_services.create_brand(name="Northwind", slug="northwind")
    reduced = catalog_services.create_tax_class(name="Reduced", slug="reduced")
    catalog_services.create_tax_class(name="Spare", slug="spare")
    acme = catalog_services.create_vendor(name="Acme", slug="acme", owner=member)
    acme = catalog_services.verify_vendor(acme)
    globex = catalog_services.create_vendor(name="Globex", slug="globex")  # unverified

    shirt = catalog_services.create_product(
        vendor=acme,
        category=shirts,
        brand=northwind,
        tax_class=reduced,
        name="Plain shirt",
        slug="plain-shirt",
        description="Cotton.",
        status="published",
        is_featured=True,
    )
    small = catalog_services.create_variant(
        shirt,
        sku="SHIRT-S",
        name="Small",
        options={"size": "S"},
        price=usd("12.50"),
        quantity=10,
    )
    medium = catalog_services.create_variant(
        shirt,
        sku="SHIRT-M",
        name="Medium",
        options={"size": "M"},
        price=usd("12.50"),
        compare_at_price=usd("15.00"),
        cost_price=usd("5.00"),
        quantity=3,
        low_stock_threshold=5,
    )
    catalog_services.create_variant(
        shirt, sku="SHIRT-XL", name="Extra large", price=usd("13.00"), is_active=False
    )
    image = catalog_services.add_product_image(
        shirt,
        image=SimpleUploadedFile("shirt.png", png_bytes(), content_type="image/png"),
        alt_text="A plain shirt",
    )

    mug = catalog_services.create_product(
        vendor=acme, category=kitchen, name="Mug", slug="mug", status="published"
    )
    mug_variant = catalog_services.create_variant(mug, sku="MUG-1", price=usd("8.00"), quantity=5)
    teapot = catalog_services.create_product(
        vendor=globex, category=kitchen, name="Teapot", slug="teapot", status="published"
    )
    catalog_services.create_variant(
        teapot, sku="TEA-JP", price=Money(Decimal("1500"), "JPY"), quantity=2
    )
    lamp = catalog_services.create_product(
        vendor=acme, category=kitchen, name="Lamp", slug="lamp", status="draft"
    )
    catalog_services.create_variant(lamp, sku="LAMP-1", price=usd("30.00"))

    address = order_services.create_address(customer, is_default_shipping=True, **ADDRESS)

    def place(user, lines):
        cart, _ = cart_services.get_or_create_cart(user=user)
        for variant, quantity in lines.items():
            cart = cart_services.add_line(cart, variant_id=variant.pk, quantity=quantity)
        return order_services.place_order(
            cart=cart,
            user=user,
            email="" if user else "guest@example.com",
            shipping_address=address if user else ADDRESS,
        )

    # The customer: a pending order awaiting the dummy's confirmation page, a paid
    # order (captured, partly refunded), a shipped one, one authorized for manual
    # capture, and a cart.
    pending = place(customer, {small: 1}).order
    waiting = _pay(pending, "dummy", None)
    paid = place(customer, {medium: 1}).order
    captured = _pay(paid, "dummy", "succeed")
    payment_services.refund_payment(captured, usd("2.50"), reason="Stitching came loose")
    captured.refresh_from_db()
    shipped = place(customer, {mug_variant: 1}).order
    _pay(shipped, "dummy", "succeed")
    shipped = order_services.ship_order(
        type(shipped).objects.get(pk=shipped.pk), carrier="DHL", tracking_number="JD0001"
    )
    held = place(customer, {mug_variant: 1}).order
    authorized = _pay(held, "dummy_manual", "succeed")
    unpaid = place(customer, {small: 1}).order
    guest = place(None, {small: 1})
    guest_payment = _pay(guest.order, "dummy", None)

    cart, _ = cart_services.get_or_create_cart(user=customer)
    cart = cart_services.add_line(cart, variant_id=small.pk, quantity=2)
    anonymous_cart, anonymous_token = cart_services.get_or_create_cart()
    anonymous_cart = cart_services.add_line(anonymous_cart, variant_id=mug_variant.pk, quantity=1)

    shop.category_slugs = list(Category.objects.order_by("path").values_list("slug", flat=True))
    shop.vendor_slugs = [acme.slug, globex.slug]
    shop.brand_slugs = [northwind.slug]
    shop.tax_class_slugs = ["reduced", "spare"]
    shop.product_slugs = [shirt.slug, mug.slug, teapot.slug, lamp.slug]
    shop.variants = [
        (shirt.slug, "SHIRT-S"),
        (shirt.slug, "SHIRT-M"),
        (shirt.slug, "SHIRT-XL"),
        (mug.slug, "MUG-1"),
        (teapot.slug, "TEA-JP"),
        (lamp.slug, "LAMP-1"),
    ]
    shop.variant_ids = [str(small.pk), str(medium.pk), str(mug_variant.pk)]
    shop.images = [(shirt.slug, str(image.pk))]
    shop.address_ids = [str(address.pk)]
    shop.cart_line_ids = [str(line.pk) for line in cart.lines.all()] + [
        str(line.pk) for line in anonymous_cart.lines.all()
    ]
    shop.cart_tokens = [anonymous_token]
    shop.order_numbers = [
        pending.number,
        paid.number,
        shipped.number,
        held.number,
        unpaid.number,
        guest.order.number,
    ]
    shop.unpaid_number = unpaid.number
    shop.paid_number = paid.number
    shop.shipped_number = shipped.number
    shop.authorized_reference = authorized.reference
    shop.captured_reference = captured.reference
    shop.order_tokens = [guest.access_token]
    payments = [waiting, captured, authorized, guest_payment]
    shop.payment_references = [payment.reference for payment in payments]
    shop.gateway_references = [payment.gateway_reference for payment in payments]
    for payment in payments:
        gateway = get_gateway(payment.gateway)
        shop.provider_state[gateway._key(payment.gateway_reference)] = gateway.provider_state(
            payment.gateway_reference
        )
    # What the provider would say once the customer paid: built, not sent.
    gateway = get_gateway(waiting.gateway)
    state = gateway.provider_state(waiting.gateway_reference)
    shop.webhook_bodies[waiting.gateway] = [
        gateway.event_body(
            event_type, waiting.gateway_reference, state["amount"], state["currency"]
        )
        for event_type in (EventType.CAPTURED, EventType.FAILED)
    ]
    _configure_pricing(shop, reduced)
    # The customer's cart holds a code, so removing one reaches a real code.
    cart_services.add_code(cart, "WELCOME")
    return shop


def _configure_pricing(shop: Shop, tax_class) -> None:
    """Zones, shipping methods, tax rates and promotions for the staff endpoints.

    Made after the orders, and out of their way: the zones are in Europe (the
    orders ship to Nigeria), the methods charge euros (no cart is in euros, so
    checkout still needs no shipping method) and the promotions need a code.
    """
    germany = pricing_services.create_zone(
        name="Germany", members=[{"country": "DE"}, {"country": "DE", "region": "HB"}]
    )
    spare_zone = pricing_services.create_zone(name="Spare", members=[{"country": "FR"}])
    standard = pricing_services.create_shipping_method(
        zone=germany,
        name="Standard",
        code="standard",
        currency="EUR",
        rate_strategy="order_value",
        tax_class=tax_class,
        bands=[
            {"lower_bound": 0, "price": Money(Decimal("4.90"), "EUR")},
            {"lower_bound": 5000, "price": Money(Decimal("0"), "EUR")},
        ],
    )
    spare_method = pricing_services.create_shipping_method(
        zone=germany, name="Express", code="express", currency="EUR", price=Money(9, "EUR")
    )
    vat = pricing_services.create_tax_rate(zone=germany, name="VAT", rate=Decimal("19"))
    spare_rate = pricing_services.create_tax_rate(
        zone=germany, tax_class=tax_class, name="Reduced VAT", rate=Decimal("7")
    )
    welcome = promotion_services.create_promotion(
        name="Welcome",
        currency="USD",
        requires_code=True,
        combinable=True,
        benefit={"kind": "percentage_off", "percent": Decimal("10")},
        codes=["WELCOME", {"code": "LIMITED", "max_uses": 5}],
    )
    loyal = promotion_services.create_promotion(
        name="Loyalty",
        requires_code=True,
        combinable=True,
        benefit={"kind": "percentage_off", "percent": Decimal("5")},
        codes=["LOYAL"],
    )
    spare_promotion = promotion_services.create_promotion(
        name="Spare", is_active=False, benefit={"kind": "percentage_off", "percent": Decimal("5")}
    )
    shop.promotion_ids = [str(welcome.pk), str(spare_promotion.pk)]
    shop.voucher_codes = [
        (str(welcome.pk), "WELCOME"),
        (str(welcome.pk), "LIMITED"),
        (str(loyal.pk), "LOYAL"),
    ]
    shop.zone_ids = [str(germany.pk), str(spare_zone.pk)]
    shop.shipping_method_ids = [str(standard.pk), str(spare_method.pk)]
    shop.tax_rate_ids = [str(vat.pk), str(spare_rate.pk)]

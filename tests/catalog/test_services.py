"""The catalog service layer: products, variants, prices, images, stock, vendors."""

from __future__ import annotations

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F

from commerce.catalog import services
from commerce.catalog.models import (
    Product,
    ProductImage,
    StockMovement,
    StockRecord,
    Variant,
)
from commerce.catalog.services import StockLine
from commerce.catalog.signals import low_stock
from commerce.core.exceptions import (
    CommerceValidationError,
    CurrencyMismatchError,
    DuplicateError,
    InsufficientStockError,
    InvalidAmountError,
    LimitExceededError,
    NotFoundError,
    StockError,
    UnknownCurrencyError,
)
from commerce.testing.factories import (
    CategoryFactory,
    ProductFactory,
    UserFactory,
    VariantFactory,
    VendorFactory,
)
from tests.catalog.helpers import add_image
from tests.helpers import money, png_bytes
from tests.statements import batch_size, recording

pytestmark = pytest.mark.django_db


def stock_of(variant: Variant) -> StockRecord:
    return StockRecord.objects.get(variant=variant)


# --- products -------------------------------------------------------------------


class TestProducts:
    def test_create_product_is_a_draft_without_price(self, vendor):
        product = services.create_product(
            vendor=vendor, category=CategoryFactory(), name="Mug", slug="mug"
        )
        assert product.status == Product.Status.DRAFT
        assert product.published_at is None
        assert product.price is None
        assert not Product.objects.published().filter(pk=product.pk).exists()

    def test_create_published_product_sets_published_at(self, vendor):
        product = services.create_product(
            vendor=vendor, category=CategoryFactory(), name="Mug", status="published"
        )
        assert product.published_at is not None

    def test_slug_is_derived_from_the_name_and_made_unique(self, vendor):
        category = CategoryFactory()
        first = services.create_product(vendor=vendor, category=category, name="Blue Mug")
        second = services.create_product(vendor=vendor, category=category, name="Blue Mug")
        assert first.slug == "blue-mug"
        assert second.slug == "blue-mug-2"

    def test_an_explicit_slug_that_is_taken_is_a_duplicate(self, vendor):
        category = CategoryFactory()
        services.create_product(vendor=vendor, category=category, name="Mug", slug="mug")
        with pytest.raises(DuplicateError) as excinfo:
            services.create_product(vendor=vendor, category=category, name="Cup", slug="mug")
        assert excinfo.value.status_code == 409
        assert "slug" in excinfo.value.details
        assert Product.objects.filter(slug="mug").count() == 1

    def test_unknown_status_is_refused(self, vendor):
        with pytest.raises(CommerceValidationError) as excinfo:
            services.create_product(
                vendor=vendor, category=CategoryFactory(), name="Mug", status="live"
            )
        assert "status" in excinfo.value.details
        assert not Product.objects.exists()

    def test_update_product(self, product, category_tree):
        services.update_product(
            product, name="Fancy shirt", description="New", category=category_tree["t-shirts"]
        )
        product.refresh_from_db()
        assert product.name == "Fancy shirt"
        assert product.description == "New"
        assert product.category == category_tree["t-shirts"]

    def test_update_slug_to_a_taken_one_is_a_duplicate(self, product, draft_product):
        with pytest.raises(DuplicateError):
            services.update_product(product, slug=draft_product.slug)
        product.refresh_from_db()
        assert product.slug == "plain-shirt"

    def test_update_slug_to_its_own_is_fine(self, product):
        services.update_product(product, slug="plain-shirt", name="Same slug")
        product.refresh_from_db()
        assert product.name == "Same slug"

    def test_update_unknown_status_or_field_is_refused(self, product):
        with pytest.raises(CommerceValidationError):
            services.update_product(product, status="live")
        with pytest.raises(CommerceValidationError) as excinfo:
            services.update_product(product, price=money("1.00"))
        assert "price" in excinfo.value.details
        product.refresh_from_db()
        assert product.status == Product.Status.PUBLISHED

    def test_publishing_a_draft_stamps_published_at_once(self, draft_product):
        assert draft_product.published_at is None
        services.update_product(draft_product, status="published")
        draft_product.refresh_from_db()
        first = draft_product.published_at
        assert first is not None
        services.update_product(draft_product, status="archived")
        services.update_product(draft_product, status="published")
        draft_product.refresh_from_db()
        assert draft_product.published_at == first

    def test_archive_hides_from_the_public(self, product):
        services.archive_product(product)
        product.refresh_from_db()
        assert product.status == Product.Status.ARCHIVED
        assert not Product.objects.published().filter(pk=product.pk).exists()

    def test_soft_delete_keeps_the_row_and_is_idempotent(self, product):
        services.delete_product(product)
        product.refresh_from_db()
        deleted_at = product.deleted_at
        assert product.is_deleted
        assert Product.objects.filter(pk=product.pk).exists()
        assert not Product.objects.alive().filter(pk=product.pk).exists()
        assert not Product.objects.published().filter(pk=product.pk).exists()
        services.delete_product(product)
        product.refresh_from_db()
        assert product.deleted_at == deleted_at


# --- variants and prices ------------------------------------------------------------


class TestVariants:
    def test_create_variant_with_stock(self, product):
        variant = services.create_variant(
            product, sku="  SHIRT-L ", price=money("14.00"), quantity=3, options={"size": "L"}
        )
        assert variant.sku == "SHIRT-L"
        assert variant.options == {"size": "L"}
        record = stock_of(variant)
        assert (record.quantity, record.reserved) == (3, 0)
        (movement,) = record.movements.all()
        assert movement.kind == StockMovement.Kind.ADJUSTMENT
        assert movement.quantity_change == 3
        assert movement.quantity_after == 3

    def test_create_variant_without_stock_has_an_empty_stock_record(self, product):
        variant = services.create_variant(product, sku="SHIRT-XL", price=money("14.00"))
        record = stock_of(variant)
        assert (record.quantity, record.reserved, record.low_stock_threshold) == (0, 0, 5)
        assert not record.movements.exists()

    def test_duplicate_sku_is_refused(self, product, draft_product):
        with pytest.raises(DuplicateError) as excinfo:
            services.create_variant(draft_product, sku="SHIRT-M", price=money("1.00"))
        assert excinfo.value.code == "duplicate"
        assert "sku" in excinfo.value.details
        assert Variant.objects.filter(sku="SHIRT-M").count() == 1

    def test_blank_sku_is_refused(self, product):
        with pytest.raises(CommerceValidationError):
            services.create_variant(product, sku="  ", price=money("1.00"))

    @pytest.mark.parametrize(
        ("amount", "currency"),
        [
            ("-0.01", "USD"),  # negative
            ("1.005", "USD"),  # three places where USD has two
            ("1.5", "JPY"),  # any fraction where JPY has none
            ("1.0005", "KWD"),  # four places where KWD has three
        ],
    )
    def test_invalid_amounts_are_refused(self, draft_product, amount, currency):
        product = ProductFactory(vendor=draft_product.vendor, category=draft_product.category)
        with pytest.raises(InvalidAmountError):
            services.create_variant(product, sku="X-1", price=money(amount, currency))
        assert not Variant.objects.filter(sku="X-1").exists()

    @pytest.mark.parametrize(("amount", "currency"), [("1.005", "KWD"), ("1500", "JPY")])
    def test_amounts_at_the_currency_exponent_are_fine(self, vendor, amount, currency):
        product = ProductFactory(vendor=vendor)
        variant = services.create_variant(product, sku="X-1", price=money(amount, currency))
        product.refresh_from_db()
        assert product.price == money(amount, currency)
        assert variant.price.currency.code == currency

    def test_invalid_compare_at_and_cost_prices_are_refused(self, product):
        with pytest.raises(InvalidAmountError):
            services.create_variant(
                product, sku="X-1", price=money("1.00"), compare_at_price=money("-1.00")
            )
        with pytest.raises(InvalidAmountError):
            services.create_variant(
                product, sku="X-1", price=money("1.00"), cost_price=money("0.001")
            )

    @pytest.mark.parametrize("currency", ["GBP", "XXX"])
    def test_disallowed_currency_is_refused(self, vendor, currency):
        # The test settings allow USD, EUR, JPY, KWD and NGN only.
        product = ProductFactory(vendor=vendor)
        with pytest.raises(UnknownCurrencyError):
            services.create_variant(product, sku="X-1", price=money("1.00", currency))

    def test_variants_of_a_product_share_one_currency(self, product):
        with pytest.raises(CurrencyMismatchError):
            services.create_variant(product, sku="SHIRT-EUR", price=money("12.00", "EUR"))
        variant = product.variants.get()
        services.create_variant(product, sku="SHIRT-S", price=money("11.00"))
        with pytest.raises(CurrencyMismatchError):
            services.update_variant(variant, price=money("12.00", "EUR"))

    def test_the_only_variant_may_change_currency(self, product):
        variant = product.variants.get()
        services.update_variant(variant, price=money("11.00", "EUR"))
        product.refresh_from_db()
        assert product.price == money("11.00", "EUR")

    def test_negative_initial_stock_is_refused(self, product):
        with pytest.raises(CommerceValidationError):
            services.create_variant(product, sku="X-1", price=money("1.00"), quantity=-1)
        assert not Variant.objects.filter(sku="X-1").exists()

    def test_update_variant_to_a_taken_sku_is_a_duplicate(self, product):
        other = services.create_variant(product, sku="SHIRT-S", price=money("11.00"))
        with pytest.raises(DuplicateError):
            services.update_variant(other, sku="SHIRT-M")
        services.update_variant(other, sku="SHIRT-S")  # its own SKU is fine
        other.refresh_from_db()
        assert other.sku == "SHIRT-S"

    def test_update_variant_refuses_unknown_fields_and_bad_money(self, product):
        variant = product.variants.get()
        with pytest.raises(CommerceValidationError):
            services.update_variant(variant, quantity=5)
        with pytest.raises(InvalidAmountError):
            services.update_variant(variant, price=money("-1.00"))
        with pytest.raises(InvalidAmountError):
            services.update_variant(variant, cost_price=money("1.005"))
        variant.refresh_from_db()
        assert variant.price == money("12.50")

    def test_product_price_is_the_lowest_active_variant_price(self, product):
        assert product.price == money("12.50")
        cheap = services.create_variant(product, sku="SHIRT-S", price=money("9.00"))
        services.create_variant(product, sku="SHIRT-L", price=money("15.00"))
        product.refresh_from_db()
        assert product.price == money("9.00")

        services.update_variant(cheap, is_active=False)
        product.refresh_from_db()
        assert product.price == money("12.50")

        services.update_variant(cheap, is_active=True)
        product.refresh_from_db()
        assert product.price == money("9.00")

        services.update_variant(cheap, price=money("20.00"))
        product.refresh_from_db()
        assert product.price == money("12.50")

    def test_product_without_active_variants_has_no_price_and_is_not_public(self, product):
        variant = product.variants.get()
        services.update_variant(variant, is_active=False)
        product.refresh_from_db()
        assert product.price is None
        assert not Product.objects.published().filter(pk=product.pk).exists()

        services.update_variant(variant, is_active=True)
        product.refresh_from_db()
        assert product.price == money("12.50")
        assert Product.objects.published().filter(pk=product.pk).exists()

    def test_product_price_is_right_after_writes_through_stale_instances(self, product):
        # Two editors (two requests, two admin tabs) hold the same variant.
        first = product.variants.get()
        second = Variant.objects.select_related("product").get(pk=first.pk)
        assert second.product.price == money("12.50")
        services.update_variant(first, price=money("10.00"))
        # The second editor puts the old price back; its product is stale (12.50).
        services.update_variant(second, price=money("12.50"))
        product.refresh_from_db()
        assert product.price == money("12.50")
        assert second.product.price == money("12.50")

    def test_inactive_new_variant_does_not_set_the_price(self, draft_product):
        product = ProductFactory(vendor=draft_product.vendor)
        services.create_variant(product, sku="X-1", price=money("1.00"), is_active=False)
        product.refresh_from_db()
        assert product.price is None


# --- images -----------------------------------------------------------------------


class TestImages:
    def test_first_image_becomes_primary(self, product):
        first = add_image(product, "1.png")
        second = add_image(product, "2.png", position=1)
        assert first.is_primary
        assert not second.is_primary

    def test_adding_a_primary_image_demotes_the_old_one(self, product):
        first = add_image(product, "1.png")
        second = add_image(product, "2.png", is_primary=True)
        first.refresh_from_db()
        assert not first.is_primary
        assert second.is_primary

    def test_making_another_image_primary_demotes_the_first(self, product):
        first = add_image(product, "1.png")
        second = add_image(product, "2.png", position=1)
        services.update_product_image(second, is_primary=True, alt_text="Back")
        first.refresh_from_db()
        second.refresh_from_db()
        assert not first.is_primary
        assert second.is_primary
        assert second.alt_text == "Back"

    def test_the_primary_cannot_simply_be_unset(self, product):
        only = add_image(product, "1.png")
        with pytest.raises(CommerceValidationError):
            services.update_product_image(only, is_primary=False)
        only.refresh_from_db()
        assert only.is_primary

    def test_unknown_image_field_is_refused(self, product):
        image = add_image(product)
        with pytest.raises(CommerceValidationError):
            services.update_product_image(image, product=None)

    def test_deleting_the_primary_promotes_the_next_by_position(self, product):
        first = add_image(product, "1.png", position=0)
        add_image(product, "3.png", position=2)
        second = add_image(product, "2.png", position=1)
        services.delete_product_image(first)
        second.refresh_from_db()
        assert second.is_primary
        assert product.images.filter(is_primary=True).count() == 1

    def test_the_file_is_removed_only_after_commit(
        self, product, media_root, django_capture_on_commit_callbacks
    ):
        image = services.add_product_image(
            product, image=SimpleUploadedFile("shirt.png", png_bytes(), "image/png")
        )
        path, pk = media_root / image.image.name, image.pk
        assert path.is_file()

        class Boom(Exception):
            pass

        @transaction.atomic
        def delete_then_fail():
            services.delete_product_image(image)
            raise Boom

        with pytest.raises(Boom):
            delete_then_fail()
        assert path.is_file()  # rolled back: row and file both stay
        assert ProductImage.objects.filter(pk=pk).exists()

        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            services.delete_product_image(ProductImage.objects.get(pk=pk))
        assert path.is_file()
        for callback in callbacks:
            callback()
        assert not path.exists()

    def test_deleting_the_last_image_leaves_none(self, product):
        services.delete_product_image(add_image(product))
        assert not product.images.exists()

    def test_the_database_forbids_two_primaries(self, product):
        add_image(product, "1.png")
        with pytest.raises(IntegrityError), transaction.atomic():
            ProductImage.objects.create(
                product=product, image="commerce/products/2.png", is_primary=True
            )

    def test_two_products_each_have_a_primary(self, product, draft_product):
        assert add_image(product).is_primary
        assert add_image(draft_product).is_primary


# --- stock --------------------------------------------------------------------------


@pytest.fixture
def variant(product):
    return product.variants.get()  # 10 on hand, threshold 5


@pytest.fixture
def variant_b(product):
    return services.create_variant(product, sku="SHIRT-S", price=money("11.00"), quantity=3)


class TestAdjustStock:
    def test_add_and_remove_with_audit_rows(self, variant):
        actor = UserFactory()
        record = services.adjust_stock(variant, 5, reason="Delivery", actor=actor, reference="PO-1")
        assert record.quantity == 15
        record = services.adjust_stock(variant, -7, reason="  Damaged  ")
        assert record.quantity == 8
        assert stock_of(variant).quantity == 8

        movements = {
            m.quantity_change: m
            for m in StockMovement.objects.filter(stock_record__variant=variant)
        }
        initial, delivery, damaged = movements[10], movements[5], movements[-7]
        assert (initial.quantity_change, initial.quantity_after) == (10, 10)
        assert delivery.kind == StockMovement.Kind.ADJUSTMENT
        assert (delivery.quantity_change, delivery.quantity_after) == (5, 15)
        assert delivery.reserved_after == 0
        assert delivery.actor == actor
        assert delivery.reason == "Delivery"
        assert delivery.reference == "PO-1"
        assert (damaged.quantity_change, damaged.quantity_after) == (-7, 8)
        assert damaged.reason == "Damaged"
        assert damaged.actor is None

    def test_anonymous_actor_is_not_recorded(self, variant):
        from django.contrib.auth.models import AnonymousUser

        services.adjust_stock(variant, 1, reason="Found one", actor=AnonymousUser())
        movement = StockMovement.objects.filter(stock_record__variant=variant).latest("created_at")
        assert movement.actor is None

    def test_below_zero_is_refused(self, variant):
        with pytest.raises(CommerceValidationError) as excinfo:
            services.adjust_stock(variant, -11, reason="Oops")
        assert not isinstance(excinfo.value, InsufficientStockError)
        assert stock_of(variant).quantity == 10
        assert StockMovement.objects.filter(stock_record__variant=variant).count() == 1

    def test_below_reserved_is_refused(self, variant):
        services.reserve({variant: 8})
        with pytest.raises(InsufficientStockError) as excinfo:
            services.adjust_stock(variant, -3, reason="Shrinkage")
        assert excinfo.value.status_code == 409
        assert excinfo.value.available == 2
        record = stock_of(variant)
        assert (record.quantity, record.reserved) == (10, 8)
        services.adjust_stock(variant, -2, reason="Shrinkage")  # down to exactly reserved
        assert stock_of(variant).available == 0

    @pytest.mark.parametrize("reason", ["", "   ", None])
    def test_reason_is_required(self, variant, reason):
        with pytest.raises(CommerceValidationError) as excinfo:
            services.adjust_stock(variant, 1, reason=reason)
        assert "reason" in excinfo.value.details
        assert stock_of(variant).quantity == 10

    @pytest.mark.parametrize("change", [0, 1.5, True, "2"])
    def test_change_must_be_a_non_zero_integer(self, variant, change):
        with pytest.raises(CommerceValidationError):
            services.adjust_stock(variant, change, reason="Count")

    def test_set_stock(self, variant):
        actor = UserFactory()
        record = services.set_stock(variant, 4, reason="Stock take", actor=actor)
        assert record.quantity == 4
        movement = StockMovement.objects.filter(stock_record__variant=variant).latest("created_at")
        assert (movement.quantity_change, movement.quantity_after) == (-6, 4)
        assert movement.actor == actor

    def test_set_stock_to_the_same_quantity_writes_nothing(self, variant):
        services.set_stock(variant, 10, reason="Stock take")
        assert StockMovement.objects.filter(stock_record__variant=variant).count() == 1

    def test_set_stock_refuses_negative_and_below_reserved(self, variant):
        with pytest.raises(CommerceValidationError):
            services.set_stock(variant, -1, reason="Stock take")
        services.reserve({variant: 6})
        with pytest.raises(InsufficientStockError):
            services.set_stock(variant, 5, reason="Stock take")
        assert stock_of(variant).quantity == 10


class TestReserveReleaseCommit:
    def test_reserve_all_lines(self, variant, variant_b):
        records = services.reserve([(variant, 2), StockLine(variant_b.pk, 3)], reference="O-1")
        assert {r.variant_id: r.reserved for r in records} == {variant.pk: 2, variant_b.pk: 3}
        assert stock_of(variant).available == 8
        assert stock_of(variant_b).available == 0
        movement = StockMovement.objects.get(
            stock_record__variant=variant_b, kind=StockMovement.Kind.RESERVE
        )
        assert (movement.reserved_change, movement.reserved_after) == (3, 3)
        assert movement.quantity_after == 3
        assert movement.reference == "O-1"

    def test_reserve_is_all_or_nothing(self, variant, variant_b):
        with pytest.raises(InsufficientStockError) as excinfo:
            services.reserve({variant.pk: 2, variant_b.pk: 4})
        error = excinfo.value
        assert (error.sku, error.requested, error.available) == ("SHIRT-S", 4, 3)
        assert error.details == {"sku": "SHIRT-S", "requested": 4, "available": 3}
        assert error.code == "insufficient_stock"
        assert stock_of(variant).reserved == 0
        assert stock_of(variant_b).reserved == 0
        assert not StockMovement.objects.filter(kind=StockMovement.Kind.RESERVE).exists()

    def test_duplicate_lines_are_merged(self, variant_b):
        with pytest.raises(InsufficientStockError) as excinfo:
            services.reserve([(variant_b, 2), (variant_b.pk, 2)])
        assert excinfo.value.requested == 4
        services.reserve([(variant_b, 1), (variant_b.pk, 2)])
        assert stock_of(variant_b).reserved == 3
        assert (
            StockMovement.objects.filter(
                stock_record__variant=variant_b, kind=StockMovement.Kind.RESERVE
            ).count()
            == 1
        )

    @pytest.mark.parametrize("quantity", [0, -1, 1.0, True, "1"])
    def test_non_positive_or_non_integer_quantities_are_refused(self, variant, quantity):
        with pytest.raises(CommerceValidationError):
            services.reserve({variant: quantity})
        assert stock_of(variant).reserved == 0

    def test_unknown_variant_is_not_found(self, variant):
        import uuid

        with pytest.raises(NotFoundError):
            services.reserve({variant.pk: 1, uuid.uuid4(): 1})
        assert stock_of(variant).reserved == 0

    def test_release(self, variant):
        services.reserve({variant: 4})
        services.release({variant: 3}, reference="O-1")
        assert stock_of(variant).reserved == 1
        with pytest.raises(StockError):
            services.release({variant: 2})
        assert stock_of(variant).reserved == 1

    def test_commit_drops_quantity_and_reserved(self, variant, variant_b):
        services.reserve({variant: 4, variant_b: 2})
        services.commit({variant: 3, variant_b: 2}, reference="O-1")
        record, record_b = stock_of(variant), stock_of(variant_b)
        assert (record.quantity, record.reserved) == (7, 1)
        assert (record_b.quantity, record_b.reserved) == (1, 0)
        movement = StockMovement.objects.get(
            stock_record__variant=variant, kind=StockMovement.Kind.COMMIT
        )
        assert (movement.quantity_change, movement.reserved_change) == (-3, -3)
        assert (movement.quantity_after, movement.reserved_after) == (7, 1)

    def test_commit_more_than_reserved_is_refused_for_every_line(self, variant, variant_b):
        services.reserve({variant: 4, variant_b: 1})
        with pytest.raises(StockError):
            services.commit({variant: 4, variant_b: 2})
        assert (stock_of(variant).quantity, stock_of(variant).reserved) == (10, 4)
        assert (stock_of(variant_b).quantity, stock_of(variant_b).reserved) == (3, 1)


class TestLowStockSignal:
    @pytest.fixture
    def received(self):
        calls = []

        def receiver(sender, **kwargs):
            calls.append(kwargs)

        low_stock.connect(receiver)
        yield calls
        low_stock.disconnect(receiver)

    def test_sent_on_crossing_only_and_after_commit(
        self, variant, received, django_capture_on_commit_callbacks
    ):
        # 10 on hand, threshold 5.
        with django_capture_on_commit_callbacks(execute=True):
            services.reserve({variant: 4})  # 6 available: above the threshold
        assert received == []

        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            services.reserve({variant: 1})  # 5 available: crosses
        assert received == []  # not before the transaction commits
        assert len(callbacks) == 1
        callbacks[0]()
        (call,) = received
        assert call["variant"] == variant
        assert call["available"] == 5
        assert call["stock_record"].variant_id == variant.pk

        with django_capture_on_commit_callbacks(execute=True):
            services.reserve({variant: 1})  # 4: already below, no new signal
            services.adjust_stock(variant, -1, reason="Broken")  # 3
        assert len(received) == 1

        with django_capture_on_commit_callbacks(execute=True):
            services.adjust_stock(variant, 10, reason="Delivery")  # 13: back above
            services.commit({variant: 6})  # quantity 7, reserved 0: 7 available
        assert len(received) == 1
        with django_capture_on_commit_callbacks(execute=True):
            services.set_stock(variant, 2, reason="Stock take")  # crosses again
        assert len(received) == 2
        assert received[1]["available"] == 2

    def test_not_sent_when_the_transaction_rolls_back(
        self, variant, received, django_capture_on_commit_callbacks
    ):
        class Boom(Exception):
            pass

        @transaction.atomic
        def reserve_then_fail():
            services.reserve({variant: 6})  # 4 available: crosses, schedules low_stock
            raise Boom

        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            with pytest.raises(Boom):
                reserve_then_fail()
            # A refused reservation touches nothing, so it schedules nothing either.
            with pytest.raises(InsufficientStockError):
                services.reserve({variant: 11})
        assert callbacks == []
        assert received == []


class TestDatabaseConstraints:
    def test_reserved_above_quantity_is_refused(self, variant):
        with pytest.raises(IntegrityError), transaction.atomic():
            StockRecord.objects.filter(variant=variant).update(reserved=F("quantity") + 1)
        assert stock_of(variant).reserved == 0

    def test_negative_reserved_is_refused(self, variant):
        with pytest.raises(IntegrityError), transaction.atomic():
            StockRecord.objects.filter(variant=variant).update(reserved=-1)

    def test_quantity_below_reserved_is_refused(self, variant):
        services.reserve({variant: 5})
        with pytest.raises(IntegrityError), transaction.atomic():
            StockRecord.objects.filter(variant=variant).update(quantity=4)
        assert stock_of(variant).quantity == 10


# --- vendors ------------------------------------------------------------------------


class TestVendors:
    def test_create_vendor_is_unverified_with_its_owner(self):
        owner = UserFactory()
        vendor = services.create_vendor(name="Umbrella Corp", owner=owner)
        assert vendor.slug == "umbrella-corp"
        assert not vendor.is_verified
        assert vendor.memberships.get().user == owner

    def test_duplicate_vendor_slug(self, vendor):
        with pytest.raises(DuplicateError):
            services.create_vendor(name="Other", slug=vendor.slug)

    def test_verify_vendor_is_idempotent(self, staff_user):
        vendor = VendorFactory(is_verified=False)
        verified = services.verify_vendor(vendor, verified_by=staff_user)
        assert verified.is_verified
        assert verified.verified_by == staff_user
        stamp = verified.verified_at
        assert stamp is not None

        again = services.verify_vendor(vendor, verified_by=UserFactory(is_staff=True))
        again.refresh_from_db()
        assert again.verified_at == stamp
        assert again.verified_by == staff_user

    def test_category_tree_services(self):
        root = services.create_category(name="Garden")
        child = services.create_category(name="Tools", parent=root)
        assert child.path.startswith(root.path)
        with pytest.raises(DuplicateError):
            services.create_category(name="Garden again", slug="garden")
        assert services.create_brand(name="Acme Tools").slug == "acme-tools"


def test_variant_factory_builds_through_the_services():
    variant = VariantFactory()
    assert variant.product.price == variant.price
    assert stock_of(variant).quantity == 10


# --- size limits and bounded statements -------------------------------------------------


class TestSizeLimits:
    def test_a_product_has_at_most_the_configured_variants(self, settings, product):
        settings.COMMERCE = {**settings.COMMERCE, "PRODUCT_MAX_VARIANTS": 2}
        services.create_variant(product, sku="SHIRT-L", price=money("12.00"))
        with pytest.raises(LimitExceededError) as excinfo:
            services.create_variant(product, sku="SHIRT-XL", price=money("12.00"))
        error = excinfo.value
        assert (error.status_code, error.code) == (400, "too_many_variants")
        assert error.details == {"setting": "PRODUCT_MAX_VARIANTS", "maximum": 2}
        assert not Variant.objects.filter(sku="SHIRT-XL").exists()
        # Changing a variant of a full product is fine.
        services.update_variant(product.variants.get(sku="SHIRT-L"), price=money("13.00"))

    def test_a_product_has_at_most_the_configured_images(self, settings, product):
        settings.COMMERCE = {**settings.COMMERCE, "PRODUCT_MAX_IMAGES": 2}
        first = add_image(product, "a.png")
        add_image(product, "b.png")
        with pytest.raises(LimitExceededError) as excinfo:
            add_image(product, "c.png")
        assert excinfo.value.code == "too_many_images"
        assert excinfo.value.details == {"setting": "PRODUCT_MAX_IMAGES", "maximum": 2}
        assert product.images.count() == 2
        services.delete_product_image(first)
        add_image(product, "c.png")
        assert product.images.count() == 2


class TestBoundedStockMoves:
    @pytest.fixture
    def variants(self, db):
        return [VariantFactory(quantity=5) for _ in range(40)]

    @pytest.mark.parametrize("move", ["reserve", "release", "commit"])
    def test_no_statement_grows_with_the_lines(self, variants, move):
        """10 lines or 30, each statement is the same size; only their number grows."""
        small = {variant.pk: 1 for variant in variants[:10]}
        large = {variant.pk: 1 for variant in variants[10:]}
        if move != "reserve":
            services.reserve({**small, **large})
        with batch_size(10):
            with recording() as few:
                getattr(services, move)(small)
            with recording() as many:
                records = getattr(services, move)(large)
        assert many.largest == few.largest
        # Two more batches of three statements each: lock, UPDATE, INSERT of movements.
        assert len(many) - len(few) == 6
        assert len(records) == 30
        expected = {"reserve": (5, 1), "release": (5, 0), "commit": (4, 0)}[move]
        for variant in variants:
            record = stock_of(variant)
            assert (record.quantity, record.reserved) == expected

    def test_rows_are_locked_in_variant_order_across_batches(self, variants):
        locked = []

        def spy(execute, sql, params, many, context):
            # The locking read (SQLite has no FOR UPDATE but reads in the same batches).
            if sql.startswith("SELECT") and "commerce_catalog_stockrecord" in sql:
                locked.extend(uuid.UUID(str(pk)) for pk in params)
            return execute(sql, params, many, context)

        with batch_size(7), connection.execute_wrapper(spy):
            records = services.reserve({variant.pk: 1 for variant in variants})
        ids = [record.variant_id for record in records]
        assert ids == sorted(variant.pk for variant in variants)
        # Each batch asks for the next ids in that order.
        assert locked == ids

    def test_ids_as_strings_and_uuids_are_one_line(self, variants):
        variant = variants[0]
        services.reserve([(str(variant.pk), 1), (variant.pk, 2)])
        assert stock_of(variant).reserved == 3
        assert StockMovement.objects.filter(stock_record__variant=variant).count() == 2

    def test_an_id_that_is_not_a_uuid_is_not_found(self, variants):
        with pytest.raises(NotFoundError):
            services.reserve({variants[0].pk: 1, "not-a-uuid": 1})
        assert stock_of(variants[0]).reserved == 0

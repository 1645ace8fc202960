"""factory-boy factories for commerce models, for commerce's tests and your own.

Products and variants are built through :mod:`commerce.catalog.services` so
the denormalized list price and the stock record exist, exactly as in
production.
"""

from __future__ import annotations

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from djmoney.money import Money

from commerce.catalog import services
from commerce.catalog.models import (
    Brand,
    Category,
    Product,
    TaxClass,
    Variant,
    Vendor,
    VendorMembership,
)


class UserFactory(factory.django.DjangoModelFactory):
    """A user of ``AUTH_USER_MODEL``; works with username- or email-based models."""

    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        username_field = model_class.USERNAME_FIELD
        if username_field != "email" and username_field not in kwargs:
            # The whole address: local parts repeat across domains (member@a, member@b).
            kwargs[username_field] = kwargs["email"]
        manager = cls._get_manager(model_class)
        user = manager.create_user(*args, **kwargs)
        return user

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class StaffUserFactory(UserFactory):
    is_staff = True


class CategoryFactory(factory.django.DjangoModelFactory):
    """A root category, or a child with ``parent=...``."""

    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")

    @classmethod
    def _create(cls, model_class, parent=None, **kwargs):
        return services.create_category(parent=parent, **kwargs)


class BrandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Brand

    name = factory.Sequence(lambda n: f"Brand {n}")
    slug = factory.Sequence(lambda n: f"brand-{n}")


class TaxClassFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaxClass

    name = factory.Sequence(lambda n: f"Tax class {n}")
    slug = factory.Sequence(lambda n: f"tax-class-{n}")


class VendorFactory(factory.django.DjangoModelFactory):
    """A verified vendor; pass ``is_verified=False`` for one awaiting staff."""

    class Meta:
        model = Vendor

    name = factory.Sequence(lambda n: f"Vendor {n}")
    slug = factory.Sequence(lambda n: f"vendor-{n}")
    is_verified = True


class VendorMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VendorMembership

    vendor = factory.SubFactory(VendorFactory)
    user = factory.SubFactory(UserFactory)
    role = VendorMembership.Role.OWNER


class ProductFactory(factory.django.DjangoModelFactory):
    """A published product; without variants it has no price and is not listed."""

    class Meta:
        model = Product

    vendor = factory.SubFactory(VendorFactory)
    category = factory.SubFactory(CategoryFactory)
    brand = None
    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")
    description = "A fine product."
    status = Product.Status.PUBLISHED

    @classmethod
    def _create(cls, model_class, **kwargs):
        return services.create_product(**kwargs)


class VariantFactory(factory.django.DjangoModelFactory):
    """A variant with a stock record holding ``quantity`` (default 10)."""

    class Meta:
        model = Variant

    product = factory.SubFactory(ProductFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    price = factory.LazyFunction(lambda: Money(Decimal("12.50"), "USD"))
    quantity = 10

    @classmethod
    def _create(cls, model_class, product, **kwargs):
        return services.create_variant(product, **kwargs)

"""Base models: UUID keys and timestamps maintained by Django."""

import uuid

import pytest

from commerce.catalog.models import Brand
from commerce.core.models import BaseModel


@pytest.mark.django_db
def test_base_model_gives_a_uuid_key_and_timestamps():
    assert issubclass(Brand, BaseModel)
    brand = Brand.objects.create(name="Acme", slug="acme")
    assert isinstance(brand.pk, uuid.UUID)
    assert brand.created_at is not None
    assert brand.updated_at >= brand.created_at

    created_at, updated_at = brand.created_at, brand.updated_at
    brand.name = "Acme Ltd"
    brand.save()
    brand.refresh_from_db()
    assert brand.created_at == created_at
    assert brand.updated_at > updated_at


def test_uuid_keys_are_random_and_not_editable():
    field = Brand._meta.pk
    assert field.default is uuid.uuid4
    assert not field.editable
    assert Brand().pk != Brand().pk

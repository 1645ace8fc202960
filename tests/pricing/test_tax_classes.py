"""Tax classes that pricing rows use cannot vanish, through the API or the services."""

from __future__ import annotations

import pytest

from commerce.catalog import services
from commerce.core.exceptions import ConflictError
from commerce.testing.factories import TaxClassFactory
from tests.helpers import assert_error, client_for
from tests.pricing.helpers import method, rate, zone

pytestmark = pytest.mark.django_db


def test_a_class_a_tax_rate_uses_cannot_be_deleted(staff_user):
    reduced = TaxClassFactory(slug="reduced")
    rate(zone("Germany", ("DE",)), "VAT", "7", tax_class=reduced)
    response = client_for(staff_user).delete("/api/v1/catalog/tax-classes/reduced/")
    error = assert_error(response, 409, "tax_class_in_use")
    assert error["details"] == {"in_use_by": ["tax rates"]}


def test_a_class_a_shipping_method_uses_cannot_be_deleted():
    reduced = TaxClassFactory(slug="reduced")
    method(zone("Germany", ("DE",)), "standard", tax_class=reduced)
    with pytest.raises(ConflictError) as caught:
        services.delete_tax_class(reduced)
    assert caught.value.details == {"in_use_by": ["shipping methods"]}

"""``build_gateway``: what the system checks use to validate a gateway entry."""

from __future__ import annotations

import pytest

from commerce.payments.exceptions import GatewayConfigurationError
from commerce.payments.gateways.dummy import DummyGateway
from commerce.payments.gateways.registry import UnknownGatewayError, build_gateway, gateways

DUMMY = {"BACKEND": "commerce.payments.gateways.dummy.DummyGateway"}


def test_it_builds_a_fresh_gateway_from_the_given_entries_not_the_registrys():
    built = build_gateway("elsewhere", {"elsewhere": DUMMY})
    assert isinstance(built, DummyGateway)
    assert built.alias == "elsewhere"
    assert build_gateway("elsewhere", {"elsewhere": DUMMY}) is not built
    assert "elsewhere" not in gateways.aliases()


def test_it_names_what_is_wrong():
    with pytest.raises(UnknownGatewayError, match="'other'"):
        build_gateway("other", {"elsewhere": DUMMY})
    with pytest.raises(GatewayConfigurationError, match='needs a "BACKEND"'):
        build_gateway("elsewhere", {"elsewhere": {}})

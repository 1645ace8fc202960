"""Helpers any test package may import: core and catalog only, so the catalog-only host can."""

from __future__ import annotations

import io
from decimal import Decimal

from djmoney.money import Money
from PIL import Image
from rest_framework.test import APIClient


def client_for(user) -> APIClient:
    """An API client signed in as ``user`` (anonymous if ``None``)."""
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def money(amount: str, currency: str = "USD") -> Money:
    """``Money`` from a decimal string, USD unless told."""
    return Money(Decimal(amount), currency)


def assert_error(response, status_code: int, code: str | None = None) -> dict:
    """Assert ``response`` is the error envelope with ``status_code`` (and ``code``)."""
    assert response.status_code == status_code, response.content
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "details"}, error
    assert isinstance(error["message"], str)
    assert error["message"]
    assert isinstance(error["details"], dict)
    if code is not None:
        assert error["code"] == code, error
    return error


def png_bytes(size: tuple[int, int] = (4, 4), colour: str = "red") -> bytes:
    """A real, tiny PNG made in memory."""
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()

"""Discount sources: how the pipeline learns about promotions without importing them.

A discount source is an object with three methods:

``evaluate(context) -> DiscountResult``
    Read-only: which lines and orders get what off, and why the rest did not apply.
``spend(claims, *, order_reference, customer) -> None``
    At checkout, inside its transaction: spend each claim's budget or code use with
    a conditional update, or raise
    :class:`~commerce.pricing.exceptions.DiscountUnavailableError`.
``release(order_reference) -> int``
    When an order is cancelled or expires, inside that transaction: give back what
    :meth:`spend` took for it, exactly once. Returns how many claims it released.

An app registers its source from its ``AppConfig.ready()`` (the promotions app
does); with none registered, nothing is discounted. Sources run in registration
order, each seeing what the earlier ones took off (``PricingContext.discounted``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from commerce.pricing.types import Claim, Customer, DiscountResult, PricingContext

__all__ = ["DiscountSource", "discount_sources", "register_discount_source", "release", "spend"]


class DiscountSource(Protocol):
    def evaluate(self, context: PricingContext) -> DiscountResult: ...

    def spend(
        self, claims: Iterable[Claim], *, order_reference: str, customer: Customer
    ) -> None: ...

    def release(self, order_reference: str) -> int: ...


_SOURCES: list[Any] = []


def register_discount_source(source: DiscountSource) -> DiscountSource:
    """Add ``source`` to the pipeline; registering an equal source again changes nothing."""
    if source not in _SOURCES:
        _SOURCES.append(source)
    return source


def discount_sources() -> list[DiscountSource]:
    return list(_SOURCES)


def spend(claims: Iterable[Claim], *, order_reference: str, customer: Customer) -> None:
    """Have every source spend its share of ``claims`` (call inside checkout's transaction)."""
    claims = tuple(claims)
    for source in _SOURCES:
        source.spend(claims, order_reference=order_reference, customer=customer)


def release(order_reference: str) -> int:
    """Give back every claim spent for ``order_reference``; call inside the cancelling
    transaction. Returns how many were released (0 when already released)."""
    return sum(source.release(order_reference) for source in _SOURCES)

"""Admin helpers shared by commerce's apps: amounts as a person reads them.

Money columns keep three decimal places for every currency (KWD needs them), and
Django's admin shows a decimal column with all of its places: ``$59.000``. These
helpers show an amount at its currency's ISO 4217 exponent instead: ``$59.00``,
``¥1,000``, ``KWD1.234``. Nothing is registered here.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.contrib import admin
from djmoney.money import Money

from commerce.core.exceptions import CommerceError
from commerce.core.money import currency_exponent


def money_at_exponent(value: Money) -> Money:
    """``value`` with as many decimal places as its currency has (USD 2, JPY 0, KWD 3).

    Never rounds: an amount with more places than its currency's (which the
    services refuse to store) is returned unchanged, so no digit is hidden.
    """
    try:
        exponent = currency_exponent(str(value.currency))
    except CommerceError:  # not an ISO 4217 code: leave the amount as stored
        return value
    amount = Decimal(value.amount)
    shown = amount.quantize(Decimal(1).scaleb(-exponent))
    return Money(shown, value.currency) if shown == amount else value


def money_text(value: Money | None, empty: str = "-") -> str:
    """``value`` formatted at its currency's exponent (``$59.00``), or ``empty`` for none."""
    if value is None:
        return empty
    return str(money_at_exponent(value))


def money_display(field: str, description: Any) -> Callable[[Any, Any], str]:
    """An admin column or read-only field showing ``obj.<field>`` with :func:`money_text`.

    Assign it in a ``ModelAdmin`` or inline and name it in ``list_display`` or
    ``readonly_fields`` (the column sorts by ``field``)::

        total_display = money_display("total", _("total"))
    """

    @admin.display(description=description, ordering=field)
    def display(model_admin, obj) -> str:
        return money_text(getattr(obj, field, None), model_admin.get_empty_value_display())

    display.__name__ = f"{field}_display"
    return display

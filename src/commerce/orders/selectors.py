"""Who may see which orders, and the querysets the order views use.

The lookups here are the one way an endpoint, of any app, finds an order for
whoever asks: its owner, staff, or a guest holding the order's access token.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.utils.crypto import constant_time_compare, salted_hmac

from commerce.catalog.models import Vendor
from commerce.core.exceptions import NotFoundError
from commerce.core.permissions import user_is_staff
from commerce.orders.models import Order, OrderAdjustment, OrderLine, OrderTaxLine
from commerce.orders.services import ACCESS_TOKEN_SALT


def _visible_to(queryset: QuerySet[Order], user, *, staff: bool) -> QuerySet[Order]:
    if staff and user_is_staff(user):
        return queryset
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    return queryset.filter(user=user)


def orders_for_customer(user) -> QuerySet[Order]:
    """Staff see every order; a customer only their own; anonymous users none."""
    return _visible_to(Order.objects.all(), user, staff=True)


def _access_token_matches(number: str, token: str) -> bool:
    # SECRET_KEY_FALLBACKS too: rotating the key must not lock guests out of their orders.
    secrets_to_try = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return any(
        constant_time_compare(
            token,
            salted_hmac(ACCESS_TOKEN_SALT, number, secret=secret, algorithm="sha256").hexdigest(),
        )
        for secret in secrets_to_try
    )


def find_order_for_guest(
    number: str, token: str, *, queryset: QuerySet[Order] | None = None
) -> Order:
    """The order ``number`` if ``token`` is its access token; else :class:`NotFoundError`.

    The token is :func:`commerce.orders.services.order_access_token` (made with
    ``SECRET_KEY`` or one of ``SECRET_KEY_FALLBACKS``). ``queryset`` (default:
    all orders) lets a caller select what it will read.
    """
    queryset = Order.objects.all() if queryset is None else queryset
    order = queryset.filter(number=number).first()
    if order is None or not _access_token_matches(order.number, token or ""):
        raise NotFoundError()
    return order


def find_order(
    number: str,
    *,
    user,
    token: str | None,
    queryset: QuerySet[Order] | None = None,
    staff: bool = True,
) -> Order:
    """The order ``number`` for whoever asks, or :class:`NotFoundError`.

    ``user`` opens the orders they own (and, with ``staff``, staff open every
    order); anyone else needs ``token``, the order's guest access token (see
    :func:`find_order_for_guest`). An order that does not exist and one the
    caller may not open are the same 404, so numbers cannot be probed.
    ``queryset`` (default: all orders) lets a caller select what it will read.
    """
    queryset = Order.objects.all() if queryset is None else queryset
    order = _visible_to(queryset, user, staff=staff).filter(number=number).first()
    if order is not None:
        return order
    if not token:
        raise NotFoundError()
    return find_order_for_guest(number, token, queryset=queryset)


def order_detail_queryset(queryset: QuerySet[Order]) -> QuerySet[Order]:
    """``queryset`` with what the order detail serializer reads: addresses, lines with
    their discounts and taxes, and the shipping's discounts and taxes."""
    return queryset.select_related("shipping_address", "billing_address").prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.prefetch_related("adjustments", "tax_lines")),
        Prefetch(
            "adjustments",
            queryset=OrderAdjustment.objects.filter(line__isnull=True),
            to_attr="shipping_adjustments",
        ),
        Prefetch(
            "tax_lines",
            queryset=OrderTaxLine.objects.filter(line__isnull=True),
            to_attr="shipping_tax_lines",
        ),
    )


def vendor_ids_for(user) -> list:
    if not getattr(user, "is_authenticated", False):
        return []
    return list(Vendor.objects.filter(memberships__user=user).values_list("pk", flat=True))


def orders_for_vendor_member(user) -> QuerySet[Order]:
    """Orders with at least one line of the user's vendors, prefetching only those lines."""
    vendor_ids = vendor_ids_for(user)
    return (
        Order.objects.filter(lines__vendor_id__in=vendor_ids)
        .distinct()
        .select_related("shipping_address")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=OrderLine.objects.filter(vendor_id__in=vendor_ids).prefetch_related(
                    "adjustments", "tax_lines"
                ),
                to_attr="vendor_lines",
            )
        )
    )


def has_ordered(customer) -> bool:
    """Whether ``customer`` (a :class:`~commerce.pricing.types.Customer`) has an order
    that was not cancelled: by account when signed in, else by email."""
    orders = Order.objects.exclude(status=Order.Status.CANCELLED)
    if customer.is_authenticated:
        return orders.filter(user=customer.user).exists()
    return orders.filter(email__iexact=customer.email).exists()

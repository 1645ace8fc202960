"""Who may see which orders, and the querysets the order views use."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from commerce.catalog.models import Vendor
from commerce.core.permissions import user_is_staff
from commerce.orders.models import Order, OrderLine


def orders_for_customer(user) -> QuerySet[Order]:
    """Staff see every order; a customer only their own; anonymous users none."""
    queryset = Order.objects.all()
    if user_is_staff(user):
        return queryset
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    return queryset.filter(user=user)


def order_detail_queryset(queryset: QuerySet[Order]) -> QuerySet[Order]:
    """``queryset`` with what the order detail serializer reads: addresses and lines."""
    return queryset.select_related("shipping_address", "billing_address").prefetch_related("lines")


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
                queryset=OrderLine.objects.filter(vendor_id__in=vendor_ids),
                to_attr="vendor_lines",
            )
        )
    )

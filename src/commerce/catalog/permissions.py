"""Who may change catalog objects: members of a verified vendor, and staff."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from commerce.catalog.models import Product, ProductImage, Variant, Vendor
from commerce.catalog.selectors import user_can_manage_vendor


def vendor_of(obj) -> Vendor:
    """The vendor that owns a vendor, product, variant or image."""
    if isinstance(obj, Vendor):
        return obj
    if isinstance(obj, Product):
        return obj.vendor
    if isinstance(obj, Variant | ProductImage):
        return obj.product.vendor
    raise TypeError(f"{type(obj).__name__} has no vendor")


class CanManageVendorObject(BasePermission):
    """Reads for anyone who can see the object; writes for its vendor's members and staff."""

    message = "Only members of this product's verified vendor may change it."

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return user_can_manage_vendor(request.user, vendor_of(obj))

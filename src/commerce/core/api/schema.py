"""OpenAPI (drf-spectacular) settings a host merges into its ``SPECTACULAR_SETTINGS``.

Several commerce models have a ``status`` with different choices; naming the
enums keeps the schema stable and free of collision warnings::

    from commerce.core.api.schema import ENUM_NAME_OVERRIDES

    SPECTACULAR_SETTINGS = {"ENUM_NAME_OVERRIDES": {**ENUM_NAME_OVERRIDES}}

A host that installs only some of the apps keeps the entries of those apps.
"""

ENUM_NAME_OVERRIDES = {
    "ProductStatusEnum": "commerce.catalog.models.Product.Status",
    "OrderStatusEnum": "commerce.orders.models.Order.Status",
    "PaymentStatusEnum": "commerce.payments.models.Payment.Status",
    "RefundStatusEnum": "commerce.payments.models.Refund.Status",
}

"""Payment signals, each sent after the transaction that caused it commits.

Every signal is sent with ``sender=Payment`` and ``payment`` and ``actor`` (a
user or ``None`` for the system or a webhook) keyword arguments;
``payment_refunded`` also sends ``refund`` (the :class:`~commerce.payments.models.Refund`
that succeeded).
"""

from django.dispatch import Signal

payment_authorized = Signal()
payment_captured = Signal()
payment_failed = Signal()
payment_refunded = Signal()

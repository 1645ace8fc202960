"""Order signals, each sent after the transaction that caused it commits.

Every signal is sent with ``sender=Order`` and ``order``, ``actor`` (a user
or ``None`` for the system) and ``reason`` keyword arguments.
"""

from django.dispatch import Signal

order_placed = Signal()
order_paid = Signal()
order_shipped = Signal()
order_delivered = Signal()
order_cancelled = Signal()
order_refunded = Signal()

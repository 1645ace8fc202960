"""Catalog signals.

``low_stock`` is sent, after the transaction commits, when a variant's
available quantity falls to or below its stock record's low-stock threshold
(only on the crossing, not on every later change). Arguments: ``sender``
(the ``StockRecord`` class), ``stock_record``, ``variant``, ``available``.
"""

from django.dispatch import Signal

low_stock = Signal()

"""Payment work that may wait, as tasks for a queue.

With Celery installed (``pip install "django-commerce-kit[celery]"``) each
function here is a Celery ``shared_task``, found by the host's
``app.autodiscover_tasks()`` and schedulable with Celery beat; without it, it
is a plain function the host can call from cron, a management command or any
other runner. Either way the work is done by :mod:`commerce.payments.services`.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

try:
    from celery import shared_task
except ImportError:  # Celery is an optional extra: the tasks are plain functions without it.

    def shared_task(func):
        return func


__all__ = ["reconcile_payments_task"]


@shared_task
def reconcile_payments_task(older_than: int | None = None) -> dict[str, Any]:
    """Run :func:`~commerce.payments.services.reconcile_payments`; return its report as a dict.

    ``older_than`` defaults to ``COMMERCE["PAYMENT_RECONCILE_AFTER"]``. The
    result (``checked``, ``settled``, ``unsettled``, ``cancelled``, ``refunds_checked``,
    ``refunds_settled``, ``refunds_unsettled``, ``errors``) holds only
    JSON types, so any Celery result backend can store it.
    """
    # Imported here so this module imports before Django's app registry is
    # ready (a Celery app module may import it that early).
    from commerce.payments.services import reconcile_payments

    return asdict(reconcile_payments(older_than=older_than))

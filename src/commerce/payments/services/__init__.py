"""Payment operations, webhook handling and reconciliation.

Every operation follows one pattern, so a provider call never runs while a
database transaction (and its row locks) is open:

1. a short transaction locks the order and the payment, checks the request,
   and records what is about to happen (a :class:`PaymentEvent`, a pending
   :class:`Refund`) together with the stable idempotency key the provider
   will see (``<payment reference>:<operation>``, or the refund's reference);
2. the gateway is called, outside any transaction;
3. a second short transaction locks the rows again and applies the answer.

An ``unknown`` answer (a timeout, a 5xx) changes no status:
:func:`reconcile_payments` asks the provider later. Every observation of
the provider's state, whether an operation's answer, a webhook or a status
fetch, goes through one function, ``observations.apply_observation``, so the rules
for amounts, ordering and duplicates are the same whichever arrives first.
Locks are always taken order first, then payment, as the order services do.

The flows live in one module each, the way django-allauth keeps its flows:
``starting`` (:func:`start_payment`), ``operations`` (capture, cancel,
refund, :func:`clear_flag`), ``refund_lines`` (what refunded lines give back),
``observations`` (the rules every provider fact goes through), ``webhooks``
and ``reconciliation``, over the shared pieces in ``_common``. Import the
public API from here; the modules behind it are internal and may move.
"""

from commerce.payments.services.operations import (
    cancel_payment,
    capture_payment,
    clear_flag,
    refund_payment,
)
from commerce.payments.services.reconciliation import (
    ReconciliationReport,
    reconcile_payments,
    refresh_payment,
)
from commerce.payments.services.refund_lines import (
    RefundableLine,
    RefundOptions,
    RefundPart,
    line_refund_parts,
    refund_options,
)
from commerce.payments.services.starting import StartedPayment, start_payment
from commerce.payments.services.webhooks import apply_webhook_event, handle_webhook

# In a payment's order of life, which is the order autodoc documents them in.
__all__ = [  # noqa: RUF022
    "start_payment",
    "StartedPayment",
    "capture_payment",
    "cancel_payment",
    "refund_payment",
    "line_refund_parts",
    "RefundPart",
    "refund_options",
    "RefundOptions",
    "RefundableLine",
    "clear_flag",
    "handle_webhook",
    "apply_webhook_event",
    "refresh_payment",
    "reconcile_payments",
    "ReconciliationReport",
]

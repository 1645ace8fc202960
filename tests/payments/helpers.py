"""Helpers for the payment tests: the admin's URLs, buttons and messages, and the
settings of the order the refund-by-lines tests pay for."""

from __future__ import annotations

import html
import re

from django.urls import reverse

from commerce.payments.models import Payment

#: The tax settings of the ``paid`` fixture (an order refunded by lines).
TAXED = {"TAX_STRATEGY": "commerce.pricing.tax.FlatRates"}

HIDDEN_INPUT = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def admin_url(model_or_obj, view: str, *args) -> str:
    opts = model_or_obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def action_url(payment, name: str) -> str:
    return reverse("admin:commerce_payments_payment_transition", args=[payment.pk, name])


def buttons(response) -> list[str]:
    return re.findall(r'name="_fsm_transition_to"\s+value="(\w+)"', response.content.decode())


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def press(client, payment, name: str, **follow):
    """Press a button on the payment's page as a browser would: with the page's hidden inputs."""
    page = client.get(admin_url(payment, "change", payment.pk))
    assert page.status_code == 200
    data = {key: html.unescape(value) for key, value in HIDDEN_INPUT.findall(page.content.decode())}
    assert "events-TOTAL_FORMS" in data  # the inline management forms are posted back
    data["_fsm_transition_to"] = name
    return client.post(admin_url(payment, "change", payment.pk), data, **follow)


def fresh(payment) -> Payment:
    return Payment.objects.select_related("order").get(pk=payment.pk)

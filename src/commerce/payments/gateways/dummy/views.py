"""The dummy gateway's "provider" pages: its confirmation page and the in-process
delivery of the webhooks it emits.

They stand in for a real provider's hosted checkout, for the demo shop and for
tests, so they live with the dummy gateway and not among the production payment
views. :mod:`commerce.payments.api.urls` mounts them at
``payments/dummy/<gateway_reference>/confirm/`` (the dummy's default
``confirm_url``); they answer 404 for any payment that is not the dummy's.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.http import HttpResponse
from django.urls import NoReverseMatch, resolve, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers as drf_serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from commerce.core.api.fields import format_money
from commerce.core.api.parsers import PARSER_CLASSES
from commerce.core.exceptions import CommerceValidationError, NotFoundError
from commerce.payments.api import serializers
from commerce.payments.gateways.dummy import CONFIRM_CHOICES, DummyGateway
from commerce.payments.gateways.registry import UnknownGatewayError, get_gateway
from commerce.payments.models import Payment

__all__ = ["DummyConfirmView"]


class DummyConfirmView(APIView):
    """The dummy provider's "checkout page": choose how the payment ends.

    Confirming makes the dummy provider emit signed webhooks, which are
    delivered to this site's real webhook endpoint (in-process, so it works
    under any server), verified and applied like any provider's.
    """

    parser_classes = PARSER_CLASSES
    authentication_classes: list = []
    permission_classes = [AllowAny]

    def _gateway_and_payment(self, gateway_reference: str) -> tuple[DummyGateway, Payment]:
        payment = Payment.objects.filter(gateway_reference=gateway_reference).first()
        if payment is None:
            raise NotFoundError()
        try:
            gateway = get_gateway(payment.gateway)
        except UnknownGatewayError:
            raise NotFoundError() from None
        if not isinstance(gateway, DummyGateway):
            raise NotFoundError()
        return gateway, payment

    @extend_schema(
        summary="The dummy gateway's confirmation page (HTML; demo and tests only)",
        responses={(200, "text/html"): OpenApiTypes.STR},
    )
    def get(self, request, gateway_reference: str):
        _, payment = self._gateway_and_payment(gateway_reference)
        buttons = format_html_join(
            "",
            '<button name="choice" value="{}">{}</button> ',
            ((choice, choice.replace("_", " ").capitalize()) for choice in CONFIRM_CHOICES),
        )
        return _html(
            format_html(
                "<h1>Dummy payment {}</h1><p>Order {}: {} {}.</p><p>Status: {}.</p>"
                '<form method="post">'
                '<input type="hidden" name="return_url" value="{}">{}</form>',
                payment.reference,
                payment.order.number,
                format_money(payment.amount)["amount"],
                payment.amount.currency,
                payment.status,
                request.GET.get("return_url", ""),
                buttons,
            )
        )

    @extend_schema(
        summary="Confirm a dummy payment: succeed, fail or requires_action (demo and tests only)",
        request=inline_serializer(
            "DummyConfirm",
            fields={
                "choice": drf_serializers.ChoiceField(choices=CONFIRM_CHOICES),
                "return_url": drf_serializers.CharField(required=False, allow_blank=True),
            },
        ),
        # JSON for API clients; the HTML page for a browser's form post.
        responses={
            (200, "application/json"): serializers.PaymentSerializer,
            (200, "text/html"): OpenApiTypes.STR,
        },
    )
    def post(self, request, gateway_reference: str):
        gateway, payment = self._gateway_and_payment(gateway_reference)
        # A JSON body may be any value (a string, a list), not only an object.
        data = request.data if isinstance(request.data, Mapping) else {}
        choice = data.get("choice")
        if choice not in CONFIRM_CHOICES:
            raise CommerceValidationError(
                details={"choice": [f"Choose one of: {', '.join(CONFIRM_CHOICES)}."]}
            )
        for body in gateway.confirm(gateway_reference, choice):
            _deliver_webhook(request, gateway, body)
        payment.refresh_from_db()
        return_url = data.get("return_url")
        if not isinstance(return_url, str):
            return_url = ""
        if request.accepted_renderer.format == "json" and "text/html" not in request.headers.get(
            "Accept", ""
        ):
            return Response(serializers.PaymentSerializer(payment).data)
        link = ""
        if url_has_allowed_host_and_scheme(return_url, allowed_hosts={request.get_host()}):
            link = format_html('<p><a href="{}">Back to the shop</a></p>', return_url)
        return _html(
            format_html(
                "<h1>Dummy payment {}</h1><p>Status: {}.</p>{}",
                payment.reference,
                payment.status,
                link,
            )
        )


def _html(body: str) -> HttpResponse:
    return HttpResponse(
        f"<!doctype html><html><head><title>Dummy payment</title></head><body>{body}</body></html>",
        content_type="text/html; charset=utf-8",
    )


def _deliver_webhook(request, gateway: DummyGateway, body: bytes) -> None:
    """POST ``body``, signed, to this site's webhook view for ``gateway``, in-process."""
    from django.test import RequestFactory  # only the dummy gateway needs it

    try:
        path = reverse("commerce_payments:webhook", kwargs={"alias": gateway.alias})
    except NoReverseMatch:  # the host mounted the views under another namespace
        path = request.path.split("dummy/")[0] + f"webhooks/{gateway.alias}/"
    headers = {
        f"HTTP_{name.upper().replace('-', '_')}": value
        for name, value in gateway.sign(body).items()
    }
    webhook_request = RequestFactory().post(
        path, data=body, content_type="application/json", **headers
    )
    match = resolve(path)
    response = match.func(webhook_request, *match.args, **match.kwargs)
    if response.status_code != 200:
        raise CommerceValidationError(
            "The webhook endpoint refused the dummy provider's event.",
            details={"status": response.status_code},
        )

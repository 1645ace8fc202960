"""Admin pieces every commerce app shares: amounts as a person reads them, and service
errors shown as admin messages.

Money columns keep three decimal places for every currency (KWD needs them), and
Django's admin shows a decimal column with all of its places: ``$59.000``. The money
helpers show an amount at its currency's ISO 4217 exponent instead: ``$59.00``,
``¥1,000``, ``KWD1.234``.

The admin writes through the services, as the API does, and a service refuses with a
:class:`~commerce.core.exceptions.CommerceError`. In the API that is a 4xx in the error
envelope; in the admin it is an error message on the page, never a 500.

This module registers no models.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from djmoney.money import Money

from commerce.core.exceptions import CommerceError, CommerceValidationError
from commerce.core.money import at_exponent


def money_at_exponent(value: Money) -> Money:
    """``value`` at its currency's exponent (:func:`commerce.core.money.at_exponent`)."""
    return Money(at_exponent(value.amount, str(value.currency)), value.currency)


def money_text(value: Money | None, empty: str = "-") -> str:
    """``value`` formatted at its currency's exponent (``$59.00``), or ``empty`` for none."""
    if value is None:
        return empty
    return str(money_at_exponent(value))


def money_display(field: str, description: Any) -> Callable[[Any, Any], str]:
    """An admin column or read-only field showing ``obj.<field>`` with :func:`money_text`.

    Assign it in a ``ModelAdmin`` or inline and name it in ``list_display`` or
    ``readonly_fields`` (the column sorts by ``field``)::

        total_display = money_display("total", _("total"))
    """

    @admin.display(description=description, ordering=field)
    def display(model_admin, obj) -> str:
        return money_text(getattr(obj, field, None), model_admin.get_empty_value_display())

    display.__name__ = f"{field}_display"
    return display


def error_text(error: CommerceError) -> str:
    """What a person reads for ``error``: its message, and for a validation error
    the problems it lists per field, or per item of a field (other errors' details
    describe state, not input)."""
    if not isinstance(error, CommerceValidationError):
        return error.message
    problems = []
    for name, listed in error.details.items():
        # One level of nesting names the items of a field (``lines``: line -> problems).
        items = listed.items() if isinstance(listed, Mapping) else [(name, listed)]
        problems.extend(
            f"{item}: {' '.join(map(str, found))}"
            for item, found in items
            if isinstance(found, list | tuple)
        )
    return " ".join([error.message, *problems])


class ServiceErrorsAsMessages:
    """ModelAdmin mixin: a service's :class:`CommerceError` becomes an error message.

    A save from the change or add form that a service refuses reloads the
    form with the message; the admin's transaction has rolled back by then,
    so nothing is half-saved. Buttons and actions that call services report a
    refusal with :meth:`message_service_error`.
    """

    def message_service_error(self, request, error: CommerceError, *, subject: str = "") -> None:
        """Show ``error`` as an error message, after ``subject`` (what it was about) if given."""
        text = error_text(error)
        self.message_user(request, f"{subject}: {text}" if subject else text, messages.ERROR)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except CommerceError as error:
            self.message_service_error(request, error)
            return HttpResponseRedirect(request.get_full_path())


class ServiceTransitions(ServiceErrorsAsMessages):
    """For a django-fsm-2 ``FSMAdminMixin`` admin (list this first) whose buttons call services.

    Each transition button runs its service from :attr:`service_transitions`
    instead of the model's transition method, only for staff with the change
    permission; a refusal is an error message.
    """

    #: Button name -> ``service(obj, actor, **form data)``, returning the success
    #: message. Names missing here are refused with a message, never forced.
    service_transitions: dict[str, Callable[..., str]] = {}

    # django-fsm-2 lets any staff member press a transition button; a transition
    # changes the object, so it takes the change permission, like the form's Save.

    def _get_fsm_extra_context(self, *, request, obj):
        # No buttons for staff who may not press them.
        if obj is None or not self.has_change_permission(request, obj):
            return []
        return super()._get_fsm_extra_context(request=request, obj=obj)

    def fsm_transition_view(self, request, object_id, transition_name, **kwargs):
        obj = self.get_object(request, object_id)
        if obj is not None and not self.has_change_permission(request, obj):
            raise PermissionDenied
        return super().fsm_transition_view(request, object_id, transition_name, **kwargs)

    def _apply_fsm_transition(self, *, obj, transition_name, request, kwargs=None) -> bool:
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        service = self.service_transitions.get(transition_name)
        if service is None:
            self.message_user(
                request, f"'{transition_name}' is not available here.", level=messages.ERROR
            )
            return False
        try:
            message = service(obj, request.user, **dict(kwargs or {}))
        except CommerceError as error:
            self.message_service_error(request, error)
            return False
        self.message_user(request, message, level=messages.SUCCESS)
        return True

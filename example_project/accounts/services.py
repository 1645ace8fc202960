"""Account operations the auth API calls: plain arguments in, model instances out."""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User
from commerce.core.exceptions import CommerceValidationError

EMAIL_TAKEN = "A user with this email address already exists."


def register_user(*, email: str, password: str, first_name: str = "", last_name: str = "") -> User:
    """Create an active customer account.

    Raises :class:`~commerce.core.exceptions.CommerceValidationError` (400)
    with per-field ``details`` when the email is taken (in any letter case) or
    the password fails ``AUTH_PASSWORD_VALIDATORS``; both are reported at once.
    """
    email = User.objects.normalize_email(email)
    user = User(email=email, first_name=first_name, last_name=last_name)
    errors: dict[str, list[str]] = {}
    if User.objects.filter(email__iexact=email).exists():
        errors["email"] = [EMAIL_TAKEN]
    try:
        password_validation.validate_password(password, user=user)
    except DjangoValidationError as exc:
        errors["password"] = list(exc.messages)
    if errors:
        raise CommerceValidationError(next(iter(errors.values()))[0], details=errors)

    user.set_password(password)
    try:
        with transaction.atomic():
            user.save(force_insert=True)
    except IntegrityError as exc:  # the same address registered concurrently
        raise CommerceValidationError(EMAIL_TAKEN, details={"email": [EMAIL_TAKEN]}) from exc
    return user


def logout(*, user: User, refresh_token: str) -> None:
    """Blacklist ``refresh_token`` so it can never be refreshed again.

    The token must be a valid, unexpired, not yet blacklisted refresh token
    that belongs to ``user``; anything else is a 400. Access tokens already
    issued stay valid until they expire (keep their lifetime short).
    """
    try:
        token = RefreshToken(refresh_token)
    except TokenError as exc:
        raise CommerceValidationError(
            "The refresh token is invalid or expired.",
            code="token_not_valid",
            details={"refresh": [str(exc)]},
        ) from exc
    if str(token.payload.get(jwt_settings.USER_ID_CLAIM)) != str(user.pk):
        raise CommerceValidationError(
            "The refresh token belongs to another user.",
            code="token_not_valid",
            details={"refresh": ["This refresh token was not issued to you."]},
        )
    token.blacklist()

"""The auth API: register, token, refresh (rotation + blacklist), logout, me, throttling."""

import pytest
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from accounts.models import User
from support import PASSWORD, assert_envelope, obtain_tokens

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register/"
TOKEN = "/api/v1/auth/token/"
REFRESH = "/api/v1/auth/token/refresh/"
LOGOUT = "/api/v1/auth/logout/"
ME = "/api/v1/auth/me/"


def bearer(client, access):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


# --- register ------------------------------------------------------------------------


def test_register_creates_a_user_and_returns_it(api_client):
    response = api_client.post(
        REGISTER,
        {"email": "New.Person@Example.COM", "password": PASSWORD, "first_name": "New"},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["email"] == "New.Person@example.com"  # the domain is normalized
    assert body["first_name"] == "New"
    assert body["is_staff"] is False
    assert "password" not in body
    user = User.objects.get(pk=body["id"])
    assert user.check_password(PASSWORD)
    assert user.is_active
    assert not user.is_staff
    assert not user.is_superuser


def test_registered_user_can_obtain_a_token(api_client):
    api_client.post(REGISTER, {"email": "new@example.com", "password": PASSWORD})

    tokens = obtain_tokens(api_client, "new@example.com")

    assert set(tokens) == {"access", "refresh"}


@pytest.mark.parametrize("email", ["ada@example.com", "ADA@example.com", "Ada@EXAMPLE.com"])
def test_register_with_a_taken_email_in_any_case_is_400(api_client, user, email):
    response = api_client.post(REGISTER, {"email": email, "password": PASSWORD})

    error = assert_envelope(response, 400, "invalid")
    assert error["details"]["email"] == ["A user with this email address already exists."]
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("password", "fragment"),
    [
        ("short1!", "too short"),
        ("password123", "too common"),
        ("83749273648", "entirely numeric"),
        ("ada.lovelace@example.com", "too similar"),
    ],
)
def test_register_with_a_weak_password_is_400(api_client, password, fragment):
    response = api_client.post(
        REGISTER, {"email": "ada.lovelace@example.com", "password": password}
    )

    error = assert_envelope(response, 400, "invalid")
    assert any(fragment in message for message in error["details"]["password"])
    assert not User.objects.exists()


def test_register_reports_a_taken_email_and_a_weak_password_together(api_client, user):
    response = api_client.post(REGISTER, {"email": user.email, "password": "password"})

    error = assert_envelope(response, 400, "invalid")
    assert set(error["details"]) == {"email", "password"}


@pytest.mark.parametrize(
    "payload",
    [{}, {"email": "not-an-email", "password": PASSWORD}, {"email": "a@example.com"}],
)
def test_register_with_malformed_input_is_400(api_client, payload):
    response = api_client.post(REGISTER, payload, format="json")

    assert_envelope(response, 400, "invalid")
    assert not User.objects.exists()


# --- token, refresh, rotation ------------------------------------------------------------


def test_token_with_good_credentials(api_client, user):
    tokens = obtain_tokens(api_client, "ada@example.com")

    response = bearer(api_client, tokens["access"]).get(ME)
    assert response.status_code == 200
    assert response.json()["email"] == "ada@example.com"


def test_token_login_ignores_email_case(api_client, user):
    assert obtain_tokens(api_client, "ADA@Example.com")["access"]


@pytest.mark.parametrize(
    "credentials",
    [
        {"email": "ada@example.com", "password": "wrong-password"},
        {"email": "nobody@example.com", "password": PASSWORD},
    ],
)
def test_token_with_bad_credentials_is_401(api_client, user, credentials):
    response = api_client.post(TOKEN, credentials)

    assert_envelope(response, 401, "no_active_account")


def test_token_for_an_inactive_user_is_401(api_client, user):
    user.is_active = False
    user.save()

    assert_envelope(api_client.post(TOKEN, {"email": user.email, "password": PASSWORD}), 401)


def test_token_without_credentials_is_400(api_client):
    error = assert_envelope(api_client.post(TOKEN, {}), 400, "invalid")
    assert set(error["details"]) == {"email", "password"}


def test_refresh_rotates_and_blacklists_the_old_refresh_token(api_client, user):
    tokens = obtain_tokens(api_client, user.email)

    response = api_client.post(REFRESH, {"refresh": tokens["refresh"]})

    assert response.status_code == 200, response.content
    rotated = response.json()
    assert set(rotated) == {"access", "refresh"}
    assert rotated["refresh"] != tokens["refresh"]
    assert bearer(api_client, rotated["access"]).get(ME).status_code == 200
    # The old refresh token is spent: reusing it is refused.
    api_client.credentials()
    reused = api_client.post(REFRESH, {"refresh": tokens["refresh"]})
    assert_envelope(reused, 401, "token_not_valid")
    # The new one still works.
    assert api_client.post(REFRESH, {"refresh": rotated["refresh"]}).status_code == 200


@pytest.mark.parametrize("refresh", ["garbage", ""])
def test_refresh_with_a_bad_token(api_client, refresh):
    response = api_client.post(REFRESH, {"refresh": refresh})

    assert_envelope(response, 400 if refresh == "" else 401)


def test_an_access_token_is_not_a_refresh_token(api_client, user):
    tokens = obtain_tokens(api_client, user.email)

    assert_envelope(api_client.post(REFRESH, {"refresh": tokens["access"]}), 401)


# --- logout --------------------------------------------------------------------------


def test_logout_blacklists_the_refresh_token(api_client, user):
    tokens = obtain_tokens(api_client, user.email)

    response = bearer(api_client, tokens["access"]).post(LOGOUT, {"refresh": tokens["refresh"]})

    assert response.status_code == 204, response.content
    assert BlacklistedToken.objects.filter(token__user=user).count() == 1
    api_client.credentials()
    assert_envelope(api_client.post(REFRESH, {"refresh": tokens["refresh"]}), 401)


def test_logout_twice_is_400(api_client, user):
    tokens = obtain_tokens(api_client, user.email)
    bearer(api_client, tokens["access"]).post(LOGOUT, {"refresh": tokens["refresh"]})

    response = api_client.post(LOGOUT, {"refresh": tokens["refresh"]})

    assert_envelope(response, 400, "token_not_valid")


def test_logout_needs_authentication(api_client, user):
    tokens = obtain_tokens(api_client, user.email)

    response = api_client.post(LOGOUT, {"refresh": tokens["refresh"]})

    assert_envelope(response, 401, "not_authenticated")
    assert not BlacklistedToken.objects.exists()


@pytest.mark.parametrize(
    ("payload", "code"),
    [({}, "invalid"), ({"refresh": "garbage"}, "token_not_valid")],
)
def test_logout_with_a_missing_or_bad_token_is_400(api_client, user, payload, code):
    tokens = obtain_tokens(api_client, user.email)

    response = bearer(api_client, tokens["access"]).post(LOGOUT, payload, format="json")

    error = assert_envelope(response, 400, code)
    assert "refresh" in error["details"]


def test_logout_with_another_users_refresh_token_is_400(api_client, user, other_user):
    mine = obtain_tokens(api_client, user.email)
    theirs = obtain_tokens(api_client, other_user.email)

    response = bearer(api_client, mine["access"]).post(LOGOUT, {"refresh": theirs["refresh"]})

    assert_envelope(response, 400, "token_not_valid")
    assert not BlacklistedToken.objects.exists()


# --- me ------------------------------------------------------------------------------


def test_me_returns_the_signed_in_user(api_client, user):
    tokens = obtain_tokens(api_client, user.email)

    response = bearer(api_client, tokens["access"]).get(ME)

    assert response.status_code == 200
    assert response.json() == {
        "id": str(user.pk),
        "email": "ada@example.com",
        "first_name": "Ada",
        "last_name": "",
        "is_staff": False,
        "date_joined": response.json()["date_joined"],
    }


def test_me_anonymous_is_401_with_a_bearer_challenge(api_client):
    response = api_client.get(ME)

    assert_envelope(response, 401, "not_authenticated")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_me_with_a_garbage_token_is_401(api_client):
    response = bearer(api_client, "not-a-jwt").get(ME)

    assert_envelope(response, 401, "token_not_valid")


# --- throttling ----------------------------------------------------------------------


@pytest.fixture
def auth_rate_3_per_minute(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"auth": "3/minute"},
    }


@pytest.mark.parametrize(
    ("method", "path", "signed_in"),
    [
        ("post", REGISTER, False),
        ("post", TOKEN, False),
        ("post", REFRESH, False),
        # Authentication is checked before throttling: anonymous calls are 401 anyway.
        ("post", LOGOUT, True),
        ("get", ME, True),
    ],
)
@pytest.mark.usefixtures("auth_rate_3_per_minute")
def test_auth_endpoints_are_throttled(api_client, user, method, path, signed_in):
    if signed_in:
        api_client.force_authenticate(user)
    for _ in range(3):
        assert getattr(api_client, method)(path, {}).status_code != 429

    response = getattr(api_client, method)(path, {})

    error = assert_envelope(response, 429, "throttled")
    assert int(response.headers["Retry-After"]) > 0
    assert error["details"]["retry_after"] > 0


@pytest.mark.usefixtures("auth_rate_3_per_minute")
def test_throttling_counts_per_endpoint_scope_not_the_catalog(api_client, user):
    for _ in range(3):
        api_client.post(TOKEN, {"email": user.email, "password": "wrong"})
    assert_envelope(api_client.post(TOKEN, {"email": user.email, "password": PASSWORD}), 429)

    # The catalog has no throttle scope: it is not slowed by failed logins.
    for _ in range(5):
        assert api_client.get("/api/v1/catalog/products/").status_code == 200

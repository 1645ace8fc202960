"""Helpers shared by the demo host's tests."""

import re
from pathlib import Path

PASSWORD = "correct-horse-battery-staple"

SETTINGS_FILE = Path(__file__).resolve().parent.parent / "shop" / "settings.py"
#: Every environment variable shop/settings.py reads, found in its source.
SETTINGS_VARIABLES = sorted(
    set(re.findall(r'(?:env\.\w+|_rate)\(\s*"([A-Z][A-Z0-9_]*)"', SETTINGS_FILE.read_text()))
)


def obtain_tokens(client, email, password=PASSWORD):
    response = client.post("/api/v1/auth/token/", {"email": email, "password": password})
    assert response.status_code == 200, response.content
    return response.json()


def assert_envelope(response, status, code=None):
    """The response is the commerce error envelope with ``status`` (and ``code``)."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert isinstance(body["error"]["details"], dict)
    assert body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code
    return body["error"]

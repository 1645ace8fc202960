"""``commerce_settings``: defaults, use-time reads, import strings."""

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.utils.module_loading import import_string

from commerce.conf import DEFAULTS, IMPORT_STRINGS, commerce_settings
from tests.core.helpers import staff_by_email_domain


@pytest.mark.parametrize("user_settings", [{}, None, "not a dict"])
def test_defaults_apply_for_keys_the_host_leaves_out(user_settings):
    with override_settings(COMMERCE=user_settings):
        for key, default in DEFAULTS.items():
            if key in IMPORT_STRINGS:
                assert getattr(commerce_settings, key) is import_string(default)
            else:
                assert getattr(commerce_settings, key) == default


def test_the_test_hosts_values_win_over_defaults():
    currencies, page_size = commerce_settings.CURRENCIES, commerce_settings.PAGE_SIZE
    assert currencies == settings.COMMERCE["CURRENCIES"]
    assert currencies != DEFAULTS["CURRENCIES"]
    assert page_size == DEFAULTS["PAGE_SIZE"]


def test_override_settings_is_seen_at_once_and_undone_after():
    assert commerce_settings.PAGE_SIZE == 20  # now cached
    with override_settings(COMMERCE={**settings.COMMERCE, "PAGE_SIZE": 7}):
        assert commerce_settings.PAGE_SIZE == 7
        with override_settings(COMMERCE={"PAGE_SIZE": 3}):
            assert commerce_settings.PAGE_SIZE == 3
            currencies = commerce_settings.CURRENCIES
            assert currencies == DEFAULTS["CURRENCIES"]
        assert commerce_settings.PAGE_SIZE == 7
    assert commerce_settings.PAGE_SIZE == 20


@pytest.mark.parametrize("name", ["NOT_A_SETTING", "page_size", "_cache_miss", "__wrapped__"])
def test_unknown_attribute_raises_attribute_error(name):
    with pytest.raises(AttributeError, match="Invalid COMMERCE setting"):
        getattr(commerce_settings, name)
    assert not hasattr(commerce_settings, name)


def test_unknown_key_in_the_dict_is_still_not_an_attribute():
    with override_settings(COMMERCE={"NOT_A_SETTING": 1}), pytest.raises(AttributeError):
        commerce_settings.NOT_A_SETTING  # noqa: B018


def test_import_string_setting_resolves_to_the_object():
    assert commerce_settings.STAFF_CHECK is import_string("commerce.core.permissions.is_staff_user")
    with override_settings(COMMERCE={"STAFF_CHECK": "tests.core.helpers.staff_by_email_domain"}):
        assert commerce_settings.STAFF_CHECK is staff_by_email_domain


def test_import_string_setting_accepts_the_object_itself():
    with override_settings(COMMERCE={"STAFF_CHECK": staff_by_email_domain}):
        assert commerce_settings.STAFF_CHECK is staff_by_email_domain


@pytest.mark.parametrize(
    "value",
    [
        "tests.core.no_such_module.check",  # module missing
        "tests.core.helpers.no_such_function",  # attribute missing
        "nodots",  # not a dotted path
    ],
)
def test_bad_import_string_raises_improperly_configured_naming_the_key(value):
    with (
        override_settings(COMMERCE={"STAFF_CHECK": value}),
        pytest.raises(ImproperlyConfigured) as excinfo,
    ):
        commerce_settings.STAFF_CHECK  # noqa: B018
    message = str(excinfo.value)
    assert "COMMERCE['STAFF_CHECK']" in message
    assert repr(value) in message

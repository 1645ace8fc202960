"""System checks for ``COMMERCE``: each id fires on its bad setting, none on good ones."""

import pytest
from django.conf import settings
from django.core.checks import Error, Warning
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from commerce.checks import check_commerce_settings


def run_with(commerce=None, **other_settings):
    """Run the commerce check with ``COMMERCE`` = test settings updated by ``commerce``."""
    if commerce is not None and isinstance(commerce, dict):
        commerce = {**settings.COMMERCE, **commerce}
    overrides = dict(other_settings)
    if commerce is not None:
        overrides["COMMERCE"] = commerce
    with override_settings(**overrides):
        return check_commerce_settings()


def ids(messages):
    return [message.id for message in messages]


@pytest.mark.parametrize(
    "commerce",
    [
        {},
        {"DEFAULT_CURRENCY": "EUR"},
        {"CURRENCIES": []},  # any ISO 4217 code
        {"CURRENCIES": ("USD", "JPY")},
        {"DEFAULT_LOW_STOCK_THRESHOLD": 0},
        {"PAGE_SIZE": 100, "MAX_PAGE_SIZE": 100},
        {"STAFF_CHECK": "tests.core.helpers.staff_by_email_domain"},
    ],
)
def test_good_settings_pass(commerce):
    assert run_with(commerce) == []


def test_an_empty_commerce_dict_passes():
    with override_settings(COMMERCE={}):
        assert check_commerce_settings() == []


def test_e001_commerce_is_not_a_dict():
    messages = run_with(["USD"])
    assert ids(messages) == ["commerce.E001"]
    assert isinstance(messages[0], Error)
    assert "list" in messages[0].hint


def test_w002_unknown_key():
    messages = run_with({"PAGE_SIZ": 10})
    assert ids(messages) == ["commerce.W002"]
    assert isinstance(messages[0], Warning)
    assert "'PAGE_SIZ'" in messages[0].msg


@pytest.mark.parametrize("code", ["usd", "XXX", "ZZZ", "", 840, None])
def test_e003_default_currency_not_iso_4217(code):
    messages = run_with({"DEFAULT_CURRENCY": code, "CURRENCIES": []})
    assert ids(messages) == ["commerce.E003"]
    assert repr(code) in messages[0].msg


@pytest.mark.parametrize("currencies", ["USD", ["USD", "nope"], ["USD", None], {"USD": 1}])
def test_e004_currencies_not_a_list_of_codes(currencies):
    messages = run_with({"CURRENCIES": currencies})
    assert ids(messages) == ["commerce.E004"]
    assert "must be a list" in messages[0].msg


def test_e004_currencies_leave_out_the_default_currency():
    messages = run_with({"DEFAULT_CURRENCY": "USD", "CURRENCIES": ["EUR", "GBP"]})
    assert ids(messages) == ["commerce.E004"]
    assert "does not include DEFAULT_CURRENCY 'USD'" in messages[0].msg


@pytest.mark.parametrize(
    "value", ["tests.core.helpers.no_such_function", "no_such_module.check", "nodots"]
)
def test_e005_import_string_cannot_be_imported(value):
    messages = run_with({"STAFF_CHECK": value})
    assert ids(messages) == ["commerce.E005"]
    assert "STAFF_CHECK" in messages[0].msg


@pytest.mark.parametrize(
    "commerce",
    [
        {"PAGE_SIZE": 0},
        {"PAGE_SIZE": -5},
        {"PAGE_SIZE": "20"},
        {"PAGE_SIZE": 2.5},
        {"PAGE_SIZE": True},
        {"MAX_PAGE_SIZE": 0},
        {"MAX_PAGE_SIZE": None},
        {"DEFAULT_LOW_STOCK_THRESHOLD": -1},
        {"DEFAULT_LOW_STOCK_THRESHOLD": "5"},
        {"CART_MAX_LINES": 0},
        {"CART_MAX_LINES": "100"},
        {"CART_MAX_LINE_QUANTITY": 0},
        {"ADDRESS_BOOK_MAX_ENTRIES": None},
        {"PRODUCT_MAX_VARIANTS": -1},
        {"PRODUCT_MAX_IMAGES": 1.5},
    ],
)
def test_e006_sizes_must_be_whole_numbers(commerce):
    messages = run_with(commerce)
    # MAX_PAGE_SIZE = 0 is also smaller than PAGE_SIZE: a second E006.
    assert set(ids(messages)) == {"commerce.E006"}
    (key,) = commerce
    assert repr(key) in messages[0].msg


def test_e006_page_size_larger_than_max_page_size():
    messages = run_with({"PAGE_SIZE": 50, "MAX_PAGE_SIZE": 10})
    assert ids(messages) == ["commerce.E006"]
    assert "larger than MAX_PAGE_SIZE" in messages[0].msg


def test_w007_exception_handler_is_not_commerces():
    rest_framework = {
        key: value for key, value in settings.REST_FRAMEWORK.items() if key != "EXCEPTION_HANDLER"
    }
    messages = run_with(REST_FRAMEWORK=rest_framework)
    assert ids(messages) == ["commerce.W007"]
    assert isinstance(messages[0], Warning)


def test_several_problems_are_reported_together():
    messages = run_with({"PAGE_SIZE": 0, "STAFF_CHECK": "nodots", "TYPO": 1})
    assert sorted(ids(messages)) == ["commerce.E005", "commerce.E006", "commerce.W002"]


# Django 6.1's own checks open a database connection during `check`.
@pytest.mark.django_db
def test_the_check_is_registered_with_django(capsys):
    call_command("check")
    assert "commerce." not in capsys.readouterr().out

    with (
        override_settings(COMMERCE={**settings.COMMERCE, "DEFAULT_CURRENCY": "usd"}),
        pytest.raises(SystemCheckError, match=r"commerce\.E003"),
    ):
        call_command("check")

"""Categories, brands and vendors over the API, for every kind of user."""

from __future__ import annotations

import pytest

from commerce.catalog.models import Vendor
from commerce.testing.factories import (
    BrandFactory,
    CategoryFactory,
    UserFactory,
    VendorFactory,
    VendorMembershipFactory,
)
from tests.catalog.helpers import CAST
from tests.helpers import assert_error, client_for

pytestmark = pytest.mark.django_db

API = "/api/v1/catalog/"


def walk_names(client, url, params=None) -> list[str]:
    response = client.get(url, params or {})
    names = []
    while True:
        assert response.status_code == 200, response.content
        names += [item["name"] for item in response.json()["results"]]
        if not response.json()["next"]:
            return names
        response = client.get(response.json()["next"])


# --- categories -----------------------------------------------------------------------------


@pytest.mark.parametrize("who", CAST)
def test_category_tree(client_as, who, category_tree):
    response = client_as(who).get(f"{API}categories/")
    assert response.status_code == 200, response.content

    def shape(nodes):
        return [(node["slug"], shape(node["children"])) for node in nodes]

    assert shape(response.json()) == [
        ("books", []),
        ("clothing", [("shirts", [("t-shirts", [])])]),
    ]
    books = response.json()[0]
    assert set(books) == {"id", "name", "slug", "description", "children"}


@pytest.mark.parametrize("count", [4, 40])
def test_category_tree_is_one_query(api_client, count, django_assert_num_queries):
    root = CategoryFactory()
    parent = root
    for n in range(count - 1):
        # Alternate between deepening the tree and adding siblings.
        node = CategoryFactory(parent=parent)
        parent = node if n % 2 else parent
    with django_assert_num_queries(1):
        response = api_client.get(f"{API}categories/")
    assert response.status_code == 200

    def count_nodes(nodes):
        return sum(1 + count_nodes(node["children"]) for node in nodes)

    assert count_nodes(response.json()) == count


def test_category_tree_is_what_the_serializer_says(category_tree):
    from commerce.catalog import selectors
    from commerce.catalog.api.serializers import CategoryTreeSerializer
    from commerce.catalog.api.serializers import category_tree as build
    from commerce.catalog.models import Category

    CategoryFactory(parent=Category.objects.get(slug="books"), description="Novels & more")
    nodes = list(Category.objects.order_by("path"))
    by_path = {node.path: node for node in nodes}
    roots = []
    for node in nodes:
        node.tree_children = []
        parent = by_path.get(node.path[: -Category.steplen])
        (parent.tree_children if parent else roots).append(node)
    expected = CategoryTreeSerializer(roots, many=True).data
    assert build(selectors.category_tree_rows()) == expected
    assert len(expected) == 2
    assert expected[0]["children"][0]["description"] == "Novels & more"


@pytest.mark.parametrize("who", CAST)
def test_category_detail(client_as, who, category_tree):
    response = client_as(who).get(f"{API}categories/shirts/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "Shirts"
    assert body["parent"] == {"name": "Clothing", "slug": "clothing"}
    assert body["ancestors"] == [{"name": "Clothing", "slug": "clothing"}]
    assert body["children"] == [{"name": "T-shirts", "slug": "t-shirts"}]

    leaf = client_as(who).get(f"{API}categories/t-shirts/").json()
    assert [a["slug"] for a in leaf["ancestors"]] == ["clothing", "shirts"]
    assert leaf["parent"]["slug"] == "shirts"
    assert leaf["children"] == []

    root = client_as(who).get(f"{API}categories/clothing/").json()
    assert root["parent"] is None
    assert root["ancestors"] == []
    assert [c["slug"] for c in root["children"]] == ["shirts"]


@pytest.mark.parametrize("who", CAST)
def test_unknown_category_is_a_404_envelope(client_as, who, category_tree):
    assert_error(client_as(who).get(f"{API}categories/nope/"), 404, "not_found")


def test_categories_are_read_only(client_as, category_tree):
    response = client_as("staff_user").post(f"{API}categories/", {"name": "X"}, format="json")
    assert_error(response, 405, "method_not_allowed")


# --- brands ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", CAST)
def test_brands_list_by_name(client_as, who):
    for name in ["Omega", "Alpha", "Zeta", "Kappa", "Beta"]:
        BrandFactory(name=name, slug=name.lower())
    response = client_as(who).get(f"{API}brands/")
    assert response.status_code == 200, response.content
    assert response.json()["results"][0] == {
        "id": response.json()["results"][0]["id"],
        "name": "Alpha",
        "slug": "alpha",
    }
    assert walk_names(client_as(who), f"{API}brands/", {"page_size": 2}) == [
        "Alpha",
        "Beta",
        "Kappa",
        "Omega",
        "Zeta",
    ]


def test_brands_bad_page_size(api_client):
    assert "page_size" in assert_error(api_client.get(f"{API}brands/?page_size=0"), 400)["details"]


# --- vendors --------------------------------------------------------------------------------

VENDOR_LIST = {
    "anonymous": ["Acme", "Globex"],
    "customer": ["Acme", "Globex"],
    "vendor_member": ["Acme", "Globex"],
    "other_vendor_member": ["Acme", "Globex"],
    "unverified_vendor_member": ["Acme", "Globex", "Initech"],
    "staff_user": ["Acme", "Globex", "Initech"],
}


@pytest.mark.parametrize("who", CAST)
def test_vendor_list_shows_verified_vendors_and_ones_own(
    client_as, who, vendor, other_vendor, unverified_vendor
):
    # A second member, so the membership join could duplicate a row.
    VendorMembershipFactory(vendor=vendor)
    VendorMembershipFactory(vendor=unverified_vendor)
    client = client_as(who)
    assert walk_names(client, f"{API}vendors/") == VENDOR_LIST[who]
    assert walk_names(client, f"{API}vendors/", {"page_size": 1}) == VENDOR_LIST[who]


@pytest.mark.parametrize("who", CAST)
def test_vendor_detail(client_as, who, vendor, other_vendor, unverified_vendor):
    client = client_as(who)
    response = client.get(f"{API}vendors/acme/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"id", "name", "slug", "description", "is_verified", "verified_at"}
    assert (body["slug"], body["is_verified"]) == ("acme", True)

    response = client.get(f"{API}vendors/initech/")
    if "Initech" in VENDOR_LIST[who]:
        assert response.status_code == 200, response.content
        assert response.json()["is_verified"] is False
    else:
        assert_error(response, 404, "not_found")
    assert_error(client.get(f"{API}vendors/nope/"), 404, "not_found")


VERIFY_STATUS = {
    "anonymous": 401,
    "customer": 403,
    "vendor_member": 403,
    "other_vendor_member": 403,
    "unverified_vendor_member": 403,  # not even for its own members
    "staff_user": 200,
}


@pytest.mark.parametrize("who", CAST)
def test_verify_vendor_is_staff_only(client_as, who, unverified_vendor, vendor_member):
    response = client_as(who).post(f"{API}vendors/initech/verify/")
    unverified_vendor.refresh_from_db()
    if VERIFY_STATUS[who] != 200:
        error = assert_error(response, VERIFY_STATUS[who])
        if who == "anonymous":
            assert response["WWW-Authenticate"].startswith("Bearer")
            assert error["code"] == "not_authenticated"
        assert not unverified_vendor.is_verified
        return
    assert response.status_code == 200, response.content
    assert response.json()["is_verified"] is True
    assert unverified_vendor.is_verified
    assert unverified_vendor.verified_by.email == "staff@example.com"


def test_verify_is_idempotent_and_opens_the_vendor_to_the_public(
    client_as, api_client, unverified_vendor
):
    staff = client_as("staff_user")
    first = staff.post(f"{API}vendors/initech/verify/")
    assert first.status_code == 200, first.content
    stamp = first.json()["verified_at"]
    assert stamp is not None

    other_staff = UserFactory(is_staff=True)
    second = client_for(other_staff).post(f"{API}vendors/initech/verify/")
    assert second.status_code == 200, second.content
    assert second.json()["verified_at"] == stamp
    assert Vendor.objects.get(slug="initech").verified_by.email == "staff@example.com"
    assert api_client.get(f"{API}vendors/initech/").status_code == 200


def test_verify_an_unknown_vendor_is_404(client_as):
    assert_error(client_as("staff_user").post(f"{API}vendors/nope/verify/"), 404, "not_found")


def test_members_of_a_newly_verified_vendor_may_create_products(
    client_as, unverified_vendor, unverified_vendor_member, category_tree
):
    member = client_as("unverified_vendor_member")
    payload = {"vendor": "initech", "category": "books", "name": "Manual"}
    assert_error(member.post(f"{API}products/", payload, format="json"), 403)
    client_as("staff_user").post(f"{API}vendors/initech/verify/")
    assert member.post(f"{API}products/", payload, format="json").status_code == 201


def test_vendors_are_read_only_over_the_api(client_as):
    VendorFactory()
    response = client_as("staff_user").post(f"{API}vendors/", {"name": "X"}, format="json")
    assert_error(response, 405, "method_not_allowed")

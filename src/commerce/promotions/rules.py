"""The rule language of promotions: a small JSON tree, checked and evaluated.

A rule is ``null`` or ``{}`` (always true), or one node::

    {"all": [node, ...]}            every child holds
    {"any": [node, ...]}            at least one child holds
    {"products": [id, ...]}         a line is one of these products
    {"categories": [id, ...]}       ... in one of these categories or below them
    {"brands": [id, ...]}           ... of one of these brands
    {"vendors": [id, ...]}          ... sold by one of these vendors
    {"min_quantity": n}             the lines in scope hold at least n units
    {"min_subtotal": n}             ... cost at least n minor units (after earlier lanes)
    {"customer_groups": [id, ...]}  the customer is in one of these groups
    {"first_order": true}           the customer has not ordered before (false: has)

A benefit's ``target`` uses only the four id leaves and is evaluated per line. A
promotion's ``condition`` is evaluated over the cart: an id leaf holds when some
line matches it, and ``min_quantity``/``min_subtotal`` count the benefit's target
lines (every line when the benefit has no target).

This module is pure: :func:`check_rule` validates and normalizes a tree (ids as
canonical text), :func:`line_matches` and :func:`condition_failure` evaluate one
over facts the caller has read.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from commerce.core.columns import is_storable_text
from commerce.promotions.exceptions import InvalidRuleError

__all__ = [
    "CONDITION_LEAVES",
    "ID_LEAVES",
    "LineFacts",
    "check_rule",
    "condition_failure",
    "line_matches",
    "possible",
    "rule_ids",
]

#: Leaves naming catalog objects by id (UUIDs): usable in targets and conditions.
ID_LEAVES = ("products", "categories", "brands", "vendors")
#: Every leaf a condition may use.
CONDITION_LEAVES = (*ID_LEAVES, "min_quantity", "min_subtotal", "customer_groups", "first_order")
#: Bounds that keep a rule cheap to store and evaluate.
MAX_DEPTH = 6
MAX_NODES = 200
MAX_IDS = 1000
#: The largest count or amount a leaf may hold (a signed 64-bit integer).
MAX_NUMBER = 2**63 - 1


@dataclass(frozen=True)
class LineFacts:
    """What a target leaf reads of a line: its product, brand and vendor ids, and
    its category with every ancestor (so a category leaf includes descendants)."""

    product: str
    categories: frozenset[str]
    brand: str | None
    vendor: str


def check_rule(tree: Any, *, field: str, leaves: Iterable[str] = CONDITION_LEAVES) -> Any:
    """Return ``tree`` normalized (``None`` for an empty rule; ids as canonical text,
    each once, in order), or raise :class:`InvalidRuleError` naming what is wrong, with
    ``details[field]`` listing the problems."""
    if tree is None or tree == {}:
        return None
    allowed = tuple(leaves)
    problems: list[str] = []
    count = [0]
    normalized = _check_node(tree, allowed, "", 1, count, problems)
    if count[0] > MAX_NODES:
        problems.append(f"A rule may have at most {MAX_NODES} nodes.")
    if problems:
        raise InvalidRuleError(
            f"The {field} rule is not valid: {problems[0]}", details={field: problems}
        )
    return normalized


def _check_node(node, allowed, where, depth, count, problems):
    count[0] += 1
    at = f" (at {where or 'the root'})"
    if depth > MAX_DEPTH:
        problems.append(f"A rule may nest at most {MAX_DEPTH} levels{at}.")
        return None
    if not isinstance(node, Mapping) or len(node) != 1:
        problems.append(f'Each node is an object with exactly one key, like {{"all": [...]}}{at}.')
        return None
    ((key, value),) = node.items()
    if key in ("all", "any"):
        if not isinstance(value, list) or not value:
            problems.append(f'"{key}" takes a non-empty list of nodes{at}.')
            return None
        return {
            key: [
                _check_node(child, allowed, f"{where}/{key}[{i}]", depth + 1, count, problems)
                for i, child in enumerate(value)
            ]
        }
    if key not in allowed:
        names = ", ".join(('"all"', '"any"', *(f'"{leaf}"' for leaf in allowed)))
        shown = key if isinstance(key, str) and is_storable_text(key) else "?"
        problems.append(f'Unknown rule "{shown[:40]}"{at}; use one of {names}.')
        return None
    if key in ID_LEAVES:
        return {key: _check_uuids(key, value, at, problems)}
    if key == "customer_groups":
        ints = _check_ids(key, value, at, problems, _as_group_id)
        return {key: ints}
    if key == "first_order":
        if not isinstance(value, bool):
            problems.append(f'"first_order" takes true or false{at}.')
        return {key: value}
    # min_quantity, min_subtotal
    smallest = 1 if key == "min_quantity" else 0
    if isinstance(value, bool) or not isinstance(value, int) or not smallest <= value <= MAX_NUMBER:
        problems.append(f'"{key}" takes a whole number of at least {smallest}{at}.')
    return {key: value}


def _check_ids(key, value, at, problems, convert):
    if not isinstance(value, list) or not value:
        problems.append(f'"{key}" takes a non-empty list of ids{at}.')
        return []
    if len(value) > MAX_IDS:
        problems.append(f'"{key}" takes at most {MAX_IDS} ids{at}.')
        return []
    seen: dict[Any, None] = {}
    for item in value:
        converted = convert(item)
        if converted is None:
            problems.append(f'"{key}" holds an id that is not valid{at}.')
            return []
        seen.setdefault(converted, None)
    return list(seen)


def _check_uuids(key, value, at, problems):
    return _check_ids(key, value, at, problems, _as_uuid_text)


def _as_uuid_text(value: Any) -> str | None:
    if isinstance(value, uuid.UUID):
        return str(value)
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def _as_group_id(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_NUMBER:
        return None
    return value


def rule_ids(tree: Any) -> dict[str, set[Any]]:
    """Every id a (checked) rule names, by leaf (``"products"``: {ids}, ...)."""
    found: dict[str, set[Any]] = {}
    _walk_ids(tree, found)
    return found


def _walk_ids(node: Any, found: dict[str, set[Any]]) -> None:
    if not node:
        return
    ((key, value),) = node.items()
    if key in ("all", "any"):
        for child in value:
            _walk_ids(child, found)
    elif key in (*ID_LEAVES, "customer_groups"):
        found.setdefault(key, set()).update(value)


def uses_leaf(tree: Any, leaf: str) -> bool:
    """Whether a (checked) rule has a ``leaf`` node anywhere."""
    if not tree:
        return False
    ((key, value),) = tree.items()
    if key in ("all", "any"):
        return any(uses_leaf(child, leaf) for child in value)
    return key == leaf


# --- can a target match any line at all? ----------------------------------------------------

#: The most conjunctions :func:`possible` expands a tree into before giving up (and
#: answering that it may match).
_MAX_TERMS = 256


def possible(tree: Any, category_paths: Mapping[str, str]) -> bool:
    """Whether some line could match the (checked) target ``tree``: ``False`` when
    it asks one line to be two products (or brands, or vendors) at once, or to be in
    two categories neither of which contains the other. ``category_paths`` maps the
    tree's category ids to their tree paths."""
    if not tree:
        return True
    terms = _terms(tree)
    if terms is None:
        return True
    return any(_consistent(term, category_paths) for term in terms)


def _terms(node: Any) -> list[list[tuple[str, frozenset]]] | None:
    """``node`` as an OR of ANDs of leaves (``None`` when that grows too large)."""
    ((key, value),) = node.items()
    if key == "any":
        terms: list = []
        for child in value:
            child_terms = _terms(child)
            if child_terms is None:
                return None
            terms += child_terms
        return terms if len(terms) <= _MAX_TERMS else None
    if key == "all":
        terms = [[]]
        for child in value:
            child_terms = _terms(child)
            if child_terms is None:
                return None
            terms = [a + b for a in terms for b in child_terms]
            if len(terms) > _MAX_TERMS:
                return None
        return terms
    return [[(key, frozenset(value))]]


def _consistent(term: list[tuple[str, frozenset]], category_paths: Mapping[str, str]) -> bool:
    sets: dict[str, frozenset] = {}
    for key, ids in term:
        if key == "categories":
            continue
        sets[key] = sets[key] & ids if key in sets else ids
        if not sets[key]:
            return False
    # Each categories leaf needs one of its categories on the line's path: the chosen
    # ones must lie on one branch (each an ancestor of the next).
    groups = [
        [category_paths[i] for i in ids if i in category_paths]
        for key, ids in term
        if key == "categories"
    ]
    return _on_one_branch(groups, deepest="")


def _on_one_branch(groups: list[list[str]], deepest: str) -> bool:
    if not groups:
        return True
    first, rest = groups[0], groups[1:]
    for path in first:
        on_branch = path.startswith(deepest) or deepest.startswith(path)
        if on_branch and _on_one_branch(rest, max(path, deepest, key=len)):
            return True
    return False


# --- evaluation -----------------------------------------------------------------------


def line_matches(tree: Any, facts: LineFacts) -> bool:
    """Whether one line matches a (checked) target rule; an empty rule matches every line."""
    if not tree:
        return True
    ((key, value),) = tree.items()
    if key == "all":
        return all(line_matches(child, facts) for child in value)
    if key == "any":
        return any(line_matches(child, facts) for child in value)
    if key == "products":
        return facts.product in value
    if key == "categories":
        return not facts.categories.isdisjoint(value)
    if key == "brands":
        return facts.brand in value
    if key == "vendors":
        return facts.vendor in value
    return True


@dataclass(frozen=True)
class CartFacts:
    """What a condition reads: every line's facts, the lines in scope (the target's)
    with their quantity and running total, and the customer."""

    lines: tuple[LineFacts, ...]
    scope_quantity: int
    scope_total: int
    customer: Any


def condition_failure(tree: Any, cart: CartFacts) -> str | None:
    """``None`` when the (checked) condition holds for ``cart``; otherwise the
    :class:`~commerce.pricing.types.Reason` code that says why not:
    ``below_minimum_spend``, ``not_eligible`` or ``conditions_not_met``."""
    if not tree:
        return None
    ((key, value),) = tree.items()
    if key == "all":
        for child in value:
            failure = condition_failure(child, cart)
            if failure:
                return failure
        return None
    if key == "any":
        failures = set()
        for child in value:
            failure = condition_failure(child, cart)
            if failure is None:
                return None
            failures.add(failure)
        return failures.pop() if len(failures) == 1 else "conditions_not_met"
    if key in ID_LEAVES:
        leaf = {key: value}
        return (
            None if any(line_matches(leaf, line) for line in cart.lines) else "conditions_not_met"
        )
    if key == "min_quantity":
        return None if cart.scope_quantity >= value else "conditions_not_met"
    if key == "min_subtotal":
        return None if cart.scope_total >= value else "below_minimum_spend"
    if key == "customer_groups":
        return None if not cart.customer.group_ids.isdisjoint(value) else "not_eligible"
    if key == "first_order":
        # Unknown history (a guest not yet identified) counts as a first order;
        # checkout prices again once the email is known.
        first = not cart.customer.has_ordered
        return None if first == value else "not_eligible"
    return "conditions_not_met"

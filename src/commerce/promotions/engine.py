"""The promotions engine: pure evaluation of preloaded rules against a pricing context.

:func:`evaluate` takes the promotions and entered codes that
:mod:`commerce.promotions.discounts` read (as :class:`PromotionRule` and
:class:`CodeRule`, plain values) and the lines' catalog facts, and answers a
:class:`~commerce.pricing.types.DiscountResult`. It runs no query (customer
groups and order history are read lazily by :class:`~commerce.pricing.types.Customer`).

Phases, in order, each seeing what the earlier ones took off:

1. automatic catalog-lane promotions (line discounts);
2. automatic order-lane promotions (order discounts, for the pipeline to allocate);
3. voucher codes' catalog-lane, then order-lane promotions (``Discount.lane`` is
   ``"voucher"``);
4. shipping-lane promotions, automatic then vouchers (shipping discounts).

Inside a phase, promotions compete by priority (higher first). On each line (or,
for the order and shipping lanes, on the order) the best single discount wins,
unless the competing promotions are all combinable; the combinable ones stack
(each on the price after the one before) and compete together, as one, with the
best promotion that is not combinable. Percentages are taken from the running
price, rounded half up per line; no line goes below zero, and no phase takes more
than the lines' running total.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from commerce.core.money import allocate, percentage_of
from commerce.pricing.types import (
    CodeStatus,
    Discount,
    DiscountResult,
    Lane,
    LineAdjustment,
    OrderDiscount,
    PricingContext,
    PricingLine,
    Reason,
    ShippingDiscount,
)
from commerce.promotions.rules import CartFacts, LineFacts, condition_failure, line_matches

__all__ = ["MESSAGES", "CodeRule", "PromotionRule", "evaluate"]

#: What each reason code tells the shopper.
MESSAGES = {
    "not_started": "This offer has not started yet.",
    "expired": "This offer has ended.",
    "inactive": "This offer is not active.",
    "wrong_currency": "This offer is not available in this currency.",
    "below_minimum_spend": "The cart is below this offer's minimum spend.",
    "not_in_range": "No item in the cart is part of this offer.",
    "conditions_not_met": "The cart does not meet this offer's conditions.",
    "budget_spent": "This offer's budget has been spent.",
    "used_up": "This offer has been used as many times as it may be.",
    "already_used": "You have already used this code as many times as you may.",
    "sign_in_required": "Sign in or give your email address to use this code.",
    "not_eligible": "This offer is not available to you.",
    "better_discount_applied": "A better discount already applies.",
    "not_combinable": "This offer cannot be combined with a discount that applies.",
    "unknown_code": "This code does not exist.",
    "duplicate_code": "Another code for the same offer is already applied.",
}

PERCENTAGE_OFF = "percentage_off"
AMOUNT_OFF = "amount_off"
FIXED_PRICE = "fixed_price"
BUY_X_GET_Y = "buy_x_get_y"
FREE_SHIPPING = "free_shipping"
SHIPPING_DISCOUNT = "shipping_discount"
ACROSS = "across"

#: (the promotion's lane, whether it came with a code, the lane its discounts carry).
PHASES = (
    (Lane.CATALOG, False, Lane.CATALOG),
    (Lane.ORDER, False, Lane.ORDER),
    (Lane.CATALOG, True, Lane.VOUCHER),
    (Lane.ORDER, True, Lane.VOUCHER),
    (Lane.SHIPPING, False, Lane.SHIPPING),
    (Lane.SHIPPING, True, Lane.SHIPPING),
)


@dataclass(frozen=True)
class PromotionRule:
    """A promotion and its benefit as plain values; amounts in minor units of the
    promotion's currency (``None`` when not set)."""

    id: str
    name: str
    lane: str
    priority: int
    combinable: bool
    requires_code: bool
    is_active: bool
    starts_at: datetime | None
    ends_at: datetime | None
    currency: str
    condition: Any
    kind: str
    target: Any = None
    percent: Decimal | None = None
    amount: int | None = None
    allocation: str = "each"
    max_units: int | None = None
    buy_quantity: int | None = None
    get_quantity: int | None = None
    max_uses: int | None = None
    uses: int = 0
    budget: int | None = None
    budget_spent: int = 0


@dataclass(frozen=True)
class CodeRule:
    """An entered voucher code with its promotion. ``customer_uses`` is how often this
    customer has used it (unreleased), or ``None`` when the customer is unknown (a
    guest without an email); read only when the code has a per-customer limit."""

    code: str
    promotion: PromotionRule
    is_active: bool = True
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    max_uses: int | None = None
    uses: int = 0
    per_customer_limit: int | None = None
    customer_uses: int | None = 0


@dataclass(frozen=True, eq=False)
class _Candidate:
    rule: PromotionRule
    discount: Discount
    rank: int
    targets: tuple[PricingLine, ...]


def evaluate(
    context: PricingContext,
    promotions: Sequence[PromotionRule],
    codes: Mapping[str, CodeRule],
    facts: Mapping[str, LineFacts],
) -> DiscountResult:
    """Apply ``promotions`` (the automatic ones) and the entered ``codes`` (by their
    upper-cased text) to ``context``. ``facts`` has each line's catalog ids by line
    key. Promotions that require a code are ignored unless they come with one."""
    return _Evaluation(context, facts).run(promotions, codes)


class _Evaluation:
    def __init__(self, context: PricingContext, facts: Mapping[str, LineFacts]) -> None:
        self.context = context
        self.facts = facts
        # Key order: the answer does not depend on the order the cart lists its lines.
        self.lines = tuple(sorted(context.lines, key=lambda line: line.key))
        self.totals = {line.key: context.line_total(line) for line in self.lines}
        self.reasons: dict[Discount, str] = {}
        self.applied: set[Discount] = set()
        self.line_adjustments: list[LineAdjustment] = []
        self.order_discounts: list[OrderDiscount] = []
        self.shipping_discounts: list[ShippingDiscount] = []

    def run(self, promotions, codes) -> DiscountResult:
        waiting: dict[tuple[str, bool], list[tuple[PromotionRule, Discount]]] = {}
        for rule in promotions:
            if rule.requires_code:
                continue
            discount = _discount(rule, "", rule.lane)
            failure = self.unavailable(rule)
            if failure:
                self.reasons[discount] = failure
            else:
                waiting.setdefault((rule.lane, False), []).append((rule, discount))

        statuses: dict[str, CodeStatus | Discount] = {}
        taken: set[str] = set()
        for text in self.context.codes:
            code = codes.get(text)
            if code is None or not code.promotion.requires_code:
                statuses[text] = CodeStatus(
                    text, False, Reason(None, "unknown_code", MESSAGES["unknown_code"])
                )
                continue
            rule = code.promotion
            label = Lane.SHIPPING if rule.lane == Lane.SHIPPING else Lane.VOUCHER
            discount = _discount(rule, text, label)
            failure = self.code_unavailable(code)
            if failure is None and rule.id in taken:
                failure = "duplicate_code"
            if failure:
                self.reasons[discount] = failure
                statuses[text] = discount
                continue
            taken.add(rule.id)
            statuses[text] = discount
            waiting.setdefault((rule.lane, True), []).append((rule, discount))

        for lane, coded, _label in PHASES:
            self.phase(lane, waiting.get((lane, coded), []))

        return DiscountResult(
            line_adjustments=tuple(self.line_adjustments),
            order_discounts=tuple(self.order_discounts),
            shipping_discounts=tuple(self.shipping_discounts),
            not_applied=tuple(
                _reason(discount, code)
                for discount, code in self.reasons.items()
                if discount not in self.applied
            ),
            codes=tuple(self.code_status(text, status) for text, status in statuses.items()),
        )

    def code_status(self, text: str, status: CodeStatus | Discount) -> CodeStatus:
        if isinstance(status, CodeStatus):
            return status
        if status in self.applied:
            return CodeStatus(text, True)
        return CodeStatus(
            text, False, _reason(status, self.reasons.get(status, "conditions_not_met"))
        )

    # --- availability (before the cart is looked at) -------------------------------

    def unavailable(self, rule: PromotionRule) -> str | None:
        now = self.context.now
        if not rule.is_active:
            return "inactive"
        if rule.starts_at is not None and now < rule.starts_at:
            return "not_started"
        if rule.ends_at is not None and now >= rule.ends_at:
            return "expired"
        if rule.currency and rule.currency != self.context.currency:
            return "wrong_currency"
        if rule.max_uses is not None and rule.uses >= rule.max_uses:
            return "used_up"
        if rule.budget is not None and rule.budget_spent >= rule.budget:
            return "budget_spent"
        return None

    def code_unavailable(self, code: CodeRule) -> str | None:
        now = self.context.now
        if not code.is_active:
            return "inactive"
        if code.starts_at is not None and now < code.starts_at:
            return "not_started"
        if code.ends_at is not None and now >= code.ends_at:
            return "expired"
        failure = self.unavailable(code.promotion)
        if failure:
            return failure
        if code.max_uses is not None and code.uses >= code.max_uses:
            return "used_up"
        if code.per_customer_limit is not None:
            if code.customer_uses is None:
                return "sign_in_required"
            if code.customer_uses >= code.per_customer_limit:
                return "already_used"
        return None

    # --- one phase ------------------------------------------------------------------

    def phase(self, lane: str, waiting: list[tuple[PromotionRule, Discount]]) -> None:
        ordered = sorted(waiting, key=lambda item: (-item[0].priority, item[0].name, item[0].id))
        candidates = []
        for rank, (rule, discount) in enumerate(ordered):
            targets = tuple(
                line for line in self.lines if line_matches(rule.target, self.facts[line.key])
            )
            if not targets:
                self.reasons[discount] = "not_in_range"
                continue
            failure = condition_failure(
                rule.condition,
                CartFacts(
                    lines=tuple(self.facts[line.key] for line in self.lines),
                    scope_quantity=sum(line.quantity for line in targets),
                    scope_total=sum(self.totals[line.key] for line in targets),
                    customer=self.context.customer,
                ),
            )
            if failure:
                self.reasons[discount] = failure
                continue
            candidates.append(_Candidate(rule, discount, rank, targets))
        if not candidates:
            return
        if lane == Lane.CATALOG:
            self.line_phase(candidates)
        elif lane == Lane.ORDER:
            self.order_phase(candidates)
        else:
            self.shipping_phase(candidates)

    def line_phase(self, candidates: list[_Candidate]) -> None:
        start = dict(self.totals)
        alone = {c: self.capped(c, _line_amounts(c, start)) for c in candidates}
        stack = [c for c in candidates if c.rule.combinable]
        stacked: dict[_Candidate, dict[str, int]] = {}
        running = dict(start)
        for c in stack:
            amounts = self.capped(c, _line_amounts(c, running))
            stacked[c] = amounts
            for key, amount in amounts.items():
                running[key] -= amount

        won: dict[_Candidate, dict[str, int]] = {}
        beaten: dict[_Candidate, str] = {}
        for line in self.lines:
            key = line.key
            options = []
            members = [(c, stacked[c].get(key, 0)) for c in stack if stacked[c].get(key, 0)]
            if members:
                options.append(
                    (sum(a for _, a in members), -min(c.rank for c, _ in members), members, True)
                )
            options += [
                (alone[c][key], -c.rank, [(c, alone[c][key])], False)
                for c in candidates
                if not c.rule.combinable and alone[c].get(key, 0)
            ]
            if not options:
                continue
            best = max(options, key=lambda option: option[:2])
            for c, amount in best[2]:
                won.setdefault(c, {})[key] = amount
                self.line_adjustments.append(LineAdjustment(key, c.discount, amount))
                self.totals[key] -= amount
            self.note_losers(options, best, beaten)
        self.settle(candidates, won, beaten)

    def order_phase(self, candidates: list[_Candidate]) -> None:
        start = dict(self.totals)
        alone = {c: self.capped(c, {"": _order_amount(c, start)})[""] for c in candidates}
        stack = [c for c in candidates if c.rule.combinable]
        members = []
        running = dict(start)
        for c in stack:
            amount = self.capped(c, {"": _order_amount(c, running)})[""]
            amount = min(amount, sum(running.values()))
            if amount:
                members.append((c, amount))
                running = _after(running, amount)
        options = []
        if members:
            options.append(
                (sum(a for _, a in members), -min(c.rank for c, _ in members), members, True)
            )
        options += [
            (alone[c], -c.rank, [(c, alone[c])], False)
            for c in candidates
            if not c.rule.combinable and alone[c]
        ]
        won: dict[_Candidate, dict[str, int]] = {}
        beaten: dict[_Candidate, str] = {}
        if options:
            best = max(options, key=lambda option: option[:2])
            available = sum(self.totals.values())
            for c, amount in best[2]:
                amount = min(amount, available)
                if amount:
                    available -= amount
                    won[c] = {"": amount}
                    self.order_discounts.append(OrderDiscount(c.discount, amount))
                    self.totals = _after(self.totals, amount)
            self.note_losers(options, best, beaten)
        self.settle(candidates, won, beaten)

    def shipping_phase(self, candidates: list[_Candidate]) -> None:
        offers = {c: self.shipping_discount(c) for c in candidates}
        stack = [c for c in candidates if c.rule.combinable]
        options = []
        if stack:
            free = any(offers[c].percent == 100 for c in stack)
            options.append((free, -min(c.rank for c in stack), [(c, 1) for c in stack], True))
        options += [
            (offers[c].percent == 100, -c.rank, [(c, 1)], False)
            for c in candidates
            if not c.rule.combinable
        ]
        best = max(options, key=lambda option: option[:2])
        won = {c: {"": 1} for c, _ in best[2]}
        for c, _ in best[2]:
            self.shipping_discounts.append(offers[c])
        beaten: dict[_Candidate, str] = {}
        self.note_losers(options, best, beaten, free_wins=best[0])
        self.settle(candidates, won, beaten)

    # --- helpers -------------------------------------------------------------------

    def capped(self, c: _Candidate, amounts: dict[str, int]) -> dict[str, int]:
        """``amounts`` within what is left of the promotion's budget."""
        rule = c.rule
        if rule.budget is None:
            return amounts
        left = max(rule.budget - rule.budget_spent, 0)
        if sum(amounts.values()) <= left:
            return amounts
        keys = sorted(amounts)
        return dict(zip(keys, allocate(left, [amounts[k] for k in keys], keys=keys), strict=True))

    def shipping_discount(self, c: _Candidate) -> ShippingDiscount:
        rule = c.rule
        if rule.kind == FREE_SHIPPING:
            return ShippingDiscount(c.discount, percent=Decimal(100))
        if rule.percent is not None:
            return ShippingDiscount(c.discount, percent=rule.percent)
        amount = rule.amount or 0
        if rule.budget is not None:
            amount = min(amount, max(rule.budget - rule.budget_spent, 0))
        return ShippingDiscount(c.discount, amount=amount)

    @staticmethod
    def note_losers(options, best, beaten, free_wins: bool = False) -> None:
        """Why each candidate of the options that lost did not win here: a combinable one
        lost to a promotion that does not combine; anything else, to a better one."""
        for option in options:
            if option is best:
                continue
            for c, _ in option[2]:
                if c.rule.combinable and not best[3] and not free_wins:
                    beaten.setdefault(c, "not_combinable")
                else:
                    beaten.setdefault(c, "better_discount_applied")

    def settle(self, candidates, won, beaten) -> None:
        for c in candidates:
            if c in won:
                self.applied.add(c.discount)
            elif c in beaten:
                self.reasons[c.discount] = beaten[c]
            elif c.rule.kind == BUY_X_GET_Y or sum(self.totals[line.key] for line in c.targets):
                # Nothing to take: too few units for buy X get Y, or a fixed price
                # above what the lines cost.
                self.reasons[c.discount] = "conditions_not_met"
            else:
                self.reasons[c.discount] = "better_discount_applied"


def _discount(rule: PromotionRule, code: str, lane: str) -> Discount:
    return Discount(
        source="voucher" if code else "promotion",
        promotion=rule.id,
        code=code,
        name=rule.name,
        lane=lane,
    )


def _reason(discount: Discount, code: str) -> Reason:
    return Reason(discount, code, MESSAGES[code])


def _after(totals: dict[str, int], amount: int) -> dict[str, int]:
    """``totals`` after an order discount of ``amount``, spread as the pipeline spreads
    it (largest remainder, in proportion to the totals, by key)."""
    keys = sorted(totals)
    weights = [totals[k] for k in keys]
    amount = min(amount, sum(weights))
    parts = allocate(amount, weights, keys=keys)
    return {k: totals[k] - part for k, part in zip(keys, parts, strict=True)}


def _units(c: _Candidate, totals: Mapping[str, int]) -> list[tuple[int, str, int]]:
    """The target lines' units as (price, line key, count), cheapest first: a line's
    running total split over its units as evenly as whole minor units allow."""
    groups = []
    for line in c.targets:
        total, quantity = max(totals[line.key], 0), line.quantity
        if quantity <= 0:
            continue
        low, extra = divmod(total, quantity)
        if extra:
            groups.append((low + 1, line.key, extra))
        if quantity - extra:
            groups.append((low, line.key, quantity - extra))
    return sorted(groups)


def _take(groups: list[tuple[int, str, int]], count: int | None) -> list[tuple[int, str, int]]:
    """The first ``count`` units of ``groups`` (all when ``None``)."""
    if count is None:
        return groups
    taken = []
    for price, key, n in groups:
        if count <= 0:
            break
        taken.append((price, key, min(n, count)))
        count -= n
    return taken


def _per_line(groups, value) -> dict[str, int]:
    amounts: dict[str, int] = {}
    for price, key, n in groups:
        amounts[key] = amounts.get(key, 0) + value(price) * n
    return amounts


def _line_amounts(c: _Candidate, totals: Mapping[str, int]) -> dict[str, int]:
    """What the benefit takes off each target line, from the running ``totals``."""
    rule = c.rule
    if rule.kind == PERCENTAGE_OFF and rule.max_units is None:
        amounts = {
            line.key: percentage_of(max(totals[line.key], 0), rule.percent) for line in c.targets
        }
    else:
        units = _units(c, totals)
        if rule.kind == BUY_X_GET_Y:
            size = (rule.buy_quantity or 0) + (rule.get_quantity or 0)
            free = (sum(n for _, _, n in units) // size) * (rule.get_quantity or 0) if size else 0
            if rule.max_units is not None:
                free = min(free, rule.max_units)
            chosen = _per_line(_take(units, free), lambda price: price)
            percent = rule.percent if rule.percent is not None else 100
            amounts = {key: percentage_of(total, percent) for key, total in chosen.items()}
        else:
            units = _take(units, rule.max_units)
            if rule.kind == PERCENTAGE_OFF:
                chosen = _per_line(units, lambda price: price)
                amounts = {key: percentage_of(total, rule.percent) for key, total in chosen.items()}
            elif rule.kind == FIXED_PRICE:
                amounts = _per_line(units, lambda price: max(price - (rule.amount or 0), 0))
            elif rule.kind == AMOUNT_OFF and rule.allocation == ACROSS:
                chosen = _per_line(units, lambda price: price)
                keys = sorted(chosen)
                weights = [chosen[k] for k in keys]
                amount = min(rule.amount or 0, sum(weights))
                amounts = dict(zip(keys, allocate(amount, weights, keys=keys), strict=True))
            elif rule.kind == AMOUNT_OFF:
                amounts = _per_line(units, lambda price: min(rule.amount or 0, price))
            else:
                amounts = {}
    return {key: min(amount, max(totals[key], 0)) for key, amount in amounts.items() if amount > 0}


def _order_amount(c: _Candidate, totals: Mapping[str, int]) -> int:
    """What the benefit takes off the order: a percentage of the target lines' running
    total (rounded once), or the sum of what it takes off each target line."""
    rule = c.rule
    if rule.kind == PERCENTAGE_OFF and rule.max_units is None:
        amount = percentage_of(sum(max(totals[line.key], 0) for line in c.targets), rule.percent)
    else:
        amount = sum(_line_amounts(c, totals).values())
    return min(amount, sum(max(total, 0) for total in totals.values()))

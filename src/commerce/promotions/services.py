"""Business operations on promotions, benefits and voucher codes.

Every write checks the whole promotion with the same validators the admin forms
call (:func:`validate_promotion`, :func:`validate_benefit`,
:func:`validate_code_fields`) and keeps :class:`~commerce.promotions.models.PromotionTarget`
in step with the benefit's target, in one transaction. Counters (uses, budget
spent) are not written here: :mod:`commerce.promotions.discounts` spends and
releases them with conditional updates.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import ProtectedError, Sum

from commerce.core.columns import integer_range, is_storable_text
from commerce.core.exceptions import CommerceError, CommerceValidationError, ConflictError
from commerce.core.money import is_allowed_currency, validate_money
from commerce.promotions.exceptions import (
    InvalidBenefitError,
    InvalidPromotionError,
    InvalidRuleError,
    InvalidVoucherCodeError,
    VoucherCodeTakenError,
)
from commerce.promotions.models import (
    Benefit,
    BenefitAllocation,
    BenefitKind,
    Promotion,
    PromotionLane,
    PromotionTarget,
    Redemption,
    VoucherCode,
)
from commerce.promotions.rules import ID_LEAVES, check_rule, possible, rule_ids, uses_leaf

__all__ = [
    "CODE_PATTERN",
    "add_code",
    "create_promotion",
    "delete_promotion",
    "normalize_code",
    "set_benefit",
    "sync_targets",
    "update_code",
    "update_promotion",
    "validate_benefit",
    "validate_code_fields",
    "validate_promotion",
]

#: What a voucher code may be once upper-cased: letters, digits, ``-`` and ``_``,
#: starting with a letter or digit, at most 32 characters.
CODE_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9_-]{0,31}")

PROMOTION_FIELDS = {
    "name",
    "description",
    "lane",
    "priority",
    "starts_at",
    "ends_at",
    "is_active",
    "combinable",
    "currency",
    "condition",
    "budget",
    "max_uses",
    "requires_code",
}
BENEFIT_FIELDS = {
    "kind",
    "percent",
    "amount",
    "target",
    "allocation",
    "max_units",
    "buy_quantity",
    "get_quantity",
}
CODE_FIELDS = {"max_uses", "per_customer_limit", "starts_at", "ends_at", "is_active"}
LINE_KINDS = {
    BenefitKind.PERCENTAGE_OFF,
    BenefitKind.AMOUNT_OFF,
    BenefitKind.FIXED_PRICE,
    BenefitKind.BUY_X_GET_Y,
}
SHIPPING_KINDS = {BenefitKind.FREE_SHIPPING, BenefitKind.SHIPPING_DISCOUNT}


# --- validation (shared with the admin's forms through the models' clean()) -------------


def validate_promotion(promotion: Promotion) -> None:
    """Refuse a promotion that cannot work; normalize its ``currency`` and ``condition``.

    Raises :class:`InvalidPromotionError` (unknown lane or currency, a window that
    ends before it starts, a budget without the promotion's currency, numbers a
    column cannot hold) or :class:`InvalidRuleError` (a malformed condition, unknown
    ids, a minimum spend without a currency)."""
    problems: dict[str, list[str]] = {}
    if not isinstance(promotion.name, str) or not promotion.name.strip():
        problems["name"] = ["A promotion needs a name."]
    elif not is_storable_text(promotion.name) or len(promotion.name) > 120:
        problems["name"] = ["At most 120 characters, without NUL."]
    if not isinstance(promotion.description, str) or not is_storable_text(promotion.description):
        problems["description"] = ["Text without NUL characters."]
    if promotion.lane not in PromotionLane.values:
        problems["lane"] = [f"One of {', '.join(PromotionLane.values)}."]
    promotion.currency = (promotion.currency or "").strip().upper()
    if promotion.currency and not is_allowed_currency(promotion.currency):
        problems["currency"] = [f"{promotion.currency!r} is not an allowed currency."]
    _check_window(promotion, problems)
    _check_int(promotion, "priority", problems)
    _check_int(promotion, "max_uses", problems)
    if promotion.budget is not None:
        try:
            validate_money(promotion.budget, "budget")
        except CommerceError as error:
            problems["budget"] = [error.message]
        else:
            if str(promotion.budget.currency) != promotion.currency:
                problems["budget"] = [
                    "A budget needs the promotion's currency (set it to the budget's)."
                ]
    if problems:
        raise InvalidPromotionError(next(iter(problems.values()))[0], details=problems)
    condition = check_rule(promotion.condition, field="condition")
    if condition and not promotion.currency and uses_leaf(condition, "min_subtotal"):
        raise InvalidRuleError(
            "A minimum spend is in minor units of the promotion's currency: set its currency.",
            details={"currency": ["Required by the condition's minimum spend."]},
        )
    _check_ids_exist(condition, "condition")
    promotion.condition = condition


def validate_benefit(benefit: Benefit, promotion: Promotion) -> None:
    """Refuse a benefit that cannot give anything; normalize its ``target``.

    Raises :class:`InvalidBenefitError` (a percentage outside (0, 100], an amount
    without the promotion's currency or in another one, a kind that does not fit
    the promotion's lane, missing buy/get quantities) or :class:`InvalidRuleError`
    (a malformed target, unknown ids, or a target no line can match)."""
    problems: dict[str, list[str]] = {}
    kind = benefit.kind
    if kind not in BenefitKind.values:
        raise InvalidBenefitError(details={"kind": [f"One of {', '.join(BenefitKind.values)}."]})
    lane = promotion.lane
    if kind in SHIPPING_KINDS and lane != PromotionLane.SHIPPING:
        problems["kind"] = ["Shipping benefits belong to shipping-lane promotions."]
    if kind in LINE_KINDS and lane == PromotionLane.SHIPPING:
        problems["kind"] = ["A shipping-lane promotion gives free or discounted shipping."]
    if benefit.allocation not in BenefitAllocation.values:
        problems["allocation"] = [f"One of {', '.join(BenefitAllocation.values)}."]
    percent = benefit.percent
    if percent is not None:
        try:
            percent = Decimal(str(percent))
        except InvalidOperation:
            percent = None
            problems["percent"] = ["A number."]
        else:
            benefit.percent = percent
            if not percent.is_finite() or not 0 < percent <= 100:
                problems["percent"] = ["More than 0 and at most 100."]
            elif percent != round(percent, 2):
                problems["percent"] = ["At most two decimal places."]
    needs_percent = kind == BenefitKind.PERCENTAGE_OFF
    needs_amount = kind in (BenefitKind.AMOUNT_OFF, BenefitKind.FIXED_PRICE)
    if needs_percent and benefit.percent is None:
        problems.setdefault("percent", ["Required for a percentage off."])
    if needs_amount and benefit.amount is None:
        problems.setdefault("amount", ["Required for this kind of benefit."])
    if kind == BenefitKind.SHIPPING_DISCOUNT and (benefit.percent is None) == (
        benefit.amount is None
    ):
        problems.setdefault(
            "percent", ["A shipping discount takes a percent or an amount, not both."]
        )
    if (
        kind in (BenefitKind.PERCENTAGE_OFF, BenefitKind.FREE_SHIPPING)
        and benefit.amount is not None
    ):
        problems.setdefault("amount", ["This kind of benefit takes no amount."])
    takes_no_percent = (BenefitKind.AMOUNT_OFF, BenefitKind.FIXED_PRICE, BenefitKind.FREE_SHIPPING)
    if kind in takes_no_percent and benefit.percent is not None:
        problems.setdefault("percent", ["This kind of benefit takes no percent."])
    if benefit.amount is not None:
        try:
            validate_money(benefit.amount, "amount")
        except CommerceError as error:
            problems.setdefault("amount", [error.message])
        else:
            if not promotion.currency:
                problems.setdefault(
                    "amount", ["A fixed amount needs the promotion's currency: set it."]
                )
            elif str(benefit.amount.currency) != promotion.currency:
                problems.setdefault(
                    "amount", [f"Must be in {promotion.currency}, the promotion's currency."]
                )
            elif benefit.amount.amount <= 0 and kind != BenefitKind.FIXED_PRICE:
                problems.setdefault("amount", ["More than zero."])
    for name in ("max_units", "buy_quantity", "get_quantity"):
        value = getattr(benefit, name)
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 2**31 - 1
        ):
            problems.setdefault(name, ["A whole number of at least 1."])
    if kind == BenefitKind.BUY_X_GET_Y:
        for name in ("buy_quantity", "get_quantity"):
            if getattr(benefit, name) is None:
                problems.setdefault(name, ["Required for buy X get Y."])
    if problems:
        raise InvalidBenefitError(next(iter(problems.values()))[0], details=problems)
    target = check_rule(benefit.target, field="target", leaves=ID_LEAVES)
    paths = _check_ids_exist(target, "target")
    if target and not possible(target, paths):
        raise InvalidRuleError(
            "No line can match this target (it asks one line to be two different things).",
            details={"target": ["No line can match this target."]},
        )
    benefit.target = target


def normalize_code(code: Any) -> str:
    """``code`` as stored and compared: stripped and upper-cased. Raises
    :class:`InvalidVoucherCodeError` unless it is 1 to 32 letters, digits, ``-`` or
    ``_`` (no spaces inside)."""
    text = code.strip().upper() if isinstance(code, str) else ""
    if not CODE_PATTERN.fullmatch(text):
        raise InvalidVoucherCodeError(
            "A code is 1 to 32 letters, digits, '-' or '_', starting with a letter or digit, "
            "without spaces.",
            details={"code": ["1 to 32 letters, digits, '-' or '_'; no spaces."]},
        )
    return text


def validate_code_fields(code: VoucherCode) -> None:
    """Refuse a malformed code or limits; normalize the code's text. Raises
    :class:`InvalidVoucherCodeError`."""
    code.code = normalize_code(code.code)
    problems: dict[str, list[str]] = {}
    _check_window(code, problems)
    for name in ("max_uses", "per_customer_limit"):
        _check_int(code, name, problems)
        value = getattr(code, name)
        if isinstance(value, int) and value < 1:
            problems.setdefault(name, ["At least 1 (blank: no limit)."])
    has_promotion = code.promotion_id is not None or VoucherCode.promotion.is_cached(code)
    promotion = code.promotion if has_promotion else None
    if promotion is not None and not promotion.requires_code:
        problems["code"] = ["Codes belong to promotions that require one (tick 'requires a code')."]
    if problems:
        raise InvalidVoucherCodeError(next(iter(problems.values()))[0], details=problems)


def _check_window(obj, problems) -> None:
    if obj.starts_at and obj.ends_at and obj.starts_at >= obj.ends_at:
        problems["ends_at"] = ["Must be after the start."]


def _check_int(obj, name: str, problems) -> None:
    value = getattr(obj, name)
    if value is None:
        return
    low, high = integer_range(obj._meta.get_field(name))
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        problems[name] = [f"A whole number from {low} to {high}."]


def _check_ids_exist(tree: Any, field: str) -> dict[str, str]:
    """Raise :class:`InvalidRuleError` when ``tree`` names a product, category, brand,
    vendor or group that does not exist; return the named categories' tree paths."""
    from django.contrib.auth.models import Group

    from commerce.catalog.models import Brand, Category, Product, Vendor

    ids = rule_ids(tree)
    models = {
        "products": Product,
        "categories": Category,
        "brands": Brand,
        "vendors": Vendor,
        "customer_groups": Group,
    }
    missing = []
    paths: dict[str, str] = {}
    for kind, wanted in ids.items():
        model = models[kind]
        if kind == "categories":
            found = {
                str(pk): path
                for pk, path in model.objects.filter(pk__in=wanted).values_list("pk", "path")
            }
            paths.update(found)
            found_ids = set(found)
        else:
            found_ids = {
                str(pk) if kind != "customer_groups" else pk
                for pk in model.objects.filter(pk__in=wanted).values_list("pk", flat=True)
            }
        missing += [f"{kind}: {value}" for value in sorted(map(str, set(wanted) - found_ids))]
    if missing:
        raise InvalidRuleError(
            f"The {field} names what does not exist: {', '.join(missing[:5])}.",
            details={field: [f"Unknown {item}." for item in missing[:20]]},
        )
    return paths


# --- writes -------------------------------------------------------------------------


@transaction.atomic
def create_promotion(
    *, name: str, benefit: dict[str, Any], codes: list[Any] = (), **fields: Any
) -> Promotion:
    """Create a promotion with its benefit (``benefit`` holds :class:`Benefit`'s fields)
    and optional codes (texts, or dicts with ``code`` and limits). ``fields`` are
    :class:`Promotion`'s other fields. Raises the validators' typed errors."""
    _refuse_unknown(fields, PROMOTION_FIELDS - {"name"})
    promotion = Promotion(name=name, **fields)
    validate_promotion(promotion)
    promotion.save()
    set_benefit(promotion, **benefit)
    for code in codes:
        spec = {"code": code} if isinstance(code, str) else dict(code)
        add_code(promotion, **spec)
    return promotion


@transaction.atomic
def update_promotion(
    promotion: Promotion, *, benefit: dict[str, Any] | None = None, **changes: Any
) -> Promotion:
    """Change any of :data:`PROMOTION_FIELDS`; the benefit is checked again against
    the new lane and currency, or replaced whole by ``benefit`` (as :func:`set_benefit`).
    Counters are never changed here."""
    _refuse_unknown(changes, PROMOTION_FIELDS)
    promotion = Promotion.objects.select_for_update().get(pk=promotion.pk)
    for name, value in changes.items():
        setattr(promotion, name, value)
    validate_promotion(promotion)
    current = Benefit.objects.filter(promotion=promotion).first()
    if current is not None and benefit is None:
        validate_benefit(current, promotion)
    if not promotion.requires_code and promotion.codes.exists():
        raise InvalidPromotionError(
            "This promotion has voucher codes: it must require one.",
            details={"requires_code": ["Delete its codes first."]},
        )
    if changes.keys() & {"budget", "max_uses"}:
        recount(promotion)
    promotion.save()
    if benefit is not None:
        set_benefit(promotion, **benefit)
    return promotion


def recount(promotion: Promotion) -> None:
    """Set ``promotion``'s counters (unsaved) for limits that were set or changed.

    Uses are counted only while there is a maximum, and spending only while there is
    a budget: a limit set later starts from what the unreleased redemptions already
    took. A limit below that raises :class:`InvalidPromotionError` (400). It locks
    the promotion's row for update first, so call it in the transaction that saves
    it: a checkout spending the promotion holds its row until it commits (a share
    lock when the promotion has no limit), so the count includes it. The admin
    calls it too, so limits edited there cannot break the counters.
    """
    # Lock the row (again, for update_promotion, which already holds it: a no-op).
    list(Promotion.objects.select_for_update().filter(pk=promotion.pk).values_list("pk"))
    unreleased = Redemption.objects.filter(promotion=promotion, released_at__isnull=True)
    promotion.uses = unreleased.count() if promotion.max_uses is not None else 0
    if promotion.max_uses is not None and promotion.uses > promotion.max_uses:
        raise InvalidPromotionError(
            "The maximum uses are fewer than this promotion's uses so far.",
            details={"max_uses": [f"At least {promotion.uses}."]},
        )
    promotion.budget_spent = Decimal(0)
    if promotion.budget is not None:
        promotion.budget_spent = unreleased.filter(
            amount_currency=str(promotion.budget.currency)
        ).aggregate(total=Sum("amount"))["total"] or Decimal(0)
        if promotion.budget_spent > promotion.budget.amount:
            raise InvalidPromotionError(
                "The budget is less than what this promotion has already given.",
                details={"budget": [f"At least {promotion.budget_spent}."]},
            )


@transaction.atomic
def delete_promotion(promotion: Promotion) -> None:
    """Delete a promotion with its benefit and codes. Raises
    :class:`~commerce.core.exceptions.ConflictError` (409, ``promotion_redeemed``)
    once an order has redeemed it: the redemptions are the orders' record of it
    (deactivate it instead)."""
    try:
        with transaction.atomic():
            promotion.delete()
    except ProtectedError as exc:
        raise ConflictError(
            "Orders have redeemed this promotion; deactivate it instead of deleting it.",
            code="promotion_redeemed",
            details={"is_active": ["Set it to false instead."]},
        ) from exc


@transaction.atomic
def set_benefit(promotion: Promotion, **fields: Any) -> Benefit:
    """Create or replace ``promotion``'s benefit and rebuild its targets."""
    _refuse_unknown(fields, BENEFIT_FIELDS)
    benefit = Benefit.objects.filter(promotion=promotion).first() or Benefit(promotion=promotion)
    defaults = {
        "percent": None,
        "amount": None,
        "target": None,
        "allocation": BenefitAllocation.EACH,
        "max_units": None,
        "buy_quantity": None,
        "get_quantity": None,
    }
    for name, value in {**defaults, **fields}.items():
        setattr(benefit, name, value)
    validate_benefit(benefit, promotion)
    benefit.save()
    sync_targets(promotion, benefit)
    return benefit


@transaction.atomic
def add_code(promotion: Promotion, *, code: str, **limits: Any) -> VoucherCode:
    """Add a voucher code to a promotion that requires one. Raises
    :class:`InvalidVoucherCodeError` or :class:`VoucherCodeTakenError`."""
    _refuse_unknown(limits, CODE_FIELDS)
    voucher = VoucherCode(promotion=promotion, code=code, **limits)
    validate_code_fields(voucher)
    if VoucherCode.objects.filter(code=voucher.code).exists():
        raise VoucherCodeTakenError(details={"code": [f"{voucher.code} is already taken."]})
    voucher.save()
    return voucher


@transaction.atomic
def update_code(code: VoucherCode, **changes: Any) -> VoucherCode:
    """Change a code's limits, window or activity (not its text: add another code)."""
    _refuse_unknown(changes, CODE_FIELDS)
    code = VoucherCode.objects.select_for_update().select_related("promotion").get(pk=code.pk)
    for name, value in changes.items():
        setattr(code, name, value)
    validate_code_fields(code)
    check_code_uses(code)
    code.save()
    return code


def recount_code(code: VoucherCode) -> None:
    """Set ``code.uses`` (unsaved) from its row, locked for update, so a save in this
    transaction never writes back uses read before a checkout spent one; then
    :func:`check_code_uses`. The admin calls it before saving an edited code."""
    code.uses = (
        VoucherCode.objects.select_for_update().values_list("uses", flat=True).get(pk=code.pk)
    )
    check_code_uses(code)


def check_code_uses(code: VoucherCode) -> None:
    """Raise :class:`InvalidVoucherCodeError` (400) when ``code.max_uses`` is below its
    uses so far (read with its row locked)."""
    if code.max_uses is not None and code.uses > code.max_uses:
        raise InvalidVoucherCodeError(
            "The code has been used more times than that.",
            details={"max_uses": [f"At least {code.uses}, its uses so far."]},
        )


@transaction.atomic
def sync_targets(promotion: Promotion, benefit: Benefit | None = None) -> None:
    """Rebuild ``promotion``'s :class:`PromotionTarget` rows from its benefit's target:
    one row per id the target names (a line can match the target only by matching one
    of them). Call after any change to the target outside :func:`set_benefit`."""
    if benefit is None:
        benefit = Benefit.objects.filter(promotion=promotion).first()
    PromotionTarget.objects.filter(promotion=promotion).delete()
    ids = rule_ids(benefit.target) if benefit is not None else {}
    PromotionTarget.objects.bulk_create(
        [
            PromotionTarget(promotion=promotion, kind=kind, object_id=object_id)
            for kind in ID_LEAVES
            for object_id in sorted(ids.get(kind, ()))
        ],
        batch_size=500,
    )


def _refuse_unknown(fields: dict[str, Any], allowed: set[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise CommerceValidationError(
            details={name: ["Not a field that may be set."] for name in sorted(unknown)}
        )

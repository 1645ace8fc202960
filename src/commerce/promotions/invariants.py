"""The promotions app's invariants: counters agree with redemptions and stay within limits.

A promotion's ``uses`` and ``budget_spent`` and a code's ``uses`` change only by the
conditional updates of :mod:`commerce.promotions.discounts`, each with a
:class:`~commerce.promotions.models.Redemption` written or released in the same
transaction; these checks prove that the counters still say what the redemptions
say. Registered with :mod:`commerce.core.invariants` when the app is ready; the
invariants page of the docs says what each code means.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from commerce.core.invariants import Violation, differs, format_amount, register, rounded, stream
from commerce.promotions.models import Promotion, Redemption, VoucherCode

PROMOTION_CODES = {
    "promotion.uses_mismatch": (
        "A promotion's uses differ from the number of its unreleased redemptions "
        "(or are not zero without maximum uses)."
    ),
    "promotion.uses_exceed_max": "A promotion has been used more times than its maximum uses.",
    "promotion.budget_mismatch": (
        "A promotion's budget spent differs from the sum of its unreleased redemptions "
        "(or is not zero without a budget)."
    ),
    "promotion.budget_exceeded": "A promotion's budget spent is more than its budget.",
}
VOUCHER_CODE_CODES = {
    "voucher.uses_mismatch": (
        "A voucher code's uses differ from the number of its unreleased redemptions."
    ),
    "voucher.uses_exceed_max": "A voucher code has been used more times than its maximum uses.",
}


def _open_redemptions(**filters):
    return Redemption.objects.filter(released_at__isnull=True, **filters).order_by()


def _open_count(field: str):
    rows = (
        _open_redemptions(**{field: OuterRef("pk")})
        .values(field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


@register(PROMOTION_CODES)
def promotions() -> Iterator[Violation]:
    """Each promotion's ``uses`` is the number of its unreleased redemptions and at most
    ``max_uses`` (zero when it has no maximum); its ``budget_spent`` is the sum of their
    amounts in the budget's currency and at most the budget (zero when it has no
    budget). One query."""
    spent = (
        _open_redemptions(promotion=OuterRef("pk"), amount_currency=OuterRef("budget_currency"))
        .values("promotion")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    has_budget = Q(budget__isnull=False)
    has_max = Q(max_uses__isnull=False)
    broken = (
        Promotion.objects.order_by()
        .annotate(
            open_uses=_open_count("promotion"),
            spent_r=rounded(F("budget_spent")),
            budget_r=rounded(F("budget")),
            redeemed_r=rounded(Coalesce(Subquery(spent), Value(Decimal(0)))),
        )
        .filter(
            (has_max & (differs("uses", "open_uses") | Q(uses__gt=F("max_uses"))))
            | (~has_max & ~Q(uses=0))
            | (~has_budget & ~Q(spent_r=0))
            | (has_budget & (differs("spent_r", "redeemed_r") | Q(spent_r__gt=F("budget_r"))))
        )
        .order_by("name", "pk")
        .values(
            "pk",
            "name",
            "uses",
            "max_uses",
            "open_uses",
            "budget_currency",
            "spent_r",
            "budget_r",
            "redeemed_r",
        )
    )
    for row in stream(broken):
        name = f"{row['name']} ({row['pk']})"
        if row["max_uses"] is None and row["uses"] != 0:
            yield Violation(
                "promotion.uses_mismatch", f"uses {row['uses']} without maximum uses", name
            )
        elif row["max_uses"] is not None and row["uses"] != row["open_uses"]:
            yield Violation(
                "promotion.uses_mismatch",
                f"uses {row['uses']}, but it has {row['open_uses']} unreleased redemption(s)",
                name,
            )
        if row["max_uses"] is not None and row["uses"] > row["max_uses"]:
            yield Violation(
                "promotion.uses_exceed_max",
                f"uses {row['uses']}, more than its maximum of {row['max_uses']}",
                name,
            )
        currency = row["budget_currency"]
        if row["budget_r"] is None:
            if row["spent_r"] != 0:
                yield Violation(
                    "promotion.budget_mismatch",
                    f"budget spent {row['spent_r']} without a budget",
                    name,
                )
            continue
        if row["spent_r"] != row["redeemed_r"]:
            yield Violation(
                "promotion.budget_mismatch",
                f"budget spent {format_amount(row['spent_r'], currency)}, but its unreleased "
                f"redemptions add up to {format_amount(row['redeemed_r'], currency)}",
                name,
            )
        if row["spent_r"] > row["budget_r"]:
            yield Violation(
                "promotion.budget_exceeded",
                f"budget spent {format_amount(row['spent_r'], currency)}, more than its "
                f"budget of {format_amount(row['budget_r'], currency)}",
                name,
            )


@register(VOUCHER_CODE_CODES)
def voucher_codes() -> Iterator[Violation]:
    """Each code's ``uses`` is the number of its unreleased redemptions and at most its
    ``max_uses``. One query."""
    broken = (
        VoucherCode.objects.order_by()
        .annotate(open_uses=_open_count("code"))
        .filter(differs("uses", "open_uses") | Q(max_uses__isnull=False, uses__gt=F("max_uses")))
        .order_by("code")
        .values("code", "uses", "max_uses", "open_uses")
    )
    for row in stream(broken):
        if row["uses"] != row["open_uses"]:
            yield Violation(
                "voucher.uses_mismatch",
                f"uses {row['uses']}, but it has {row['open_uses']} unreleased redemption(s)",
                row["code"],
            )
        if row["max_uses"] is not None and row["uses"] > row["max_uses"]:
            yield Violation(
                "voucher.uses_exceed_max",
                f"uses {row['uses']}, more than its maximum of {row['max_uses']}",
                row["code"],
            )

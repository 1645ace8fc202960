"""The promotions app as the pipeline's discount source.

:class:`PromotionDiscountSource` implements the contract of
:mod:`commerce.pricing.discounts`; :class:`~commerce.promotions.apps.PromotionsConfig`
registers it. ``evaluate`` reads the rules in a constant number of queries,
whatever the number of promotions and lines:

1. the ids of the categories the cart's lines are in, with their ancestors (when
   the cart has lines);
2. the automatic promotions, with their benefits, that can match the cart:
   those whose target names one of the cart's products, categories (or their
   ancestors), brands or vendors, and those without a target that are running now
   in this currency (a targeted promotion is loaded even when inactive, expired or
   in another currency, so the shopper can be told why it does not apply; one
   without a target is explained only when it is running);
3. the entered codes with their promotions and benefits (when codes were entered);
4. this customer's unreleased redemptions of those codes that have a per-customer
   limit (only when one has).

Customer groups and order history cost one query each, only when a loaded rule
asks for them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connections
from django.db.models import Case, Count, Exists, F, OuterRef, Q, Value, When
from django.db.models.functions import Greatest
from django.utils import timezone
from djmoney.money import Money

from commerce.core import transactions
from commerce.core.money import currency_exponent, from_minor_units, to_minor_units
from commerce.pricing.exceptions import DiscountUnavailableError
from commerce.pricing.types import Claim, Customer, DiscountResult, PricingContext
from commerce.promotions import engine
from commerce.promotions.models import (
    Promotion,
    PromotionTarget,
    Redemption,
    VoucherCode,
    running_at,
)
from commerce.promotions.rules import LineFacts

__all__ = ["PromotionDiscountSource", "line_facts", "promotion_rule"]

#: The ``Discount.source`` words this app answers with.
SOURCES = ("promotion", "voucher")


@dataclass(frozen=True)
class PromotionDiscountSource:
    """Promotions and voucher codes as a discount source (see
    :func:`commerce.pricing.discounts.register_discount_source`). Instances are
    equal, so registering one again changes nothing."""

    def evaluate(self, context: PricingContext) -> DiscountResult:
        """The promotions and entered codes that apply to ``context`` and why the others
        do not (see :mod:`commerce.promotions.engine`); writes nothing."""
        facts = line_facts(context)
        promotions = [_rule(row, context.currency) for row in _candidates(context, facts)]
        codes = _codes(context)
        return engine.evaluate(context, promotions, codes, facts)

    def spend(self, claims: Iterable[Claim], *, order_reference: str, customer: Customer) -> None:
        """Spend each claim of this source for ``order_reference``: a use (and the amount,
        against its budget) of a promotion with maximum uses or a budget, and a use of
        the code, each with one conditional ``UPDATE``; then record a
        :class:`Redemption` per claim. Promotions with neither limit move no counter:
        one query reads them all ``FOR SHARE``.

        Call inside the checkout's transaction: the updated rows stay locked until it
        ends, so concurrent checkouts queue and never spend past a limit, and a limit
        being set waits for the share-locked ones. Raises
        :class:`~commerce.pricing.exceptions.DiscountUnavailableError` naming the
        promotion or code that ran out (or that this customer has used up), leaving
        the transaction for the caller to roll back.
        """
        mine = sorted(
            (c for c in claims if c.discount.source in SOURCES and c.amount > 0),
            key=lambda c: (c.discount.promotion, c.discount.code),
        )
        if not mine:
            return
        user = customer.user if customer.is_authenticated else None
        email = (customer.email or getattr(user, "email", "") or "").strip().lower()
        unlimited = _share_unlimited({claim.discount.promotion for claim in mine})
        redemptions = []
        for claim in mine:
            counted = claim.discount.promotion not in unlimited
            redemptions.append(_spend_one(claim, user=user, email=email, counted=counted))
        for redemption in redemptions:
            redemption.order_reference = order_reference
        try:
            with transactions.atomic():
                Redemption.objects.bulk_create(redemptions)
        except IntegrityError as error:
            raise DiscountUnavailableError(
                "These discounts were already spent for this order.",
                details={"order_reference": order_reference, "reason": "already_redeemed"},
            ) from error

    def release(self, order_reference: str) -> int:
        """Give back what :meth:`spend` took for ``order_reference``: each unreleased
        redemption is marked released by a conditional ``UPDATE``, and only the rows
        this call marked give their use (and amount) back. A release racing another
        (cancellation against expiry) therefore gives back exactly once. Returns how
        many redemptions this call released."""
        rows = list(
            Redemption.objects.filter(order_reference=order_reference, released_at__isnull=True)
            .order_by("pk")
            .values_list("pk", "promotion_id", "code_id", "amount", "amount_currency")
        )
        now = timezone.now()
        released = 0
        for pk, promotion_id, code_id, amount, currency in rows:
            if not Redemption.objects.filter(pk=pk, released_at__isnull=True).update(
                released_at=now
            ):
                continue  # another release got there first
            released += 1
            Promotion.objects.filter(pk=promotion_id).update(
                uses=Greatest(F("uses") - 1, Value(0)),
                budget_spent=Case(
                    When(
                        budget__isnull=False,
                        budget_currency=currency,
                        then=Greatest(
                            F("budget_spent") - Value(Decimal(amount)), Value(Decimal(0))
                        ),
                    ),
                    default=F("budget_spent"),
                ),
            )
            if code_id is not None:
                VoucherCode.objects.filter(pk=code_id).update(
                    uses=Greatest(F("uses") - 1, Value(0))
                )
        return released


def _share_unlimited(promotion_ids: set[str]) -> set[str]:
    """Of ``promotion_ids``, those without ``max_uses`` or a budget, share-locked.

    Their spending changes no counter, so checkouts that use the same broad
    promotion need not queue on its row. The share lock still makes a change of
    its limits (:func:`~commerce.promotions.services.recount`, which locks the row
    for update) wait for these checkouts, and count their redemptions. A row
    being changed is read again once the change commits (PostgreSQL's
    ``FOR SHARE``), so one that gained a limit meanwhile is not returned and is
    spent with the conditional update.
    """
    query = (
        Promotion.objects.filter(pk__in=promotion_ids, max_uses__isnull=True, budget__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    connection = connections[query.db]
    sql, params = query.query.sql_with_params()
    # Django's select_for_update() has no share mode; SQLite locks the whole
    # database for a writing transaction and needs none.
    sql += {"postgresql": " FOR SHARE", "mysql": " LOCK IN SHARE MODE"}.get(connection.vendor, "")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        # Raw rows: SQLite gives a UUID as bare hex, so parse it as the field does.
        return {str(Promotion._meta.pk.to_python(pk)) for (pk,) in cursor.fetchall()}


def _spend_one(claim: Claim, *, user, email: str, counted: bool = True) -> Redemption:
    discount = claim.discount
    currency = claim.currency or _promotion_currency(discount.promotion)
    spent = Decimal(claim.amount).scaleb(-currency_exponent(currency))
    named = {"promotion": discount.promotion, "code": discount.code, "name": discount.name}
    # Uses are counted only while there is a maximum, and the budget moves only
    # when there is one, in the claim's currency (as services.recount keeps them).
    within_budget = Q(budget__isnull=True) | Q(
        budget_currency=currency, budget_spent__lte=F("budget") - Value(spent)
    )
    updated = not counted or (
        Promotion.objects.filter(pk=discount.promotion)
        .filter(Q(max_uses__isnull=True) | Q(uses__lt=F("max_uses")))
        .filter(within_budget)
        .update(
            uses=Case(When(max_uses__isnull=False, then=F("uses") + 1), default=Value(0)),
            budget_spent=Case(
                When(budget__isnull=False, then=F("budget_spent") + Value(spent)),
                default=F("budget_spent"),
            ),
        )
    )
    if not updated:
        raise DiscountUnavailableError(
            f"{discount.name} is no longer available (its uses or budget ran out).",
            details={**named, "reason": "used_up"},
        )
    code = None
    if discount.code:
        updated = (
            VoucherCode.objects.filter(code=discount.code, promotion_id=discount.promotion)
            .filter(Q(max_uses__isnull=True) | Q(uses__lt=F("max_uses")))
            .update(uses=F("uses") + 1)
        )
        if not updated:
            raise DiscountUnavailableError(
                f"The code {discount.code} has been used up.",
                details={**named, "reason": "used_up"},
            )
        # Read after the UPDATE: this transaction holds the code's row, so another
        # checkout of the same code waits here and counts this one's redemption.
        code = VoucherCode.objects.get(code=discount.code)
        if code.per_customer_limit is not None:
            if user is None and not email:
                raise DiscountUnavailableError(
                    f"Sign in or give an email address to use the code {discount.code}.",
                    details={**named, "reason": "sign_in_required"},
                )
            used = _customer_redemptions(user, email).filter(code=code).count()
            if used >= code.per_customer_limit:
                raise DiscountUnavailableError(
                    f"You have already used the code {discount.code}.",
                    details={**named, "reason": "already_used"},
                )
    return Redemption(
        promotion_id=discount.promotion,
        code=code,
        user=user,
        email=email,
        amount=from_minor_units(claim.amount, currency),
    )


def _promotion_currency(promotion_id: str) -> str:
    """The currency of a claim that does not say (one made by hand): the promotion's
    own, its budget's or its amount's, else the default currency."""
    from commerce.conf import commerce_settings

    row = (
        Promotion.objects.filter(pk=promotion_id)
        .values_list("currency", "budget_currency", "benefit__amount_currency")
        .first()
    )
    return next((c for c in row or () if c), commerce_settings.DEFAULT_CURRENCY)


def _customer_redemptions(user, email: str):
    who = Q(pk__in=[])
    if user is not None:
        who |= Q(user=user)
    if email:
        who |= Q(email=email)
    return Redemption.objects.filter(who, released_at__isnull=True)


# --- reading the rules ------------------------------------------------------------------


def line_facts(context: PricingContext) -> dict[str, LineFacts]:
    """Each line's product, category (with its ancestors), brand and vendor ids, by line
    key: one query for the categories' ancestors, none when the cart is empty."""
    if not context.lines:
        return {}
    from commerce.catalog.models import Category

    steplen = Category.steplen
    paths = {line.key: line.product.category.path for line in context.lines}
    prefixes = {
        path[:end] for path in paths.values() for end in range(steplen, len(path) + 1, steplen)
    }
    ids = dict(Category.objects.filter(path__in=prefixes).values_list("path", "pk"))
    facts = {}
    for line in context.lines:
        product = line.product
        path = paths[line.key]
        ancestors = {
            str(ids[path[:end]])
            for end in range(steplen, len(path) + 1, steplen)
            if path[:end] in ids
        }
        ancestors.add(str(product.category_id))
        facts[line.key] = LineFacts(
            product=str(product.pk),
            categories=frozenset(ancestors),
            brand=str(product.brand_id) if product.brand_id else None,
            vendor=str(product.vendor_id),
        )
    return facts


def _candidates(context: PricingContext, facts: dict[str, LineFacts]):
    """The automatic promotions worth evaluating (see the module's docstring)."""
    wanted = Q(pk__in=[])
    if facts:
        kinds = PromotionTarget.Kind
        wanted = (
            Q(kind=kinds.PRODUCT, object_id__in={f.product for f in facts.values()})
            | Q(
                kind=kinds.CATEGORY, object_id__in={c for f in facts.values() for c in f.categories}
            )
            | Q(kind=kinds.VENDOR, object_id__in={f.vendor for f in facts.values()})
        )
        brands = {f.brand for f in facts.values() if f.brand}
        if brands:
            wanted |= Q(kind=kinds.BRAND, object_id__in=brands)
    matching = PromotionTarget.objects.filter(wanted, promotion=OuterRef("pk"))
    targeted = PromotionTarget.objects.filter(promotion=OuterRef("pk"))
    untargeted_running = Q(
        ~Exists(targeted),
        running_at(context.now),
        Q(currency="") | Q(currency=context.currency),
    )
    # Plain values, not model instances: building a Promotion and its Benefit (money
    # descriptors and all) for each candidate was most of what 1,000 promotions cost.
    return (
        Promotion.objects.filter(requires_code=False, benefit__isnull=False)
        .filter(Exists(matching) | untargeted_running)
        .order_by()
        .values(*RULE_COLUMNS)
    )


def _codes(context: PricingContext) -> dict[str, engine.CodeRule]:
    if not context.codes:
        return {}
    codes = list(
        VoucherCode.objects.filter(code__in=context.codes, promotion__benefit__isnull=False)
        .select_related("promotion__benefit")
        .order_by()
    )
    limited = [code.pk for code in codes if code.per_customer_limit is not None]
    customer = context.customer
    user = customer.user if customer.is_authenticated else None
    email = (customer.email or getattr(user, "email", "") or "").strip().lower()
    counts: dict = {}
    if limited and (user is not None or email):
        counts = dict(
            _customer_redemptions(user, email)
            .filter(code__in=limited)
            .values("code")
            .annotate(n=Count("pk"))
            .values_list("code", "n")
        )
    return {
        code.code: engine.CodeRule(
            code=code.code,
            promotion=promotion_rule(code.promotion, context.currency),
            is_active=code.is_active,
            starts_at=code.starts_at,
            ends_at=code.ends_at,
            max_uses=code.max_uses,
            uses=code.uses,
            per_customer_limit=code.per_customer_limit,
            customer_uses=(counts.get(code.pk, 0) if (user is not None or email) else None),
        )
        for code in codes
    }


#: What the engine reads of a promotion and (``benefit__``) its benefit: the columns
#: :func:`_rule` reads, money as its amount and currency columns.
RULE_COLUMNS = (
    "pk",
    "name",
    "lane",
    "priority",
    "combinable",
    "requires_code",
    "is_active",
    "starts_at",
    "ends_at",
    "currency",
    "condition",
    "budget",
    "budget_currency",
    "budget_spent",
    "max_uses",
    "uses",
    "benefit__kind",
    "benefit__target",
    "benefit__percent",
    "benefit__amount",
    "benefit__amount_currency",
    "benefit__allocation",
    "benefit__max_units",
    "benefit__buy_quantity",
    "benefit__get_quantity",
)


def promotion_rule(promotion: Promotion, currency: str) -> engine.PromotionRule:
    """``promotion`` and its benefit as the engine reads them, for a cart in ``currency``.

    Money figures in another currency than the cart's make the promotion one of that
    currency (``wrong_currency``), whatever its ``currency`` says."""
    row: dict[str, Any] = {}
    for column in RULE_COLUMNS:
        if column.endswith("_currency"):
            continue  # read with its amount
        owner = promotion.benefit if column.startswith("benefit__") else promotion
        value = getattr(owner, column.removeprefix("benefit__"))
        if isinstance(value, Money):
            value, row[f"{column}_currency"] = value.amount, str(value.currency)
        elif f"{column}_currency" in RULE_COLUMNS:
            row[f"{column}_currency"] = None
        row[column] = value
    return _rule(row, currency)


def _rule(row: Mapping[str, Any], currency: str) -> engine.PromotionRule:
    """A promotion's :data:`RULE_COLUMNS` as the engine's rule (see :func:`promotion_rule`)."""
    own = row["currency"]
    amount = budget = None
    spent = 0
    for value, money_currency in (
        (row["benefit__amount"], row["benefit__amount_currency"]),
        (row["budget"], row["budget_currency"]),
    ):
        if value is not None and money_currency != currency:
            own = money_currency
    if own in ("", currency):
        if row["benefit__amount"] is not None:
            amount = _minor_units(row["benefit__amount"], currency)
        if row["budget"] is not None:
            budget = _minor_units(row["budget"], currency)
            spent = int(Decimal(row["budget_spent"]).scaleb(currency_exponent(currency)))
    return engine.PromotionRule(
        id=str(row["pk"]),
        name=row["name"],
        lane=row["lane"],
        priority=row["priority"],
        combinable=row["combinable"],
        requires_code=row["requires_code"],
        is_active=row["is_active"],
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        currency=own,
        condition=row["condition"],
        kind=row["benefit__kind"],
        target=row["benefit__target"],
        percent=row["benefit__percent"],
        amount=amount,
        allocation=row["benefit__allocation"],
        max_units=row["benefit__max_units"],
        buy_quantity=row["benefit__buy_quantity"],
        get_quantity=row["benefit__get_quantity"],
        max_uses=row["max_uses"],
        uses=row["uses"],
        budget=budget,
        budget_spent=spent,
    )


def _minor_units(amount: Decimal, currency: str) -> int:
    return to_minor_units(Money(amount, currency))

"""Where parcels go and what they pay: zones, shipping methods and tax rates.

A :class:`Zone` is a set of places made of :class:`ZoneMember` rows (a country,
optionally narrowed to a region and a postal-code pattern, each including or
excluding). Shipping methods and tax rates both hang off zones, so a shop
describes "Germany" or "mainland France" once. How a destination picks its zone
is :func:`commerce.pricing.zones.match_zones`.

Configuration is checked twice: by each model's ``clean()`` (what the admin
shows next to the field) and by the system checks in :mod:`commerce.checks`
(what a form cannot see: a setting changed after the rows were saved, or rows
written by code).
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from djmoney.models.fields import MoneyField

from commerce.core.apps import require_installed

require_installed("commerce.pricing", "commerce.core", "commerce.catalog")

from commerce.catalog.models import TaxClass  # noqa: E402
from commerce.core.exceptions import CommerceError  # noqa: E402
from commerce.core.models import BaseModel  # noqa: E402
from commerce.core.money import (  # noqa: E402
    MONEY_FIELD_OPTIONS,
    currency_choices,
    is_allowed_currency,
    validate_money,
)
from commerce.pricing.postcodes import (  # noqa: E402
    PostalPatternError,
    normalize_postal,
    validate_pattern,
)

#: The help text of :attr:`ZoneMember.postal_code_pattern`, also shown in the admin.
POSTAL_PATTERN_HELP = _(
    "Empty: any postal code. Otherwise a code (10115), a prefix ending in * (SW1*) or a "
    "range of digits (1000..1999). Spaces and case are ignored."
)


class Zone(BaseModel):
    """A named set of places, made of members.

    A destination is in the zone when one of its *include* members matches it and
    none of its *exclude* members does. Among the zones a destination is in, the
    most specific match wins (a postal-code member beats a region member, which
    beats a whole country), then the higher ``priority``.
    """

    name = models.CharField(_("name"), max_length=120)
    priority = models.IntegerField(
        _("priority"),
        default=0,
        help_text=_("Breaks ties between zones that match as specifically: higher wins."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["-priority", "name"]
        verbose_name = _("zone")
        verbose_name_plural = _("zones")

    def __str__(self) -> str:
        return self.name

    def clean(self):
        super().clean()
        if self.is_active and not self._state.adding:
            clash = overlapping_member(self, self.members.filter(exclude=False))
            if clash is not None:
                raise ValidationError({"priority": [clash]})


class ZoneMember(BaseModel):
    """One place of a zone: a country, optionally narrowed to a region and postal codes."""

    zone = models.ForeignKey(
        Zone, on_delete=models.CASCADE, related_name="members", verbose_name=_("zone")
    )
    country = CountryField(_("country"))
    region = models.CharField(
        _("region"),
        max_length=100,
        blank=True,
        help_text=_("Empty: the whole country. Otherwise a subdivision code or name (any case)."),
    )
    postal_code_pattern = models.CharField(
        _("postal codes"), max_length=40, blank=True, help_text=POSTAL_PATTERN_HELP
    )
    exclude = models.BooleanField(
        _("exclude"),
        default=False,
        help_text=_("Take these places out of the zone instead of adding them."),
    )

    class Meta:
        ordering = ["exclude", "country", "region", "postal_code_pattern"]
        verbose_name = _("zone member")
        verbose_name_plural = _("zone members")

    def __str__(self) -> str:
        place = " ".join(
            part for part in (str(self.country), self.region, self.postal_code_pattern) if part
        )
        return f"{_('not') if self.exclude else ''} {place}".strip()

    @property
    def specificity(self) -> int:
        """3 for a postal-code member, 2 for a region, 1 for a whole country."""
        if self.postal_code_pattern:
            return 3
        return 2 if self.region else 1

    def clean(self):
        super().clean()
        self.region = (self.region or "").strip()
        try:
            self.postal_code_pattern = validate_pattern(self.postal_code_pattern)
        except PostalPatternError as exc:
            raise ValidationError({"postal_code_pattern": [str(exc)]}) from exc
        # The admin's inline sets the (maybe unsaved) zone object, not always its id.
        zone = _related_or_none(self, "zone")
        if zone is not None and zone.is_active and not self.exclude:
            clash = overlapping_member(zone, [self])
            if clash is not None:
                raise ValidationError(clash)


def _related_or_none(obj, name: str):
    """``obj.<name>`` (a foreign key), or ``None`` while it is not set."""
    try:
        return getattr(obj, name)
    except ObjectDoesNotExist:
        return None


def member_key(member: ZoneMember) -> tuple[str, str, str]:
    """What makes two include members the same place: country, region, pattern (normalized)."""
    return (
        str(member.country),
        (member.region or "").strip().casefold(),
        normalize_postal(member.postal_code_pattern),
    )


def overlapping_member(zone: Zone, members) -> str | None:
    """Why ``zone`` may not hold ``members`` (include members), or ``None``.

    Two active zones of the same priority with the same include member would tie
    for every address that member matches, and which one wins would be an
    accident: the other zone's name is in the message.
    """
    keys = {member_key(member) for member in members}
    if not keys:
        return None
    countries = {key[0] for key in keys}
    others = (
        ZoneMember.objects.filter(
            zone__is_active=True,
            zone__priority=zone.priority,
            exclude=False,
            country__in=countries,
        )
        .exclude(zone_id=zone.pk)
        .select_related("zone")
    )
    for other in others:
        if member_key(other) in keys:
            return str(
                _(
                    "The active zone %(other)s has the same priority (%(priority)s) and the "
                    "same place (%(place)s): give one of them another priority."
                )
                % {"other": other.zone.name, "priority": zone.priority, "place": other}
            )
    return None


class ShippingMethod(BaseModel):
    """A way to ship to a zone, priced by a rate strategy in one currency.

    ``rate_strategy`` names an entry of ``COMMERCE["SHIPPING_RATE_STRATEGIES"]``
    (``flat`` charges ``price``; ``order_value`` and ``weight`` read the
    :class:`ShippingRateBand` rows). Whatever the strategy, the method is free
    when the lines' total after discounts reaches ``free_over``. The limits
    (order value, weight) say which carts it serves at all.
    """

    zone = models.ForeignKey(
        Zone, on_delete=models.PROTECT, related_name="shipping_methods", verbose_name=_("zone")
    )
    name = models.CharField(_("name"), max_length=120)
    code = models.SlugField(
        _("code"), max_length=64, unique=True, help_text=_("What checkout sends to choose it.")
    )
    # Callable choices: a migration records the function, not the currency names.
    currency = models.CharField(_("currency"), max_length=3, choices=currency_choices)
    rate_strategy = models.CharField(
        _("rate strategy"),
        max_length=64,
        default="flat",
        help_text=_("A name in COMMERCE['SHIPPING_RATE_STRATEGIES']: flat, order_value, weight."),
    )
    price = MoneyField(
        _("price"),
        null=True,
        blank=True,
        help_text=_("What the flat strategy charges."),
        **MONEY_FIELD_OPTIONS,
    )
    free_over = MoneyField(
        _("free over"),
        null=True,
        blank=True,
        help_text=_("Free when the lines' total after discounts is at least this."),
        **MONEY_FIELD_OPTIONS,
    )
    min_order_value = MoneyField(
        _("minimum order value"), null=True, blank=True, **MONEY_FIELD_OPTIONS
    )
    max_order_value = MoneyField(
        _("maximum order value"), null=True, blank=True, **MONEY_FIELD_OPTIONS
    )
    min_weight = models.PositiveIntegerField(_("minimum weight (g)"), null=True, blank=True)
    max_weight = models.PositiveIntegerField(_("maximum weight (g)"), null=True, blank=True)
    # PROTECT: shipping keeps its own tax class; deleting it must not move the
    # method to the default class's rates unseen.
    tax_class = models.ForeignKey(
        TaxClass,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="shipping_methods",
        verbose_name=_("tax class"),
        help_text=_("Empty: the default class."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    #: The money fields, each in :attr:`currency`.
    MONEY_FIELDS = ("price", "free_over", "min_order_value", "max_order_value")

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("shipping method")
        verbose_name_plural = _("shipping methods")
        indexes = [
            models.Index(fields=["zone", "currency", "is_active"], name="commerce_shipmethod_zone")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_weight__isnull=True)
                | Q(max_weight__isnull=True)
                | Q(min_weight__lte=models.F("max_weight")),
                name="commerce_shippingmethod_weight_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def configuration_problems(self) -> dict[str, list[str]]:
        """What is wrong with this method's own fields, by field (empty when nothing).

        Shared by :meth:`clean` and the system check, so both say the same.
        """
        from commerce.pricing.shipping import rate_strategy_names

        problems: dict[str, list[str]] = {}

        def add(field: str, message: str) -> None:
            problems.setdefault(field, []).append(str(message))

        if self.currency and not is_allowed_currency(self.currency):
            add(
                "currency",
                _("%(code)s is not in COMMERCE['CURRENCIES'].") % {"code": self.currency},
            )
        for field in self.MONEY_FIELDS:
            value = getattr(self, field)
            if value is None:
                continue
            if self.currency and str(value.currency) != self.currency:
                add(field, _("Use the method's currency, %(code)s.") % {"code": self.currency})
                continue
            try:
                validate_money(value, field)
            except CommerceError as error:
                add(field, " ".join(map(str, error.details.get(field, [error.message]))))
        names = rate_strategy_names()
        if self.rate_strategy not in names:
            add(
                "rate_strategy",
                _("%(name)r is not in COMMERCE['SHIPPING_RATE_STRATEGIES'] (%(known)s).")
                % {"name": self.rate_strategy, "known": ", ".join(names)},
            )
        elif self.rate_strategy == "flat" and self.price is None:
            add("price", _("The flat strategy charges this price: enter one."))
        low, high = self.min_order_value, self.max_order_value
        if (
            low is not None
            and high is not None
            and low.currency == high.currency
            and low.amount > high.amount
        ):
            add("max_order_value", _("Must not be below the minimum order value."))
        if (
            self.min_weight is not None
            and self.max_weight is not None
            and self.min_weight > self.max_weight
        ):
            add("max_weight", _("Must not be below the minimum weight."))
        return problems

    def clean(self):
        super().clean()
        problems = self.configuration_problems()
        if problems:
            raise ValidationError(problems)


class ShippingRateBand(BaseModel):
    """One step of an ``order_value`` or ``weight`` rate: from ``lower_bound`` up, ``price``.

    ``lower_bound`` is in minor units of the method's currency for order-value
    bands, in grams for weight bands. A cart pays the band with the highest lower
    bound it reaches; a cart below every band cannot use the method.
    """

    method = models.ForeignKey(
        ShippingMethod,
        on_delete=models.CASCADE,
        related_name="bands",
        verbose_name=_("shipping method"),
    )
    lower_bound = models.PositiveBigIntegerField(
        _("from"),
        help_text=_("Order value in minor units (cents: 5000 is 50.00 USD), or weight in grams."),
    )
    price = MoneyField(_("price"), **MONEY_FIELD_OPTIONS)

    class Meta:
        ordering = ["method", "lower_bound"]
        verbose_name = _("shipping rate band")
        verbose_name_plural = _("shipping rate bands")
        constraints = [
            models.UniqueConstraint(
                fields=["method", "lower_bound"], name="commerce_shippingrateband_unique"
            ),
            models.CheckConstraint(
                condition=Q(lower_bound__gte=0), name="commerce_shippingrateband_bound_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lower_bound}+: {self.price}"

    def clean(self):
        super().clean()
        if self.lower_bound is not None and self.lower_bound < 0:
            raise ValidationError({"lower_bound": [_("Must be zero or more.")]})
        method = _related_or_none(self, "method")
        if (
            self.price is not None
            and method is not None
            and method.currency
            and str(self.price.currency) != method.currency
        ):
            raise ValidationError(
                {"price": [_("Use the method's currency, %(code)s.") % {"code": method.currency}]}
            )
        if self.price is not None:
            try:
                validate_money(self.price, "price")
            except CommerceError as error:
                raise ValidationError(
                    {"price": [" ".join(map(str, error.details.get("price", [error.message])))]}
                ) from error


class TaxRate(BaseModel):
    """A tax on a class of goods in a zone: ``rate`` percent, added or included.

    ``tax_class`` empty is the default class (products without a class). Several
    rates for one class and zone add up, each computed on the item's amount.
    ``prices_include_tax`` empty follows ``COMMERCE["PRICES_INCLUDE_TAX"]``.
    """

    zone = models.ForeignKey(
        Zone, on_delete=models.PROTECT, related_name="tax_rates", verbose_name=_("zone")
    )
    tax_class = models.ForeignKey(
        TaxClass,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tax_rates",
        verbose_name=_("tax class"),
        help_text=_("Empty: the default class."),
    )
    name = models.CharField(_("name"), max_length=60, help_text=_('What receipts call it: "VAT".'))
    rate = models.DecimalField(
        _("rate (%)"),
        max_digits=7,
        decimal_places=4,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    prices_include_tax = models.BooleanField(
        _("prices include this tax"),
        null=True,
        blank=True,
        help_text=_("Empty: as COMMERCE['PRICES_INCLUDE_TAX'] says."),
    )

    class Meta:
        ordering = ["zone", "name"]
        verbose_name = _("tax rate")
        verbose_name_plural = _("tax rates")
        constraints = [
            models.CheckConstraint(
                condition=Q(rate__gte=0) & Q(rate__lte=100), name="commerce_taxrate_rate_0_100"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.rate.normalize():f}%" if self.rate is not None else self.name

    def clean(self):
        super().clean()
        if self.rate is not None and not Decimal(0) <= self.rate <= Decimal(100):
            raise ValidationError({"rate": [_("A rate is a percentage from 0 to 100.")]})

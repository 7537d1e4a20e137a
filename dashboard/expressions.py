"""Exact arithmetic in SQL, the same on PostgreSQL and SQLite.

Quantities are Decimal(12, 3) in the lot's unit; SQLite keeps decimals as floating point, so sums are taken
over integers: whole kilograms for tonnages (each row rounded to the kilogram; t and kg convert, L, m³ and
units do not and are counted apart), so that every breakdown adds up exactly to its total, and thousandths
of a rupiah for values (price per unit, an integer, times the quantity in thousandths), computed in Python
(deal_value) and kept as two integers, whole millions of rupiah and the rest in thousandths: a deal may be
worth 10^21 thousandths (core.bounds), past a 64-bit integer, while a sum of millions overflows only past
nine million deals of the largest size. Python turns the integer sums back into Decimal tonnes and rupiah.
"""

from decimal import ROUND_HALF_UP, Decimal, localcontext

from django.db.models import Aggregate, BigIntegerField, Case, F, Q, Value, When
from django.db.models.functions import Cast, Round

KG_PER_TONNE = Decimal(1000)
MILLI = Decimal(1000)
# Units that convert to tonnes; the others (L, m³, unit) are left out of every tonnage and said so.
MASS_UNITS = ("t", "kg")


def kilograms(quantity, unit: str):
    """The quantity (a field name or an expression) in whole kilograms, or NULL when its unit is not a mass."""
    quantity = F(quantity) if isinstance(quantity, str) else quantity
    return Case(
        When(**{unit: "t"}, then=Cast(Round(quantity * Value(1000)), BigIntegerField())),
        When(**{unit: "kg"}, then=Cast(Round(quantity), BigIntegerField())),
        default=Value(None),
        output_field=BigIntegerField(),
    )


MILLI_PER_MILLION = 10**9  # thousandths of a rupiah in a million rupiah


def deal_value(price_per_unit: int, quantity: Decimal) -> tuple[int, int]:
    """Price per unit (whole rupiah) × quantity (three decimals), exactly, as (whole millions of rupiah rounded
    down, the rest in thousandths of a rupiah): the two columns of dashboard.models.Deal."""
    milli = int(price_per_unit) * int((quantity * MILLI).to_integral_value(rounding=ROUND_HALF_UP))
    return divmod(milli, MILLI_PER_MILLION)


def tonnes(kg_sum) -> Decimal:
    """Tonnes with three decimals (exact: a sum of whole kilograms)."""
    return (Decimal(kg_sum or 0) / KG_PER_TONNE).quantize(Decimal("0.001"))


def rupiah(millions_sum, rest_milli_sum=0) -> Decimal:
    """Whole rupiah (half up), from the sums of a value's two columns (millions, and the rest in thousandths).
    Python's integers are exact at any size."""
    milli = int(millions_sum or 0) * MILLI_PER_MILLION + int(rest_milli_sum or 0)
    with localcontext() as context:
        context.prec = 60  # Decimal's default 28 digits would round a sum of the largest deals
        return Decimal(milli).scaleb(-3).quantize(Decimal(1), rounding=ROUND_HALF_UP)


def is_mass(unit: str) -> Q:
    return Q(**{f"{unit}__in": MASS_UNITS})


class Median(Aggregate):
    """PostgreSQL's median: the middle value, or the mean of the middle two (an ordered-set aggregate, one pass
    over the rows). SQLite has no such aggregate: dashboard.selectors.deals finds the middle rows there."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"

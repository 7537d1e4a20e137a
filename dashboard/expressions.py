"""Exact arithmetic in SQL, the same on PostgreSQL and SQLite.

Quantities are Decimal(12, 3) in the lot's unit; SQLite keeps decimals as floating point, so sums are taken
over integers: whole kilograms for tonnages (each row rounded to the kilogram; t and kg convert, L, m³ and
units do not and are counted apart), so that every breakdown adds up exactly to its total, and thousandths
of a rupiah for values (price per unit, an integer, times the quantity in thousandths). Python
turns the integer sums back into Decimal tonnes and rupiah.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import BigIntegerField, Case, F, Q, Value, When
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


def value_milli(price: str, quantity: str):
    """Price per unit (whole rupiah) × quantity, in thousandths of a rupiah: exact."""
    return F(price) * Cast(Round(F(quantity) * Value(1000)), BigIntegerField())


def tonnes(kg_sum) -> Decimal:
    """Tonnes with three decimals (exact: a sum of whole kilograms)."""
    return (Decimal(kg_sum or 0) / KG_PER_TONNE).quantize(Decimal("0.001"))


def rupiah(milli_sum) -> Decimal:
    """Whole rupiah (half up), from a sum in thousandths."""
    return (Decimal(milli_sum or 0) / MILLI).quantize(Decimal(1), rounding=ROUND_HALF_UP)


def is_mass(unit: str) -> Q:
    return Q(**{f"{unit}__in": MASS_UNITS})

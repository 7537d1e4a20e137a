"""Awarded and completed figures, from the deals rollup (dashboard.models.Deal, one row per award) or, for whole
months of the city, from the deals per month (dashboard.models.DealMonth)."""

from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Count, DecimalField, DurationField, F, Q, Sum, Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from dashboard import rollups
from dashboard.expressions import Median, rupiah, tonnes
from dashboard.filters import Selection
from dashboard.models import Deal, DealMonth
from dashboard.selectors.scope import Scope, share
from listings.models import Route

# The routes the catalogue's CO2e factors describe; the others count zero (the conservative method).
CO2E_ROUTES = (Route.REUSE, Route.RECYCLING, Route.MATERIAL_RECOVERY)


def period_deals(selection: Selection, scope: Scope, *, on: str = "awarded_at", since=None):
    """Deals (dashboard.models.Deal) awarded, or completed (`on="completed_at"`), in the period."""
    return Deal.objects.filter(
        selection.deal_q(),
        scope.deals(),
        **{f"{on}__gte": since or selection.start, f"{on}__lt": selection.end},
    )


# A value's sum is taken over its two columns (dashboard.models.Deal); rupiah() adds them up exactly.
VALUE_SUMS = {"value": Sum("value_millions"), "value_rest": Sum("value_rest_milli")}


def deal_months(selection: Selection, scope: Scope, *, on: str = "awarded", since=None):
    """The deals per month (dashboard.models.DealMonth) for the period, when it is whole months and the scope
    is the city; else None, and the figure is summed from the deal rows."""
    if not scope.is_city:
        return None
    first = timezone.localtime(since).date() if since else selection.first
    end_day = selection.last + timedelta(days=1)
    if first.day != 1 or end_day.day != 1:
        return None
    return DealMonth.objects.filter(rollups.rollup_q(selection), on=on, month__gte=first, month__lt=end_day)


BANTEN = Q(processor_banten=True)
JAPNAS = Q(processor_japnas=True)
CO2E_KG = Sum(
    F("kg_completed") * F("category__co2e_t_per_t"),
    filter=Q(route_used__in=CO2E_ROUTES, category__co2e_source__isnull=False),
    output_field=DecimalField(max_digits=30, decimal_places=3),
)


def co2e_tonnes(kg) -> Decimal:
    return (Decimal(str(kg or 0)) / Decimal(1000)).quantize(Decimal("0.1"))


def awarded_figures(selection: Selection, scope: Scope) -> dict:
    months = deal_months(selection, scope)
    if months is not None:
        row = months.aggregate(
            deals=Coalesce(Sum("deal_count"), 0),
            kg=Sum("kg_total"),
            banten=Sum("kg_total", filter=BANTEN),
            japnas=Sum("kg_total", filter=JAPNAS),
            other_unit_deals=Coalesce(Sum("other_unit_count"), 0),
            processors_paid=Sum("processors_paid_millions"),
            processors_paid_rest=Sum("processors_paid_rest_milli"),
            plants_paid=Sum("plants_paid_millions"),
            plants_paid_rest=Sum("plants_paid_rest_milli"),
        )
    else:
        row = period_deals(selection, scope).aggregate(
            deals=Count("pk"),
            kg=Sum("kg_awarded"),
            banten=Sum("kg_awarded", filter=BANTEN),
            japnas=Sum("kg_awarded", filter=JAPNAS),
            other_unit_deals=Count("pk", filter=Q(kg_awarded__isnull=True)),
            processors_paid=Sum("value_millions", filter=Q(price_per_unit__gt=0)),
            processors_paid_rest=Sum("value_rest_milli", filter=Q(price_per_unit__gt=0)),
            plants_paid=Sum("value_millions", filter=Q(price_per_unit__lt=0)),
            plants_paid_rest=Sum("value_rest_milli", filter=Q(price_per_unit__lt=0)),
        )
    return {
        "deals": row["deals"],
        "tonnes": tonnes(row["kg"]),
        "banten_tonnes": tonnes(row["banten"]),
        "japnas_tonnes": tonnes(row["japnas"]),
        "leaving_tonnes": tonnes((row["kg"] or 0) - (row["banten"] or 0)),
        "banten_share": share(row["banten"], row["kg"]),
        "japnas_share": share(row["japnas"], row["kg"]),
        "other_unit_deals": row["other_unit_deals"],
        "processors_paid": rupiah(row["processors_paid"], row["processors_paid_rest"]),
        "plants_paid": -rupiah(row["plants_paid"], row["plants_paid_rest"]),
    }


def median_days_to_award(selection: Selection, scope: Scope) -> Decimal | None:
    """Median of (award − publication) in days. PostgreSQL computes it (an ordered-set aggregate over the
    covering index on the award date); SQLite has no median, so the middle one or two rows are found by a window
    and averaged here."""
    waited = F("awarded_at") - F("published_at")
    deals = period_deals(selection, scope).filter(published_at__isnull=False)
    if connection.vendor == "postgresql":
        median = deals.aggregate(median=Median(waited, output_field=DurationField()))["median"]
        seconds = None if median is None else median.total_seconds()
    else:
        middle = [
            interval.total_seconds()
            for interval in deals.annotate(
                waited=waited,
                position=Window(RowNumber(), order_by=[waited.asc(), F("pk").asc()]),
                rows=Window(Count("pk")),
            )
            .filter(Q(position=(F("rows") + 1) / 2) | Q(position=(F("rows") + 2) / 2))
            .values_list("waited", flat=True)
        ]
        seconds = sum(middle) / len(middle) if middle else None
    if seconds is None:
        return None
    return (Decimal(seconds) / Decimal(86400)).quantize(Decimal("0.1"))


CO2E_KG_MONTHS = Sum(
    F("co2e_route_kg") * F("category__co2e_t_per_t"),
    filter=Q(category__co2e_source__isnull=False),
    output_field=DecimalField(max_digits=30, decimal_places=3),
)
WITHOUT_FACTOR = Q(category__co2e_t_per_t__isnull=True) | Q(category__co2e_source__isnull=True)


def completed_figures(selection: Selection, scope: Scope) -> dict:
    months = deal_months(selection, scope, on="completed")
    if months is not None:
        row = months.aggregate(
            deals=Coalesce(Sum("deal_count"), 0),
            kg=Sum("kg_total"),
            banten=Sum("kg_total", filter=BANTEN),
            japnas=Sum("kg_total", filter=JAPNAS),
            co2e_kg=CO2E_KG_MONTHS,
            without_factor=Coalesce(Sum("deal_count", filter=WITHOUT_FACTOR), 0),
            other_route=Coalesce(Sum("other_route_count"), 0),
        )
    else:
        row = period_deals(selection, scope, on="completed_at").aggregate(
            deals=Count("pk"),
            kg=Sum("kg_completed"),
            banten=Sum("kg_completed", filter=BANTEN),
            japnas=Sum("kg_completed", filter=JAPNAS),
            co2e_kg=CO2E_KG,
            without_factor=Count(
                "pk", filter=Q(category__co2e_t_per_t__isnull=True) | Q(category__co2e_source__isnull=True)
            ),
            other_route=Count("pk", filter=~Q(route_used__in=CO2E_ROUTES)),
        )
    return {
        "deals": row["deals"],
        "tonnes": tonnes(row["kg"]),
        "banten_tonnes": tonnes(row["banten"]),
        "japnas_tonnes": tonnes(row["japnas"]),
        "leaving_tonnes": tonnes((row["kg"] or 0) - (row["banten"] or 0)),
        "banten_share": share(row["banten"], row["kg"]),
        "japnas_share": share(row["japnas"], row["kg"]),
        "co2e_tonnes": co2e_tonnes(row["co2e_kg"]),
        "without_factor": row["without_factor"],
        "other_route": row["other_route"],
    }

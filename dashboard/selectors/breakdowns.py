"""The period's deals broken down by route, by category (with the listed lots beside them) and by processor."""

from decimal import Decimal

from django.db.models import Count, F, Sum, Window
from django.db.models.functions import Rank

from dashboard import rollups
from dashboard.expressions import rupiah, tonnes
from dashboard.filters import Selection
from dashboard.selectors.deals import CO2E_KG, CO2E_KG_MONTHS, VALUE_SUMS, co2e_tonnes, deal_months, period_deals
from dashboard.selectors.scope import Scope
from listings.models import Route, WasteCategory
from members.models import Organisation

TOP = 10


def by_route(selection: Selection, scope: Scope) -> list[dict]:
    rows = (
        period_deals(selection, scope)
        .values("route")
        .annotate(deals=Count("*"), kg=Sum("kg_awarded"), **VALUE_SUMS)
        .order_by()
    )
    found = {row["route"]: row for row in rows}
    result = []
    for route in Route:
        row = found.get(route.value)
        result.append(
            {
                "route": route.value,
                "label": route.label,
                "deals": row["deals"] if row else 0,
                "awarded_tonnes": tonnes(row["kg"] if row else 0),
                "value": rupiah(row["value"], row["value_rest"]) if row else Decimal(0),
            }
        )
    return result


def by_category(selection: Selection, scope: Scope, *, sums: dict | None = None) -> list[dict]:
    """Listed, awarded and completed tonnes and CO2e per category, most awarded first (the top streams)."""
    listed = rollups.listed_sums(selection, scope) if sums is None else sums
    listed = {pk: row for pk, row in listed.items() if row["lots"]}
    awarded_months = deal_months(selection, scope)
    if awarded_months is not None:
        awarded_rows = awarded_months.values("category").annotate(
            deals=Sum("deal_count"),
            kg=Sum("kg_total"),
            value=Sum(F("processors_paid_millions") + F("plants_paid_millions")),
            value_rest=Sum(F("processors_paid_rest_milli") + F("plants_paid_rest_milli")),
        )
        completed_rows = (
            deal_months(selection, scope, on="completed")
            .values("category")
            .annotate(deals=Sum("deal_count"), kg=Sum("kg_total"), co2e_kg=CO2E_KG_MONTHS)
        )
    else:
        awarded_rows = (
            period_deals(selection, scope)
            .values("category")
            .annotate(deals=Count("pk"), kg=Sum("kg_awarded"), **VALUE_SUMS)
        )
        completed_rows = (
            period_deals(selection, scope, on="completed_at")
            .values("category")
            .annotate(deals=Count("pk"), kg=Sum("kg_completed"), co2e_kg=CO2E_KG)
        )
    awarded = {row["category"]: row for row in awarded_rows.order_by()}
    completed = {row["category"]: row for row in completed_rows.order_by()}
    ids = set(listed) | set(awarded) | set(completed)
    categories = WasteCategory.objects.filter(pk__in=ids).select_related("co2e_source")
    rows = []
    for category in categories:
        lrow, arow, crow = listed.get(category.pk, {}), awarded.get(category.pk, {}), completed.get(category.pk, {})
        rows.append(
            {
                "code": category.code,
                "name": category.name,
                "group": category.get_group_display(),
                "lots": lrow.get("lots", 0),
                "listed_tonnes": tonnes(lrow.get("kg")),
                "deals": arow.get("deals", 0),
                "awarded_tonnes": tonnes(arow.get("kg")),
                "value": rupiah(arow.get("value"), arow.get("value_rest")),
                "completed_tonnes": tonnes(crow.get("kg")),
                "co2e_factor": category.co2e_t_per_t if category.co2e_source_id else None,
                "co2e_source": category.co2e_source.key if category.co2e_source_id else "",
                "co2e_tonnes": co2e_tonnes(crow.get("co2e_kg")),
            }
        )
    rows.sort(key=lambda row: (-row["awarded_tonnes"], -row["listed_tonnes"], row["code"]))
    return rows


def top_processors(selection: Selection, scope: Scope) -> list[dict]:
    """The ten processors awarded the most tonnes, ties by name. The deal rows are summed per processor from the
    covering index on the award date; only the sums ranked in the first ten (ties included) are then named: a
    join to the organisations would name every deal row of the period before grouping them."""
    ranked = list(
        period_deals(selection, scope)
        .values("processor", "processor_banten", "processor_japnas")
        .annotate(deals=Count("*"), kg=Sum("kg_awarded"), **VALUE_SUMS)
        .annotate(rank=Window(Rank(), order_by=F("kg").desc(nulls_last=True)))
        .filter(rank__lte=TOP)
        .order_by()
    )
    names = dict(Organisation.objects.filter(pk__in={row["processor"] for row in ranked}).values_list("pk", "name"))
    ranked.sort(key=lambda row: (row["rank"], names[row["processor"]]))
    return [
        {
            "name": names[row["processor"]],
            "banten": row["processor_banten"],
            "japnas": row["processor_japnas"],
            "deals": row["deals"],
            "awarded_tonnes": tonnes(row["kg"]),
            "value": rupiah(row["value"], row["value_rest"]),
        }
        for row in ranked[:TOP]
    ]

"""The dashboard's figures, aggregated in the database and scoped to who asks.

Which date each figure belongs to (all in Asia/Jakarta):
- listed: the lot's publication; bids per lot over the lots listed whose bidding has closed (a sealed bid of
  an open lot is never counted, not even in an average);
- awarded: the award; tonnage, value and processor shares are those of the accepted bid;
- completed: the plant's confirmation of processing (the lot's timeline); tonnage is the quantity the
  processor weighed in (the quantity weighed out, or the awarded quantity, when it was not recorded);
  awarded and completed figures are summed from the deals rollup (dashboard.models.Deal, one row per award);
- CO2e avoided: completed tonnage × the catalogue's factor, counted only for reuse, recycling and recovery as
  material (the routes the factors describe) and only for categories whose factor has a source;
- handover mismatches: the pickup date.

Banten and Japnas are the processor's registration as it stands today. Each function runs one query; the
page's query count does not grow with the data.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Avg, Count, DecimalField, Exists, F, OuterRef, Q, Subquery, Sum, Window
from django.db.models.functions import Coalesce, RowNumber, TruncMonth
from django.utils import timezone

from listings.models import Bid, Capability, Handover, Rating, Route, WasteCategory, WasteLot
from members.choices import Province
from members.models import Organisation

from . import rollups
from .expressions import rupiah, tonnes
from .filters import Selection
from .models import Deal, DealMonth

BIDDING_CLOSED = rollups.BIDDING_CLOSED
# The routes the catalogue's CO2e factors describe; the others count zero (the conservative method).
CO2E_ROUTES = (Route.REUSE, Route.RECYCLING, Route.MATERIAL_RECOVERY)
PERIODS_PER_MONTH = {
    WasteLot.Frequency.WEEKLY: Decimal(52) / Decimal(12),
    WasteLot.Frequency.MONTHLY: Decimal(1),
    WasteLot.Frequency.QUARTERLY: Decimal(1) / Decimal(3),
}
TOP = 10
LIST_ROWS = 20


@dataclass(frozen=True)
class Scope:
    """Whose figures: the whole city ("city", officials and staff) or one plant's or processor's own."""

    kind: str
    organisation: Organisation | None = None

    @property
    def is_city(self) -> bool:
        return self.kind == "city"

    @property
    def is_plant(self) -> bool:
        return self.kind == "plant"

    @property
    def is_processor(self) -> bool:
        return self.kind == "processor"

    def key(self) -> str:
        return f"{self.kind}:{self.organisation.pk if self.organisation else '-'}"

    def lots(self, prefix: str = "") -> Q:
        """Lots the scope may count as listed."""
        if self.is_plant:
            return Q(**{f"{prefix}plant": self.organisation})
        if self.is_processor:
            return Q(pk__in=[])  # a processor lists nothing
        return Q()

    def deals(self) -> Q:
        """Deals (dashboard.models.Deal) in scope: a plant's own lots, a processor's own wins."""
        if self.is_plant:
            return Q(plant=self.organisation)
        if self.is_processor:
            return Q(processor=self.organisation)
        return Q()

    def handovers(self) -> Q:
        if self.is_plant:
            return Q(lot__plant=self.organisation)
        if self.is_processor:
            return Q(lot__award__bid__bidder=self.organisation)
        return Q()


def _share(part, whole) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part or 0) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


# ---- listed ------------------------------------------------------------------------------------------------


def listed_figures(selection: Selection, scope: Scope, *, sums: dict | None = None) -> dict:
    """Lots listed in the period (the city's from the listed-lots rollup, dashboard.rollups). `sums`: the
    per-category sums of rollups.listed_sums when the caller has them already."""
    row = rollups.total(rollups.listed_sums(selection, scope) if sums is None else sums)
    figures = {name: row[name] for name in ("lots", "recurring", "bidding_closed", "other_unit_lots")}
    figures["tonnes"] = tonnes(row["kg"])
    for name in rollups.DECIMALS:
        figures[name] = row[name] or None
    return figures


def bid_figures(selection: Selection, scope: Scope, *, sums: dict | None = None) -> dict:
    """Bids (not withdrawn) on the lots listed in the period whose bidding has closed."""
    return {"bids": rollups.total(rollups.listed_sums(selection, scope) if sums is None else sums)["bids"]}


# ---- awarded and completed: the deals rollup --------------------------------------------------------------


def _deals(selection: Selection, scope: Scope, *, on: str = "awarded_at", since=None):
    """Deals (dashboard.models.Deal) awarded, or completed (`on="completed_at"`), in the period."""
    return Deal.objects.filter(
        selection.deal_q(),
        scope.deals(),
        **{f"{on}__gte": since or selection.start, f"{on}__lt": selection.end},
    )


# A value's sum is taken over its two columns (dashboard.models.Deal); rupiah() adds them up exactly.
VALUE_SUMS = {"value": Sum("value_millions"), "value_rest": Sum("value_rest_milli")}


def _deal_months(selection: Selection, scope: Scope, *, on: str = "awarded", since=None):
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


def _co2e_tonnes(kg) -> Decimal:
    return (Decimal(str(kg or 0)) / Decimal(1000)).quantize(Decimal("0.1"))


def awarded_figures(selection: Selection, scope: Scope) -> dict:
    months = _deal_months(selection, scope)
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
        row = _deals(selection, scope).aggregate(
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
        "banten_share": _share(row["banten"], row["kg"]),
        "japnas_share": _share(row["japnas"], row["kg"]),
        "other_unit_deals": row["other_unit_deals"],
        "processors_paid": rupiah(row["processors_paid"], row["processors_paid_rest"]),
        "plants_paid": -rupiah(row["plants_paid"], row["plants_paid_rest"]),
    }


def median_days_to_award(selection: Selection, scope: Scope) -> Decimal | None:
    """Median of (award − publication) in days: the middle one or two rows, found by a window in SQL."""
    waited = F("awarded_at") - F("published_at")
    rows = list(
        _deals(selection, scope)
        .filter(published_at__isnull=False)
        .annotate(
            waited=waited,
            position=Window(RowNumber(), order_by=[waited.asc(), F("pk").asc()]),
            rows=Window(Count("pk")),
        )
        .filter(Q(position=(F("rows") + 1) / 2) | Q(position=(F("rows") + 2) / 2))
        .values_list("waited", flat=True)
    )
    if not rows:
        return None
    seconds = sum(d.total_seconds() for d in rows) / len(rows)
    return (Decimal(seconds) / Decimal(86400)).quantize(Decimal("0.1"))


CO2E_KG_MONTHS = Sum(
    F("co2e_route_kg") * F("category__co2e_t_per_t"),
    filter=Q(category__co2e_source__isnull=False),
    output_field=DecimalField(max_digits=30, decimal_places=3),
)
WITHOUT_FACTOR = Q(category__co2e_t_per_t__isnull=True) | Q(category__co2e_source__isnull=True)


def completed_figures(selection: Selection, scope: Scope) -> dict:
    months = _deal_months(selection, scope, on="completed")
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
        row = _deals(selection, scope, on="completed_at").aggregate(
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
        "banten_share": _share(row["banten"], row["kg"]),
        "japnas_share": _share(row["japnas"], row["kg"]),
        "co2e_tonnes": _co2e_tonnes(row["co2e_kg"]),
        "without_factor": row["without_factor"],
        "other_route": row["other_route"],
    }


# ---- trends ------------------------------------------------------------------------------------------------


def _months(first: date, last: date) -> list[date]:
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return months


def _by_month(deals, on: str, kg: str) -> dict:
    """{(year, month): kg, banten, japnas}: from the deal rows, or from the deals per month (on="month")."""
    month = F("month") if on == "month" else TruncMonth(on)
    rows = (
        deals.values(by_month=month)
        .annotate(kg=Sum(kg), banten=Sum(kg, filter=BANTEN), japnas=Sum(kg, filter=JAPNAS))
        .order_by("by_month")
    )
    found = {}
    for row in rows:
        month = row["by_month"]
        day = timezone.localtime(month).date() if hasattr(month, "hour") else month
        found[(day.year, day.month)] = row
    return found


def monthly_trend(selection: Selection, scope: Scope) -> list[dict]:
    """Awarded and completed tonnes per month, with the Banten and Japnas shares: two queries."""
    since = selection.trend_start
    awarded_months = _deal_months(selection, scope, since=since)
    if awarded_months is not None:
        awarded = _by_month(awarded_months, "month", "kg_total")
        completed = _by_month(_deal_months(selection, scope, on="completed", since=since), "month", "kg_total")
    else:
        awarded = _by_month(_deals(selection, scope, since=since), "awarded_at", "kg_awarded")
        completed = _by_month(_deals(selection, scope, on="completed_at", since=since), "completed_at", "kg_completed")
    empty = {"kg": 0, "banten": 0, "japnas": 0}
    rows = []
    for month in _months(selection.trend_first, selection.last):
        a = awarded.get((month.year, month.month), empty)
        c = completed.get((month.year, month.month), empty)
        rows.append(
            {
                "month": month,
                "awarded_tonnes": tonnes(a["kg"]),
                "awarded_banten_share": _share(a["banten"], a["kg"]),
                "awarded_japnas_share": _share(a["japnas"], a["kg"]),
                "completed_tonnes": tonnes(c["kg"]),
                "completed_banten_share": _share(c["banten"], c["kg"]),
                "completed_japnas_share": _share(c["japnas"], c["kg"]),
            }
        )
    return rows


# ---- breakdowns --------------------------------------------------------------------------------------------


def by_route(selection: Selection, scope: Scope) -> list[dict]:
    rows = (
        _deals(selection, scope)
        .values("route")
        .annotate(deals=Count("pk"), kg=Sum("kg_awarded"), **VALUE_SUMS)
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
    awarded_months = _deal_months(selection, scope)
    if awarded_months is not None:
        awarded_rows = awarded_months.values("category").annotate(
            deals=Sum("deal_count"),
            kg=Sum("kg_total"),
            value=Sum(F("processors_paid_millions") + F("plants_paid_millions")),
            value_rest=Sum(F("processors_paid_rest_milli") + F("plants_paid_rest_milli")),
        )
        completed_rows = (
            _deal_months(selection, scope, on="completed")
            .values("category")
            .annotate(deals=Sum("deal_count"), kg=Sum("kg_total"), co2e_kg=CO2E_KG_MONTHS)
        )
    else:
        awarded_rows = (
            _deals(selection, scope).values("category").annotate(deals=Count("pk"), kg=Sum("kg_awarded"), **VALUE_SUMS)
        )
        completed_rows = (
            _deals(selection, scope, on="completed_at")
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
                "co2e_tonnes": _co2e_tonnes(crow.get("co2e_kg")),
            }
        )
    rows.sort(key=lambda row: (-row["awarded_tonnes"], -row["listed_tonnes"], row["code"]))
    return rows


def top_processors(selection: Selection, scope: Scope) -> list[dict]:
    rows = (
        _deals(selection, scope)
        .values("processor", "processor__name", "processor_banten", "processor_japnas")
        .annotate(deals=Count("pk"), kg=Sum("kg_awarded"), **VALUE_SUMS)
        .order_by(F("kg").desc(nulls_last=True), "processor__name")[:TOP]
    )
    return [
        {
            "name": row["processor__name"],
            "banten": row["processor_banten"],
            "japnas": row["processor_japnas"],
            "deals": row["deals"],
            "awarded_tonnes": tonnes(row["kg"]),
            "value": rupiah(row["value"], row["value_rest"]),
        }
        for row in rows
    ]


# ---- lists for follow-up -----------------------------------------------------------------------------------


def open_lots_without_bids(selection: Selection, scope: Scope, *, limit: int | None = LIST_ROWS):
    """Open now (whatever the period), no bid that is not withdrawn, the first to close first. The page takes
    one row more than it shows (to say there are more) and no total: counting them all means probing the
    bids of every open lot (a third of a second on 100,000 lots), while the first rows come from the index on
    the deadline at once. The CSV export lists them all."""
    live = Bid.objects.filter(lot=OuterRef("pk")).exclude(status=Bid.Status.WITHDRAWN)
    lots = (
        WasteLot.objects.open()
        .filter(selection.lot_q(), scope.lots())
        .filter(~Exists(live))
        .select_related("category")
        .only("reference", "title", "quantity", "unit", "closes_at", "category__name_id", "category__name_en")
        .order_by("closes_at", "pk")
    )
    return lots[:limit] if limit else lots


def handover_mismatches(selection: Selection, scope: Scope, *, limit: int | None = LIST_ROWS):
    """The latest mismatched pickups, each row with the period's `total`: counted once in a subquery over the
    handovers alone (a partial index), so that only the rows shown are joined to their lot and processor."""
    matching = Handover.objects.filter(
        selection.lot_q("lot__"),
        scope.handovers(),
        mismatch=True,
        pickup_date__gte=selection.first,
        pickup_date__lte=selection.last,
    )
    total = matching.order_by().values("mismatch").annotate(n=Count("pk")).values("n")[:1]
    handovers = (
        matching.annotate(total=Subquery(total))
        .select_related("lot__plant", "lot__award__bid__bidder")
        .order_by("-pickup_date", "-pk")
    )
    return handovers[:limit] if limit else handovers


def supply_gaps(selection: Selection) -> list[dict]:
    """Recurring streams listed in the trend window (twelve months up to the period's end) against the monthly
    capacity of verified Banten processors with a capability for the category. A gap: no such processor, or
    less capacity than the stream's monthly quantity. Tonnes only (t and kg)."""
    per_category: dict[int, dict] = {}
    for pk, row in rollups.listed_sums(selection, Scope("city"), since=selection.trend_start).items():
        if row["recurring_mass_lots"]:
            monthly = (
                tonnes(row["weekly_kg"]) * PERIODS_PER_MONTH[WasteLot.Frequency.WEEKLY]
                + tonnes(row["monthly_kg"])
                + tonnes(row["quarterly_kg"]) * PERIODS_PER_MONTH[WasteLot.Frequency.QUARTERLY]
            )
            per_category[pk] = {"lots": row["recurring_mass_lots"], "monthly": monthly}
    capacity = {
        row["category"]: row
        for row in Capability.objects.filter(
            category__in=per_category,
            organisation__verification_status=Organisation.Status.VERIFIED,
            organisation__province=Province.BANTEN,
        )
        .values("category")
        .annotate(processors=Count("organisation", distinct=True), capacity=Sum("capacity_tonnes_per_month"))
        .order_by()
    }
    categories = {c.pk: c for c in WasteCategory.objects.filter(pk__in=per_category)}
    rows = []
    for pk, entry in per_category.items():
        cap = capacity.get(pk, {})
        monthly = entry["monthly"].quantize(Decimal("0.001"))
        local = Decimal(cap.get("capacity") or 0).quantize(Decimal("0.001"))
        if local >= monthly and cap.get("processors"):
            continue
        rows.append(
            {
                "code": categories[pk].code,
                "name": categories[pk].name,
                "lots": entry["lots"],
                "monthly_tonnes": monthly,
                "processors": cap.get("processors", 0),
                "capacity_tonnes": local,
                "gap_tonnes": monthly - local,
            }
        )
    rows.sort(key=lambda row: (-row["gap_tonnes"], row["code"]))
    return rows


def rating_figures(scope: Scope) -> dict:
    if scope.is_city:
        return {}
    return Rating.objects.filter(rated=scope.organisation).aggregate(average=Avg("stars"), count=Count("pk"))


# ---- the whole page ----------------------------------------------------------------------------------------


def headline_figures(selection: Selection, scope: Scope, *, sums: dict | None = None) -> dict:
    """The figures at the top of the page (and in the summary export)."""
    listed = bids = None
    if not scope.is_processor:
        sums = rollups.listed_sums(selection, scope) if sums is None else sums
        listed, bids = listed_figures(selection, scope, sums=sums), bid_figures(selection, scope, sums=sums)
    bids_per_lot = None
    if listed and listed["bidding_closed"]:
        bids_per_lot = (Decimal(bids["bids"]) / Decimal(listed["bidding_closed"])).quantize(Decimal("0.1"))
    return {
        "listed": listed,
        "bids": bids,
        "bids_per_lot": bids_per_lot,
        "awarded": awarded_figures(selection, scope),
        "median_days_to_award": median_days_to_award(selection, scope),
        "completed": completed_figures(selection, scope),
    }


def dashboard_figures(selection: Selection, scope: Scope) -> dict:
    """Everything the page shows, for a scope: a fixed number of queries."""
    sums = rollups.listed_sums(selection, scope)
    figures = {
        **headline_figures(selection, scope, sums=sums),
        "trend": monthly_trend(selection, scope),
        "routes": by_route(selection, scope),
        "categories": by_category(selection, scope, sums=sums),
        "ratings": rating_figures(scope),
    }
    if scope.is_city:
        figures["processors"] = top_processors(selection, scope)
        figures["gaps"] = supply_gaps(selection)
    if not scope.is_processor:
        no_bids = list(open_lots_without_bids(selection, scope, limit=LIST_ROWS + 1))
        figures["no_bids"], figures["no_bids_more"] = no_bids[:LIST_ROWS], len(no_bids) > LIST_ROWS
    figures["mismatches"] = list(handover_mismatches(selection, scope))
    return figures


def public_figures() -> dict:
    """For the landing page: the last twelve months, tonnes and shares only (no names, no prices). Two queries."""
    today = timezone.localdate()
    selection = Selection(first=date(today.year - 1, today.month, 1), last=today, period="custom")
    city = Scope("city")
    awarded = awarded_figures(selection, city)
    completed = completed_figures(selection, city)
    return {
        "awarded_tonnes": awarded["tonnes"],
        "banten_share": awarded["banten_share"],
        "deals": awarded["deals"],
        "completed_tonnes": completed["tonnes"],
        "co2e_tonnes": completed["co2e_tonnes"],
        "since": selection.first,
    }

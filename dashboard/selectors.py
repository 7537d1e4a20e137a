"""The dashboard's figures, aggregated in the database and scoped to who asks.

Which date each figure belongs to (all in Asia/Jakarta):
- listed: the lot's publication; bids per lot over the lots listed whose bidding has closed (a sealed bid of
  an open lot is never counted, not even in an average);
- awarded: the award; tonnage, value and processor shares are those of the accepted bid;
- completed: the plant's confirmation of processing (the lot's timeline); tonnage is the quantity the
  processor weighed in (the quantity weighed out, or the awarded quantity, when it was not recorded);
- CO2e avoided: completed tonnage × the catalogue's factor, counted only for reuse, recycling and recovery as
  material (the routes the factors describe) and only for categories whose factor has a source;
- handover mismatches: the pickup date.

Banten and Japnas are the processor's registration as it stands today. Each function runs one query; the
page's query count does not grow with the data.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Avg, Count, DecimalField, Exists, F, OuterRef, Q, Sum, Value, Window
from django.db.models.functions import Coalesce, NullIf, RowNumber, TruncMonth
from django.utils import timezone

from listings.models import Award, Bid, Capability, Handover, LotTransition, Rating, Route, WasteCategory, WasteLot
from members.choices import Province
from members.models import Organisation

from .expressions import kilograms, rupiah, tonnes, value_milli
from .filters import Selection

BIDDING_CLOSED = (
    WasteLot.Status.CLOSED,
    WasteLot.Status.AWARDED,
    WasteLot.Status.COLLECTED,
    WasteLot.Status.COMPLETED,
    WasteLot.Status.UNAWARDED,
)
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

    def deals(self, award_prefix: str) -> Q:
        """Awards (reached through `award_prefix`, e.g. "" from Award, "lot__award__" from a lot) in scope."""
        if self.is_plant:
            return Q(**{f"{award_prefix}lot__plant": self.organisation})
        if self.is_processor:
            return Q(**{f"{award_prefix}bid__bidder": self.organisation})
        return Q()


def _banten(prefix: str) -> Q:
    return Q(**{f"{prefix}province": Province.BANTEN})


def _japnas(prefix: str) -> Q:
    return ~Q(**{f"{prefix}japnas_number": ""})


def _share(part, whole) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part or 0) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


# ---- listed ------------------------------------------------------------------------------------------------


def listed_figures(selection: Selection, scope: Scope) -> dict:
    lots = WasteLot.objects.filter(
        selection.lot_q(), scope.lots(), published_at__gte=selection.start, published_at__lt=selection.end
    )
    row = lots.aggregate(
        lots=Count("pk"),
        kg=Sum(kilograms("quantity", "unit")),
        recurring=Count("pk", filter=Q(is_recurring=True)),
        bidding_closed=Count("pk", filter=Q(status__in=BIDDING_CLOSED)),
        other_unit_lots=Count("pk", filter=~Q(unit__in=("t", "kg"))),
        litres=Sum("quantity", filter=Q(unit="L")),
        cubic_metres=Sum("quantity", filter=Q(unit="m3")),
        units=Sum("quantity", filter=Q(unit="unit")),
    )
    row["tonnes"] = tonnes(row.pop("kg"))
    return row


def bid_figures(selection: Selection, scope: Scope) -> dict:
    """Bids (not withdrawn) on the lots listed in the period whose bidding has closed."""
    return (
        Bid.objects.filter(
            selection.lot_q("lot__"),
            scope.lots("lot__"),
            lot__published_at__gte=selection.start,
            lot__published_at__lt=selection.end,
            lot__status__in=BIDDING_CLOSED,
        )
        .exclude(status=Bid.Status.WITHDRAWN)
        .aggregate(bids=Count("pk"))
    )


# ---- awarded -----------------------------------------------------------------------------------------------


def _awards(selection: Selection, scope: Scope, *, since=None):
    return Award.objects.filter(
        selection.lot_q("lot__"),
        scope.deals(""),
        awarded_at__gte=since or selection.start,
        awarded_at__lt=selection.end,
    )


AWARD_KG = kilograms("bid__quantity", "lot__unit")
AWARD_VALUE = value_milli("bid__price_per_unit", "bid__quantity")


def awarded_figures(selection: Selection, scope: Scope) -> dict:
    row = _awards(selection, scope).aggregate(
        deals=Count("pk"),
        kg=Sum(AWARD_KG),
        banten=Sum(AWARD_KG, filter=_banten("bid__bidder__")),
        japnas=Sum(AWARD_KG, filter=_japnas("bid__bidder__")),
        other_unit_deals=Count("pk", filter=~Q(lot__unit__in=("t", "kg"))),
        processors_paid=Sum(AWARD_VALUE, filter=Q(bid__price_per_unit__gt=0)),
        plants_paid=Sum(AWARD_VALUE, filter=Q(bid__price_per_unit__lt=0)),
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
        "processors_paid": rupiah(row["processors_paid"]),
        "plants_paid": -rupiah(row["plants_paid"]),
    }


def median_days_to_award(selection: Selection, scope: Scope) -> Decimal | None:
    """Median of (award − publication) in days: the middle one or two rows, found by a window in SQL."""
    waited = F("awarded_at") - F("lot__published_at")
    rows = list(
        _awards(selection, scope)
        .filter(lot__published_at__isnull=False)
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


# ---- completed ---------------------------------------------------------------------------------------------


def _completions(selection: Selection, scope: Scope, *, since=None):
    return LotTransition.objects.filter(
        selection.lot_q("lot__"),
        scope.deals("lot__award__"),
        to_status=WasteLot.Status.COMPLETED,
        created_at__gte=since or selection.start,
        created_at__lt=selection.end,
    )


COMPLETED_QUANTITY = Coalesce(
    "lot__handover__quantity_received", "lot__handover__quantity_sent", "lot__award__bid__quantity"
)
COMPLETED_KG = kilograms(COMPLETED_QUANTITY, "lot__unit")
ROUTE_USED = Coalesce(NullIf("lot__handover__route_used", Value("")), "lot__award__bid__route")


def completed_figures(selection: Selection, scope: Scope) -> dict:
    row = (
        _completions(selection, scope)
        .annotate(route_used=ROUTE_USED)
        .aggregate(
            deals=Count("pk"),
            kg=Sum(COMPLETED_KG),
            banten=Sum(COMPLETED_KG, filter=_banten("lot__award__bid__bidder__")),
            japnas=Sum(COMPLETED_KG, filter=_japnas("lot__award__bid__bidder__")),
            co2e_kg=Sum(
                COMPLETED_KG * F("lot__category__co2e_t_per_t"),
                filter=Q(route_used__in=CO2E_ROUTES, lot__category__co2e_source__isnull=False),
                output_field=DecimalField(max_digits=30, decimal_places=6),
            ),
            without_factor=Count(
                "pk",
                filter=Q(lot__category__co2e_t_per_t__isnull=True) | Q(lot__category__co2e_source__isnull=True),
            ),
            other_route=Count("pk", filter=~Q(route_used__in=CO2E_ROUTES)),
        )
    )
    return {
        "deals": row["deals"],
        "tonnes": tonnes(row["kg"]),
        "banten_tonnes": tonnes(row["banten"]),
        "japnas_tonnes": tonnes(row["japnas"]),
        "leaving_tonnes": tonnes((row["kg"] or 0) - (row["banten"] or 0)),
        "banten_share": _share(row["banten"], row["kg"]),
        "japnas_share": _share(row["japnas"], row["kg"]),
        "co2e_tonnes": (Decimal(str(row["co2e_kg"] or 0)) / Decimal(1000)).quantize(Decimal("0.1")),
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


def monthly_trend(selection: Selection, scope: Scope) -> list[dict]:
    """Awarded and completed tonnes per month, with the Banten and Japnas parts: two queries."""
    awarded = {
        row["month"]: row
        for row in _awards(selection, scope, since=selection.trend_start)
        .annotate(month=TruncMonth("awarded_at"))
        .values("month")
        .annotate(
            kg=Sum(AWARD_KG),
            banten=Sum(AWARD_KG, filter=_banten("bid__bidder__")),
            japnas=Sum(AWARD_KG, filter=_japnas("bid__bidder__")),
        )
        .order_by("month")
    }
    completed = {
        row["month"]: row
        for row in _completions(selection, scope, since=selection.trend_start)
        .annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(
            kg=Sum(COMPLETED_KG),
            banten=Sum(COMPLETED_KG, filter=_banten("lot__award__bid__bidder__")),
            japnas=Sum(COMPLETED_KG, filter=_japnas("lot__award__bid__bidder__")),
        )
        .order_by("month")
    }
    rows = []
    empty = {"kg": 0, "banten": 0, "japnas": 0}
    for month in _months(selection.trend_first, selection.last):
        a = awarded.get(_month_key(month, awarded), empty)
        c = completed.get(_month_key(month, completed), empty)
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


def _month_key(month: date, rows: dict):
    """TruncMonth gives aware datetimes (PostgreSQL, SQLite) or dates; find the row of a calendar month."""
    for key in rows:
        day = timezone.localtime(key).date() if hasattr(key, "hour") else key
        if (day.year, day.month) == (month.year, month.month):
            return key
    return None


# ---- breakdowns --------------------------------------------------------------------------------------------


def by_route(selection: Selection, scope: Scope) -> list[dict]:
    rows = (
        _awards(selection, scope)
        .values("bid__route")
        .annotate(deals=Count("pk"), kg=Sum(AWARD_KG), value=Sum(AWARD_VALUE))
        .order_by()
    )
    found = {row["bid__route"]: row for row in rows}
    result = []
    for route in Route:
        row = found.get(route.value)
        result.append(
            {
                "route": route.value,
                "label": route.label,
                "deals": row["deals"] if row else 0,
                "awarded_tonnes": tonnes(row["kg"] if row else 0),
                "value": rupiah(row["value"] if row else 0),
            }
        )
    return result


def by_category(selection: Selection, scope: Scope) -> list[dict]:
    """Listed, awarded and completed tonnes and CO2e per category, most awarded first (the top streams)."""
    listed = {
        row["category"]: row
        for row in WasteLot.objects.filter(
            selection.lot_q(), scope.lots(), published_at__gte=selection.start, published_at__lt=selection.end
        )
        .values("category")
        .annotate(lots=Count("pk"), kg=Sum(kilograms("quantity", "unit")))
        .order_by()
    }
    awarded = {
        row["lot__category"]: row
        for row in _awards(selection, scope)
        .values("lot__category")
        .annotate(deals=Count("pk"), kg=Sum(AWARD_KG), value=Sum(AWARD_VALUE))
        .order_by()
    }
    completed = {
        row["lot__category"]: row
        for row in _completions(selection, scope)
        .annotate(route_used=ROUTE_USED)
        .values("lot__category")
        .annotate(
            deals=Count("pk"),
            kg=Sum(COMPLETED_KG),
            co2e_kg=Sum(
                COMPLETED_KG * F("lot__category__co2e_t_per_t"),
                filter=Q(route_used__in=CO2E_ROUTES, lot__category__co2e_source__isnull=False),
                output_field=DecimalField(max_digits=30, decimal_places=6),
            ),
        )
        .order_by()
    }
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
                "value": rupiah(arow.get("value")),
                "completed_tonnes": tonnes(crow.get("kg")),
                "co2e_factor": category.co2e_t_per_t if category.co2e_source_id else None,
                "co2e_source": category.co2e_source.key if category.co2e_source_id else "",
                "co2e_tonnes": (Decimal(str(crow.get("co2e_kg") or 0)) / Decimal(1000)).quantize(Decimal("0.1")),
            }
        )
    rows.sort(key=lambda row: (-row["awarded_tonnes"], -row["listed_tonnes"], row["code"]))
    return rows


def top_processors(selection: Selection, scope: Scope) -> list[dict]:
    rows = (
        _awards(selection, scope)
        .values("bid__bidder", "bid__bidder__name", "bid__bidder__province", "bid__bidder__japnas_number")
        .annotate(deals=Count("pk"), kg=Sum(AWARD_KG), value=Sum(AWARD_VALUE))
        .order_by(F("kg").desc(nulls_last=True), "bid__bidder__name")[:TOP]
    )
    return [
        {
            "name": row["bid__bidder__name"],
            "banten": row["bid__bidder__province"] == Province.BANTEN,
            "japnas": bool(row["bid__bidder__japnas_number"]),
            "deals": row["deals"],
            "awarded_tonnes": tonnes(row["kg"]),
            "value": rupiah(row["value"]),
        }
        for row in rows
    ]


# ---- lists for follow-up -----------------------------------------------------------------------------------


def open_lots_without_bids(selection: Selection, scope: Scope, *, limit: int | None = LIST_ROWS):
    """Open now (whatever the period), no bid that is not withdrawn; the total rides on each row (a window)."""
    live = Bid.objects.filter(lot=OuterRef("pk")).exclude(status=Bid.Status.WITHDRAWN)
    lots = (
        WasteLot.objects.open()
        .filter(selection.lot_q(), scope.lots())
        .filter(~Exists(live))
        .annotate(total=Window(Count("pk")))
        .select_related("category", "plant")
        .order_by("closes_at", "pk")
    )
    return lots[:limit] if limit else lots


def handover_mismatches(selection: Selection, scope: Scope, *, limit: int | None = LIST_ROWS):
    handovers = (
        Handover.objects.filter(
            selection.lot_q("lot__"),
            scope.deals("lot__award__"),
            mismatch=True,
            pickup_date__gte=selection.first,
            pickup_date__lte=selection.last,
        )
        .annotate(total=Window(Count("pk")))
        .select_related("lot__plant", "lot__award__bid__bidder")
        .order_by("-pickup_date", "-pk")
    )
    return handovers[:limit] if limit else handovers


def supply_gaps(selection: Selection) -> list[dict]:
    """Recurring streams listed in the trend window (twelve months up to the period's end) against the monthly
    capacity of verified Banten processors with a capability for the category. A gap: no such processor, or
    less capacity than the stream's monthly quantity. Tonnes only (t and kg)."""
    supply = (
        WasteLot.objects.filter(
            selection.lot_q(),
            is_recurring=True,
            published_at__gte=selection.trend_start,
            published_at__lt=selection.end,
            unit__in=("t", "kg"),
        )
        .values("category", "frequency")
        .annotate(lots=Count("pk"), kg=Sum(kilograms("quantity_per_period", "unit")))
        .order_by()
    )
    # At most three rows per category (one per frequency): a monthly figure per category.
    per_category: dict[int, dict] = {}
    for row in supply:
        entry = per_category.setdefault(row["category"], {"lots": 0, "monthly": Decimal(0)})
        entry["lots"] += row["lots"]
        entry["monthly"] += tonnes(row["kg"]) * PERIODS_PER_MONTH.get(row["frequency"], Decimal(1))
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


def headline_figures(selection: Selection, scope: Scope) -> dict:
    """The figures at the top of the page (and in the summary export)."""
    listed = listed_figures(selection, scope) if not scope.is_processor else None
    bids = bid_figures(selection, scope) if listed else None
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
    figures = {
        **headline_figures(selection, scope),
        "trend": monthly_trend(selection, scope),
        "routes": by_route(selection, scope),
        "categories": by_category(selection, scope),
        "ratings": rating_figures(scope),
    }
    if scope.is_city:
        figures["processors"] = top_processors(selection, scope)
        figures["gaps"] = supply_gaps(selection)
    if not scope.is_processor:
        figures["no_bids"] = list(open_lots_without_bids(selection, scope))
    figures["mismatches"] = list(handover_mismatches(selection, scope))
    return figures


def public_figures() -> dict:
    """For the landing page: the last twelve months, tonnes and shares only (no names, no prices). Two queries."""
    today = timezone.localdate()
    selection = Selection(first=date(today.year - 1, today.month, 1), last=today, period="custom")
    city = Scope("city")
    awarded = _awards(selection, city).aggregate(
        kg=Sum(AWARD_KG), banten=Sum(AWARD_KG, filter=_banten("bid__bidder__")), deals=Count("pk")
    )
    completed = completed_figures(selection, city)
    return {
        "awarded_tonnes": tonnes(awarded["kg"]),
        "banten_share": _share(awarded["banten"], awarded["kg"]),
        "deals": awarded["deals"],
        "completed_tonnes": completed["tonnes"],
        "co2e_tonnes": completed["co2e_tonnes"],
        "since": selection.first,
    }

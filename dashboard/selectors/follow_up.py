"""Lists for follow-up: open lots without bids, mismatched pickups, and recurring streams without enough local
capacity (supply gaps)."""

from decimal import Decimal

from django.db.models import Count, Exists, Func, OuterRef, Subquery, Sum, Value

from dashboard import rollups
from dashboard.expressions import tonnes
from dashboard.filters import Selection
from dashboard.selectors.scope import Scope
from listings.models import Bid, Capability, Handover, WasteCategory, WasteLot
from members.choices import Province
from members.models import Organisation

PERIODS_PER_MONTH = {
    WasteLot.Frequency.WEEKLY: Decimal(52) / Decimal(12),
    WasteLot.Frequency.MONTHLY: Decimal(1),
    WasteLot.Frequency.QUARTERLY: Decimal(1) / Decimal(3),
}
LIST_ROWS = 20


def open_lots_without_bids(selection: Selection, scope: Scope, *, limit: int | None = LIST_ROWS):
    """Open now (whatever the period), no bid that is not withdrawn, the first to close first. The page takes
    one row more than it shows (to say there are more) and no total: counting them all means probing the
    bids of every open lot (a third of a second on 100,000 lots), while the first rows come from the index on
    the deadline at once. The CSV export lists them all."""
    live = Bid.objects.filter(lot=OuterRef("pk")).exclude(status=Bid.Status.WITHDRAWN)
    lots = WasteLot.objects.open().filter(selection.lot_q(), scope.lots()).filter(~Exists(live))
    if limit:
        # The first ones are chosen over their ids, in a subquery that PostgreSQL answers from the covering index
        # on the deadline (the category and kecamatan are in it) while it probes each lot's bids; only the rows
        # chosen are then read. Reading the wide lot rows to filter them cost up to 60 ms on the bench data.
        lots = WasteLot.objects.filter(pk__in=lots.order_by("closes_at", "pk").values("pk")[:limit])
    return (
        lots.select_related("category")
        .only("reference", "title", "quantity", "unit", "closes_at", "category__name_id", "category__name_en")
        .order_by("closes_at", "pk")
    )


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
    # COUNT(*) as a plain function, not an aggregate: no GROUP BY on `mismatch`, which made PostgreSQL walk the
    # index on `mismatch` in order and filter every mismatch by date instead of counting the partial index.
    total = matching.order_by().annotate(n=Func(Value(1), function="COUNT")).values("n")
    handovers = (
        matching.annotate(total=Subquery(total))
        .select_related("lot__plant", "period__award__bid__bidder")
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

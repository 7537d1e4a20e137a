"""The deals rollup (dashboard.models.Deal): computed in SQL from the awards, their bids, lots, contract periods,
handovers and timelines, and written with one upsert per batch. An award row per award; a delivery row per
completed delivery (a one-off lot at the plant's confirmation, a recurring contract's period when its processing
is recorded)."""

from django.db import transaction
from django.db.models import Case, CharField, Count, DecimalField, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Cast, Coalesce, Concat, NullIf

from listings.models import Award, ContractPeriod, Handover, LotTransition, WasteLot

from .expressions import deal_value, kilograms
from .models import Deal

BATCH = 2000
FIELDS = [
    "lot_id",
    "award_id",
    "period_id",
    "plant_id",
    "processor_id",
    "category_id",
    "group",
    "kecamatan",
    "unit",
    "published_at",
    "awarded_at",
    "completed_at",
    "route",
    "route_used",
    "price_per_unit",
    "quantity",
    "quantity_completed",
    "kg_awarded",
    "kg_completed",
    "value_millions",
    "value_rest_milli",
    "processor_banten",
    "processor_japnas",
]
QUANTITY = DecimalField(max_digits=20, decimal_places=3)


def _common(prefix: str) -> dict:
    """The values every row of an award has, reached through `prefix` ("" from the award, "award__" from a
    period)."""
    return {
        "plant_id": F(f"{prefix}lot__plant_id"),
        "processor_id": F(f"{prefix}bid__bidder_id"),
        "category_id": F(f"{prefix}lot__category_id"),
        "group": F(f"{prefix}lot__category__group"),
        "kecamatan": F(f"{prefix}lot__site_kecamatan"),
        "unit": F(f"{prefix}lot__unit"),
        "published_at": F(f"{prefix}lot__published_at"),
        "route": F(f"{prefix}bid__route"),
        "price_per_unit": F(f"{prefix}bid__price_per_unit"),
    }


def _award_rows(awards):
    """An award row per award: the quantity contracted (a recurring share × its periods; a one-off lot's bid)."""
    periods = ContractPeriod.objects.filter(award=OuterRef("pk")).values("award").annotate(n=Count("pk")).values("n")
    first_route = Handover.objects.filter(period__award=OuterRef("pk"), period__number=1).values("route_used")[:1]
    contracted = Case(
        When(lot__is_recurring=True, then=F("quantity") * Coalesce(Subquery(periods), Value(1))),
        default=F("bid__quantity"),
        output_field=QUANTITY,
    )
    return (
        awards.annotate(contracted=contracted)
        .values(
            "awarded_at",
            # the winner's status at the award (listings.Award), never the organisation's current values
            "processor_banten",
            "processor_japnas",
            key=Concat(Value("award-"), Cast("pk", CharField())),
            lot_id_=F("lot_id"),
            award_id=F("pk"),
            period_id=Value(None, output_field=CharField()),
            completed_at=Value(None, output_field=CharField()),
            route_used=Coalesce(NullIf(Subquery(first_route), Value("")), "bid__route"),
            quantity_=F("contracted"),
            quantity_completed=Value(None, output_field=QUANTITY),
            kg_awarded=kilograms("contracted", "lot__unit"),
            kg_completed=Value(None, output_field=QUANTITY),
            **_common(""),
        )
        .order_by("pk")
    )


def _delivery_rows(periods):
    """A delivery row per completed delivery, in the month it was delivered."""
    one_off = Q(award__lot__is_recurring=False)
    completion = LotTransition.objects.filter(
        lot=OuterRef("award__lot_id"), to_status=WasteLot.Status.COMPLETED
    ).order_by("-created_at")
    delivered = Case(
        When(one_off, then=Coalesce("handover__quantity_received", "handover__quantity_sent", "award__bid__quantity")),
        default=Coalesce("handover__quantity_received", "handover__quantity_sent"),
        output_field=QUANTITY,
    )
    done = (one_off & Q(award__lot__status=WasteLot.Status.COMPLETED)) | (
        Q(award__lot__is_recurring=True) & Q(handover__processing_recorded_at__isnull=False)
    )
    return (
        periods.filter(done)
        .annotate(delivered=delivered)
        .values(
            "award_id",
            key=Concat(Value("period-"), Cast("pk", CharField())),
            lot_id_=F("award__lot_id"),
            period_id=F("pk"),
            processor_banten=F("award__processor_banten"),
            processor_japnas=F("award__processor_japnas"),
            awarded_at=Value(None, output_field=CharField()),
            completed_at=Case(
                When(one_off, then=Subquery(completion.values("created_at")[:1])),
                default=F("handover__processing_recorded_at"),
            ),
            route_used=Coalesce(NullIf("handover__route_used", Value("")), "award__bid__route"),
            quantity_=Case(When(one_off, then=F("award__bid__quantity")), default=F("award__quantity")),
            quantity_completed=F("delivered"),
            kg_awarded=Value(None, output_field=QUANTITY),
            kg_completed=kilograms("delivered", "award__lot__unit"),
            **_common("award__"),
        )
        .order_by("pk")
    )


def _write(rows) -> list[str]:
    keys, batch = [], []
    for row in rows:
        row["lot_id"], row["quantity"] = row.pop("lot_id_"), row.pop("quantity_")
        if row["completed_at"] is None and row["awarded_at"] is None:
            continue  # a one-off lot completed without a timeline row: nothing to date it by
        # In Python, exactly: the largest deal is past a 64-bit integer in thousandths of a rupiah.
        row["value_millions"], row["value_rest_milli"] = deal_value(row["price_per_unit"], row["quantity"])
        batch.append(Deal(**row))
        keys.append(row["key"])
        if len(batch) == BATCH:
            _upsert(batch)
            batch = []
    if batch:
        _upsert(batch)
    return keys


def _upsert(deals: list[Deal]) -> None:
    Deal.objects.bulk_create(deals, update_conflicts=True, unique_fields=["key"], update_fields=FIELDS)


def deal_refresh(*, lot_ids) -> int:
    """Write the rollup rows of these lots (their awards and completed deliveries); drop the ones that no
    longer hold."""
    lot_ids = list(lot_ids)
    keys = _write(_award_rows(Award.objects.filter(lot_id__in=lot_ids)).iterator(BATCH))
    keys += _write(_delivery_rows(ContractPeriod.objects.filter(award__lot_id__in=lot_ids)).iterator(BATCH))
    Deal.objects.filter(lot_id__in=lot_ids).exclude(key__in=keys).delete()
    return len(keys)


def deals_refresh_all() -> int:
    """Rebuild the whole rollup (the beat task): rows that no longer hold go."""
    with transaction.atomic():
        keys = _write(_award_rows(Award.objects.all()).iterator(BATCH))
        keys += _write(_delivery_rows(ContractPeriod.objects.all()).iterator(BATCH))
        kept = set(keys)
        stale = [key for key in Deal.objects.values_list("key", flat=True).iterator(BATCH) if key not in kept]
        for start in range(0, len(stale), BATCH):
            Deal.objects.filter(key__in=stale[start : start + BATCH]).delete()
        return len(keys)

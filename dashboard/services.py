"""The deals rollup (dashboard.models.Deal): computed in SQL from the award, the accepted bid, the lot, its
handover and its timeline, and written with one upsert per batch."""

from django.db import transaction
from django.db.models import Case, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, NullIf

from listings.models import Award, LotTransition, WasteLot

from .expressions import deal_value, kilograms
from .models import Deal

BATCH = 2000
COMPLETED_QUANTITY = Coalesce("lot__handover__quantity_received", "lot__handover__quantity_sent", "bid__quantity")
FIELDS = [
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


def _rows(awards):
    """The rollup's values of these awards, as the database computes them."""
    completed = Q(lot__status=WasteLot.Status.COMPLETED)
    completion = LotTransition.objects.filter(lot=OuterRef("lot_id"), to_status=WasteLot.Status.COMPLETED)
    return awards.values(
        "lot_id",
        "awarded_at",
        # the winner's status at the award (listings.Award), never the organisation's current values
        "processor_banten",
        "processor_japnas",
        completed_at=Subquery(completion.order_by("-created_at").values("created_at")[:1]),
        plant_id=F("lot__plant_id"),
        processor_id=F("bid__bidder_id"),
        category_id=F("lot__category_id"),
        group=F("lot__category__group"),
        kecamatan=F("lot__site_kecamatan"),
        unit=F("lot__unit"),
        published_at=F("lot__published_at"),
        route=F("bid__route"),
        route_used=Coalesce(NullIf("lot__handover__route_used", Value("")), "bid__route"),
        price_per_unit=F("bid__price_per_unit"),
        quantity=F("bid__quantity"),
        quantity_completed=Case(When(completed, then=COMPLETED_QUANTITY), default=None),
        kg_awarded=kilograms("bid__quantity", "lot__unit"),
        kg_completed=Case(When(completed, then=kilograms(COMPLETED_QUANTITY, "lot__unit")), default=None),
    ).order_by("lot_id")


def _write(rows) -> int:
    written, batch = 0, []
    for row in rows:
        if row["completed_at"] is None:
            row["quantity_completed"] = row["kg_completed"] = None  # completed only once confirmed
        # In Python, exactly: the largest deal is past a 64-bit integer in thousandths of a rupiah.
        row["value_millions"], row["value_rest_milli"] = deal_value(row["price_per_unit"], row["quantity"])
        batch.append(Deal(**row))
        if len(batch) == BATCH:
            written += _upsert(batch)
            batch = []
    if batch:
        written += _upsert(batch)
    return written


def _upsert(deals: list[Deal]) -> int:
    Deal.objects.bulk_create(deals, update_conflicts=True, unique_fields=["lot"], update_fields=FIELDS)
    return len(deals)


def deal_refresh(*, lot_ids) -> int:
    """Write the rollup rows of these lots (those with an award)."""
    return _write(_rows(Award.objects.filter(lot_id__in=list(lot_ids))).iterator(BATCH))


def deals_refresh_all() -> int:
    """Rebuild the whole rollup from the awards (the beat task): rows of lots without an award go."""
    with transaction.atomic():
        Deal.objects.exclude(lot__award__isnull=False).delete()
        return _write(_rows(Award.objects.all()).iterator(BATCH))

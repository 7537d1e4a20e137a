"""The deals rollup (dashboard.models.Deal): computed in SQL from the awards, their bids, lots, contract periods,
handovers and timelines, and written with one upsert per batch. An award row per award; a delivery row per
completed delivery (a one-off lot at the plant's confirmation, a recurring contract's period when its processing
is recorded)."""

import logging

from django.db import connection, transaction
from django.db.models import Case, CharField, Count, DecimalField, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Cast, Coalesce, Concat, NullIf
from django.utils import timezone

from listings.models import Award, ContractPeriod, Handover, LotTransition, WasteLot

from .expressions import deal_value, kilograms
from .models import Deal

logger = logging.getLogger(__name__)

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


def _write(rows) -> tuple[list[str], int]:
    """Upsert the rows: (their keys, how many were written: new or changed)."""
    keys, batch, written = [], [], 0
    for row in rows:
        row["lot_id"], row["quantity"] = row.pop("lot_id_"), row.pop("quantity_")
        if row["completed_at"] is None and row["awarded_at"] is None:
            continue  # a one-off lot completed without a timeline row: nothing to date it by
        # In Python, exactly: the largest deal is past a 64-bit integer in thousandths of a rupiah.
        row["value_millions"], row["value_rest_milli"] = deal_value(row["price_per_unit"], row["quantity"])
        batch.append(Deal(**row))
        keys.append(row["key"])
        if len(batch) == BATCH:
            written += _upsert(batch)
            batch = []
    if batch:
        written += _upsert(batch)
    return keys, written


def _upsert(deals: list[Deal]) -> int:
    """Insert the new rows and update the changed ones: a row whose values are all the same is not written.
    (An update writes a new row version even when nothing changes: the hourly rebuild rewrote every row, which
    emptied PostgreSQL's visibility map, so the dashboard's covering indexes read the heap again until the next
    vacuum.) Django's upsert cannot say "only if different", hence the SQL. Returns the rows written."""
    # `refreshed_at`: when the row's values were last written.
    fields = [Deal._meta.get_field(name) for name in ["key", *FIELDS, "refreshed_at"]]
    now = timezone.now()
    for deal in deals:
        deal.refreshed_at = now
    quote = connection.ops.quote_name
    table, columns = quote(Deal._meta.db_table), [quote(field.column) for field in fields]
    differs = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"  # both: NULL-safe
    updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in columns[1:])
    changed = " OR ".join(f"{table}.{column} {differs} EXCLUDED.{column}" for column in columns[1:-1])
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    size = connection.ops.bulk_batch_size(fields, deals)
    written = 0
    with connection.cursor() as cursor:
        for start in range(0, len(deals), size):
            chunk = deals[start : start + size]
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([row] * len(chunk))} "  # noqa: S608
                f"ON CONFLICT ({columns[0]}) DO UPDATE SET {updates} WHERE {changed}",
                [
                    field.get_db_prep_save(getattr(deal, field.attname), connection)
                    for deal in chunk
                    for field in fields
                ],
            )
            written += cursor.rowcount
    return written


def deal_refresh(*, lot_ids) -> int:
    """Write the rollup rows of these lots (their awards and completed deliveries); drop the ones that no
    longer hold."""
    lot_ids = list(lot_ids)
    keys = _write(_award_rows(Award.objects.filter(lot_id__in=lot_ids)).iterator(BATCH))[0]
    keys += _write(_delivery_rows(ContractPeriod.objects.filter(award__lot_id__in=lot_ids)).iterator(BATCH))[0]
    Deal.objects.filter(lot_id__in=lot_ids).exclude(key__in=keys).delete()
    return len(keys)


def deals_refresh_all() -> int:
    """Rebuild the whole rollup (the beat task): rows that changed are written, rows that no longer hold go,
    the others are left as they are. Returns the rows of the rollup."""
    with transaction.atomic():
        keys, written = _write(_award_rows(Award.objects.all()).iterator(BATCH))
        delivered, written_deliveries = _write(_delivery_rows(ContractPeriod.objects.all()).iterator(BATCH))
        keys += delivered
        kept = set(keys)
        stale = [key for key in Deal.objects.values_list("key", flat=True).iterator(BATCH) if key not in kept]
        for start in range(0, len(stale), BATCH):
            Deal.objects.filter(key__in=stale[start : start + BATCH]).delete()
        logger.info(
            "Deals rollup: %d rows, %d written (new or changed), %d removed",
            len(keys),
            written + written_deliveries,
            len(stale),
        )
        return len(keys)

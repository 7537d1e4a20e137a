"""The listed-lots rollup (dashboard.models.ListedMonth): one row per publication month (Asia/Jakarta) ×
category × kecamatan, with the sums the dashboard's listed figures, bids per lot and supply gaps need.

Kept in step in the transaction of the change: a save or delete of a lot or a bid that can move a figure
recounts the lot's bucket (and the bucket it left) from the lots and bids themselves, under the bucket row's
lock. A recount, not an increment: whatever the change, the row equals a fresh count once it commits.
`rebuild()` (`manage.py dashboard_rebuild`) recounts every bucket; writes that go around the models' save
(bulk inserts, queryset updates) must call it.

`listed_sums()` answers a period from the rollup for its whole months and from the lots for the days of a
partial month at either end (custom dates); a plant's own figures come from its own lots.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, DateField, F, Q, Sum
from django.db.models.functions import Trunc
from django.db.models.signals import post_delete, post_save, pre_save
from django.utils import timezone

from listings.models import Bid, WasteLot

from .expressions import MASS_UNITS, kilograms
from .models import DEAL_MONTH_SUMS, DealMonth, ListedMonth

BIDDING_CLOSED = (
    WasteLot.Status.CLOSED,
    WasteLot.Status.AWARDED,
    WasteLot.Status.COLLECTED,
    WasteLot.Status.COMPLETED,
    WasteLot.Status.UNAWARDED,
)
# The lot fields a bucket's figures read: a save that writes none of them (e.g. a deadline moved by a late
# bid) leaves the rollup alone.
LOT_FIELDS = {
    "published_at",
    "category",
    "category_id",
    "site_kecamatan",
    "quantity",
    "unit",
    "status",
    "is_recurring",
    "frequency",
    "quantity_per_period",
}
RECURRING_MASS = Q(is_recurring=True, unit__in=MASS_UNITS)
PERIOD_KG = kilograms("quantity_per_period", "unit")
LOT_SUMS = {
    "lots": Count("pk"),
    "kg": Sum(kilograms("quantity", "unit")),
    "recurring": Count("pk", filter=Q(is_recurring=True)),
    "bidding_closed": Count("pk", filter=Q(status__in=BIDDING_CLOSED)),
    "other_unit_lots": Count("pk", filter=~Q(unit__in=MASS_UNITS)),
    "litres": Sum("quantity", filter=Q(unit="L")),
    "cubic_metres": Sum("quantity", filter=Q(unit="m3")),
    "units": Sum("quantity", filter=Q(unit="unit")),
    "recurring_mass_lots": Count("pk", filter=RECURRING_MASS),
    "weekly_kg": Sum(PERIOD_KG, filter=RECURRING_MASS & Q(frequency=WasteLot.Frequency.WEEKLY)),
    "quarterly_kg": Sum(PERIOD_KG, filter=RECURRING_MASS & Q(frequency=WasteLot.Frequency.QUARTERLY)),
    # A recurring lot without a frequency counts as monthly (as the supply gaps always did).
    "monthly_kg": Sum(
        PERIOD_KG,
        filter=RECURRING_MASS & ~Q(frequency__in=(WasteLot.Frequency.WEEKLY, WasteLot.Frequency.QUARTERLY)),
    ),
}
FIELDS = [*LOT_SUMS, "bids"]
DECIMALS = ("litres", "cubic_metres", "units")


def zero() -> dict:
    return {name: Decimal(0) if name in DECIMALS else 0 for name in FIELDS}


def add(total: dict, row: dict) -> dict:
    for name in FIELDS:
        value = row.get(name) or 0
        total[name] += Decimal(str(value)).quantize(Decimal("0.001")) if name in DECIMALS else value
    return total


# ---- months -------------------------------------------------------------------------------------------------


def month_of(moment: datetime) -> date:
    return timezone.localtime(moment).date().replace(day=1)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _group(prefix: str, by: tuple[str, ...]) -> dict:
    """Grouping expressions on lots reached through `prefix` (names that clash with no field)."""
    exprs = {
        "month": Trunc(f"{prefix}published_at", "month", output_field=DateField()),
        "category": F(f"{prefix}category_id"),
        "kecamatan": F(f"{prefix}site_kecamatan"),
    }
    return {f"by_{name}": exprs[name] for name in by}


def count(lot_q, by: tuple[str, ...]) -> dict[tuple, dict]:
    """Count the lots that `lot_q(prefix)` selects, grouped by `by` (month, category, kecamatan): two queries,
    one over the lots and one over their bids (not withdrawn, on lots whose bidding has closed)."""
    group = _group("", by)
    lots = WasteLot.objects.filter(lot_q(""))
    bids = Bid.objects.filter(lot_q("lot__"), lot__status__in=BIDDING_CLOSED).exclude(status=Bid.Status.WITHDRAWN)
    if not by:  # one bucket: values() without names would group by every column
        return {(): add(add(zero(), lots.aggregate(**LOT_SUMS)), bids.aggregate(bids=Count("pk")))}
    found: dict[tuple, dict] = {}
    for row in lots.values(**group).annotate(**LOT_SUMS).order_by():
        found[tuple(row[name] for name in group)] = add(zero(), row)
    for row in bids.values(**_group("lot__", by)).annotate(bids=Count("pk")).order_by():
        found.setdefault(tuple(row[name] for name in group), zero())["bids"] += row["bids"]
    return found


# ---- keeping in step ----------------------------------------------------------------------------------------


def bucket_recount(month: date, category_id: int, kecamatan: str) -> None:
    """Recount one bucket from its lots and bids, under the bucket row's lock (so that two transactions
    recounting it one after the other each see what the other committed)."""
    start, end = aware(month), aware(next_month(month))
    with transaction.atomic():
        ListedMonth.objects.bulk_create(
            [ListedMonth(month=month, category_id=category_id, kecamatan=kecamatan)], ignore_conflicts=True
        )
        row = ListedMonth.objects.select_for_update().get(month=month, category_id=category_id, kecamatan=kecamatan)

        def lot_q(prefix):
            return Q(
                **{
                    f"{prefix}published_at__gte": start,
                    f"{prefix}published_at__lt": end,
                    f"{prefix}category_id": category_id,
                    f"{prefix}site_kecamatan": kecamatan,
                }
            )

        sums = count(lot_q, ()).get(())
        if not sums or not sums["lots"]:
            row.delete()
            return
        for name, value in sums.items():
            setattr(row, name, value)
        row.save(update_fields=FIELDS)


def _bucket(published_at, category_id, kecamatan) -> tuple | None:
    if published_at is None:
        return None
    return (month_of(published_at), category_id, kecamatan)


def _recount(buckets) -> None:
    for bucket in sorted({b for b in buckets if b is not None}):  # one order: no deadlock between two
        bucket_recount(*bucket)


def _touches(update_fields) -> bool:
    return update_fields is None or bool(LOT_FIELDS & set(update_fields))


def _lot_before_save(sender, instance, raw=False, update_fields=None, **kwargs):
    instance._listed_bucket_before = None
    if raw or instance._state.adding or not _touches(update_fields):
        return
    before = WasteLot.objects.filter(pk=instance.pk).values_list("published_at", "category_id", "site_kecamatan")
    instance._listed_bucket_before = _bucket(*before[0]) if before else None


def _lot_saved(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or not _touches(update_fields):
        return
    now = _bucket(instance.published_at, instance.category_id, instance.site_kecamatan)
    _recount([getattr(instance, "_listed_bucket_before", None), now])


def _lot_deleted(sender, instance, **kwargs):
    _recount([_bucket(instance.published_at, instance.category_id, instance.site_kecamatan)])


def _bid_changed(sender, instance, raw=False, **kwargs):
    """A bid counts once its lot's bidding has closed: a bid placed or withdrawn on an open lot (the lot is
    at hand, locked by the service) costs nothing here."""
    if raw:
        return
    if Bid.lot.is_cached(instance):
        lot = instance.lot
        status, bucket = lot.status, _bucket(lot.published_at, lot.category_id, lot.site_kecamatan)
    else:
        found = WasteLot.objects.filter(pk=instance.lot_id).values_list(
            "status", "published_at", "category_id", "site_kecamatan"
        )
        if not found:
            return
        status, bucket = found[0][0], _bucket(*found[0][1:])
    if status in BIDDING_CLOSED:
        _recount([bucket])


def connect_signals():
    connect_deal_signals()
    pre_save.connect(_lot_before_save, sender=WasteLot, dispatch_uid="dashboard-listed-lot-before")
    post_save.connect(_lot_saved, sender=WasteLot, dispatch_uid="dashboard-listed-lot-save")
    post_delete.connect(_lot_deleted, sender=WasteLot, dispatch_uid="dashboard-listed-lot-delete")
    post_save.connect(_bid_changed, sender=Bid, dispatch_uid="dashboard-listed-bid-save")
    post_delete.connect(_bid_changed, sender=Bid, dispatch_uid="dashboard-listed-bid-delete")


def rebuild() -> int:
    """Recount both rollups whole (the command, the bench builder): the listed lots from the lots and bids,
    the deals per month from the deal rows. Returns the listed-lots rows."""
    deal_months_rebuild()
    return listed_rebuild()


def listed_rebuild() -> int:
    """Recount every bucket of listed lots: rows that no lot fills go. On PostgreSQL the table is locked
    against other writers first, so that no recount interleaves."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {ListedMonth._meta.db_table} IN EXCLUSIVE MODE")
        buckets = count(
            lambda prefix: Q(**{f"{prefix}published_at__isnull": False}), ("month", "category", "kecamatan")
        )
        ListedMonth.objects.all().delete()
        ListedMonth.objects.bulk_create(
            [
                ListedMonth(month=month, category_id=category_id, kecamatan=kecamatan, **sums)
                for (month, category_id, kecamatan), sums in buckets.items()
                if sums["lots"]
            ],
            batch_size=2000,
        )
        return len(buckets)


# ---- reading ------------------------------------------------------------------------------------------------


def listed_sums(selection, scope, *, since: datetime | None = None) -> dict[int, dict]:
    """The listed sums per category for lots published in [since or the period's start, the period's end),
    with the selection's filters, in the scope: {category id: sums}."""
    found: dict[int, dict] = {}
    if scope.is_processor:
        return found  # a processor lists nothing
    first = timezone.localtime(since).date() if since else selection.first
    end_day = selection.last + timedelta(days=1)
    start, end = aware(first), aware(end_day)
    if scope.is_city:
        whole_first = first if first.day == 1 else next_month(first)
        whole_end = end_day.replace(day=1)
    else:
        whole_first = whole_end = end_day  # a plant's own lots: counted from the lots
    raw = Q(published_at__gte=start, published_at__lt=end)
    if whole_first < whole_end:
        rows = (
            ListedMonth.objects.filter(rollup_q(selection), month__gte=whole_first, month__lt=whole_end)
            .values("category")
            .annotate(**{name: Sum(name) for name in FIELDS})
            .order_by()
        )
        for row in rows:
            add(found.setdefault(row["category"], zero()), row)
        raw = Q(published_at__gte=start, published_at__lt=aware(whole_first)) | Q(
            published_at__gte=aware(whole_end), published_at__lt=end
        )
        if whole_first == first and whole_end == end_day:
            return found  # whole months only
    for prefix_key, sums in count(
        lambda prefix: selection.lot_q(prefix) & scope.lots(prefix) & _prefixed(raw, prefix), ("category",)
    ).items():
        add(found.setdefault(prefix_key[0], zero()), sums)
    return found


def rollup_q(selection) -> Q:
    """The selection's category and place filters on a per-month rollup."""
    return selection.deal_q(group_field="category__group")


def _prefixed(q: Q, prefix: str) -> Q:
    """The same Q on lots reached through `prefix`."""
    if not prefix:
        return q
    children = [
        _prefixed(child, prefix) if isinstance(child, Q) else (prefix + child[0], child[1]) for child in q.children
    ]
    clone = Q(*children)
    clone.connector, clone.negated = q.connector, q.negated
    return clone


def total(sums: dict[int, dict]) -> dict:
    result = zero()
    for row in sums.values():
        add(result, row)
    return result


# ---- the deals per month ------------------------------------------------------------------------------------
# dashboard.models.DealMonth: the deal rows (dashboard.models.Deal) summed per month of the award or of the
# completion × category × kecamatan × the processor flags the rows carry. A bucket here is (on, month,
# category, kecamatan): its rows for every processor status are recounted together.

CO2E_ROUTES = ("reuse", "recycling", "material-recovery")  # as dashboard.selectors.CO2E_ROUTES
DEAL_ON = {"awarded": ("awarded_at", "kg_awarded"), "completed": ("completed_at", "kg_completed")}


def _deal_sums(kg: str) -> dict:
    return {
        "deal_count": Count("pk"),
        "kg_total": Sum(kg),
        "other_unit_count": Count("pk", filter=Q(**{f"{kg}__isnull": True})),
        "processors_paid_millions": Sum("value_millions", filter=Q(price_per_unit__gt=0)),
        "processors_paid_rest_milli": Sum("value_rest_milli", filter=Q(price_per_unit__gt=0)),
        "plants_paid_millions": Sum("value_millions", filter=Q(price_per_unit__lt=0)),
        "plants_paid_rest_milli": Sum("value_rest_milli", filter=Q(price_per_unit__lt=0)),
        "co2e_route_kg": Sum(kg, filter=Q(route_used__in=CO2E_ROUTES)),
        "other_route_count": Count("pk", filter=~Q(route_used__in=CO2E_ROUTES)),
    }


def _deal_rows(on: str, deals) -> list:
    moment, kg = DEAL_ON[on]
    rows = (
        deals.filter(**{f"{moment}__isnull": False})
        .values(
            "category_id",
            "kecamatan",
            "processor_banten",
            "processor_japnas",
            month=Trunc(moment, "month", output_field=DateField()),
        )
        .annotate(**_deal_sums(kg))
        .order_by()
    )
    return [
        DealMonth(on=on, **{name: row[name] or 0 if name in DEAL_MONTH_SUMS else row[name] for name in row})
        for row in rows
    ]


def deal_buckets(deals) -> set[tuple]:
    """The buckets these deal rows count in: {(on, month, category id, kecamatan)}."""
    found = set()
    for row in deals.values_list("awarded_at", "completed_at", "category_id", "kecamatan"):
        if row[0] is not None:
            found.add(("awarded", month_of(row[0]), row[2], row[3]))
        if row[1] is not None:
            found.add(("completed", month_of(row[1]), row[2], row[3]))
    return found


def deal_buckets_recount(buckets) -> None:
    """Recount these buckets from the deal rows (a lock per bucket on PostgreSQL: one recount at a time)."""
    from .models import Deal

    for on, month, category_id, kecamatan in sorted(buckets):
        moment = DEAL_ON[on][0]
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT pg_advisory_xact_lock(hashtext(%s))",
                        [f"dealmonth:{on}:{month}:{category_id}:{kecamatan}"],
                    )
            DealMonth.objects.filter(on=on, month=month, category_id=category_id, kecamatan=kecamatan).delete()
            deals = Deal.objects.filter(
                **{f"{moment}__gte": aware(month), f"{moment}__lt": aware(next_month(month))},
                category_id=category_id,
                kecamatan=kecamatan,
            )
            DealMonth.objects.bulk_create(_deal_rows(on, deals))


def _deal_month_bucket(row: DealMonth) -> tuple:
    return (row.on, row.month, row.category_id, row.kecamatan, row.processor_banten, row.processor_japnas)


def deal_months_rebuild() -> int:
    """Recount every month from the deal rows and write only what differs: new rows, changed sums, rows that no
    longer hold (deleting and writing every row each hour left nothing for the covering index's index-only
    scans until the next vacuum). Returns the rows of the rollup."""
    from .models import Deal

    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {DealMonth._meta.db_table} IN EXCLUSIVE MODE")
        expected = {
            _deal_month_bucket(row): row
            for row in _deal_rows("awarded", Deal.objects.all()) + _deal_rows("completed", Deal.objects.all())
        }
        total = len(expected)
        changed, stale = [], []
        for row in DealMonth.objects.all().iterator(2000):
            counted = expected.pop(_deal_month_bucket(row), None)
            if counted is None:
                stale.append(row.pk)
            elif any(getattr(row, name) != getattr(counted, name) for name in DEAL_MONTH_SUMS):
                for name in DEAL_MONTH_SUMS:
                    setattr(row, name, getattr(counted, name))
                changed.append(row)
        for start in range(0, len(stale), 2000):
            DealMonth.objects.filter(pk__in=stale[start : start + 2000]).delete()
        DealMonth.objects.bulk_update(changed, DEAL_MONTH_SUMS, batch_size=500)
        DealMonth.objects.bulk_create(expected.values(), batch_size=2000)  # the buckets that were missing
        return total


def _moves_a_deal(sender, instance, raw) -> bool:
    """The saves after which dashboard.signals rewrites the lot's deal row."""
    return not raw and (sender.__name__ != "LotTransition" or instance.to_status == "completed")


def _deal_lot_before(sender, instance, raw=False, **kwargs):
    from .models import Deal

    if _moves_a_deal(sender, instance, raw):
        instance._deal_buckets_before = deal_buckets(Deal.objects.filter(lot_id=instance.lot_id))


def _deal_lot_after(sender, instance, raw=False, **kwargs):
    """After the deal row of the lot was written (dashboard.signals, connected before this)."""
    from .models import Deal

    if not _moves_a_deal(sender, instance, raw):
        return
    before = getattr(instance, "_deal_buckets_before", set())
    deal_buckets_recount(before | deal_buckets(Deal.objects.filter(lot_id=instance.lot_id)))


def connect_deal_signals():
    # A processor's Banten and Japnas status is the one kept on its award: an organisation's later change moves
    # no deal row, so no bucket either.
    from listings.models import Award, Handover, LotTransition

    for model in (Award, Handover, LotTransition):
        pre_save.connect(_deal_lot_before, sender=model, dispatch_uid=f"dashboard-dealmonth-before-{model.__name__}")
        post_save.connect(_deal_lot_after, sender=model, dispatch_uid=f"dashboard-dealmonth-after-{model.__name__}")

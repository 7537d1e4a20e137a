"""On generated data: the dashboard's totals equal the sums over the lots and bids behind them, for several
periods and filters; the exports hold the page's numbers."""

import csv
import io
import random
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from dashboard import rollups
from dashboard.filters import Selection
from dashboard.models import DEAL_MONTH_SUMS, Deal, DealMonth, ListedMonth
from dashboard.selectors import Scope, by_category, by_route, dashboard_figures, monthly_trend, top_processors
from listings.models import Award, Bid, Handover, LotTransition, WasteLot
from listings.services.lots import lot_transition
from tests.factories import LotFactory, OrganisationFactory, category

from .conftest import at, make_contract, make_deal

CODES = ["steel-slag", "ferrous-scrap", "used-lube-oil", "fly-ash-pltu", "plastic-film", "b3-packaging"]


def as_tonnes(quantity: Decimal, unit: str) -> Decimal:
    """Tonnes as the dashboard counts them: each row to the whole kilogram."""
    kg = quantity * 1000 if unit == "t" else quantity
    return kg.quantize(Decimal(1), rounding=ROUND_HALF_UP) / 1000


@pytest.fixture
def generated(db):
    rng = random.Random(6)  # noqa: S311 - test data
    plants = [OrganisationFactory(kecamatan=k) for k in ("ciwandan", "grogol", "cibeber")]
    processors = [
        OrganisationFactory(processor=True, province=province, japnas_number=japnas, kecamatan="")
        for province, japnas in (("banten", "J1"), ("banten", ""), ("jawa-barat", ""), ("dki-jakarta", "J2"))
    ]
    for n in range(60):
        code = rng.choice(CODES)
        unit = {"used-lube-oil": "L", "b3-packaging": "unit", "plastic-film": "kg"}.get(code, "t")
        quantity = Decimal(rng.randint(1, 900_000)) / 1000
        awarded = at(2024 + n % 2, rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23))
        completed = awarded + timedelta(days=rng.randint(1, 60)) if rng.random() < 0.6 else None
        sent = quantity - Decimal(rng.randint(0, 50)) / 1000 if completed else None
        make_deal(
            plant=rng.choice(plants),
            processor=rng.choice(processors),
            code=code,
            unit=unit,
            quantity=str(quantity),
            bidder_quantity=str((quantity * Decimal(rng.choice([1, 1, "0.5"]))).quantize(Decimal("0.001"))),
            price=rng.choice([-1, 1]) * rng.randint(0, 5_000_000),
            published=awarded - timedelta(hours=rng.randint(1, 900)),
            awarded=awarded,
            completed=completed,
            sent=str(sent) if sent else None,
            received=str(sent - Decimal(rng.randint(0, 3000)) / 1000) if sent else None,
            route=rng.choice(["reuse", "recycling", "treatment", "energy-recovery"]),
            kecamatan=rng.choice(["ciwandan", "grogol"]),
        )
    for n in range(8):  # monthly streams shared between two processors, delivered month by month
        awarded = at(2024 + n % 2, rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23))
        first, second = rng.sample(processors, 2)
        per_period = Decimal(rng.randint(10_000, 90_000)) / 1000
        share = (per_period * Decimal(rng.choice(["0.5", "0.3", "0.7"]))).quantize(Decimal("0.001"))
        deliveries = []
        for index in (0, 1):
            for number in range(1, rng.randint(1, 6) + 1):
                month_start = at(awarded.year + (awarded.month - 1 + number - 1) // 12,
                                 (awarded.month - 1 + number - 1) % 12 + 1, min(awarded.day, 28))  # fmt: skip
                processed = month_start + timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 23))
                received = (share if index == 0 else per_period - share) - Decimal(rng.randint(0, 900)) / 1000
                deliveries.append((index, number, processed, str(received)))
        make_contract(
            plant=rng.choice(plants),
            shares=[
                (first, str(share), rng.randint(1, 900_000)),
                (second, str(per_period - share), -rng.randint(1, 900_000)),
            ],
            code=rng.choice(["steel-slag", "fly-ash-pltu"]),
            per_period=str(per_period),
            months=6,
            awarded=awarded,
            deliveries=deliveries,
            kecamatan=rng.choice(["ciwandan", "grogol"]),
            route=rng.choice(["reuse", "treatment"]),
        )
    for _ in range(15):  # listed, not awarded
        LotFactory(
            plant=rng.choice(plants),
            category=category(rng.choice(CODES[:2])),
            quantity=Decimal(rng.randint(1, 90_000)) / 1000,
            status=rng.choice(["closed", "unawarded", "cancelled"]),
            published_at=at(2025, rng.randint(1, 12), 3),
        )
    return plants, processors


SELECTIONS = [
    Selection(first=date(2025, 1, 1), last=date(2025, 12, 31), period="year"),
    Selection(first=date(2024, 4, 1), last=date(2024, 6, 30), period="quarter"),
    Selection(first=date(2024, 3, 1), last=date(2025, 8, 15), period="custom", kecamatan="grogol"),
    Selection(first=date(2024, 1, 1), last=date(2025, 12, 31), period="custom", group="slags-and-ashes"),
    # Partial months at both ends, and within one month: the rollup's whole months plus the lots of the days.
    Selection(first=date(2024, 2, 10), last=date(2025, 3, 20), period="custom"),
    Selection(first=date(2025, 5, 5), last=date(2025, 5, 20), period="custom", category=None),
]


def _in(selection, when):
    return selection.start <= when < selection.end


def _matches(selection, lot):
    return (
        (not selection.group or lot.category.group == selection.group)
        and (selection.category is None or lot.category_id == selection.category.pk)
        and (not selection.kecamatan or lot.site_kecamatan == selection.kecamatan)
    )


@pytest.mark.parametrize("index", range(len(SELECTIONS)))
@pytest.mark.parametrize("scope_kind", ["city", "plant", "processor"])
def test_totals_equal_the_sums_behind_them(generated, index, scope_kind):
    plants, processors = generated
    selection = SELECTIONS[index]
    scope = {"city": Scope("city"), "plant": Scope("plant", plants[1]), "processor": Scope("processor", processors[0])}[
        scope_kind
    ]
    figures = dashboard_figures(selection, scope)

    def in_scope(award):
        return scope.is_city or (
            award.lot.plant_id == scope.organisation.pk
            if scope.is_plant
            else award.bid.bidder_id == scope.organisation.pk
        )

    awards = [
        a
        for a in Award.objects.select_related("lot__category", "bid__bidder")
        if _in(selection, a.awarded_at) and _matches(selection, a.lot) and in_scope(a)
    ]

    def contracted(a):
        """What an award contracts: a one-off lot's bid; a stream's share × its periods."""
        return a.quantity * a.periods.count() if a.lot.is_recurring else a.bid.quantity

    def value(a):
        return Decimal(a.bid.price_per_unit) * contracted(a)

    tonnes = sum((as_tonnes(contracted(a), a.lot.unit) for a in awards if a.lot.unit in ("t", "kg")), Decimal(0))
    banten = sum(
        (as_tonnes(contracted(a), a.lot.unit) for a in awards if a.lot.unit in ("t", "kg") and a.bid.bidder.is_banten),
        Decimal(0),
    )
    assert figures["awarded"]["deals"] == len(awards)
    assert figures["awarded"]["tonnes"] == tonnes.quantize(Decimal("0.001"))
    assert figures["awarded"]["leaving_tonnes"] == (tonnes - banten).quantize(Decimal("0.001"))
    assert figures["awarded"]["processors_paid"] == sum(
        (value(a) for a in awards if a.bid.price_per_unit > 0), Decimal(0)
    ).quantize(Decimal(1))
    assert figures["awarded"]["plants_paid"] == sum(
        (-value(a) for a in awards if a.bid.price_per_unit < 0), Decimal(0)
    ).quantize(Decimal(1))
    # The breakdowns add up to the totals.
    assert sum(row["deals"] for row in by_route(selection, scope)) == len(awards)
    assert sum(row["awarded_tonnes"] for row in by_category(selection, scope)) == figures["awarded"]["tonnes"]
    if scope.is_city:
        assert sum(row["awarded_tonnes"] for row in top_processors(selection, scope)) == figures["awarded"]["tonnes"]

    # Delivered: a one-off lot when the plant confirmed it (its timeline), a stream's period when its processing
    # was recorded — each in the month it was delivered, per contract share.
    deliveries = [
        (t.created_at, t.lot, Handover.objects.get(lot=t.lot), Award.objects.get(lot=t.lot))
        for t in LotTransition.objects.filter(to_status="completed", lot__is_recurring=False).select_related(
            "lot__category"
        )
    ] + [
        (h.processing_recorded_at, h.lot, h, h.period.award)
        for h in Handover.objects.filter(lot__is_recurring=True, processing_recorded_at__isnull=False).select_related(
            "lot__category", "period__award__bid", "period__award__lot"
        )
    ]
    completions = [
        (lot, handover)
        for when, lot, handover, award in deliveries
        if _in(selection, when) and _matches(selection, lot) and in_scope(award)
    ]
    completed = sum(
        (as_tonnes(handover.quantity_received, lot.unit) for lot, handover in completions if lot.unit in ("t", "kg")),
        Decimal(0),
    )
    assert figures["completed"]["deals"] == len(completions)
    assert figures["completed"]["tonnes"] == completed.quantize(Decimal("0.001"))

    listed = [
        lot
        for lot in WasteLot.objects.select_related("category")
        if lot.published_at and _in(selection, lot.published_at) and _matches(selection, lot)
        and (scope.is_city or (scope.is_plant and lot.plant_id == scope.organisation.pk))
    ]  # fmt: skip
    if not scope.is_processor:
        assert figures["listed"]["lots"] == len(listed)
        assert figures["listed"]["tonnes"] == sum(
            (as_tonnes(lot.quantity, lot.unit) for lot in listed if lot.unit in ("t", "kg")), Decimal(0)
        ).quantize(Decimal("0.001"))
        closed = [lot for lot in listed if lot.status not in ("open", "draft", "cancelled")]
        bids = Bid.objects.filter(lot__in=closed).exclude(status="withdrawn").count()
        assert figures["bids"]["bids"] == bids
    # The trend over the months of the period adds up to the period's totals when the period is whole months.
    months = [row for row in monthly_trend(selection, scope) if selection.first <= row["month"] <= selection.last]
    if selection.last.day > 27 and selection.first.day == 1:
        assert sum(row["awarded_tonnes"] for row in months) == figures["awarded"]["tonnes"]
        assert sum(row["completed_tonnes"] for row in months) == figures["completed"]["tonnes"]


def _csv(client, path):
    response = client.get(path)
    assert response.status_code == 200, response.content
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_csv_equals_the_page(client, official, generated):
    from core.numbers import plain

    client.force_login(official)
    query = "?period=year&start=2025-01-01&kecamatan=grogol"
    response = client.get("/dashboard/" + query)
    context = response.context
    headline = {row[0]: row[1] for row in _csv(client, "/dashboard/export/summary.csv" + query)[1:]}
    assert len(headline) == len(context["headline"])
    for key, _label, value, _unit in context["headline"]:
        assert headline[key] == (
            "" if value is None else plain(value, None) if isinstance(value, Decimal) else str(value)
        )
        assert f'data-key="{key}"' in response.content.decode()
    figures = context["figures"]
    assert Decimal(headline["tonnes_awarded"]) == figures["awarded"]["tonnes"]

    categories = _csv(client, "/dashboard/export/categories.csv" + query)
    assert [row[0] for row in categories[1:]] == [row["code"] for row in figures["categories"]]
    assert sum(Decimal(row[4]) for row in categories[1:]) == figures["awarded"]["tonnes"]

    trend = _csv(client, "/dashboard/export/trend.csv" + query)
    assert [Decimal(row[1]) for row in trend[1:]] == [row["awarded_tonnes"] for row in figures["trend"]]

    routes = _csv(client, "/dashboard/export/routes.csv" + query)
    assert [int(row[3]) for row in routes[1:]] == [row["value"] for row in figures["routes"]]

    deals = _csv(client, "/dashboard/export/deals.csv" + query)
    assert len(deals) - 1 == figures["completed"]["deals"]
    assert sum(Decimal(row[13]) for row in deals[1:] if row[13]) == figures["completed"]["tonnes"]
    # What the page prints is the same number, formatted.
    assert f'data-figure="tonnes_awarded">{_formatted(figures["awarded"]["tonnes"])}<' in response.content.decode()


def _formatted(value: Decimal) -> str:
    """A dashboard total in English: whole tonnes (one decimal under 10 t), joined to its unit."""
    from django.utils import translation

    from core.numbers import total_tonnes

    with translation.override("en"):
        return total_tonnes(value, "t")


def _listed_rows():
    fields = ["month", "category_id", "kecamatan", *rollups.FIELDS]
    return sorted(ListedMonth.objects.values_list(*fields))


def test_listed_rollup_equals_a_full_recount(generated):
    """The rollup kept in step by each change equals a recount of everything (manage.py dashboard_rebuild),
    after the changes a lot and its bids go through."""
    plants, processors = generated
    rng = random.Random(11)  # noqa: S311 - test data
    lots = []
    for n in range(12):
        lot = LotFactory(
            plant=rng.choice(plants),
            category=category(rng.choice(CODES)),
            quantity=Decimal(rng.randint(1, 90_000)) / 1000,
            unit=rng.choice(["t", "kg", "L"]),
            is_recurring=n % 3 == 0,
            frequency=["weekly", "monthly", "quarterly"][n // 3 % 3] if n % 3 == 0 else "",
            quantity_per_period=Decimal(rng.randint(1, 900)) if n % 3 == 0 else None,
            status="open",
            published_at=at(2025, rng.randint(1, 12), rng.randint(1, 28)),
            closes_at=timezone.now() + timedelta(days=3),
            site_kecamatan=rng.choice(["ciwandan", "grogol"]),
        )
        for processor in rng.sample(processors, 3):
            Bid.objects.create(
                lot=lot,
                bidder=processor,
                price_per_unit=1000,
                quantity=lot.quantity,
                pickup_date=date(2025, 12, 1),
                route="recycling",
            )
        lots.append(lot)
    # Bids on open lots count nowhere yet; closing counts them.
    for lot in lots[:8]:
        lot_transition(lot=lot, to_status="closed", acting_user=None)
    # A bid withdrawn on a closed lot (written directly), one deleted, one lot ended without an award.
    withdrawn = Bid.objects.filter(lot=lots[0]).first()
    withdrawn.status = Bid.Status.WITHDRAWN
    withdrawn.save(update_fields=["status"])
    Bid.objects.filter(lot=lots[1]).first().delete()
    lot_transition(lot=lots[2], to_status="unawarded", acting_user=None)
    # A lot moved to another category, place and month (its old bucket is recounted too); one cancelled.
    moved = WasteLot.objects.get(pk=lots[3].pk)
    moved.category = category("fly-ash-pltu")
    moved.site_kecamatan = "cibeber"
    moved.published_at = at(2024, 7, 31, 23)
    moved.quantity = Decimal("12.345")
    moved.save()
    lot_transition(lot=lots[9], to_status="cancelled", acting_user=None)
    # A lot deleted with its bids; a draft never published counts nowhere.
    Bid.objects.filter(lot=lots[10]).delete()
    WasteLot.objects.get(pk=lots[10].pk).delete()
    LotFactory(status="draft", published_at=None)

    kept = _listed_rows()
    assert kept  # not vacuous
    assert ListedMonth.objects.filter(bids__gt=0).exists()
    call_command("dashboard_rebuild", stdout=io.StringIO())
    assert _listed_rows() == kept


def test_rebuild_mends_a_write_around_the_models(generated):
    """A queryset update skips the signals: the rollup drifts, and the rebuild brings it back."""
    before = _listed_rows()
    WasteLot.objects.filter(status="closed").update(status="unawarded")  # bidding still closed: same figures
    WasteLot.objects.filter(unit="t").update(quantity=Decimal("1.000"))
    assert _listed_rows() == before
    rollups.rebuild()
    assert _listed_rows() != before
    selection = SELECTIONS[0]
    listed = [lot for lot in WasteLot.objects.all() if lot.published_at and _in(selection, lot.published_at)]
    assert dashboard_figures(selection, Scope("city"))["listed"]["tonnes"] == sum(
        (as_tonnes(lot.quantity, lot.unit) for lot in listed if lot.unit in ("t", "kg")), Decimal(0)
    ).quantize(Decimal("0.001"))


def _deal_month_rows():
    fields = ["on", "month", "category_id", "kecamatan", "processor_banten", "processor_japnas", *DEAL_MONTH_SUMS]
    return sorted(DealMonth.objects.values_list(*fields))


def test_deal_months_equal_a_full_recount(generated):
    """The deals per month kept in step with each award, handover, completion and processor change equal a
    recount of the deal rows."""
    plants, processors = generated
    kept = _deal_month_rows()
    assert kept and DealMonth.objects.filter(on="completed").exists()
    rollups.deal_months_rebuild()
    assert _deal_month_rows() == kept
    # A processor leaves Banten: its deals follow (dashboard.signals), and so do their months.
    processors[0].province = "jawa-barat"
    processors[0].save()
    # A deal awarded, then completed.
    make_deal(plant=plants[0], processor=processors[1], awarded=at(2025, 6, 30, 23), completed=at(2025, 7, 2))
    kept = _deal_month_rows()
    rollups.deal_months_rebuild()
    assert _deal_month_rows() == kept
    figures = dashboard_figures(SELECTIONS[0], Scope("city"))
    deals = Deal.objects.filter(awarded_at__gte=SELECTIONS[0].start, awarded_at__lt=SELECTIONS[0].end)
    assert figures["awarded"]["deals"] == deals.count()
    assert (
        figures["awarded"]["banten_tonnes"]
        == Decimal(sum(d.kg_awarded or 0 for d in deals if d.processor_banten)) / 1000
    )

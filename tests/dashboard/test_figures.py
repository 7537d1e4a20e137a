"""Each figure on hand-made data whose answers were worked out by hand (see the comments)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from dashboard.filters import Selection
from dashboard.selectors import (
    Scope,
    awarded_figures,
    bid_figures,
    by_category,
    by_route,
    completed_figures,
    dashboard_figures,
    listed_figures,
    median_days_to_award,
    monthly_trend,
    open_lots_without_bids,
    supply_gaps,
    top_processors,
)
from listings.models import Bid, Capability, WasteLot
from tests.factories import LotFactory, OrganisationFactory, category

from .conftest import at, make_deal

YEAR_2025 = Selection(first=date(2025, 1, 1), last=date(2025, 12, 31), period="year")
CITY = Scope("city")


@pytest.fixture
def world(plant, banten_japnas, banten_only, outside):
    """Deals A to E, an unawarded lot F and a sealed open lot G (numbers in the tests below)."""
    plant2 = OrganisationFactory(name="PT Kimia Grogol", slug="kimia-grogol", kecamatan="grogol")
    # A: 100 t steel slag, the plant pays Rp 15.000/t, awarded after 10 days, 99 t received, recycling.
    a = make_deal(
        plant=plant, processor=banten_japnas, quantity="100", price=-15_000,
        published=at(2025, 3, 1), awarded=at(2025, 3, 11), completed=at(2025, 3, 20), sent="100", received="99",
    )  # fmt: skip
    # B: 5,000 kg ferrous scrap, the processor pays Rp 4.000/kg, 4 days; 4,800 kg received (a 4 % mismatch),
    # processed by energy recovery (no CO2e counted).
    b = make_deal(
        plant=plant, processor=banten_only, code="ferrous-scrap", quantity="5000", unit="kg", price=4_000,
        published=at(2025, 5, 1), awarded=at(2025, 5, 5), completed=at(2025, 6, 10), sent="5000", received="4800",
        route_used="energy-recovery",
    )  # fmt: skip
    # C: 6,000 L used oil in Grogol to a processor outside Banten, the plant pays Rp 1.800/L, 10 days, treatment.
    c = make_deal(
        plant=plant2, processor=outside, code="used-lube-oil", quantity="6000", unit="L", price=-1_800,
        published=at(2025, 6, 21), awarded=at(2025, 7, 1), route="treatment", kecamatan="grogol",
    )  # fmt: skip
    # D: 300 t fly ash outside Banten, the processor pays Rp 25.000/t, 2 days, recovery as material.
    d = make_deal(
        plant=plant, processor=outside, code="fly-ash-pltu", quantity="300", price=25_000,
        published=at(2025, 7, 30), awarded=at(2025, 8, 1), completed=at(2025, 9, 1), route="material-recovery",
    )  # fmt: skip
    # E: awarded in 2024, completed in January 2025: 50 t steel slag.
    e = make_deal(
        plant=plant, processor=banten_japnas, quantity="50", price=10_000,
        published=at(2024, 12, 1), awarded=at(2024, 12, 20), completed=at(2025, 1, 5),
    )  # fmt: skip
    # F: 20 t, closed without award: two rejected bids and a withdrawn one.
    f = LotFactory(plant=plant, quantity=Decimal("20"), status=WasteLot.Status.UNAWARDED, published_at=at(2025, 10, 1))
    for bidder, status in ((banten_only, "rejected"), (outside, "rejected"), (banten_japnas, "withdrawn")):
        Bid.objects.create(
            lot=f, bidder=bidder, price_per_unit=1, quantity=1, pickup_date=date(2025, 10, 5), route="recycling",
            status=status,
        )  # fmt: skip
    # G: 100 t, sealed and still open, with three live bids: never counted in bids per lot.
    g = LotFactory(
        plant=plant, status=WasteLot.Status.OPEN, published_at=at(2025, 12, 30), bidding_mode="sealed",
        closes_at=timezone.now() + timedelta(days=5),
    )  # fmt: skip
    for bidder in (banten_only, outside, banten_japnas):
        Bid.objects.create(
            lot=g, bidder=bidder, price_per_unit=1, quantity=1, pickup_date=date(2026, 1, 5), route="recycling"
        )
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f, "g": g, "plant2": plant2}


def test_listed_and_bids_per_lot(world):
    listed = listed_figures(YEAR_2025, CITY)
    assert listed["lots"] == 6  # A B C D F G
    assert listed["tonnes"] == Decimal("525.000")  # 100 + 5 + 300 + 20 + 100; C in litres left out
    assert listed["other_unit_lots"] == 1 and listed["litres"] == Decimal("6000")
    assert listed["bidding_closed"] == 5  # G is still open
    assert bid_figures(YEAR_2025, CITY)["bids"] == 6  # A B C D one each, F two (the withdrawn one does not count)


def test_awarded_tonnes_shares_and_value(world):
    awarded = awarded_figures(YEAR_2025, CITY)
    assert awarded["deals"] == 4  # A B C D (E was awarded in 2024)
    assert awarded["tonnes"] == Decimal("405.000")  # 100 + 5 + 300
    assert awarded["banten_tonnes"] == Decimal("105.000")
    assert awarded["banten_share"] == Decimal("25.9")  # 105 / 405
    assert awarded["japnas_share"] == Decimal("24.7")  # 100 / 405
    assert awarded["leaving_tonnes"] == Decimal("300.000")
    assert awarded["processors_paid"] == Decimal("27500000")  # 5,000 kg × 4,000 + 300 t × 25,000
    assert awarded["plants_paid"] == Decimal("12300000")  # 100 t × 15,000 + 6,000 L × 1,800
    assert awarded["other_unit_deals"] == 1


def test_median_days_to_award(world):
    assert median_days_to_award(YEAR_2025, CITY) == Decimal("7.0")  # 2, 4, 10, 10 → (4 + 10) / 2
    odd = Selection(first=date(2025, 1, 1), last=date(2025, 7, 31), period="custom")
    assert median_days_to_award(odd, CITY) == Decimal("10.0")  # 4, 10, 10


def test_completed_shares_and_co2e(world):
    completed = completed_figures(YEAR_2025, CITY)
    assert completed["deals"] == 4  # A B D E
    assert completed["tonnes"] == Decimal("453.800")  # 99 + 4.8 + 300 + 50 (what was received)
    assert completed["banten_share"] == Decimal("33.9")  # 153.8 / 453.8
    assert completed["japnas_share"] == Decimal("32.8")  # 149 / 453.8
    assert completed["leaving_tonnes"] == Decimal("300.000")
    # 99 × 0.005 + 50 × 0.005 + 300 × 0.828; B was used for energy recovery: zero.
    assert completed["co2e_tonnes"] == Decimal("249.1")
    assert completed["other_route"] == 1


def test_routes_categories_processors(world):
    routes = {row["route"]: row for row in by_route(YEAR_2025, CITY)}
    assert routes["recycling"]["deals"] == 2 and routes["recycling"]["awarded_tonnes"] == Decimal("105.000")
    assert routes["recycling"]["value"] == Decimal("18500000")  # -1,500,000 + 20,000,000
    assert routes["treatment"]["value"] == Decimal("-10800000")
    assert routes["material-recovery"]["awarded_tonnes"] == Decimal("300.000")
    assert routes["reuse"]["deals"] == 0

    categories = by_category(YEAR_2025, CITY)
    assert categories[0]["code"] == "fly-ash-pltu"  # the top stream by awarded tonnes
    slag = next(row for row in categories if row["code"] == "steel-slag")
    assert slag["lots"] == 3 and slag["listed_tonnes"] == Decimal("220.000")  # A, F and G
    assert slag["completed_tonnes"] == Decimal("149.000") and slag["co2e_tonnes"] == Decimal("0.7")
    assert slag["co2e_factor"] == Decimal("0.005") and slag["co2e_source"] == "defra-2025"

    top = top_processors(YEAR_2025, CITY)
    assert [row["name"] for row in top] == ["PT Luar Banten", "CV Banten Japnas", "PT Banten Saja"]
    assert top[0]["deals"] == 2 and top[0]["value"] == Decimal("-3300000") and top[0]["banten"] is False


def test_monthly_trend(world):
    trend = monthly_trend(YEAR_2025, CITY)
    assert [row["month"] for row in trend] == [date(2025, m, 1) for m in range(1, 13)]
    by_month = {row["month"].month: row for row in trend}
    assert by_month[3]["awarded_tonnes"] == Decimal("100.000") and by_month[3]["awarded_banten_share"] == 100
    assert by_month[8]["awarded_banten_share"] == 0 and by_month[8]["awarded_tonnes"] == Decimal("300.000")
    assert by_month[1]["completed_tonnes"] == Decimal("50.000")  # E
    assert by_month[2]["awarded_banten_share"] is None  # nothing awarded: no share, not 0 %


def test_filters_narrow_every_figure(world):
    q1 = Selection(first=date(2025, 1, 1), last=date(2025, 3, 31), period="quarter")
    assert awarded_figures(q1, CITY)["tonnes"] == Decimal("100.000")
    assert completed_figures(q1, CITY)["deals"] == 2  # A and E
    slag = Selection(first=date(2025, 1, 1), last=date(2025, 12, 31), period="year", category=category("steel-slag"))
    assert awarded_figures(slag, CITY)["deals"] == 1
    grogol = Selection(first=date(2025, 1, 1), last=date(2025, 12, 31), period="year", kecamatan="grogol")
    assert awarded_figures(grogol, CITY)["plants_paid"] == Decimal("10800000")
    metals = Selection(first=date(2025, 1, 1), last=date(2025, 12, 31), period="year", group="metals")
    assert awarded_figures(metals, CITY)["tonnes"] == Decimal("5.000")


def test_scopes_count_only_their_own(world, plant, outside):
    mine = Scope("plant", plant)
    assert awarded_figures(YEAR_2025, mine)["deals"] == 3  # A B D, not C (another plant's)
    assert listed_figures(YEAR_2025, mine)["lots"] == 5
    theirs = Scope("processor", outside)
    assert awarded_figures(YEAR_2025, theirs)["tonnes"] == Decimal("300.000")  # C (litres) and D
    assert awarded_figures(YEAR_2025, theirs)["plants_paid"] == Decimal("10800000")
    assert completed_figures(YEAR_2025, theirs)["deals"] == 1


def test_open_lots_without_bids_and_supply_gaps(world, plant, banten_only, outside):
    now = timezone.now()
    lonely = LotFactory(plant=plant, closes_at=now + timedelta(days=2))
    LotFactory(plant=plant, closes_at=now - timedelta(hours=1))  # past its deadline: not open
    withdrawn_only = LotFactory(plant=plant, closes_at=now + timedelta(days=3))
    Bid.objects.create(
        lot=withdrawn_only, bidder=outside, price_per_unit=1, quantity=1, pickup_date=now.date(), route="reuse",
        status="withdrawn",
    )  # fmt: skip
    rows = list(open_lots_without_bids(YEAR_2025, CITY))
    assert [lot.pk for lot in rows] == [lonely.pk, withdrawn_only.pk]  # G has bids

    # Recurring streams: 40 t a week of steel slag (173.333 t a month) and 10 t a month of ferrous scrap.
    LotFactory(
        plant=plant, is_recurring=True, frequency="weekly", quantity_per_period=Decimal("40"), quantity=Decimal("480"),
        published_at=at(2025, 4, 1),
    )  # fmt: skip
    LotFactory(
        plant=plant, is_recurring=True, frequency="monthly", quantity_per_period=Decimal("10"),
        quantity=Decimal("120"), category=category("ferrous-scrap"), published_at=at(2025, 4, 1),
    )  # fmt: skip
    capability = {"latitude": Decimal("-6"), "longitude": Decimal("106"), "radius_km": 50, "route": "recycling"}
    # Scrap: a verified Banten processor with 15 t a month covers it. Slag: 100 t a month in Banten (short by
    # 73.333 t) and 500 t a month outside Banten (does not count).
    Capability.objects.create(
        organisation=banten_only, category=category("ferrous-scrap"), capacity_tonnes_per_month=15, **capability
    )
    Capability.objects.create(
        organisation=banten_only, category=category("steel-slag"), capacity_tonnes_per_month=100, **capability
    )
    Capability.objects.create(
        organisation=outside, category=category("steel-slag"), capacity_tonnes_per_month=500, **capability
    )
    gaps = supply_gaps(YEAR_2025)
    assert [row["code"] for row in gaps] == ["steel-slag"]
    assert gaps[0]["monthly_tonnes"] == Decimal("173.333") and gaps[0]["capacity_tonnes"] == Decimal("100.000")
    assert gaps[0]["gap_tonnes"] == Decimal("73.333") and gaps[0]["processors"] == 1


def test_empty_period_has_no_shares_and_no_errors(db):
    figures = dashboard_figures(YEAR_2025, CITY)
    assert figures["awarded"]["banten_share"] is None
    assert figures["median_days_to_award"] is None
    assert figures["bids_per_lot"] is None
    assert figures["categories"] == [] and figures["gaps"] == [] and figures["no_bids"] == []


@pytest.mark.django_db
def test_top_processors_ten_ties_by_name_even_at_the_tenth(plant):
    """Twelve processors: two awarded 50 t, then ten tied at 10 t. The table shows the two, then the first eight
    of the ten by name: the tenth place is decided by name, not by whichever row the database ranks first."""
    names = ["Zeta Olah", "Alfa Olah"] + [f"CV Sama {letter}" for letter in "JIHGFEDCBA"]
    for number, name in enumerate(names):
        processor = OrganisationFactory(name=name, slug=f"tie-{number}", kind="processor")
        make_deal(
            plant=plant, processor=processor, quantity="50" if number < 2 else "10", price=1_000,
            published=at(2025, 4, 1), awarded=at(2025, 4, 2 + number),
        )  # fmt: skip
    top = top_processors(YEAR_2025, CITY)
    assert [row["name"] for row in top] == ["Alfa Olah", "Zeta Olah"] + [f"CV Sama {letter}" for letter in "ABCDEFGH"]
    assert [row["awarded_tonnes"] for row in top] == [Decimal("50.000")] * 2 + [Decimal("10.000")] * 8

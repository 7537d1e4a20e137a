"""Bounds on quantities and prices (core/bounds.py), and the money paths that must hold at every size they
allow: any bid the form accepts can be placed, awarded, handed over and completed, and its exact value shows in
the deals rollup, on the dashboard and in its CSV and Excel exports — on PostgreSQL and SQLite alike."""

import csv
import io
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from core import uploads
from core.bounds import MAX_PRICE, MAX_QUANTITY, MIN_QUANTITY, PRICE_TOO_LARGE, QUANTITY_TOO_LARGE
from dashboard import selectors as dashboard_selectors
from dashboard.filters import DashboardFilter
from dashboard.models import Deal
from dashboard.selectors import Scope
from listings import services
from listings.forms import BidForm, CapabilityForm, LotForm, PickupForm, ProcessingForm, WantedNoticeForm
from listings.models import Award, Bid, Capability, WasteLot
from listings.services import BidOffer
from tests.factories import LotFactory, OrganisationFactory, category, log_in, member_of

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PRICES = st.integers(min_value=-MAX_PRICE, max_value=MAX_PRICE)
QUANTITIES = st.decimals(min_value=MIN_QUANTITY, max_value=MAX_QUANTITY, places=3, allow_nan=False)


def exact_rupiah(price: int, quantity: Decimal) -> Decimal:
    return (Decimal(price) * quantity).quantize(Decimal(1), rounding=ROUND_HALF_UP)


def bid_form(lot, organisation, price, quantity):
    data = {
        "price_per_unit": str(price),
        "quantity": f"{quantity:f}",
        "pickup_date": timezone.localdate().isoformat(),
        "route": "recycling",
    }
    return BidForm(data=data, lot=lot, organisation=organisation)


@pytest.fixture
def people(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    plant = OrganisationFactory(name="PT Besar Sekali")
    processor = OrganisationFactory(name="CV Olah Besar", processor=True, japnas_number="JPN-3")
    rival = OrganisationFactory(name="CV Pesaing", processor=True)
    official = member_of(OrganisationFactory(authority=True))
    return {
        "plant": plant,
        "plant_admin": member_of(plant),
        "processor": processor,
        "processor_admin": member_of(processor),
        "rival_admin": member_of(rival),
        "rival": rival,
        "official": official,
    }


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(price=PRICES, quantity=QUANTITIES, unit=st.sampled_from(["t", "kg", "L", "unit"]))
@example(price=MAX_PRICE, quantity=MAX_QUANTITY, unit="t")
@example(price=-MAX_PRICE, quantity=MAX_QUANTITY, unit="t")
@example(price=MAX_PRICE - 1, quantity=MAX_QUANTITY - Decimal("0.001"), unit="kg")
@example(price=1, quantity=MIN_QUANTITY, unit="t")  # half a rupiah rounds up
def test_any_bid_the_form_accepts_is_awarded_and_counted_exactly(client, people, price, quantity, unit):
    with transaction.atomic():
        _bid_to_export(client, people, price, quantity, unit)
        transaction.set_rollback(True)


def _bid_to_export(client, people, price, quantity, unit):
    today = timezone.localdate()
    lot = LotFactory(plant=people["plant"], quantity=MAX_QUANTITY, unit=unit, bidding_mode="open", reserve_price=None)
    # A modest rival bid, so that the large one stands as "best price" (or not) beside another.
    services.bid_place(
        lot=lot,
        acting_user=people["rival_admin"],
        offer=BidOffer(price_per_unit=0, quantity=Decimal(1), pickup_date=today, route="reuse"),
    )
    form = bid_form(lot, people["processor"], price, quantity)
    assert form.is_valid(), form.errors
    bid = services.bid_place(lot=lot, acting_user=people["processor_admin"], offer=form.offer())
    expected = exact_rupiah(price, quantity)
    assert bid.total.quantize(Decimal(1), rounding=ROUND_HALF_UP) == expected

    # The plant compares and awards: a bid at or above the rival's price needs no reason.
    log_in(client, people["plant_admin"])
    assert client.get(f"/lots/{lot.reference}/bids/").status_code == 200
    rows = list(csv.reader(io.StringIO(client.get(f"/lots/{lot.reference}/bids/?format=csv").content.decode())))
    assert str(price) in [row[3] for row in rows[1:]]
    reason = "" if price >= 0 else "capacity"
    response = client.post(f"/lots/{lot.reference}/bids/", {"bid": bid.pk, "reason": reason})
    assert response.status_code == 302, response.content.decode()[:2000]
    award = Award.objects.get(lot=lot)
    assert award.bid_id == bid.pk and award.best_price == max(price, 0)

    # The rollup holds the exact value.
    deal = Deal.objects.get(lot=lot)
    assert deal.value_millions * 10**9 + deal.value_rest_milli == price * int(quantity * 1000)
    assert 0 <= deal.value_rest_milli < 10**9

    # Handover and completion at the largest sizes.
    lot.refresh_from_db()
    services.pickup_record(
        lot=lot,
        acting_user=people["processor_admin"],
        pickup_date=today,
        carrier="PT Angkut",
        vehicle="A 1 B",
        manifest_number="",
        quantity_sent=quantity,
    )
    lot.refresh_from_db()
    services.processing_record(
        lot=lot,
        acting_user=people["processor_admin"],
        quantity_received=quantity,
        route_used="recycling",
        proof=uploads.clean_document(SimpleUploadedFile("bukti.pdf", PDF)),
    )
    services.lot_confirm_completion(lot=lot, acting_user=people["plant_admin"])

    # The dashboard's figures, its page and its exports.
    query = f"?period=year&start={today.isoformat()}"
    filterset = DashboardFilter({"period": "year", "start": today.isoformat()})
    assert filterset.is_valid()
    awarded = dashboard_selectors.awarded_figures(filterset.selection(), Scope("city"))
    assert awarded["processors_paid"] == (expected if price > 0 else 0)
    assert awarded["plants_paid"] == (-expected if price < 0 else 0)
    log_in(client, people["official"])
    assert client.get("/dashboard/" + query).status_code == 200
    for fmt in ("csv", "xlsx"):
        for table in ("summary", "routes", "categories", "processors", "deals"):
            response = client.get(f"/dashboard/export/{table}.{fmt}{query}")
            assert response.status_code == 200, (table, fmt)
    deals = _csv(client.get("/dashboard/export/deals.csv" + query))
    row = next(row for row in deals[1:] if row[0] == lot.reference)
    assert Decimal(row[14]) == price and Decimal(row[15]) == expected
    routes = _csv(client.get("/dashboard/export/routes.csv" + query))
    recycling = next(row for row in routes[1:] if row[0] == "recycling")
    assert Decimal(recycling[3]) == expected
    sheet = load_workbook(io.BytesIO(b"".join(client.get("/dashboard/export/deals.xlsx" + query).streaming_content)))
    values = [r for r in sheet["deals"].iter_rows(values_only=True) if r[0] == lot.reference]
    assert Decimal(str(values[0][15])) == expected


def _csv(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_largest_deals_add_up_without_overflow(people):
    """Ten deals of the largest size: 10^19 rupiah in all, past a 64-bit integer even in whole rupiah."""
    from tests.dashboard.conftest import at, make_deal

    for _ in range(10):
        make_deal(plant=people["plant"], processor=people["processor"], quantity=f"{MAX_QUANTITY}", price=MAX_PRICE,
                  awarded=at(2025, 5, 1), completed=at(2025, 5, 2))  # fmt: skip
    selection = DashboardFilter({"period": "year", "start": "2025-01-01"})
    assert selection.is_valid()
    figures = dashboard_selectors.awarded_figures(selection.selection(), Scope("city"))
    assert figures["processors_paid"] == 10 * Decimal(MAX_PRICE) * MAX_QUANTITY == Decimal(10) ** 19
    assert dashboard_selectors.by_route(selection.selection(), Scope("city"))[1]["value"] == Decimal(10) ** 19


# ---- who may NOT: the bounds in every form, with the clear message -------------------------------------------


def test_the_bid_form_refuses_beyond_the_bounds(people):
    lot = LotFactory(plant=people["plant"], quantity=MAX_QUANTITY)
    for price in (MAX_PRICE + 1, -MAX_PRICE - 1, 10**12):
        form = bid_form(lot, people["processor"], price, Decimal(1))
        assert not form.is_valid() and form.errors["price_per_unit"] == [str(PRICE_TOO_LARGE)]
    form = bid_form(lot, people["processor"], 1000, MAX_QUANTITY + Decimal("0.001"))
    assert not form.is_valid() and form.errors["quantity"] == [str(QUANTITY_TOO_LARGE)]
    assert bid_form(lot, people["processor"], MAX_PRICE, MAX_QUANTITY).is_valid()


def test_the_bid_service_refuses_a_price_beyond_the_bound(people):
    """A caller that skips the form (a script, an API) gets the same answer, not a database error."""
    lot = LotFactory(plant=people["plant"], quantity=MAX_QUANTITY)
    offer = BidOffer(price_per_unit=MAX_PRICE + 1, quantity=Decimal(1), pickup_date=timezone.localdate(), route="reuse")
    with pytest.raises(ValidationError) as caught:
        services.bid_place(lot=lot, acting_user=people["processor_admin"], offer=offer)
    assert caught.value.message_dict["price_per_unit"] == [str(PRICE_TOO_LARGE)]
    assert not Bid.objects.filter(lot=lot).exists()


def _lot_data(**overrides):
    now = timezone.localtime()
    data = {
        "title": "Slag",
        "category": "steel-slag",
        "description": "Banyak.",
        "physical_form": "solid",
        "packaging": "bulk",
        "quantity": "10",
        "unit": "t",
        "site_address": "Jl. Industri 1",
        "site_kecamatan": "ciwandan",
        "available_from": now.date().isoformat(),
        "closes_at": (now + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"),
        "bidding_mode": "sealed",
        "local_first_days": "0",
        "reserve_price": "1000",
    }
    return {**data, **overrides}


def test_the_lot_form_refuses_beyond_the_bounds(people):
    category()
    form = LotForm(data=_lot_data(quantity="10000000.001", reserve_price="100000000001"))
    assert not form.is_valid()
    assert form.errors["quantity"] == [str(QUANTITY_TOO_LARGE)]
    assert form.errors["reserve_price"] == [str(PRICE_TOO_LARGE)]
    form = LotForm(data=_lot_data(is_recurring="on", frequency="monthly", quantity_per_period="99999999"))
    assert not form.is_valid() and form.errors["quantity_per_period"] == [str(QUANTITY_TOO_LARGE)]
    assert LotForm(data=_lot_data(quantity=f"{MAX_QUANTITY}", reserve_price=f"{-MAX_PRICE}")).is_valid()


def test_handover_forms_refuse_beyond_the_bounds():
    form = PickupForm(data={"pickup_date": "2026-01-01", "carrier": "x", "vehicle": "y", "quantity_sent": "10000001"})
    assert not form.is_valid() and form.errors["quantity_sent"] == [str(QUANTITY_TOO_LARGE)]
    form = ProcessingForm(data={"quantity_received": "10000001", "route_used": "reuse"})
    assert not form.is_valid() and form.errors["quantity_received"] == [str(QUANTITY_TOO_LARGE)]


def test_matching_forms_refuse_beyond_the_bounds(people):
    category()
    form = CapabilityForm(
        data={
            "category": category().pk,
            "route": "reuse",
            "capacity_tonnes_per_month": "20000000",
            "latitude": "-6",
            "longitude": "106",
            "radius_km": "10",
        },  # fmt: skip
        organisation=people["processor"],
    )
    assert not form.is_valid() and form.errors["capacity_tonnes_per_month"] == [str(QUANTITY_TOO_LARGE)]
    form = WantedNoticeForm(
        data={"category": category().pk, "quantity_tonnes_per_month": "20000000", "price_per_tonne": "-200000000000"}
    )
    assert not form.is_valid()
    assert form.errors["quantity_tonnes_per_month"] == [str(QUANTITY_TOO_LARGE)]
    assert form.errors["price_per_tonne"] == [str(PRICE_TOO_LARGE)]


@pytest.mark.parametrize(
    ("model", "field", "value"),
    [
        (WasteLot, "quantity", MAX_QUANTITY + 1),
        (WasteLot, "reserve_price", -MAX_PRICE - 1),
        (Bid, "price_per_unit", MAX_PRICE + 1),
        (Bid, "quantity", MAX_QUANTITY + 1),
    ],
)
def test_the_database_refuses_beyond_the_bounds(people, model, field, value):
    """Written around the forms and services, a value beyond the bounds still never lands."""
    lot = LotFactory(plant=people["plant"])
    bid = Bid.objects.create(lot=lot, bidder=people["processor"], price_per_unit=1, quantity=1,
                             pickup_date=timezone.localdate(), route="reuse")  # fmt: skip
    target = lot if model is WasteLot else bid
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.filter(pk=target.pk).update(**{field: value})


def test_the_database_refuses_a_capability_beyond_the_bound(people):
    with pytest.raises(IntegrityError), transaction.atomic():
        Capability.objects.create(organisation=people["processor"], category=category(), route="reuse",
                                  capacity_tonnes_per_month=MAX_QUANTITY + 1, latitude=-6, longitude=106,
                                  radius_km=10)  # fmt: skip

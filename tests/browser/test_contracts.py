"""A monthly stream shared between two processors: the plant awards both shares through the pages, then each
processor records two months of pickups on its own contract page (on a phone-sized screen)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import F
from django.utils import timezone
from playwright.sync_api import Page, expect

from listings import services
from listings.models import Award, ContractPeriod, Handover, WasteLot
from listings.services import BidOffer
from tests.browser.test_bidding import english
from tests.browser.test_journeys import log_in, url
from tests.factories import PASSWORD, LotFactory, OrganisationFactory, member_of

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


@pytest.fixture
def stream(settings, tmp_path):
    """A closed monthly stream (100 t a month for 12 months) with a live bid from each of two processors."""
    settings.MEDIA_ROOT = tmp_path
    plant = OrganisationFactory(name="PT Baja Aliran", slug="baja-aliran")
    plant_person = member_of(plant, email="plant@aliran.test")
    processors = {}
    lot = LotFactory(
        plant=plant,
        title="Slag bulanan",
        bidding_mode="open",
        is_recurring=True,
        frequency="monthly",
        quantity=Decimal("1200"),
        quantity_per_period=Decimal("100"),
        contract_months=12,
    )
    offers = (("alfa", "CV Alfa Olah", 300000, "60"), ("bravo", "CV Bravo Olah", 250000, "80"))
    for key, name, price, quantity in offers:
        person = member_of(OrganisationFactory(name=name, processor=True), email=f"{key}@aliran.test")
        processors[key] = person
        services.bid_place(
            lot=lot,
            acting_user=person,
            offer=BidOffer(
                price_per_unit=price,
                quantity=Decimal(quantity),
                pickup_date=timezone.localdate() + timedelta(days=1),
                route="recycling",
            ),
        )
    WasteLot.objects.filter(pk=lot.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    return lot, plant_person, processors


def award_on_page(page: Page, bidder: str, share: str | None):
    page.locator("[data-testid=bid-row]", has_text=bidder).locator("[data-testid=award-bid]").click()
    expect(page.locator("[data-testid=award-confirm]")).to_contain_text(bidder)
    if share is not None:
        page.locator("[data-testid=award-form] [name=quantity]").fill(share)
    page.locator("[data-testid=confirm-award]").click()


def record_pickup(page: Page, number: int, carrier: str, quantity: str):
    actions = page.locator(f"[data-testid=period-actions][data-period='{number}']")
    actions.locator("summary", has_text="Record the pickup").click()
    form = actions.locator("[data-testid=period-pickup-form]")
    form.locator("[name=carrier]").fill(carrier)
    form.locator("[name=vehicle]").fill(f"A {number}00{number} BC")
    form.locator("[name=quantity_sent]").fill(quantity)
    form.locator("button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text(f"Pickup of period {number} recorded.")
    row = page.locator(f"[data-testid=period-row][data-period='{number}'] [data-testid=period-pickup]")
    expect(row).to_contain_text(carrier)


def test_a_stream_shared_by_two_processors_each_picking_up_two_months(page: Page, live_server, stream):
    lot, plant_person, processors = stream
    page.set_viewport_size({"width": 390, "height": 844})
    english(page, live_server)
    log_in(page, live_server, plant_person.email, PASSWORD)
    page.goto(url(live_server, lot.get_absolute_url()))
    page.locator("[data-testid=choose-winner]").click()

    # Alfa: 60 t a month, all it offered; a share is left, so the bids page comes back with it.
    award_on_page(page, "CV Alfa Olah", "60")
    expect(page.locator(".alert-success")).to_contain_text("CV Alfa Olah is awarded a contract for 60")
    expect(page.locator("[data-testid=shares-awarded]")).to_contain_text("60")
    expect(page.locator("[data-testid=shares-left]")).to_contain_text("40")
    expect(page.locator("[data-testid=finish-awarding]")).to_be_visible()
    # Bravo offered 80 t: the form offers the 40 t left.
    page.locator("[data-testid=bid-row]", has_text="CV Bravo Olah").locator("[data-testid=award-bid]").click()
    expect(page.locator("[data-testid=award-form] [name=quantity]")).to_have_value("40")
    page.locator("[data-testid=confirm-award]").click()
    expect(page.locator("[data-testid=lot-status]")).to_have_text("Awarded")
    contracts = page.locator("[data-testid=contracts] [data-testid=contract-link]")
    expect(contracts).to_have_count(2)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # The months go by: each contract's first two periods have started (the schedule moved back, as time would).
    awards = {award.bid.bidder.name: award for award in Award.objects.filter(lot=lot).select_related("bid__bidder")}
    assert {name: award.quantity for name, award in awards.items()} == {
        "CV Alfa Olah": Decimal("60"),
        "CV Bravo Olah": Decimal("40"),
    }
    ContractPeriod.objects.filter(award__lot=lot).update(
        starts_on=F("starts_on") - timedelta(days=62), ends_on=F("ends_on") - timedelta(days=62)
    )
    Award.objects.filter(lot=lot).update(awarded_at=F("awarded_at") - timedelta(days=65))

    for key, name, sent in (("alfa", "CV Alfa Olah", ("59", "61")), ("bravo", "CV Bravo Olah", ("40", "39.5"))):
        english(page, live_server)
        log_in(page, live_server, processors[key].email, PASSWORD)
        page.goto(url(live_server, lot.get_absolute_url()))
        own = page.locator("[data-testid=contracts] [data-testid=contract-link]")
        expect(own).to_have_count(1)  # its own contract only
        expect(own).to_have_text(name)
        own.click()
        expect(page.locator("h1")).to_contain_text(name)
        record_pickup(page, 1, f"PT Angkut {key.title()}", sent[0])
        record_pickup(page, 2, f"PT Angkut {key.title()} Dua", sent[1])
        expect(page.locator("[data-testid=contract-progress]")).to_contain_text(
            str(Decimal(sent[0]) + Decimal(sent[1])).rstrip("0").rstrip(".")
        )
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    handovers = Handover.objects.filter(lot=lot).select_related("period__award__bid__bidder")
    assert sorted((h.period.award.bid.bidder.name, h.period.number) for h in handovers) == [
        ("CV Alfa Olah", 1),
        ("CV Alfa Olah", 2),
        ("CV Bravo Olah", 1),
        ("CV Bravo Olah", 2),
    ]
    lot.refresh_from_db()
    assert lot.status == "collected"

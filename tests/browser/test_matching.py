"""A processor with a matching capability sees the new lot in its inbox after a plant publishes it."""

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from listings.models import Capability
from tests.browser.test_bidding import english
from tests.browser.test_journeys import log_in, url
from tests.factories import PASSWORD, LotFactory, OrganisationFactory, category, member_of

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def test_published_lot_reaches_the_matching_processors_inbox(page: Page, live_server):
    plant = OrganisationFactory(name="PT Baja Cocok", slug="baja-cocok")
    processor = OrganisationFactory(name="CV Olah Cocok", slug="olah-cocok", processor=True)
    plant_person = member_of(plant, email="plant@cocok.test")
    processor_person = member_of(processor, email="proc@cocok.test")
    Capability.objects.create(
        organisation=processor,
        category=category("steel-slag"),
        route="recycling",
        capacity_tonnes_per_month=Decimal("300"),
        latitude=Decimal("-6.02"),
        longitude=Decimal("105.96"),
        radius_km=25,
    )
    lot = LotFactory(plant=plant, title="Slag baja cocok", status="draft", published_at=None)

    english(page, live_server)
    log_in(page, live_server, plant_person.email, PASSWORD)
    page.goto(url(live_server, lot.get_absolute_url()))
    page.locator("[data-testid=publish]").click()
    expect(page.locator("[data-testid=lot-matches]")).to_contain_text("1 processor matched and notified")
    expect(page.locator("[data-testid=lot-matches]")).to_contain_text("CV Olah Cocok")

    english(page, live_server)
    log_in(page, live_server, processor_person.email, PASSWORD)
    expect(page.locator("[data-testid=unread-count]")).to_have_text("1 unread")
    page.locator("[data-testid=inbox-link]").click()
    item = page.locator("[data-testid=notification]")
    expect(item).to_have_count(1)
    expect(item).to_contain_text(f"New lot {lot.reference} matches your organisation: Slag baja cocok")
    item.get_by_role("button", name="Open").click()
    expect(page).to_have_url(url(live_server, lot.get_absolute_url()))
    expect(page.locator("[data-testid=my-match]")).to_contain_text("category match")
    expect(page.locator("[data-testid=unread-badge]")).to_be_empty()

    page.locator("[data-testid=nav-matches]").click()
    expect(page.locator("[data-testid=match]")).to_contain_text(lot.reference)

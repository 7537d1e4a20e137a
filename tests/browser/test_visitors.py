"""A visitor finds an open lot from /lots/, reads its facts (no plant name: the plant has not chosen to show it)
and is asked to sign in to bid — and comes back to the lot once signed in. A processor follows a lot (htmx swaps
the button in place), finds it on /my/bids/ and stops following it there."""

import pytest
from playwright.sync_api import Page, expect

from listings.models import WasteLot, Watch
from tests.browser.test_journeys import log_in, path_is, url
from tests.factories import PASSWORD, LotFactory, OrganisationFactory, category, member_of

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    category()  # the catalogue, seeded again on the flushed database
    plant = OrganisationFactory(name="PT Baja Tersembunyi", slug="baja-tersembunyi")
    processor = OrganisationFactory(name="CV Olah Pengunjung", slug="olah-pengunjung", processor=True)
    lot = LotFactory(plant=plant, title="Mill scale untuk pengunjung", bidding_mode=WasteLot.BiddingMode.OPEN)
    LotFactory(plant=plant, title="Draf yang tidak terlihat", status="draft", published_at=None)
    return lot, member_of(processor, email="proc@pengunjung.test")


def english(page: Page, live_server) -> None:
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])


def test_a_visitor_finds_a_lot_and_is_asked_to_sign_in_to_bid(page: Page, live_server, world):
    lot, processor_person = world
    english(page, live_server)
    page.goto(url(live_server, "/lots/"))
    cards = page.locator("[data-testid=lot-card]")
    expect(cards).to_have_count(1)
    expect(page.get_by_text("Draf yang tidak terlihat")).to_have_count(0)
    cards.first.get_by_role("link", name=lot.title).click()
    expect(page).to_have_url(path_is(live_server, lot.get_absolute_url()))
    expect(page.locator("h1")).to_have_text(lot.title)
    expect(page.locator("[data-testid=price-words]")).to_contain_text("processor pays")
    expect(page.get_by_text("PT Baja Tersembunyi")).to_have_count(0)
    expect(page.locator("[data-testid=bid-form]")).to_have_count(0)
    # the preview a shared link shows
    expect(page.locator('meta[property="og:title"]')).to_have_attribute(
        "content", f"100\u00a0t of Steel slag (EAF/BOF) · {lot.title}"
    )
    page.locator("[data-testid=sign-in-link]").click()
    expect(page).to_have_url(path_is(live_server, "/accounts/login/"))
    page.locator("#main [name=username]").fill(processor_person.email)
    page.locator("#main [name=password]").fill(PASSWORD)
    page.locator("#main form button[type=submit]").click()
    expect(page).to_have_url(path_is(live_server, lot.get_absolute_url()))
    expect(page.locator("[data-testid=bid-form]")).to_be_visible()


def test_a_processor_follows_a_lot_and_stops_following_it(page: Page, live_server, world):
    lot, processor_person = world
    english(page, live_server)
    log_in(page, live_server, processor_person.email, PASSWORD)
    page.goto(url(live_server, lot.get_absolute_url()))
    page.locator("[data-testid=follow]").click()
    # htmx swaps the button in place: the page is not reloaded (no flash message)
    expect(page.locator("[data-testid=unfollow]")).to_be_visible()
    expect(page.get_by_text("You will be reminded before it closes.")).to_be_visible()
    expect(page.locator(".alert-success")).to_have_count(0)
    assert Watch.objects.filter(user=processor_person, lot=lot).count() == 1
    page.goto(url(live_server, "/my/bids/"))
    followed = page.locator("[data-testid=watched-lot]")
    expect(followed).to_have_count(1)
    expect(followed).to_contain_text(lot.reference)
    followed.get_by_role("button", name="Stop following").click()
    expect(page).to_have_url(url(live_server, "/my/bids/#following"))
    expect(page.locator("[data-testid=watched-empty]")).to_be_visible()
    assert not Watch.objects.exists()

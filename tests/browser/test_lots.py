"""A plant manager posts a lot with a photo and publishes it; a processor finds it with a filter and a search."""

import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import Page, expect

from listings.models import WasteLot
from tests.browser.test_journeys import log_in, path_is, url
from tests.factories import PASSWORD, OrganisationFactory, category, member_of

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


@pytest.fixture
def people(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    category()  # the catalogue, seeded again on the flushed database
    plant = OrganisationFactory(name="PT Baja Browser", slug="baja-browser", latitude=-6.03, longitude=105.96)
    processor = OrganisationFactory(
        name="CV Olah Browser", slug="olah-browser", processor=True, latitude=-6.034, longitude=106.06
    )
    return member_of(plant, email="plant@browser.test"), member_of(processor, email="proc@browser.test")


def photo_file(tmp_path):
    path = tmp_path / "tumpukan-slag.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (90, 90, 95)).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return path


def test_plant_posts_and_publishes_processor_finds_and_opens(page: Page, live_server, people, tmp_path):
    plant_person, processor_person = people
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    log_in(page, live_server, plant_person.email, PASSWORD)

    page.goto(url(live_server, "/lots/new/"))
    page.locator("[name=title]").fill("Slag baja EAF browser")
    page.locator("[name=category]").select_option("steel-slag")
    page.locator("[name=description]").fill("Slag dari tanur busur listrik.")
    page.locator("[name=physical_form]").select_option("solid")
    page.locator("[name=packaging]").select_option("bulk")
    page.locator("[name=quantity]").fill("1200")
    page.locator("[name=unit]").select_option("t")
    page.locator("[name=available_from]").fill(timezone.localdate().isoformat())
    deadline = (timezone.localtime() + timedelta(days=6)).strftime("%Y-%m-%dT%H:%M")
    page.locator("[name=closes_at]").fill(deadline)
    page.locator("[name=bidding_mode][value=sealed]").check()
    page.locator("[name=reserve_price]").fill("-15000")
    # The signed price is said in words while typing.
    expect(page.locator("[data-price-words]")).to_have_text("plant pays Rp 15,000 / t")
    page.locator("[name=reserve_price]").fill("150000")
    expect(page.locator("[data-price-words]")).to_have_text("processor pays Rp 150,000 / t")
    page.locator("[name=photos]").set_input_files(str(photo_file(tmp_path)))
    page.locator("[data-testid=lot-form] button[type=submit]").click()

    lot = WasteLot.objects.get(title="Slag baja EAF browser")
    expect(page).to_have_url(path_is(live_server, f"/lots/{lot.reference}/"))
    expect(page.locator("[data-testid=lot-status]")).to_have_text("Draft")
    expect(page.locator("img[src$='/thumbnail/']")).to_have_count(1)
    page.locator("[data-testid=publish]").click()
    expect(page.locator("[data-testid=lot-status]")).to_have_text("Open for bids")
    expect(page.locator("[data-testid=timeline] li")).to_have_count(2)

    page.context.clear_cookies()
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    log_in(page, live_server, processor_person.email, PASSWORD)
    page.goto(url(live_server, "/lots/"))
    page.locator("#lot-filters [name=group]").select_option("slags-and-ashes")
    page.locator("#id_q").fill("eaf")
    page.locator("#lot-filters button[type=submit]").click()
    expect(page).to_have_url(re.compile(r".*q=eaf.*"))
    cards = page.locator("[data-testid=lot-card]")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("processor pays Rp 150,000 / t")
    cards.first.locator("a").click()
    expect(page).to_have_url(path_is(live_server, f"/lots/{lot.reference}/"))
    expect(page.locator("[data-testid=price-words]")).to_have_text("processor pays Rp 150,000 / t")
    expect(page.locator("[data-countdown]")).to_be_visible()


def test_filters_update_without_a_full_reload(page: Page, live_server, people):
    _plant_person, processor_person = people
    from tests.factories import LotFactory

    LotFactory(title="Oli bekas browser", category=category("used-lube-oil"), unit="L")
    LotFactory(title="Slag browser")
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    log_in(page, live_server, processor_person.email, PASSWORD)
    page.goto(url(live_server, "/lots/"))
    expect(page.locator("[data-testid=lot-card]")).to_have_count(2)
    page.evaluate("window.__marker = 'still-here'")
    page.locator("#lot-filters [name=hazardous]").select_option("true")  # htmx swaps the results on change
    expect(page.locator("[data-testid=lot-card]")).to_have_count(1)
    expect(page.locator("[data-testid=lot-card]")).to_contain_text("Oli bekas browser")
    assert page.evaluate("window.__marker") == "still-here"  # no full page load happened
    assert "hazardous=true" in page.url  # and the URL is bookmarkable

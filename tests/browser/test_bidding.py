"""A processor bids, revises and withdraws; a plant awards after the deadline; pickup, processing, ratings."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import Page, expect

from listings.models import Bid, Rating, WasteLot
from tests.browser.test_journeys import log_in, url
from tests.factories import PASSWORD, LotFactory, OrganisationFactory, member_of

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


@pytest.fixture
def setting(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    plant = OrganisationFactory(name="PT Baja Lelang", slug="baja-lelang", latitude=-6.03, longitude=105.96)
    processor = OrganisationFactory(
        name="CV Olah Lelang", slug="olah-lelang", processor=True, latitude=-6.03, longitude=106.06
    )
    lot = LotFactory(plant=plant, title="Mill scale lelang", bidding_mode="sealed", quantity=Decimal("100"))
    return member_of(plant, email="plant@lelang.test"), member_of(processor, email="proc@lelang.test"), lot


def english(page: Page, live_server):
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])


def test_bid_revise_withdraw_then_award_handover_and_ratings(page: Page, live_server, setting, tmp_path):
    plant_person, processor_person, lot = setting
    english(page, live_server)
    log_in(page, live_server, processor_person.email, PASSWORD)
    page.goto(url(live_server, lot.get_absolute_url()))
    form = page.locator("[data-testid=bid-form]")
    form.locator("[name=price_per_unit]").fill("250000")
    expect(page.locator("[data-testid=bid-form] [data-price-words]")).to_have_text("processor pays Rp 250,000 / t")
    form.locator("[name=quantity]").fill("80")
    form.locator("[name=route]").select_option("recycling")
    form.locator("button[type=submit]").click()
    expect(page.locator("[data-testid=my-bid]")).to_contain_text("processor pays Rp 250,000 / t")

    page.locator("[data-testid=bid-form] [name=price_per_unit]").fill("275000")
    page.locator("[data-testid=bid-form] button[type=submit]").click()
    expect(page.locator("[data-testid=my-bid]")).to_contain_text("processor pays Rp 275,000 / t")
    expect(page.locator("[data-testid=my-bid] details")).to_contain_text("2 versions")

    page.locator("[data-testid=withdraw]").click()
    expect(page.locator(".alert-success")).to_contain_text("withdrawn")
    assert Bid.objects.get().status == "withdrawn"

    # Bid again, then the deadline passes and the plant awards.
    page.locator("[data-testid=bid-form] [name=price_per_unit]").fill("260000")
    page.locator("[data-testid=bid-form] [name=route]").select_option("recycling")  # no route is chosen for us
    page.locator("[data-testid=bid-form] button[type=submit]").click()
    expect(page.locator("[data-testid=my-bid]")).to_contain_text("Live")
    WasteLot.objects.filter(pk=lot.pk).update(closes_at=timezone.now() - timedelta(seconds=1))

    english(page, live_server)
    log_in(page, live_server, plant_person.email, PASSWORD)
    page.goto(url(live_server, lot.get_absolute_url()))
    page.locator("[data-testid=choose-winner]").click()
    expect(page.locator("[data-testid=bid-row]")).to_have_count(1)
    expect(page.locator("[data-testid=bid-row]")).to_contain_text("CV Olah Lelang")
    page.locator("[data-testid=bid-row] [data-testid=award-bid]").click()
    # The confirmation shows the bid whole; the best price needs no reason.
    expect(page.locator("[data-testid=award-confirm]")).to_contain_text("CV Olah Lelang")
    expect(page.locator("[data-testid=award-confirm]")).to_contain_text("processor pays Rp 26,000,000")
    expect(page.locator("[data-testid=award-form] [name=reason]")).to_have_count(0)
    page.locator("[data-testid=confirm-award]").click()
    expect(page.locator("[data-testid=lot-status]")).to_have_text("Awarded")

    # The plant records the pickup; the processor records processing with a photo as proof.
    pickup = page.locator("[data-testid=pickup-form]")
    pickup.locator("[name=carrier]").fill("PT Angkut Banten")
    pickup.locator("[name=vehicle]").fill("A 1234 BC")
    pickup.locator("[name=quantity_sent]").fill("80")
    pickup.locator("button[type=submit]").click()
    expect(page.locator("[data-testid=lot-status]")).to_have_text("Collected")

    english(page, live_server)
    log_in(page, live_server, processor_person.email, PASSWORD)
    page.goto(url(live_server, lot.get_absolute_url()))
    processing = page.locator("[data-testid=processing-form]")
    processing.locator("[name=quantity_received]").fill("70")
    processing.locator("[name=route_used]").select_option("recycling")
    proof = tmp_path / "bukti.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (200, 150), (10, 120, 10)).save(buffer, "JPEG")
    proof.write_bytes(buffer.getvalue())
    processing.locator("[name=proof]").set_input_files(str(proof))
    processing.locator("button[type=submit]").click()
    expect(page.locator("[data-testid=mismatch]")).to_be_visible()  # 80 out, 70 in: more than 2 %

    english(page, live_server)
    log_in(page, live_server, plant_person.email, PASSWORD)
    page.goto(url(live_server, lot.get_absolute_url()))
    page.locator("[data-testid=confirm]").click()
    expect(page.locator("[data-testid=lot-status]")).to_have_text("Completed")
    page.locator("[data-testid=rating-form] [name=stars][value='4']").check()
    page.locator("[data-testid=rating-form] [name=comment]").fill("Selisih timbangan perlu dicek")
    page.locator("[data-testid=rating-form] button[type=submit]").click()
    expect(page.locator("[data-testid=rated]")).to_contain_text("4 / 5")

    english(page, live_server)
    log_in(page, live_server, processor_person.email, PASSWORD)
    page.goto(url(live_server, lot.get_absolute_url()))
    page.locator("[data-testid=rating-form] [name=stars][value='5']").check()
    page.locator("[data-testid=rating-form] button[type=submit]").click()
    expect(page.locator("[data-testid=rated]")).to_contain_text("5 / 5")
    assert Rating.objects.count() == 2


def test_sealed_bids_stay_hidden_from_the_plant_until_the_deadline(page: Page, live_server, setting):
    plant_person, processor_person, lot = setting
    from listings import services
    from listings.services import BidOffer

    services.bid_place(
        lot=lot,
        acting_user=processor_person,
        offer=BidOffer(
            price_per_unit=999000,
            quantity=Decimal("10"),
            pickup_date=timezone.localdate() + timedelta(days=1),
            route="reuse",
        ),
    )
    english(page, live_server)
    log_in(page, live_server, plant_person.email, PASSWORD)
    page.goto(url(live_server, f"/lots/{lot.reference}/bids/"))
    expect(page.locator("[data-testid=sealed]")).to_contain_text("1 sealed bid received")
    content = page.content()
    assert "999.000" not in content and "CV Olah Lelang" not in content


def test_bids_page_fits_a_phone(page: Page, live_server, setting):
    plant_person, processor_person, lot = setting
    from listings import services
    from listings.services import BidOffer

    WasteLot.objects.filter(pk=lot.pk).update(bidding_mode="open")
    lot.refresh_from_db()
    services.bid_place(
        lot=lot,
        acting_user=processor_person,
        offer=BidOffer(
            price_per_unit=5000,
            quantity=Decimal("10"),
            pickup_date=timezone.localdate() + timedelta(days=1),
            route="reuse",
        ),
    )
    page.set_viewport_size({"width": 390, "height": 844})
    english(page, live_server)
    log_in(page, live_server, plant_person.email, PASSWORD)
    page.goto(url(live_server, f"/lots/{lot.reference}/bids/"))
    expect(page.locator("[data-testid=bid-row]")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

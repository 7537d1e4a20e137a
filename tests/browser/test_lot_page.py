"""The lot page and its forms in a real browser: facts first on a phone, every bid error in one round, the award
confirmed on a page that shows the bid, and the lot form's error summary taking the focus."""

from datetime import timedelta
from decimal import Decimal

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import Page, expect

from listings import services
from listings.models import Award, WasteLot
from listings.services import BidOffer
from tests.browser.test_journeys import log_in, url
from tests.factories import PASSWORD, LotFactory, OrganisationFactory, member_of

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

PHONE = {"width": 390, "height": 844}


def axe_violations(page: Page) -> list[str]:
    return [f"{v['id']}: {v['help']}" for v in Axe().run(page).response["violations"]]


FOCUSED_SUMMARY = "() => document.activeElement && document.activeElement.hasAttribute('data-error-summary')"


@pytest.fixture
def setting(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    plant = OrganisationFactory(name="PT Baja Fakta", slug="baja-fakta", latitude=-6.03, longitude=105.96)
    processor = OrganisationFactory(name="CV Olah Fakta", slug="olah-fakta", processor=True)
    lot = LotFactory(
        plant=plant,
        title="Slag baja dari tanur busur listrik, stockyard Ciwandan",
        description="Slag baja. " * 80,  # a long description: it must not push the facts down
        bidding_mode="open",
        quantity=Decimal("120"),
        reserve_price=-15000,
        local_first_days=3,
        inspection_from=timezone.now() + timedelta(days=1),
        inspection_until=timezone.now() + timedelta(days=1, hours=4),
    )
    return member_of(plant, email="plant@fakta.test"), member_of(processor, email="proc@fakta.test"), lot


def english(page: Page, live_server):
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])


def bottom_of(page: Page, selector: str) -> float:
    return page.locator(selector).evaluate("(e) => e.getBoundingClientRect().bottom + window.scrollY")


@pytest.mark.parametrize("language", ["id", "en"])
def test_facts_first_on_a_phone(page: Page, live_server, setting, language):
    _plant_person, processor_person, lot = setting
    page.set_viewport_size(PHONE)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    log_in(page, live_server, processor_person.email, PASSWORD)
    page.goto(url(live_server, lot.get_absolute_url()))
    first_screen = page.evaluate("window.innerHeight")
    for fact in ("quantity", "price", "deadline", "category"):
        bottom = bottom_of(page, f"[data-testid=fact-{fact}]")
        assert bottom <= first_screen, f"{fact} ends {bottom:.0f} px down, below the first screen ({first_screen} px)"
    expect(page.locator("[data-testid=fact-quantity]")).to_contain_text("120\u00a0t")
    expect(page.locator("[data-testid=fact-deadline] time")).to_contain_text("WIB")
    # Then the form, then the details.
    facts_bottom = bottom_of(page, "[data-testid=lot-facts]")
    form_top = page.locator("[data-testid=bid-form]").evaluate("(e) => e.getBoundingClientRect().top + window.scrollY")
    details_top = page.locator("[data-testid=lot-details]").evaluate(
        "(e) => e.getBoundingClientRect().top + window.scrollY"
    )
    assert facts_bottom <= form_top < details_top
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_bid_form_shows_every_error_in_one_round(page: Page, live_server, setting):
    _plant_person, processor_person, lot = setting
    english(page, live_server)
    log_in(page, live_server, processor_person.email, PASSWORD)
    page.goto(url(live_server, lot.get_absolute_url()))
    form = page.locator("[data-testid=bid-form]")
    # Nothing chosen for the bidder, nothing said under an empty price, no licence on a non-hazardous lot.
    expect(form.locator("[name=route]")).to_have_value("")
    expect(form.locator("[data-price-words]")).to_have_text("")
    expect(form.locator("[name=licence]")).to_have_count(0)
    expect(form.locator("[name=quantity]")).to_have_value("120")
    form.locator("[name=price_per_unit]").fill("-15000")
    expect(form.locator("[data-price-words]")).to_have_text("plant pays Rp 15,000 / t")
    form.locator("[name=price_per_unit]").fill("")
    expect(form.locator("[data-price-words]")).to_have_text("")

    form.locator("[name=price_per_unit]").fill("12.34.5")
    form.locator("[name=quantity]").fill("150")
    form.locator("button[type=submit]").click()
    summary = page.locator("[data-testid=bid-form] [data-testid=error-summary]")
    expect(summary).to_be_visible()
    page.wait_for_function(FOCUSED_SUMMARY, timeout=5000)  # forms.js runs once the page is parsed
    expect(summary.locator("li")).to_have_count(3)  # price, quantity and route at once
    for field in ("price_per_unit", "quantity", "route"):
        expect(page.locator(f"#id_{field}_errors")).to_be_visible()
    expect(page.locator("#id_quantity_errors")).to_contain_text("more than the lot's 120 t")
    assert axe_violations(page) == []  # the page with its errors stays accessible

    # Corrected in one go, the bid is placed.
    form.locator("[name=price_per_unit]").fill("-12000")
    form.locator("[name=quantity]").fill("100")
    form.locator("[name=route]").select_option("recycling")
    form.locator("button[type=submit]").click()
    expect(page.locator("[data-testid=my-bid]")).to_contain_text("plant pays Rp 12,000 / t")


def test_award_with_confirmation_on_a_phone(page: Page, live_server, setting):
    plant_person, processor_person, lot = setting
    rival = member_of(OrganisationFactory(name="CV Saingan", processor=True), email="rival@fakta.test")
    for person, price, quantity in ((processor_person, -12000, "100"), (rival, -9000, "50")):
        services.bid_place(
            lot=lot,
            acting_user=person,
            offer=BidOffer(
                price_per_unit=price,
                quantity=Decimal(quantity),
                pickup_date=timezone.localdate() + timedelta(days=2),
                route="recycling",
            ),
        )
    page.set_viewport_size(PHONE)
    english(page, live_server)
    log_in(page, live_server, plant_person.email, PASSWORD)
    page.goto(url(live_server, f"/lots/{lot.reference}/bids/"))
    rows = page.locator("[data-testid=bid-row]")
    expect(rows).to_have_count(2)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # Stacked cards: distance, rating, licence and status are on screen, not off to the side.
    for label in ("Distance", "Rating", "Licence", "Status"):
        cell = rows.first.locator(f"td[data-label='{label}']")
        expect(cell).to_be_visible()
        assert cell.evaluate("(e) => e.getBoundingClientRect().right") <= PHONE["width"]

    # The lower price (CV Olah Fakta: the plant pays more): the confirmation shows the bid and asks why.
    rows.filter(has_text="CV Olah Fakta").locator("[data-testid=award-bid]").click()
    confirm = page.locator("[data-testid=award-confirm]")
    expect(confirm).to_contain_text("CV Olah Fakta")
    expect(confirm).to_contain_text("plant pays Rp 12,000 / t")
    expect(confirm).to_contain_text("100\u00a0t")
    expect(confirm).to_contain_text("plant pays Rp 1,200,000")
    expect(page.locator("[data-testid=award-form] [name=reason]")).to_have_value("")
    assert axe_violations(page) == []
    page.locator("[data-testid=confirm-award]").click()
    expect(page.locator("[data-testid=error-summary]")).to_contain_text("not the best price")
    page.wait_for_function(FOCUSED_SUMMARY, timeout=5000)  # forms.js runs once the page is parsed
    assert not Award.objects.exists()
    page.locator("[data-testid=award-form] [name=reason]").select_option("local-business")
    page.locator("[data-testid=confirm-award]").click()
    expect(page.locator("[data-testid=lot-status]")).to_have_text("Awarded")
    award = Award.objects.get()
    assert award.bid.bidder.name == "CV Olah Fakta" and award.reason == "local-business"
    expect(page.locator("[data-testid=fact-deadline]")).to_contain_text("Bidding closed")


def test_lot_form_error_summary_takes_the_focus(page: Page, live_server, setting):
    plant_person, _processor_person, _lot = setting
    english(page, live_server)
    log_in(page, live_server, plant_person.email, PASSWORD)
    page.goto(url(live_server, "/lots/new/"))
    recurring = page.locator("[data-testid=recurring-fields]")
    expect(recurring).to_be_hidden()
    page.locator("[name=is_recurring]").check()
    expect(recurring).to_be_visible()
    page.locator("[name=quantity]").fill("abc")
    page.locator("[data-testid=lot-form] button[type=submit]").click()

    summary = page.locator("[data-testid=error-summary]")
    expect(summary).to_be_visible()
    page.wait_for_function(FOCUSED_SUMMARY, timeout=5000)  # forms.js runs once the page is parsed
    expect(recurring).to_be_visible()  # recurring was chosen: its fields and their errors stay in view
    assert axe_violations(page) == []
    expect(summary.locator("a[href='#id_frequency']")).to_be_visible()
    summary.locator("a[href='#id_quantity']").click()
    expect(page.locator("#id_quantity")).to_be_focused()
    summary.locator("a[href='#id_title']").click()
    expect(page.locator("#id_title")).to_be_focused()
    assert not WasteLot.objects.filter(title="").exists()


def test_lot_form_without_scripts_still_shows_recurring_fields_and_the_summary(browser, live_server, setting):
    plant_person, _processor_person, _lot = setting
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(url(live_server, "/accounts/login/"))
    page.locator("#main [name=username]").fill(plant_person.email)
    page.locator("#main [name=password]").fill(PASSWORD)
    page.locator("#main form button[type=submit]").click()
    page.goto(url(live_server, "/lots/new/"))
    expect(page.locator("[data-testid=recurring-fields]")).to_be_visible()
    page.locator("[data-testid=lot-form] button[type=submit]").click()
    expect(page.locator("[data-testid=error-summary]")).to_be_visible()
    expect(page.locator("[data-testid=error-summary] a[href='#id_title']")).to_have_count(1)
    context.close()

"""An official opens the dashboard, changes the period (htmx, the charts drawn again) and downloads the CSV."""

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_journeys import log_in, url
from tests.dashboard.conftest import at, make_deal
from tests.factories import PASSWORD, OrganisationFactory, category, member_of

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

SCREENSHOTS = Path("test-results")


@pytest.fixture
def official():
    category()  # the catalogue, seeded again on the flushed database
    plant = OrganisationFactory(name="PT Baja Dasbor", slug="baja-dasbor")
    local = OrganisationFactory(name="CV Olah Dasbor", slug="olah-dasbor", processor=True, japnas_number="JPN-7")
    make_deal(plant=plant, processor=local, quantity="100", price=-15_000, awarded=at(2025, 3, 11),
              completed=at(2025, 3, 20))  # fmt: skip
    make_deal(plant=plant, processor=local, code="ferrous-scrap", quantity="40", price=4_000_000,
              awarded=at(2025, 9, 2))  # fmt: skip
    authority = OrganisationFactory(authority=True, name="DLH Dasbor", slug="dlh-dasbor")
    return member_of(authority, email="official@browser.test")


def test_official_changes_the_period_and_downloads_the_csv(page: Page, live_server, official):
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    log_in(page, live_server, official.email, PASSWORD)
    page.locator("[data-nav=dashboard]").first.click()
    expect(page.locator("h1")).to_contain_text("Dashboard")
    expect(page.locator('[data-figure="tonnes_awarded"]')).to_have_text("0 t")  # this year: nothing yet

    page.locator("#dashboard-filters [name=period]").select_option("year")
    page.locator("#dashboard-filters [name=start]").fill("2025-06-15")
    page.locator("#dashboard-filters [name=start]").dispatch_event("change")
    expect(page.locator('[data-figure="tonnes_awarded"]')).to_have_text("140 t")
    expect(page.locator('[data-figure="awarded_banten_share"]')).to_have_text("100.0 %")
    expect(page).to_have_url(
        url(live_server, "/dashboard/?period=year&start=2025-06-15&end=&group=&category=&kecamatan=")
    )
    # The charts are drawn again after the swap (Chart.js holds an instance per canvas), each when it comes
    # near the screen. Scrolled to inside the polled function: the swap may still replace the canvas.
    page.wait_for_function(
        """() => {
          const canvas = document.getElementById('chart-trend');
          canvas.scrollIntoView({block: 'center'});
          return window.Chart && Chart.getChart(canvas);
        }"""
    )
    expect(page.locator("[data-testid=table-trend] tbody tr")).to_have_count(12)

    page.locator("#dashboard-filters [name=period]").select_option("quarter")
    expect(page.locator('[data-figure="tonnes_awarded"]')).to_have_text("0 t")  # April to June 2025
    page.locator("#dashboard-filters [name=period]").select_option("year")
    expect(page.locator('[data-figure="tonnes_awarded"]')).to_have_text("140 t")

    with page.expect_download() as download_info:
        page.locator("[data-testid=export-deals-csv]").click()
    download = download_info.value
    assert download.suggested_filename == "wastex-deals-2025-01-01-2025-12-31.csv"
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text())))
    assert len(rows) == 2 and rows[1][2] == "steel-slag" and rows[1][5] == "CV Olah Dasbor"

    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    expect(page.locator('[data-figure="tonnes_completed"]')).to_be_visible()
    # On a phone a chart far below the first screen is drawn only when it comes near it (it held the main
    # thread at first paint), and then it is.
    page.reload()
    expect(page.locator('[data-figure="tonnes_completed"]')).to_be_visible()
    page.wait_for_timeout(300)
    drawn = "(id) => Boolean(Chart.getChart(document.getElementById(id)))"
    assert page.evaluate(drawn, "chart-categories") is False
    page.wait_for_function(
        f"""() => {{
          document.getElementById('chart-categories').scrollIntoView({{block: 'center'}});
          return ({drawn})('chart-categories');
        }}"""
    )
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "dashboard-official-phone.png"), full_page=True)

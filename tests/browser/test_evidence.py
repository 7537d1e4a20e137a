"""A plant's person opens the yearly evidence pack from the dashboard, watches the build (htmx polling the status
fragment) and downloads the ZIP."""

import io
import zipfile

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from documents import evidence, evidence_build
from tests.browser.test_journeys import log_in
from tests.dashboard.conftest import at, make_deal
from tests.factories import PASSWORD, OrganisationFactory, category, member_of

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def test_a_plant_watches_its_evidence_pack_being_built_and_downloads_it(
    page: Page, live_server, settings, tmp_path, monkeypatch
):
    settings.MEDIA_ROOT = str(tmp_path)
    category()  # the catalogue, seeded again on the flushed database
    year = timezone.localdate().year
    plant = OrganisationFactory(name="PT Baja Bukti Peramban", slug="baja-bukti-peramban")
    processor = OrganisationFactory(name="CV Olah Peramban", slug="olah-peramban", processor=True)
    make_deal(plant=plant, processor=processor, quantity="42", awarded=at(year, 1, 2), completed=at(year, 1, 9),
              route_used="recycling")  # fmt: skip
    person = member_of(plant, email="bukti@peramban.test")
    # Asked for, and waiting for a worker (the broker never hands it over: this test plays the worker below).
    monkeypatch.setattr(evidence, "_dispatch", lambda pack_id: None)
    pack = evidence.evidence_request(organisation=plant, year=year, acting_user=person)

    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    log_in(page, live_server, person.email, PASSWORD)
    page.locator("[data-nav=dashboard]").first.click()
    page.get_by_test_id("evidence-link").click()
    expect(page.locator("h1")).to_contain_text(f"Yearly evidence pack {year}")
    status = page.get_by_test_id("evidence-status")
    expect(status).to_have_attribute("data-status", "pending")
    expect(page.get_by_test_id("evidence-progress")).to_be_visible()

    evidence_build.build(pack.pk)  # the worker: the page sees it finish by polling its status fragment
    expect(status).to_have_attribute("data-status", "ready", timeout=10_000)
    with page.expect_download() as download:
        page.get_by_test_id("evidence-download").click()
    content = download.value.path().read_bytes()
    assert download.value.suggested_filename == f"wastex-evidence-{plant.slug}-{year}.zip"
    names = zipfile.ZipFile(io.BytesIO(content)).namelist()
    assert f"wastex-evidence-{plant.slug}-{year}/evidence-{year}.pdf" in names

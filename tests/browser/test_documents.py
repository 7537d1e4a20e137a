"""A visitor checks a processing certificate by the code printed on it, and sees when it has been revoked."""

import re

import pytest
from playwright.sync_api import Page, expect

from documents import services
from documents.models import Document
from tests.browser.test_journeys import url
from tests.visibility_world import SENT, WINNER_ORGANISATION, build_world

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def test_a_visitor_checks_a_certificate_by_its_code(page: Page, live_server, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    world = build_world("completed")
    certificate = Document.objects.get(lot=world.lots["deal"], kind="processing-certificate")
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])

    page.goto(url(live_server, "/verify/"))
    page.get_by_label("Verification code").fill(certificate.code)
    page.get_by_test_id("verify-submit").click()
    expect(page).to_have_url(url(live_server, f"/verify/{certificate.code}/"))
    verdict = page.get_by_test_id("verdict")
    expect(verdict).to_contain_text(f"Genuine: document {certificate.number} was issued by WasteX and is valid.")
    expect(page.get_by_test_id("facts-parties")).to_contain_text(WINNER_ORGANISATION)
    expect(page.get_by_test_id("facts-lot")).to_contain_text(world.lots["deal"].reference)
    expect(page.get_by_test_id("facts-details")).to_contain_text("4,987.654")
    assert f"{SENT:,}" in page.get_by_test_id("facts-details").inner_text().replace("\u00a0", " ")
    # The random verification code (shown on the page) may hold the letters "Rp": not a rupiah mark.
    assert not re.search(r"\bRp\b", page.locator("main").inner_text().replace(certificate.code, ""))

    services.document_revoke(document=certificate, acting_user=world.people["staff"], reason="Issued in error")
    page.reload()
    expect(verdict).to_contain_text(f"Revoked: document {certificate.number}")
    expect(verdict).to_contain_text("Issued in error")

    page.goto(url(live_server, "/verify/?code=not-a-real-code-at-all"))
    expect(page.get_by_test_id("verdict")).to_contain_text("No document issued by WasteX has this code.")

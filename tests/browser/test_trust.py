"""A processor's change of province waits for staff; meanwhile the local-first window still refuses it."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from members.models import Organisation
from tests.browser.test_bidding import english
from tests.browser.test_journeys import log_in, url
from tests.factories import PASSWORD, LotFactory, OrganisationFactory, member_of, staff_user

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def test_a_province_change_waits_for_staff_and_local_first_still_refuses(page: Page, live_server):
    plant = OrganisationFactory(name="PT Baja Lokal", slug="baja-lokal")
    outsider = OrganisationFactory(
        name="PT Olah Bandung", slug="olah-bandung", processor=True, province="jawa-barat", city="Kota Bandung",
        kecamatan="",
    )  # fmt: skip
    lot = LotFactory(
        plant=plant, title="Slag lokal", bidding_mode="open",
        local_first_days=3, local_first_until=timezone.now() + timedelta(days=2),
    )  # fmt: skip
    processor_person = member_of(outsider, email="admin@olah-bandung.test")
    staff = staff_user(email="staf@wastex.test", full_name="Staf Verifikasi")
    TOTPDevice.objects.create(user=staff, name="authenticator", confirmed=True)  # staff sign in with a code

    english(page, live_server)
    log_in(page, live_server, processor_person.email, PASSWORD)
    page.goto(url(live_server, lot.get_absolute_url()))
    expect(page.locator("[data-testid=cannot-bid]")).to_contain_text("only Banten businesses may bid")

    # The processor says it is in Banten now: the change goes to staff.
    page.goto(url(live_server, f"/org/{outsider.slug}/edit/"))
    page.locator("[name=province]").select_option("banten")
    page.locator("[name=city]").fill("Kota Serang")
    page.locator("#main form button[type=submit]").click()
    expect(page.locator(".alert-info").first).to_contain_text("waits for their approval")
    expect(page.locator("[data-testid=pending-change]")).to_contain_text("Province Banten")
    assert Organisation.objects.get(pk=outsider.pk).province == "jawa-barat"

    # Meanwhile the local-first window still refuses it.
    page.goto(url(live_server, lot.get_absolute_url()))
    expect(page.locator("[data-testid=cannot-bid]")).to_contain_text("only Banten businesses may bid")
    expect(page.locator("[data-testid=bid-form]")).to_have_count(0)

    # Staff see old and new side by side and approve.
    english(page, live_server)
    log_in(page, live_server, staff.email, PASSWORD)
    page.goto(url(live_server, "/staff/changes/"))
    card = page.locator("[data-testid^=change-]")
    expect(card).to_contain_text("Jawa Barat")
    expect(card).to_contain_text("Kota Bandung")
    card.locator("[name=reason]").fill("Akta domisili checked")
    card.locator("button[value=approve]").click()
    expect(page.locator(".alert-success")).to_contain_text("approved")

    # Now the processor may bid; its page keeps the decision and the reason.
    english(page, live_server)
    log_in(page, live_server, processor_person.email, PASSWORD)
    page.goto(url(live_server, lot.get_absolute_url()))
    expect(page.locator("[data-testid=bid-form]")).to_be_visible()
    page.goto(url(live_server, outsider.get_absolute_url()))
    expect(page.locator("[data-testid=change-history]")).to_contain_text("Akta domisili checked")
    expect(page.locator("[data-testid=pending-change]")).to_have_count(0)

"""Staff sign in with a second factor: password, then a code from their authenticator app."""

import base64
import re

import pytest
from django.core.management import call_command
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from demo.people import DEMO_PASSWORD, DEMO_TOTP_SECRET
from tests.factories import PASSWORD, OrganisationFactory, staff_user

from .test_journeys import path_is, url

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def password_step(page: Page, live_server, email: str, password: str, start: str) -> None:
    page.goto(url(live_server, start))
    expect(page).to_have_url(re.compile(re.escape(url(live_server, "/accounts/login/")) + r"\?next="))
    page.locator("#main [name=username]").fill(email)
    page.locator("#main [name=password]").fill(password)
    page.locator("#main form button[type=submit]").click()


def test_demo_staff_sign_in_with_a_code_and_reach_the_verification_queue(page: Page, live_server):
    call_command("load_demo", verbosity=0)
    password_step(page, live_server, "staff@demo.test", DEMO_PASSWORD, "/staff/organisations/")

    expect(page).to_have_url(path_is(live_server, "/accounts/two-factor/verify/"))
    page.goto(url(live_server, "/admin/"))  # nothing else opens before the code
    expect(page).to_have_url(path_is(live_server, "/accounts/two-factor/verify/"))
    page.goto(url(live_server, "/staff/organisations/"))
    expect(page).to_have_url(path_is(live_server, "/accounts/two-factor/verify/"))

    page.locator("#main [name=code]").fill("000000")
    page.locator("#main [data-testid=two-factor-verify] button[type=submit]").click()
    expect(page.locator("#main .invalid-feedback, #main .alert-danger").first).to_contain_text(
        re.compile("kode|code", re.I)
    )
    TOTPDevice.objects.filter(user__email="staff@demo.test").update(throttling_failure_count=0)

    code = totp(base64.b32decode(DEMO_TOTP_SECRET))  # what the README's secret gives in any authenticator app
    page.locator("#main [name=code]").fill(f"{code:06d}")
    page.locator("#main [data-testid=two-factor-verify] button[type=submit]").click()

    expect(page).to_have_url(path_is(live_server, "/staff/organisations/"))
    expect(page.locator("#main table a[href^='/staff/organisations/']").first).to_be_visible()
    page.goto(url(live_server, "/admin/"))
    expect(page.locator("body.dashboard")).to_be_visible()


def test_new_staff_set_up_their_authenticator_at_first_sign_in(page: Page, live_server):
    OrganisationFactory(name="PT Menunggu", slug="menunggu", unverified=True)
    staff = staff_user(email="baru@wastex.test")
    password_step(page, live_server, staff.email, PASSWORD, "/staff/organisations/")

    expect(page).to_have_url(path_is(live_server, "/accounts/two-factor/setup/"))
    expect(page.get_by_test_id("totp-qr")).to_be_visible()
    secret = page.get_by_test_id("totp-secret").inner_text().replace(" ", "")
    page.locator("#main [name=code]").fill(f"{totp(base64.b32decode(secret)):06d}")
    page.locator("#main [data-testid=two-factor-setup] button[type=submit]").click()

    codes = page.get_by_test_id("recovery-codes").locator("li")
    expect(codes).to_have_count(10)
    page.locator("#main a.btn-success").click()
    expect(page).to_have_url(path_is(live_server, "/staff/organisations/"))
    expect(page.locator("#main table a[href='/staff/organisations/menunggu/']")).to_be_visible()
    assert TOTPDevice.objects.get(user=staff).confirmed

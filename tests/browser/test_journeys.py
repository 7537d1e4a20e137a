"""End-to-end journeys through a real browser (Chromium via Playwright) against Django's live server.

Each test uses `transactional_db` so that what it creates is committed and visible to the live server's
thread, and the live server's writes are visible back to the test. Fields are located by `name`, data-testid
or URL, never by their (soon translated) labels, except after switching the page to English.
"""

import re

import pytest
from django.core import mail
from django.core.management import call_command
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from members.models import Membership, Organisation, User
from tests.factories import PASSWORD, OrganisationFactory, member_of, staff_user

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

DEMO_PASSWORD = "wastex-demo"


def url(live_server, path: str) -> str:
    return f"{live_server.url}{path}"


def path_is(live_server, path: str) -> re.Pattern:
    """A pattern matching exactly this path on the live server, with or without a query string."""
    return re.compile("^" + re.escape(url(live_server, path)) + r"(\?.*)?$")


def log_in(page: Page, live_server, email: str, password: str) -> None:
    page.goto(url(live_server, "/accounts/login/"))
    page.locator("#main [name=username]").fill(email)
    page.locator("#main [name=password]").fill(password)
    page.locator("#main form button[type=submit]").click()
    device = TOTPDevice.objects.filter(user__email=email, confirmed=True).first()
    if device is not None:  # staff: the second factor, as their authenticator app would give it
        expect(page).to_have_url(path_is(live_server, "/accounts/two-factor/verify/"))
        page.locator("#main [name=code]").fill(f"{totp(device.bin_key):06d}")
        page.locator("#main [data-testid=two-factor-verify] button[type=submit]").click()
    expect(page).to_have_url(path_is(live_server, "/home/"))


def fill_signup(page: Page, *, email: str, nib: str, name: str) -> None:
    page.locator("[name=full_name]").fill("Wahyu Setiawan")
    page.locator("[name=email]").fill(email)
    page.locator("[name=password1]").fill("Olah-Limbah-Banten-2024")
    page.locator("[name=password2]").fill("Olah-Limbah-Banten-2024")
    page.locator("[name=kind][value=processor]").check()
    page.locator("[name=name]").fill(name)
    page.locator("[name=nib]").fill(nib)
    page.locator("[name=address]").fill("Jl. Raya Cilegon No. 17")
    page.locator("[name=city]").fill("Kota Cilegon")
    page.locator("[name=kecamatan]").select_option("jombang")
    page.locator("[name=province]").select_option("banten")
    page.locator("[name=latitude]").fill("-6.0100")
    page.locator("[name=longitude]").fill("106.0500")
    page.locator("[name=japnas_number]").fill("JPN-BTN-0999")
    page.locator("[name=phone]").fill("+62 254 123 4567")


# 1. Every demo role logs in and lands on its own home page.
@pytest.mark.parametrize(
    ("email", "testid"),
    [
        ("plant@demo.test", "home-plant"),
        ("processor@demo.test", "home-processor"),
        ("official@demo.test", "home-official"),
        ("staff@demo.test", "home-staff"),
    ],
)
def test_demo_login_lands_on_role_home(page: Page, live_server, email, testid):
    call_command("load_demo", verbosity=0)
    log_in(page, live_server, email, DEMO_PASSWORD)

    expect(page.get_by_test_id(testid)).to_be_visible()
    for other in {"home-plant", "home-processor", "home-official", "home-staff", "home-none"} - {testid}:
        expect(page.get_by_test_id(other)).to_have_count(0)
    expect(page.get_by_test_id("user-menu")).to_be_visible()

    admin_link = page.locator("nav a[href='/admin/']")
    if testid == "home-staff":
        # The admin is in the Staff menu of the navigation (six items at most in the bar).
        page.locator("nav .dropdown:has(a[href='/admin/']) > .dropdown-toggle").click()
        expect(admin_link).to_be_visible()
        admin_link.click()
        expect(page).to_have_url(path_is(live_server, "/admin/"))
        # The admin index (not the admin login page) for a superuser.
        expect(page.locator("body.dashboard")).to_be_visible()
        expect(page.locator("#content-main a[href^='/admin/members/']").first).to_be_visible()
    else:
        expect(admin_link).to_have_count(0)


# 2. A new processor signs up and waits for verification.
def test_signup_processor_lands_home_unverified(page: Page, live_server):
    page.goto(url(live_server, "/accounts/signup/"))
    fill_signup(page, email="Wahyu@Olah-Baru.test", nib="9912345678901", name="CV Olah Baru Cilegon")
    page.locator("#main form[method=post] button[type=submit]").click()

    # Nothing exists until the address is confirmed through the link e-mailed to it.
    expect(page.get_by_test_id("signup-sent")).to_be_visible()
    assert not User.objects.filter(email__iexact="wahyu@olah-baru.test").exists()
    (message,) = [m for m in mail.outbox if m.to == ["wahyu@olah-baru.test"]]
    page.goto(url(live_server, re.search(r"https?://[^/\s]+(/accounts/signup/confirm/\S+/)", message.body).group(1)))
    page.get_by_test_id("signup-confirm").click()

    expect(page).to_have_url(path_is(live_server, "/home/"))
    banner = page.get_by_test_id("verification-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("CV Olah Baru Cilegon")
    expect(page.get_by_test_id("home-processor")).to_be_visible()

    organisation = Organisation.objects.get(nib="9912345678901")
    assert organisation.name == "CV Olah Baru Cilegon"
    assert organisation.kind == Organisation.Kind.PROCESSOR
    assert organisation.verification_status == Organisation.Status.UNVERIFIED
    user = User.objects.get(email__iexact="wahyu@olah-baru.test")
    assert user.check_password("Olah-Limbah-Banten-2024")
    membership = Membership.objects.get(user=user)
    assert membership.organisation == organisation
    assert membership.role == Membership.Role.ADMIN


# 3. A bad NIB is refused, nothing is created, and what was typed stays.
def test_signup_bad_nib_shows_error_and_creates_nothing(page: Page, live_server):
    page.goto(url(live_server, "/accounts/signup/"))
    fill_signup(page, email="salah@nib.test", nib="12345", name="CV NIB Salah")
    page.locator("#main form[method=post] button[type=submit]").click()

    expect(page).to_have_url(path_is(live_server, "/accounts/signup/"))
    nib = page.locator("[name=nib]")
    expect(nib).to_have_attribute("aria-invalid", "true")
    expect(nib).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(page.locator("#id_nib_errors")).to_be_visible()
    expect(page.locator("#id_nib_errors")).not_to_be_empty()
    # Only the NIB is wrong.
    expect(page.locator("[aria-invalid=true]")).to_have_count(1)

    expect(page.locator("[name=name]")).to_have_value("CV NIB Salah")
    expect(page.locator("[name=email]")).to_have_value("salah@nib.test")
    expect(page.locator("[name=full_name]")).to_have_value("Wahyu Setiawan")
    expect(page.locator("[name=kind][value=processor]")).to_be_checked()
    expect(page.locator("[name=kecamatan]")).to_have_value("jombang")
    # Passwords are never sent back.
    expect(page.locator("[name=password1]")).to_have_value("")

    assert not User.objects.exists()
    assert not Organisation.objects.exists()
    assert not mail.outbox


# 4. The language switcher: Indonesian first, English on request, remembered, and back again.
def test_language_switch_persists(page: Page, live_server):
    page.goto(url(live_server, "/"))
    html = page.locator("html")
    login_link = page.locator("nav a.nav-link[href='/accounts/login/']")
    expect(html).to_have_attribute("lang", "id")
    expect(page.locator("nav button[name=language][value=id]")).to_have_attribute("aria-pressed", "true")
    indonesian_text = login_link.inner_text().strip()
    assert indonesian_text and indonesian_text != "Log in"

    page.locator("nav button[name=language][value=en]").click()
    expect(html).to_have_attribute("lang", "en")
    expect(page).to_have_url(path_is(live_server, "/"))
    expect(login_link).to_have_text("Log in")
    expect(page.locator("nav button[name=language][value=en]")).to_have_attribute("aria-pressed", "true")

    page.goto(url(live_server, "/accounts/signup/"))
    expect(html).to_have_attribute("lang", "en")
    expect(login_link).to_have_text("Log in")
    page.reload()
    expect(html).to_have_attribute("lang", "en")

    page.locator("nav button[name=language][value=id]").click()
    expect(page).to_have_url(path_is(live_server, "/accounts/signup/"))
    expect(html).to_have_attribute("lang", "id")
    expect(login_link).to_have_text(indonesian_text)
    page.goto(url(live_server, "/"))
    expect(html).to_have_attribute("lang", "id")


# 5. Staff verify a waiting organisation; its people get an e-mail.
def test_staff_verifies_organisation(page: Page, live_server):
    organisation = OrganisationFactory(name="PT Menunggu Verifikasi", slug="menunggu-verifikasi", unverified=True)
    member_of(organisation, email="admin@menunggu.test")
    OrganisationFactory(name="PT Sudah Verif", slug="sudah-verif")
    staff = staff_user(email="staff@wastex.test")
    TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    mail.outbox.clear()

    log_in(page, live_server, staff.email, PASSWORD)
    page.goto(url(live_server, "/staff/organisations/"))
    review_link = page.locator("#main table a[href='/staff/organisations/menunggu-verifikasi/']")
    expect(review_link).to_have_text("PT Menunggu Verifikasi")
    # The list shows organisations awaiting verification by default, not verified ones.
    expect(page.locator("#main table a[href='/staff/organisations/sudah-verif/']")).to_have_count(0)
    review_link.click()

    expect(page).to_have_url(path_is(live_server, "/staff/organisations/menunggu-verifikasi/"))
    page.locator("button[name=action][value=verify]").click()
    expect(page).to_have_url(path_is(live_server, "/staff/organisations/"))
    expect(page.locator("#main .alert-success")).to_contain_text("PT Menunggu Verifikasi")
    expect(page.locator("#main table a[href='/staff/organisations/menunggu-verifikasi/']")).to_have_count(0)

    organisation.refresh_from_db()
    assert organisation.verification_status == Organisation.Status.VERIFIED
    assert organisation.verified_at is not None
    recipients = [address for message in mail.outbox for address in message.to]
    assert "admin@menunggu.test" in recipients, [(m.to, m.subject) for m in mail.outbox]


# 6. On a phone the navbar collapses behind a toggler, and nothing scrolls sideways.
def test_phone_viewport_navbar_collapses(page: Page, live_server):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(url(live_server, "/"))

    def assert_no_horizontal_scroll():
        scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll_width <= inner_width, f"horizontal scroll: scrollWidth {scroll_width} > innerWidth {inner_width}"

    assert_no_horizontal_scroll()
    toggler = page.locator("nav .navbar-toggler")
    login_link = page.locator("nav a.nav-link[href='/accounts/login/']")
    expect(toggler).to_be_visible()
    expect(login_link).to_be_hidden()
    expect(toggler).to_have_attribute("aria-expanded", "false")

    toggler.click()
    expect(toggler).to_have_attribute("aria-expanded", "true")
    expect(login_link).to_be_visible()
    expect(page.locator("nav button[name=language][value=en]")).to_be_visible()
    assert_no_horizontal_scroll()

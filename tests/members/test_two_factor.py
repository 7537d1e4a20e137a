"""Two-factor sign-in: required for staff (every staff page and the admin), optional for everyone else."""

import re

import pytest
from django.conf import settings
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from members.two_factor import services as two_factor
from tests.factories import PASSWORD, OrganisationFactory, login_with_second_factor

pytestmark = pytest.mark.django_db

VERIFY = reverse("members:two_factor_verify")
SETUP = reverse("members:two_factor_setup")
CODES = reverse("members:two_factor_recovery_codes")
STAFF_PAGES = ["/staff/organisations/", "/staff/licences/", "/staff/handovers/", "/admin/"]


def current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


def confirmed_device(user) -> TOTPDevice:
    client_device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    two_factor._new_recovery_codes(user)
    return client_device


def password_login(client, user):
    response = client.post(reverse("login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302, "the password step itself succeeds"
    return response


def set_up_in_browserless_client(client, user) -> tuple[TOTPDevice, list[str]]:
    """What a person does on the setup page: read the key, add it to the app, type the app's code."""
    page = client.get(SETUP)
    assert page.status_code == 200
    secret = page.context["secret_groups"]
    assert page.context["qr_data_uri"].startswith("data:image/svg+xml")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    import base64

    assert base64.b32decode("".join(secret)) == device.bin_key, "the key shown is the device's"
    response = client.post(SETUP, {"code": current_code(device)})
    assert response.status_code == 302 and response["Location"].startswith(CODES)
    codes_page = client.get(response["Location"])
    return device, codes_page.context["codes"]


# --- Optional for everyone else ---------------------------------------------------------------------------


def test_without_a_second_factor_a_person_signs_in_with_the_password_alone(client, plant_admin):
    password_login(client, plant_admin)
    assert client.get(reverse("home")).status_code == 200


def test_a_person_turns_it_on_from_the_profile_and_sees_ten_codes_once(client, plant_admin):
    client.force_login(plant_admin)
    assert reverse("members:two_factor") in client.get(reverse("members:profile")).content.decode()
    assert "Set up two-factor sign-in" in client.get(reverse("members:two_factor")).content.decode()

    device, codes = set_up_in_browserless_client(client, plant_admin)

    device.refresh_from_db()
    assert device.confirmed
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id, "the session is verified at once"
    again = client.get(CODES)
    assert again.context["codes"] is None, "recovery codes are shown only once"
    assert "You have 10 unused recovery codes" in again.content.decode()


def test_a_wrong_setup_code_is_refused_clearly_and_leaves_it_off(client, plant_admin):
    client.force_login(plant_admin)
    client.get(SETUP)
    response = client.post(SETUP, {"code": "000000"})
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=plant_admin, confirmed=True).exists()


def test_a_reload_of_the_setup_page_keeps_the_same_key(client, plant_admin):
    client.force_login(plant_admin)
    first = client.get(SETUP).context["secret_groups"]
    assert client.get(SETUP).context["secret_groups"] == first


def test_once_on_the_password_is_not_enough(client, plant_admin):
    device = confirmed_device(plant_admin)
    password_login(client, plant_admin)

    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next=%2Fhome%2F"
    for path in (
        "/lots/",
        "/dashboard/",
        f"/org/{plant_admin.membership.organisation.slug}/",
        reverse("members:profile"),
    ):
        assert client.get(path)["Location"].startswith(VERIFY), path
    assert client.post(reverse("members:profile"), {"profile-full_name": "X"})["Location"] == VERIFY

    wrong = client.post(VERIFY, {"code": "123456", "next": "/home/"})
    assert wrong.status_code == 200
    assert "That code is not right, or it was already used" in wrong.content.decode()
    assert client.get(reverse("home")).status_code == 302

    device.throttle_reset()
    right = client.post(VERIFY, {"code": current_code(device), "next": "/lots/"})
    assert right.status_code == 302 and right["Location"] == "/lots/"
    assert client.get(reverse("home")).status_code == 200


def test_the_code_step_refuses_a_foreign_next(client, plant_admin):
    device = confirmed_device(plant_admin)
    password_login(client, plant_admin)
    response = client.post(VERIFY, {"code": current_code(device), "next": "https://evil.example/"})
    assert response["Location"] == reverse("home")


def test_a_code_cannot_be_used_twice(client, plant_admin):
    device = confirmed_device(plant_admin)
    code = current_code(device)
    password_login(client, plant_admin)
    assert client.post(VERIFY, {"code": code})["Location"] == reverse("home")
    client.post(reverse("logout"))
    device.refresh_from_db()
    device.throttle_reset()
    password_login(client, plant_admin)
    replay = client.post(VERIFY, {"code": code})
    assert replay.status_code == 200 and "already used" in replay.content.decode()


def test_a_recovery_code_works_once(client, plant_admin):
    confirmed_device(plant_admin)
    code = StaticToken.objects.filter(device__user=plant_admin).first().token
    password_login(client, plant_admin)
    response = client.post(VERIFY, {"code": code.upper()})  # as typed from paper
    assert response.status_code == 302
    assert "9 left" in str([str(m) for m in response.wsgi_request._messages])
    assert client.get(reverse("home")).status_code == 200

    client.post(reverse("logout"))
    password_login(client, plant_admin)
    two_factor.totp_device(plant_admin)
    for device in plant_admin.staticdevice_set.all():
        device.throttle_reset()
    again = client.post(VERIFY, {"code": code})
    assert again.status_code == 200
    assert "That code is not right, or it was already used" in again.content.decode()
    assert client.get(reverse("home")).status_code == 302


def test_after_a_wrong_code_even_the_right_one_waits(client, plant_admin):
    device = confirmed_device(plant_admin)
    password_login(client, plant_admin)
    for _ in range(3):
        client.post(VERIFY, {"code": "000000"})
    response = client.post(VERIFY, {"code": current_code(device)})
    assert response.status_code == 200
    assert "Too many wrong codes" in response.content.decode()


def test_code_attempts_are_rate_limited(client, plant_admin, frozen_ratelimit_clock):
    confirmed_device(plant_admin)
    password_login(client, plant_admin)
    for _ in range(10):
        client.post(VERIFY, {"code": "000000"})
    response = client.post(VERIFY, {"code": "000000"})
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()


def test_regenerating_recovery_codes_voids_the_old_ones(client, plant_admin):
    login_with_second_factor(client, plant_admin)
    old = set(two_factor._new_recovery_codes(plant_admin))
    response = client.post(CODES)
    assert response["Location"] == CODES
    new = set(client.get(CODES).context["codes"])
    assert len(new) == 10 and not old & new
    assert set(StaticToken.objects.filter(device__user=plant_admin).values_list("token", flat=True)) == new


def test_a_person_turns_it_off_with_a_code_not_without(client, plant_admin):
    device = login_with_second_factor(client, plant_admin)
    disable = reverse("members:two_factor_disable")
    client.post(disable, {"code": "999999"})
    assert TOTPDevice.objects.filter(user=plant_admin).exists()
    device.throttle_reset()
    response = client.post(disable, {"code": current_code(device)})
    assert response["Location"] == reverse("members:two_factor")
    assert not TOTPDevice.objects.filter(user=plant_admin).exists()
    client.post(reverse("logout"))
    password_login(client, plant_admin)
    assert client.get(reverse("home")).status_code == 200, "no code is asked any more"


# --- Required for staff -----------------------------------------------------------------------------------


def test_staff_without_a_second_factor_reach_no_staff_page_before_setting_one_up(client, staff):
    password_login(client, staff)
    for path in [*STAFF_PAGES, "/home/", "/dashboard/", "/lots/"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(SETUP), path
    setup_page = client.get(SETUP)
    assert "Platform staff verify every organisation and licence" in setup_page.content.decode()

    set_up_in_browserless_client(client, staff)
    for path in STAFF_PAGES:
        assert client.get(path).status_code == 200, path


def test_staff_with_a_device_must_enter_a_code_for_staff_pages_and_the_admin(client, staff):
    device = confirmed_device(staff)
    password_login(client, staff)
    for path in STAFF_PAGES:
        assert client.get(path)["Location"].startswith(VERIFY), path
    assert client.get(SETUP)["Location"].startswith(VERIFY), "no second device can be added before the code"
    client.post(VERIFY, {"code": current_code(device)})
    for path in STAFF_PAGES:
        assert client.get(path).status_code == 200, path


def test_staff_pages_and_the_admin_refuse_an_unverified_session_even_without_the_gate(client, staff, settings):
    """Defence in depth: the staff views and the admin site check the second factor themselves."""
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != "members.middleware.SecondFactorMiddleware"]
    confirmed_device(staff)
    client.force_login(staff)
    for url in ("/staff/organisations/", "/staff/licences/", "/staff/handovers/", "/staff/audit/"):
        assert client.get(url).status_code == 403, url
    admin = client.get("/admin/")
    assert admin.status_code == 302 and admin["Location"].startswith("/admin/login/")
    assert client.get(admin["Location"]).status_code == 403


def test_the_admin_has_no_password_only_login_of_its_own(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/admin/"


def test_staff_cannot_turn_it_off(client, staff):
    device = login_with_second_factor(client, staff)
    response = client.post(reverse("members:two_factor_disable"), {"code": current_code(device)})
    assert response.status_code == 302
    assert TOTPDevice.objects.filter(user=staff).exists()
    messages = [str(m) for m in response.wsgi_request._messages]
    assert "Platform staff must keep two-factor sign-in" in " ".join(messages)
    assert "cannot be turned off" in client.get(reverse("members:two_factor")).content.decode()


def test_a_half_signed_in_session_may_still_log_out_and_switch_language(client, staff):
    password_login(client, staff)
    assert client.post(reverse("set_language"), {"language": "id", "next": "/"}).status_code == 302
    assert client.post(reverse("logout"))["Location"] == reverse("landing")
    assert "_auth_user_id" not in client.session


def test_staff_of_any_kind_count_superusers_without_the_staff_flag_too(client):
    from tests.factories import member_of

    root = member_of(OrganisationFactory(operator=True), is_superuser=True)
    client.force_login(root)
    assert client.get("/home/")["Location"].startswith(SETUP)


def test_the_messages_are_in_indonesian_too(client, plant_admin):
    confirmed_device(plant_admin)
    password_login(client, plant_admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"
    page = client.post(VERIFY, {"code": "123456"}).content.decode()
    assert re.search(r"Kode itu salah", page)


def test_htmx_fragments_are_refused_not_redirected_before_the_code(client, plant_admin):
    confirmed_device(plant_admin)
    password_login(client, plant_admin)
    response = client.get(reverse("members:notifications_unread"), HTTP_HX_REQUEST="true")
    assert response.status_code == 403
    assert "second factor" in response.content.decode()

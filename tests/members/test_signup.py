import re

import pytest
from django.urls import reverse

from members.models import Membership, Organisation, PendingSignup, User, VerificationEvent
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

SIGNUP = reverse("members:signup")


def signup_data(**overrides):
    data = {
        "full_name": "Sari Wulandari",
        "email": "Sari@Olah-Baru.test",
        "password1": "Sampah-jadi-emas-2026",
        "password2": "Sampah-jadi-emas-2026",
        "kind": "processor",
        "name": "CV Olah Baru",
        "nib": "1234567890123",
        "address": "Jl. Baru No. 2",
        "city": "Kota Cilegon",
        "kecamatan": "jombang",
        "province": "banten",
        "latitude": "-6.0100",
        "longitude": "106.0500",
        "japnas_number": "JPN-BTN-0999",
        "phone": "+62 254 123456",
    }
    data.update(overrides)
    return data


@pytest.fixture(autouse=True)
def _send_e_mails_at_once(monkeypatch):
    """The sign-up e-mail leaves on commit; the test's transaction never commits, so run it at once."""
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())


def without_csrf_tokens(content: bytes) -> str:
    """Each response masks its CSRF token afresh; the rest of the page must be byte for byte the same."""
    return re.sub(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+', r"\1", content.decode())


def confirm_link(mailoutbox, to: str) -> str:
    (message,) = [m for m in mailoutbox if m.to == [to]]
    return re.search(r"https?://\S+(/accounts/signup/confirm/\S+/)", message.body).group(1)


def sign_up(client, data=None, **overrides):
    """Fill in the form, then follow the link of the e-mail sent to the address, as the person does."""
    from django.core import mail

    response = client.post(SIGNUP, data or signup_data(**overrides))
    assert response.status_code == 302 and response["Location"] == reverse("members:signup_sent")
    email = (data or signup_data(**overrides))["email"].lower()
    link = confirm_link(mail.outbox, email)
    assert client.get(link).status_code == 200
    return client.post(link)


def test_signup_creates_person_and_unverified_organisation_and_logs_in(
    client, staff, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(SIGNUP, signup_data())
    assert response["Location"] == reverse("members:signup_sent")
    assert not User.objects.filter(email="sari@olah-baru.test").exists(), "nothing before the address is confirmed"
    link = confirm_link(mailoutbox, "sari@olah-baru.test")
    assert client.get(link).status_code == 200
    assert not User.objects.filter(email="sari@olah-baru.test").exists(), "opening the link creates nothing"
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(link)

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    user = User.objects.get(email="sari@olah-baru.test")  # normalised to lower case
    organisation = Organisation.objects.get(nib="1234567890123")
    assert organisation.verification_status == Organisation.Status.UNVERIFIED
    assert organisation.kind == Organisation.Kind.PROCESSOR
    assert organisation.is_banten and organisation.is_japnas_member
    assert organisation.slug == "cv-olah-baru"
    assert user.membership.organisation == organisation
    assert user.membership.role == Membership.Role.ADMIN
    assert VerificationEvent.objects.filter(organisation=organisation, to_status="unverified").count() == 1
    # Staff hear of the new registration.
    assert [m.to for m in mailoutbox] == [[staff.email]]
    assert "CV Olah Baru" in mailoutbox[0].subject
    # The new person is logged in and sees what "unverified" means.
    home = client.get(reverse("home"))
    assert home.status_code == 200
    assert 'data-testid="verification-banner"' in home.content.decode()


def test_signup_accepts_nib_typed_with_spaces(client):
    response = sign_up(client, nib="1234 5678 90123")
    assert response.status_code == 302
    assert Organisation.objects.filter(nib="1234567890123").exists()


def test_two_organisations_with_one_name_get_distinct_slugs(client):
    OrganisationFactory(name="CV Olah Baru", slug="cv-olah-baru")
    sign_up(client)
    assert Organisation.objects.get(nib="1234567890123").slug == "cv-olah-baru-2"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"nib": "12345"}, "nib", "13 digits"),
        ({"nib": "12345678901AB"}, "nib", "13 digits"),
        ({"nib": ""}, "nib", "required"),
        ({"email": "not-an-address"}, "email", "valid email"),
        ({"password1": "short", "password2": "short"}, "password1", "too short"),
        ({"password1": "password1234", "password2": "password1234"}, "password1", "too common"),
        ({"password2": "something-else-entirely"}, "password2", "differ"),
        ({"name": ""}, "name", "required"),
        ({"address": ""}, "address", "required"),
        ({"kind": "authority"}, "kind", "valid choice"),
        ({"kind": "operator"}, "kind", "valid choice"),
        ({"province": "atlantis"}, "province", "valid choice"),
        ({"kecamatan": "ciwandan", "province": "jawa-barat"}, "kecamatan", "Kota Cilegon"),
        ({"latitude": "91", "longitude": "106"}, "latitude", "less than or equal to 90"),
        ({"latitude": "abc"}, "latitude", "number"),
    ],
)
def test_bad_signup_input_is_explained_and_creates_nothing(client, overrides, field, message):
    response = client.post(SIGNUP, signup_data(**overrides))

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors, errors
    assert message.lower() in " ".join(errors[field]).lower()
    assert not User.objects.exists()
    assert not Organisation.objects.exists()
    # What was typed stays in the form.
    assert 'value="CV Olah Baru"' in response.content.decode() or overrides.get("name") == ""


def test_only_one_of_latitude_and_longitude_is_refused(client):
    response = client.post(SIGNUP, signup_data(longitude=""))
    assert response.status_code == 200
    assert "both latitude and longitude" in " ".join(response.context["form"].non_field_errors())
    assert not Organisation.objects.exists()


def test_a_registered_address_gets_the_same_answer_and_its_owner_an_e_mail(client, mailoutbox):
    """Sign-up never tells a stranger whether an address has an account: same redirect, same page, same
    message; the owner of the address hears of the attempt, in their language, with the log-in and reset links."""
    UserFactory(email="sari@olah-baru.test", full_name="Sari Lama", language="id")
    known = client.post(SIGNUP, signup_data(email="SARI@olah-baru.test"))
    known_page = client.get(known["Location"])
    unknown = client.post(SIGNUP, signup_data(email="baru@olah-baru.test", nib="1234567890124"))
    unknown_page = client.get(unknown["Location"])

    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert known_page.status_code == unknown_page.status_code == 200
    assert without_csrf_tokens(known_page.content) == without_csrf_tokens(unknown_page.content)
    assert "Check your e-mail to continue" in known_page.content.decode()
    assert not Organisation.objects.exists()

    to_owner, to_new = mailoutbox
    assert to_owner.to == ["sari@olah-baru.test"] and to_new.to == ["baru@olah-baru.test"]
    assert "Seseorang mencoba mendaftar" in to_owner.subject  # the owner's language
    assert "/accounts/login/" in to_owner.body and "/accounts/password_reset/" in to_owner.body
    assert "/accounts/signup/confirm/" not in to_owner.body, "no way in for whoever typed the address"
    assert "/accounts/signup/confirm/" in to_new.body
    assert not PendingSignup.objects.filter(email="sari@olah-baru.test").exists()


def test_a_sign_up_confirmed_after_the_address_got_an_account_is_refused_to_its_owner(client, mailoutbox):
    client.post(SIGNUP, signup_data())
    link = confirm_link(mailoutbox, "sari@olah-baru.test")
    UserFactory(email="sari@olah-baru.test")  # e.g. invited meanwhile
    response = client.post(link)
    assert response.status_code == 200
    assert "already has an account" in response.content.decode()  # only the address's owner reads this
    assert not Organisation.objects.exists()


def test_a_confirmation_link_works_once_and_a_forged_or_old_one_never(client, mailoutbox, settings):
    sign_up(client)
    link = confirm_link(mailoutbox, "sari@olah-baru.test")
    client.post(reverse("logout"))
    used = client.get(link)
    assert used.status_code == 404 and "not valid" in used.content.decode()
    assert client.post(link[:-3] + "xx/").status_code == 404
    assert User.objects.count() == 1 and Organisation.objects.count() == 1

    mailoutbox.clear()
    client.post(SIGNUP, signup_data(email="lain@olah-baru.test", nib="1234567890124"))
    link = confirm_link(mailoutbox, "lain@olah-baru.test")
    settings.SIGNUP_CONFIRM_MAX_AGE_HOURS = 0
    assert client.post(link).status_code == 404
    assert not User.objects.filter(email="lain@olah-baru.test").exists()


def test_the_password_is_kept_only_hashed_until_confirmed(client, mailoutbox):
    client.post(SIGNUP, signup_data())
    pending = PendingSignup.objects.get()
    assert "Sampah-jadi-emas-2026" not in pending.password
    sign_up_link = confirm_link(mailoutbox, "sari@olah-baru.test")
    client.post(sign_up_link)
    assert User.objects.get().check_password("Sampah-jadi-emas-2026")
    assert not PendingSignup.objects.exists()


def test_expired_sign_ups_are_purged(client, settings):
    from datetime import timedelta

    from django.utils import timezone

    from members.tasks import purge_expired_signups

    client.post(SIGNUP, signup_data())
    PendingSignup.objects.update(created_at=timezone.now() - timedelta(hours=49))
    client.post(SIGNUP, signup_data(email="baru@olah-baru.test"))
    assert purge_expired_signups() == 1
    assert list(PendingSignup.objects.values_list("email", flat=True)) == ["baru@olah-baru.test"]


def test_one_address_cannot_be_flooded_with_sign_up_e_mails(client, frozen_ratelimit_clock, mailoutbox):
    for i in range(5):
        client.post(SIGNUP, signup_data(), REMOTE_ADDR=f"10.0.0.{i}")
    assert client.post(SIGNUP, signup_data(), REMOTE_ADDR="10.0.0.99").status_code == 429
    assert len(mailoutbox) == 5


def test_duplicate_nib_is_refused(client):
    OrganisationFactory(nib="1234567890123")
    response = client.post(SIGNUP, signup_data())
    assert response.status_code == 200
    assert "nib" in response.context["form"].errors
    assert not User.objects.exists()


def test_missing_everything_gives_errors_not_500(client):
    response = client.post(SIGNUP, {})
    assert response.status_code == 200
    assert set(response.context["form"].errors) >= {"full_name", "email", "password1", "kind", "name", "nib"}


def test_unexpected_fields_are_ignored_not_trusted(client):
    """A crafted POST cannot make itself verified or staff."""
    sign_up(client, verification_status="verified", is_staff="on", is_superuser="on", role="admin")
    organisation = Organisation.objects.get()
    user = User.objects.get()
    assert organisation.verification_status == Organisation.Status.UNVERIFIED
    assert not user.is_staff and not user.is_superuser


def test_oversized_post_is_refused_with_400(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = client.post(SIGNUP, signup_data(address="x" * 20_000))
    assert response.status_code == 400
    assert not Organisation.objects.exists()


def test_too_many_fields_is_refused_with_400(client):
    data = signup_data()
    data.update({f"junk{i}": "x" for i in range(300)})
    response = client.post(SIGNUP, data)
    assert response.status_code == 400
    assert not Organisation.objects.exists()


def test_signup_is_rate_limited_per_address(client, frozen_ratelimit_clock):
    for i in range(10):
        client.post(SIGNUP, signup_data(nib="12", email=f"orang{i}@olah-baru.test"))
    response = client.post(SIGNUP, signup_data())
    assert response.status_code == 429
    assert not Organisation.objects.exists()


def test_signed_in_person_is_sent_home_from_signup(client, plant_admin):
    client.force_login(plant_admin)
    assert client.get(SIGNUP)["Location"] == reverse("home")


def test_coordinates_with_a_decimal_comma_are_understood(client):
    response = sign_up(client, latitude="-6,0100", longitude="106,0500")
    assert response.status_code == 302
    organisation = Organisation.objects.get()
    assert str(organisation.latitude) == "-6.010000"


def test_cilegon_kecamatan_outside_cilegon_is_refused(client):
    response = client.post(SIGNUP, signup_data(city="Kabupaten Serang", kecamatan="jombang"))
    assert "kecamatan" in response.context["form"].errors
    assert not Organisation.objects.exists()

import pytest
from django.urls import reverse

from members.models import Membership, Organisation, User, VerificationEvent
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


def test_signup_creates_person_and_unverified_organisation_and_logs_in(
    client, staff, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(SIGNUP, signup_data())

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
    response = client.post(SIGNUP, signup_data(nib="1234 5678 90123"))
    assert response.status_code == 302
    assert Organisation.objects.filter(nib="1234567890123").exists()


def test_two_organisations_with_one_name_get_distinct_slugs(client):
    OrganisationFactory(name="CV Olah Baru", slug="cv-olah-baru")
    client.post(SIGNUP, signup_data())
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


def test_duplicate_email_is_refused_case_insensitively(client):
    UserFactory(email="sari@olah-baru.test")
    response = client.post(SIGNUP, signup_data(email="SARI@olah-baru.test"))
    assert response.status_code == 200
    assert "already has an account" in " ".join(response.context["form"].errors["email"])
    assert not Organisation.objects.exists()


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
    client.post(SIGNUP, signup_data(verification_status="verified", is_staff="on", is_superuser="on", role="admin"))
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
    for _ in range(10):
        client.post(SIGNUP, signup_data(nib="12"))
    response = client.post(SIGNUP, signup_data())
    assert response.status_code == 429
    assert not Organisation.objects.exists()


def test_signed_in_person_is_sent_home_from_signup(client, plant_admin):
    client.force_login(plant_admin)
    assert client.get(SIGNUP)["Location"] == reverse("home")


def test_coordinates_with_a_decimal_comma_are_understood(client):
    response = client.post(SIGNUP, signup_data(latitude="-6,0100", longitude="106,0500"))
    assert response.status_code == 302
    organisation = Organisation.objects.get()
    assert str(organisation.latitude) == "-6.010000"


def test_cilegon_kecamatan_outside_cilegon_is_refused(client):
    response = client.post(SIGNUP, signup_data(city="Kabupaten Serang", kecamatan="jombang"))
    assert "kecamatan" in response.context["form"].errors
    assert not Organisation.objects.exists()

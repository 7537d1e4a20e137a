"""Home pages by role, organisation pages, the directory: who sees what, and who may NOT."""

import pytest
from django.urls import reverse

from members.models import Organisation
from tests.factories import OrganisationFactory, log_in, login_with_second_factor, member_of

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("who", "role", "marker"),
    [
        ("plant_admin", "plant", "home-plant"),
        ("processor_admin", "processor", "home-processor"),
        ("official", "official", "home-official"),
        ("staff", "staff", "home-staff"),
    ],
)
def test_each_role_lands_on_its_own_home(client, request, who, role, marker):
    log_in(client, request.getfixturevalue(who))
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert response.context["role"] == role
    assert f'data-testid="{marker}"' in response.content.decode()


def test_only_staff_see_the_admin_link_and_reach_admin(client, plant_admin, staff):
    client.force_login(plant_admin)
    assert reverse("admin:index") not in client.get(reverse("home")).content.decode()
    assert client.get(reverse("admin:index")).status_code == 302
    login_with_second_factor(client, staff)
    assert reverse("admin:index") in client.get(reverse("home")).content.decode()
    assert client.get(reverse("admin:index")).status_code == 200


def test_person_without_organisation_is_told_what_to_do(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    assert 'data-testid="home-none"' in client.get(reverse("home")).content.decode()


def test_home_needs_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_plant_home_lists_verified_processors_banten_first(client, plant_admin, processor):
    OrganisationFactory(name="CV Belum", processor=True, unverified=True)
    outside = OrganisationFactory(name="AAA Luar Banten", processor=True, province="jawa-barat", kecamatan="")
    client.force_login(plant_admin)
    partners = list(client.get(reverse("home")).context["partners"])
    assert partners == [processor, outside]


def test_unverified_home_has_no_directory(client, unverified_admin, processor):
    client.force_login(unverified_admin)
    response = client.get(reverse("home"))
    assert list(response.context["partners"]) == []
    assert "opens once your organisation is verified" in response.content.decode()


@pytest.mark.parametrize("who", ["plant_admin", "processor_admin", "official", "staff"])
def test_home_query_count_does_not_grow_with_data(client, request, who, django_assert_max_num_queries):
    client.force_login(request.getfixturevalue(who))
    client.get(reverse("home"))
    with django_assert_max_num_queries(9) as few:
        client.get(reverse("home"))
    for i in range(30):
        member_of(OrganisationFactory(processor=i % 2 == 0, unverified=i % 3 == 0))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("home"))


# Organisation pages


def test_verified_profile_is_visible_to_any_signed_in_person(client, plant, processor_admin):
    client.force_login(processor_admin)
    response = client.get(plant.get_absolute_url())
    assert response.status_code == 200
    assert response.context["events"] == []  # the history is for its own people and staff


def test_unverified_profile_is_hidden_from_others(client, unverified_plant, unverified_admin, processor_admin, staff):
    client.force_login(processor_admin)
    assert client.get(unverified_plant.get_absolute_url()).status_code == 404
    client.force_login(unverified_admin)
    assert client.get(unverified_plant.get_absolute_url()).status_code == 200
    login_with_second_factor(client, staff)
    assert client.get(unverified_plant.get_absolute_url()).status_code == 200


def test_profiles_need_login(client, plant):
    assert client.get(plant.get_absolute_url()).status_code == 302


def test_admin_edits_own_organisation(client, plant, plant_admin):
    client.force_login(plant_admin)
    url = reverse("members:organisation_edit", kwargs={"slug": plant.slug})
    data = {
        "kind": "plant",
        "address": "Jl. Baru No. 9",
        "city": "Kota Cilegon",
        "kecamatan": "grogol",
        "province": "banten",
        "latitude": "-6.01",
        "longitude": "106.02",
        "japnas_number": "",
        "phone": "0254 1",
        "name": "Hijacked Name",
        "nib": "9999999999999",
    }
    response = client.post(url, data, follow=True)
    assert response.redirect_chain[-1][0] == plant.get_absolute_url()
    plant.refresh_from_db()
    # the address and phone are saved; what staff verified waits for them (tests/members/test_change_requests.py)
    assert (plant.address, plant.phone) == ("Jl. Baru No. 9", "0254 1")
    assert (plant.kecamatan, plant.name, plant.latitude) == ("ciwandan", "PT Baja Uji", None)
    assert plant.nib != "9999999999999"
    assert "waits for their approval" in response.content.decode()
    assert set(plant.change_requests.get().changes) == {"name", "nib", "kecamatan", "latitude", "longitude"}


def test_edit_with_bad_input_explains(client, plant, plant_admin):
    client.force_login(plant_admin)
    url = reverse("members:organisation_edit", kwargs={"slug": plant.slug})
    response = client.post(url, {"address": "", "city": "x", "province": "mars", "latitude": "-6.0"})
    assert response.status_code == 200
    assert {"address", "province"} <= set(response.context["form"].errors)


@pytest.mark.parametrize("role", ["member"])
def test_plain_member_cannot_edit(client, plant, role):
    client.force_login(member_of(plant, role=role))
    url = reverse("members:organisation_edit", kwargs={"slug": plant.slug})
    assert client.get(url).status_code == 404
    assert client.post(url, {"address": "x"}).status_code == 404


def test_other_organisation_cannot_edit(client, plant, processor_admin, staff):
    url = reverse("members:organisation_edit", kwargs={"slug": plant.slug})
    for person in (processor_admin, staff):
        log_in(client, person)
        assert client.post(url, {"address": "Hacked", "city": "x", "province": "banten"}).status_code == 404
    plant.refresh_from_db()
    assert plant.address != "Hacked"


# Directory: verified organisations' contact details


def test_directory_is_for_verified_organisations_officials_and_staff(client, plant_admin, official, staff, processor):
    for person in (plant_admin, official, staff):
        log_in(client, person)
        response = client.get(reverse("members:directory"))
        assert response.status_code == 200
        assert processor in response.context["page"].object_list


def test_unverified_organisation_cannot_open_the_directory(client, unverified_admin, processor):
    client.force_login(unverified_admin)
    response = client.get(reverse("members:directory"))
    assert response.status_code == 403
    assert processor.phone not in response.content.decode() or not processor.phone
    assert processor.name not in response.content.decode()


def test_rejected_organisation_cannot_open_the_directory(client, processor):
    client.force_login(member_of(OrganisationFactory(rejected=True)))
    assert client.get(reverse("members:directory")).status_code == 403


def test_directory_hides_unverified_and_filters(client, plant_admin, processor):
    OrganisationFactory(name="CV Tersembunyi", processor=True, unverified=True)
    OrganisationFactory(name="PT Luar Banten", processor=True, province="jawa-barat", kecamatan="")
    client.force_login(plant_admin)

    def names(**params):
        return {o.name for o in client.get(reverse("members:directory"), params).context["page"].object_list}

    assert "CV Tersembunyi" not in names()
    assert names(kind="processor") == {"CV Olah Uji", "PT Luar Banten"}
    assert names(province="jawa-barat") == {"PT Luar Banten"}
    assert names(japnas="true") == {"CV Olah Uji"}
    assert names(q="olah") == {"CV Olah Uji"}
    assert names(kind="processor", kecamatan="ciwandan") == {"CV Olah Uji"}


@pytest.mark.parametrize(
    "params",
    [
        {"kind": "dragon"},
        {"page": "99999"},
        {"page": "-1"},
        {"page": "abc"},
        {"japnas": "maybe"},
        {"q": "x" * 5000},
        {"q": "'; DROP TABLE members_user; --"},
        {"kecamatan": "\x00"},
    ],
)
def test_directory_bad_parameters_never_500(client, plant_admin, params):
    client.force_login(plant_admin)
    response = client.get(reverse("members:directory"), params)
    assert response.status_code == 200


def test_directory_htmx_request_returns_the_partial(client, plant_admin, processor):
    client.force_login(plant_admin)
    response = client.get(reverse("members:directory"), {"kind": "processor"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "CV Olah Uji" in body and "<html" not in body


def test_directory_query_count_is_constant(client, plant_admin, django_assert_max_num_queries):
    client.force_login(plant_admin)
    for _ in range(40):
        OrganisationFactory(processor=True)
    with django_assert_max_num_queries(6):
        response = client.get(reverse("members:directory"))
    assert len(response.context["page"].object_list) == 25


def test_landing_figures_count_only_verified(client):
    OrganisationFactory(processor=True, japnas_number="J1")
    OrganisationFactory(processor=True, province="jawa-barat", kecamatan="")
    OrganisationFactory(processor=True, unverified=True)
    OrganisationFactory()
    response = client.get(reverse("landing"))
    figures = response.context["figures"]
    assert (figures["plants"], figures["processors"], figures["banten_processors"], figures["japnas_processors"]) == (
        1,
        2,
        1,
        1,
    )
    assert Organisation.objects.count() == 4

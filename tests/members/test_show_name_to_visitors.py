"""A plant's choice to show its name to visitors on its open lots: on the organisation's edit page, for plants'
admins only (what visitors then see: tests/listings/test_visitors.py)."""

import pytest
from django.urls import reverse

from tests.factories import log_in

pytestmark = pytest.mark.django_db


def test_the_plant_admin_chooses_to_show_its_name_on_the_organisation_page(client, plant, plant_admin):
    log_in(client, plant_admin)
    url = reverse("members:organisation_edit", args=[plant.slug])
    form = client.get(url).context["form"]
    assert "show_name_to_visitors" in form.fields and form.initial["show_name_to_visitors"] is False
    data = {name: value for name, value in form.initial.items() if value is not None and name in form.fields}
    data["show_name_to_visitors"] = "on"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    plant.refresh_from_db()
    assert plant.show_name_to_visitors is True


def test_only_plants_have_the_setting(client, processor, processor_admin):
    log_in(client, processor_admin)
    form = client.get(reverse("members:organisation_edit", args=[processor.slug])).context["form"]
    assert "show_name_to_visitors" not in form.fields


def test_a_plain_member_cannot_change_it(client, plant, plant_admin):
    from members.models import Membership
    from tests.factories import member_of

    member = member_of(plant, email="anggota@baja-uji.test", role=Membership.Role.MEMBER)
    log_in(client, member)
    assert client.get(reverse("members:organisation_edit", args=[plant.slug])).status_code == 404
    client.post(reverse("members:organisation_edit", args=[plant.slug]), {"show_name_to_visitors": "on"})
    plant.refresh_from_db()
    assert plant.show_name_to_visitors is False

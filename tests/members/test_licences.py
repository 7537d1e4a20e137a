from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from members.models import Licence
from members.tasks import warn_expiring_licences
from tests.factories import LicenceFactory, OrganisationFactory, category, login_with_second_factor, member_of

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def licence_data(**overrides):
    data = {
        "kind": "pertek",
        "number": "PERTEK/123/2026",
        "issuer": "KLHK",
        "categories": [category("used-lube-oil").pk],
        "waste_codes": "B105d",
        "capacity_tonnes_per_month": "20",
        "valid_from": timezone.localdate().isoformat(),
        "valid_until": (timezone.localdate() + timedelta(days=365)).isoformat(),
        "document": SimpleUploadedFile("pertek.pdf", PDF),
    }
    data.update(overrides)
    return data


def test_admin_adds_a_licence_that_waits_for_staff(client, processor, processor_admin, staff):
    client.force_login(processor_admin)
    url = reverse("members:licences", kwargs={"slug": processor.slug})
    assert client.post(url, licence_data()).status_code == 302
    licence = Licence.objects.get()
    assert licence.status == "pending" and licence.covers(category("used-lube-oil"))
    login_with_second_factor(client, staff)
    assert "PERTEK/123/2026" in client.get(reverse("members:staff_licence_list")).content.decode()
    client.post(reverse("members:staff_licence_review", kwargs={"pk": licence.pk}), {"action": "verify"})
    licence.refresh_from_db()
    assert licence.status == "verified" and licence.reviewed_by == staff


def test_reject_needs_a_note(client, staff):
    licence = LicenceFactory(status="pending")
    login_with_second_factor(client, staff)
    url = reverse("members:staff_licence_review", kwargs={"pk": licence.pk})
    client.post(url, {"action": "reject", "note": ""})
    assert Licence.objects.get(pk=licence.pk).status == "pending"
    client.post(url, {"action": "reject", "note": "Nomor tidak terdaftar"})
    assert Licence.objects.get(pk=licence.pk).status == "rejected"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"document": SimpleUploadedFile("pertek.pdf", b"not a pdf")}, "document"),
        ({"valid_until": "2000-01-01"}, "valid_until"),
        ({"categories": [], "waste_codes": ""}, "categories"),
        ({"capacity_tonnes_per_month": "-5"}, "capacity_tonnes_per_month"),
        ({"kind": "magic"}, "kind"),
    ],
)
def test_bad_licence_input_is_explained(client, processor, processor_admin, overrides, field):
    client.force_login(processor_admin)
    response = client.post(reverse("members:licences", kwargs={"slug": processor.slug}), licence_data(**overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Licence.objects.exists()


def test_who_may_not_add_or_review(client, processor, staff):
    member = member_of(processor, role="member")
    client.force_login(member)
    url = reverse("members:licences", kwargs={"slug": processor.slug})
    assert client.get(url).status_code == 200
    assert client.post(url, licence_data()).status_code == 403
    client.force_login(member_of(OrganisationFactory(processor=True)))
    assert client.get(url).status_code == 404
    licence = LicenceFactory(status="pending")
    refused = client.post(reverse("members:staff_licence_review", kwargs={"pk": licence.pk}), {"action": "verify"})
    assert refused.status_code == 403 and "This page is for platform staff." in refused.content.decode()
    assert Licence.objects.get(pk=licence.pk).status == "pending"


def test_licence_documents_are_confidential(client, processor, processor_admin, staff, plant_admin):
    licence = LicenceFactory(organisation=processor)
    url = reverse("members:licence_document", kwargs={"pk": licence.pk})
    client.force_login(processor_admin)
    assert client.get(url)["Content-Type"] == "application/pdf"
    login_with_second_factor(client, staff)
    assert client.get(url).status_code == 200
    for outsider in (plant_admin, member_of(OrganisationFactory(processor=True))):
        client.force_login(outsider)
        assert client.get(url).status_code == 404


def test_expiring_licence_warns_once_30_days_ahead(
    processor, processor_admin, mailoutbox, django_capture_on_commit_callbacks
):
    soon = LicenceFactory(organisation=processor, valid_until=timezone.localdate() + timedelta(days=20))
    LicenceFactory(organisation=processor, valid_until=timezone.localdate() + timedelta(days=90))
    LicenceFactory(organisation=processor, valid_until=timezone.localdate() + timedelta(days=10), status="pending")
    with django_capture_on_commit_callbacks(execute=True):
        assert warn_expiring_licences() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert warn_expiring_licences() == 0
    assert len(mailoutbox) == 1
    assert soon.number in mailoutbox[0].subject
    assert mailoutbox[0].to == [processor_admin.email]


@pytest.mark.parametrize(("offset", "valid"), [(-1, False), (0, True), (30, True), (31, False)])
def test_a_licence_covers_only_the_days_from_its_start_to_its_end(offset, valid):
    """A licence that starts after a pickup date does not cover it (nor one that ended before it)."""
    start = timezone.localdate() + timedelta(days=10)
    licence = LicenceFactory(valid_from=start, valid_until=start + timedelta(days=30))
    day = start + timedelta(days=offset)
    assert licence.is_valid_on(day) is valid
    assert Licence.objects.valid_on(day).filter(pk=licence.pk).exists() is valid

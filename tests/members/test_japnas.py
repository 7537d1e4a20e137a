"""Staff upload Japnas's member list (CSV) and check the Japnas numbers organisations give against it."""

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from members import services
from members.forms import JAPNAS_MAX_BYTES
from members.models import AuditEntry, JapnasListUpload, JapnasMember
from tests.factories import OrganisationFactory, log_in, member_of

pytestmark = pytest.mark.django_db

URL = "/staff/japnas/"


def upload(client, content: bytes, name="anggota.csv"):
    return client.post(URL, {"file": SimpleUploadedFile(name, content, content_type="text/csv")})


def test_staff_upload_a_list_written_by_a_spreadsheet(client, staff):
    log_in(client, staff)
    content = "\ufeffNomor;Nama\r\n jpn-0042 ; PT  Olah Banten \r\n\r\nJPN 0007;CV Sinar\r\n".encode()
    response = upload(client, content)
    assert response.status_code == 302
    assert dict(JapnasMember.objects.values_list("number", "name")) == {
        "JPN-0042": "PT Olah Banten",
        "JPN 0007": "CV Sinar",
    }
    entry = AuditEntry.objects.get()
    assert (entry.kind, entry.actor) == ("japnas_list_uploaded", staff)
    assert entry.details == {"members": 2, "file": "anggota.csv"}
    page = client.get(URL).content.decode()
    assert "2 members, from anggota.csv" in page


def test_a_new_upload_replaces_the_list(client, staff):
    log_in(client, staff)
    upload(client, b"JPN-1,Satu\nJPN-2,Dua\n")
    upload(client, b"number,name\nJPN-3,Tiga\n")
    assert list(JapnasMember.objects.values_list("number", flat=True)) == ["JPN-3"]
    assert JapnasListUpload.objects.count() == 2


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("anggota.xlsx", b"JPN-1,Satu\n", "Upload a CSV file"),
        ("anggota.csv", b"\xff\xfeJ\x00P\x00", "not text in UTF-8"),
        ("anggota.csv", b"JPN-1,Satu\x00\n", "not a CSV text file"),
        ("anggota.csv", b"JPN-1,Satu\nJPN-2\n", "Row 2: give a number and a name."),
        ("anggota.csv", b"JPN-1,Satu\n,Tanpa nomor\n", "Row 2: give a number and a name."),
        ("anggota.csv", b"JPN-1,Satu\njpn-1 ,Lagi\n", "Row 2: number JPN-1 is also on row 1."),
        ("anggota.csv", b"X" * 41 + b",Panjang\n", "Row 1: the number is longer than 40 characters."),
        ("anggota.csv", b"number,name\n\n", "The file has no members in it."),
        ("anggota.csv", b"JPN-1," + b"x" * 200_000 + b"\n", "could not be read as CSV"),
    ],
)
def test_bad_files_are_refused_with_the_reason_and_the_list_stays(client, staff, name, content, message):
    log_in(client, staff)
    upload(client, b"JPN-9,Lama\n")
    response = upload(client, content, name=name)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert list(JapnasMember.objects.values_list("number", flat=True)) == ["JPN-9"]


def test_a_huge_file_is_refused(client, staff):
    log_in(client, staff)
    response = upload(client, b"JPN-1,Satu\n" + b"#" * JAPNAS_MAX_BYTES)
    assert response.status_code == 400
    assert "larger than 2 MB" in response.content.decode()
    assert not JapnasMember.objects.exists()


def test_who_may_not_upload(client, plant_admin, official):
    for person in (plant_admin, official):
        with pytest.raises(PermissionDenied, match="Only platform staff can upload the Japnas member list"):
            services.japnas_list_replace(members=[("JPN-1", "Satu")], filename="x.csv", acting_user=person)
    for person in (None, plant_admin, official):
        client.logout()
        if person:
            log_in(client, person)
        response = upload(client, b"JPN-1,Satu\n")
        if person:  # signed in, not staff: told the page is for staff
            assert response.status_code == 403 and "platform staff" in response.content.decode()
        else:
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not JapnasMember.objects.exists()


def test_staff_pages_say_whether_a_number_is_on_the_list(client, staff):
    listed = OrganisationFactory(processor=True, japnas_number="jpn-0042", unverified=True)
    unlisted = OrganisationFactory(processor=True, japnas_number="JPN-9999", unverified=True)
    log_in(client, staff)
    review = reverse("members:staff_organisation_review", kwargs={"slug": listed.slug})
    assert "No Japnas member list uploaded yet" in client.get(review).content.decode()
    upload(client, b"JPN-0042,PT Olah Banten\n")

    page = client.get(review).content.decode()
    assert "On the Japnas list: PT Olah Banten" in page and 'data-testid="japnas-warning"' not in page
    page = client.get(reverse("members:staff_organisation_review", kwargs={"slug": unlisted.slug})).content.decode()
    assert "Not on the Japnas member list" in page and 'data-testid="japnas-warning"' in page
    listing = client.get(URL).content.decode()
    assert listing.count("On the Japnas list") == 1 and listing.count("Not on the Japnas member list") == 1


def test_the_change_queue_checks_a_requested_number(client, staff, processor):
    log_in(client, staff)
    upload(client, b"JPN-0042,PT Olah Banten\n")
    admin = member_of(processor)
    services.organisation_update(organisation=processor, acting_user=admin, fields={"japnas_number": "JPN-0042"})
    assert "On the Japnas list: PT Olah Banten" in client.get("/staff/changes/").content.decode()
    services.organisation_update(organisation=processor, acting_user=admin, fields={"japnas_number": "JPN-0043"})
    assert "Not on the Japnas member list" in client.get("/staff/changes/").content.decode()

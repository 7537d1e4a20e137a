"""The staff audit page: who verified, rejected or changed what, when, with the reason; filtered, exported."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from members import services
from members.models import AuditEntry
from tests.factories import LicenceFactory, OrganisationFactory, log_in, member_of, staff_user

pytestmark = pytest.mark.django_db

URL = "/staff/audit/"
EXPORT = "/staff/audit/export.csv"


@pytest.fixture
def history(staff, media_root):
    """One of each staff action, by two staff members."""
    other = staff_user(email="auditor@wastex.test", full_name="Sari Auditor")
    applicant = OrganisationFactory(name="PT Pemohon", unverified=True)
    services.organisation_verify(organisation=applicant, acting_user=staff, note="NIB checked")
    forger = OrganisationFactory(name='=HYPERLINK("http://x")', unverified=True)
    services.organisation_reject(organisation=forger, acting_user=other, reason="NIB belongs to another firm")
    mover = OrganisationFactory(name="CV Pindah", processor=True, province="jawa-barat", kecamatan="")
    admin = member_of(mover)
    approved = services.organisation_update(organisation=mover, acting_user=admin, fields={"province": "banten"})
    services.organisation_change_approve(change_request=approved, acting_user=staff)
    rejected = services.organisation_update(organisation=mover, acting_user=admin, fields={"japnas_number": "J-1"})
    services.organisation_change_reject(change_request=rejected, acting_user=other, reason="Not a member")
    licence = LicenceFactory(organisation=mover, status="pending", number="PERTEK/77")
    services.licence_review(licence=licence, acting_user=staff, verified=True)
    other_licence = LicenceFactory(organisation=mover, status="pending", number="PERTEK/78")
    services.licence_review(licence=other_licence, acting_user=other, verified=False, note="Expired scan")
    services.japnas_list_replace(members=[("J-2", "Dua")], filename="list.csv", acting_user=staff)
    return {"staff": staff, "other": other, "mover": mover}


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def rows(client, query=None):
    response = client.get(URL, query or {})
    assert response.status_code == 200
    return [(e.kind, e.reason) for e in response.context["page"].object_list]


def test_every_staff_action_is_on_the_page_newest_first(client, staff, history):
    log_in(client, staff)
    assert [kind for kind, _ in rows(client)] == [
        "japnas_list_uploaded",
        "licence_rejected",
        "licence_verified",
        "change_rejected",
        "change_approved",
        "organisation_rejected",
        "organisation_verified",
    ]
    page = client.get(URL).content.decode()
    assert "Province: Jawa Barat → Banten" in page and "Licence PERTEK/78" in page and "list.csv: 1 members" in page
    assert "NIB belongs to another firm" in page and "Sari Auditor" in page


def test_filters_by_kind_organisation_actor_and_dates(client, staff, history):
    log_in(client, staff)
    assert rows(client, {"kind": "change_rejected"}) == [("change_rejected", "Not a member")]
    assert {k for k, _ in rows(client, {"organisation": "pindah"})} == {
        "change_approved",
        "change_rejected",
        "licence_verified",
        "licence_rejected",
    }
    assert {k for k, _ in rows(client, {"actor": "auditor@"})} == {
        "organisation_rejected",
        "change_rejected",
        "licence_rejected",
    }
    today = timezone.localdate()
    assert len(rows(client, {"date_after": today.isoformat(), "date_before": today.isoformat()})) == 7
    assert rows(client, {"date_before": (today - timedelta(days=1)).isoformat()}) == []
    AuditEntry.objects.filter(kind="licence_verified").update(created_at=timezone.now() - timedelta(days=40))
    old = (today - timedelta(days=40)).isoformat()
    assert rows(client, {"date_after": old, "date_before": old}) == [("licence_verified", "")]


@pytest.mark.parametrize("query", [{"date_after": "31-31-2026"}, {"kind": "nonsense"}, {"page": "x", "kind": "?"}])
def test_bad_filters_give_a_message_not_an_error(client, staff, history, query):
    log_in(client, staff)
    response = client.get(URL, query)
    assert response.status_code == 200
    assert "Some filters could not be read" in response.content.decode()
    assert list(response.context["page"].object_list) == []
    export = client.get(EXPORT, query)
    assert export.status_code == 400 and "The filters could not be read" in export.content.decode()


def test_the_export_has_the_filtered_rows_and_no_formula(client, staff, history):
    log_in(client, staff)
    response = client.get(EXPORT, {"kind": "organisation_rejected"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(response.content.decode())))
    assert table[0] == ["when", "action", "staff_member", "staff_email", "organisation", "nib", "what", "reason"]
    assert len(table) == 2
    row = table[1]
    assert row[1:4] == ["organisation_rejected", "Sari Auditor", "auditor@wastex.test"]
    assert row[4] == '\'=HYPERLINK("http://x")'  # neutralised: shown as text, never run
    assert row[7] == "NIB belongs to another firm"
    everything = list(csv.reader(io.StringIO(client.get(EXPORT).content.decode())))
    assert len(everything) == 8


def test_the_page_is_paginated(client, staff):
    AuditEntry.objects.bulk_create(
        [AuditEntry(kind="licence_verified", actor=staff, details={"licence": f"L{n}"}) for n in range(120)]
    )
    log_in(client, staff)
    assert len(client.get(URL).context["page"].object_list) == 50
    assert len(client.get(URL, {"page": 3}).context["page"].object_list) == 20


def test_who_may_not_read_the_audit(client, plant_admin, official, history):
    for person in (None, plant_admin, official):
        client.logout()
        if person:
            log_in(client, person)
        for url in (URL, EXPORT):
            response = client.get(url)
            if person:  # signed in, not staff: told the page is for staff
                assert response.status_code == 403 and "platform staff" in response.content.decode()
            else:
                assert response.status_code == 302 and "/accounts/login/" in response["Location"]

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from members import services
from members.models import Organisation, VerificationEvent
from tests.factories import OrganisationFactory, log_in, login_with_second_factor, member_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def applicant(db):
    organisation = OrganisationFactory(name="PT Pemohon", slug="pemohon", unverified=True)
    member_of(organisation, email="boss@pemohon.test", language="en")
    member_of(organisation, email="staf@pemohon.test", language="id", role="member")
    return organisation


def test_verify_records_history_and_tells_every_member_once(
    applicant, staff, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        event = services.organisation_verify(organisation=applicant, acting_user=staff, note="NIB checked in OSS")

    applicant.refresh_from_db()
    assert applicant.is_verified and applicant.verified_at is not None
    assert (event.from_status, event.to_status, event.actor, event.reason) == (
        "unverified",
        "verified",
        staff,
        "NIB checked in OSS",
    )
    assert sorted(m.to[0] for m in mailoutbox) == ["boss@pemohon.test", "staf@pemohon.test"]
    english = next(m for m in mailoutbox if m.to == ["boss@pemohon.test"])
    assert english.subject == "PT Pemohon: verified by platform staff: you can now trade"
    assert "/notifications/preferences/" in english.body  # where to change or stop these e-mails
    assert "/org/pemohon/" in english.body
    assert english.alternatives and english.alternatives[0][1] == "text/html"
    event.refresh_from_db()
    assert event.notified_at is not None


def test_notification_task_is_idempotent(applicant, staff, mailoutbox, django_capture_on_commit_callbacks):
    from core import outbox
    from core.models import OutboxEvent
    from members import notifications
    from members.models import Notification

    with django_capture_on_commit_callbacks(execute=True):
        services.organisation_verify(organisation=applicant, acting_user=staff)
    assert len(mailoutbox) == 2
    event = OutboxEvent.objects.get()
    assert not outbox.process(event.pk)  # a duplicate delivery of the same task changes nothing
    notifications.deliver(
        **{k: event.payload[k] for k in ("key", "params", "url")},
        event=event.payload["event"],
        recipient_ids=event.payload["recipients"],
    )  # even the fan-out run again
    notifications.send_pending_emails()
    assert len(mailoutbox) == 2
    assert Notification.objects.count() == 2


def test_reject_needs_a_reason_which_members_read(applicant, staff, mailoutbox, django_capture_on_commit_callbacks):
    with pytest.raises(ValidationError):
        services.organisation_reject(organisation=applicant, acting_user=staff, reason="   ")
    assert Organisation.objects.get(pk=applicant.pk).verification_status == "unverified"

    with django_capture_on_commit_callbacks(execute=True):
        services.organisation_reject(organisation=applicant, acting_user=staff, reason="NIB belongs to another firm")
    applicant.refresh_from_db()
    assert applicant.verification_status == "rejected"
    english = next(m for m in mailoutbox if m.to == ["boss@pemohon.test"])
    assert "NIB belongs to another firm" in english.body
    assert "not verified" in english.subject


@pytest.mark.parametrize(
    ("start", "service", "kwargs"),
    [
        ("verified", services.organisation_verify, {}),
        ("rejected", services.organisation_reject, {"reason": "again"}),
    ],
)
def test_illegal_moves_are_refused_and_leave_no_trace(staff, start, service, kwargs):
    organisation = OrganisationFactory(verification_status=start)
    before = VerificationEvent.objects.count()
    with pytest.raises(ValidationError, match="cannot become"):
        service(organisation=organisation, acting_user=staff, **kwargs)
    assert VerificationEvent.objects.count() == before
    assert Organisation.objects.get(pk=organisation.pk).verification_status == start


def test_non_staff_cannot_verify_through_the_service(applicant, plant_admin):
    with pytest.raises(PermissionDenied):
        services.organisation_verify(organisation=applicant, acting_user=plant_admin)
    with pytest.raises(PermissionDenied):
        services.organisation_reject(organisation=applicant, acting_user=plant_admin, reason="no")
    assert Organisation.objects.get(pk=applicant.pk).verification_status == "unverified"


def test_rejected_organisation_goes_back_for_review_when_corrected(staff, django_capture_on_commit_callbacks):
    organisation = OrganisationFactory(rejected=True, nib="1111111111111")
    admin = member_of(organisation)
    services.organisation_update(
        organisation=organisation, acting_user=admin, fields={"nib": "2222222222222", "name": organisation.name}
    )
    organisation.refresh_from_db()
    assert organisation.verification_status == "unverified"
    assert organisation.nib == "2222222222222"
    assert organisation.verification_events.first().to_status == "unverified"


def test_verified_organisation_cannot_change_its_nib_itself(plant, plant_admin):
    request = services.organisation_update(organisation=plant, acting_user=plant_admin, fields={"nib": "3333333333333"})
    assert Organisation.objects.get(pk=plant.pk).nib != "3333333333333"  # asked for, not changed
    assert request.changes == {"nib": [plant.nib, "3333333333333"]} and request.is_pending


def test_staff_page_lists_waiting_organisations_first(client, staff, applicant, plant):
    login_with_second_factor(client, staff)
    response = client.get(reverse("members:staff_organisation_list"))
    names = [o.name for o in response.context["page"].object_list]
    assert names == ["PT Pemohon"]  # default filter: awaiting verification
    everything = client.get(reverse("members:staff_organisation_list"), {"status": ""})
    assert {o.name for o in everything.context["page"].object_list} >= {"PT Pemohon", "PT Baja Uji"}


def test_staff_verify_and_reject_from_the_review_page(client, staff, applicant, django_capture_on_commit_callbacks):
    login_with_second_factor(client, staff)
    url = reverse("members:staff_organisation_review", kwargs={"slug": applicant.slug})
    empty_reason = client.post(url, {"action": "reject", "reject-reason": ""})
    assert empty_reason.status_code == 200
    assert "reason" in empty_reason.context["reject_form"].errors

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"action": "verify", "verify-note": "ok"})
    assert response.status_code == 302
    applicant.refresh_from_db()
    assert applicant.is_verified

    # Verifying twice is refused with a message, not a 500.
    again = client.post(url, {"action": "verify"}, follow=True)
    assert "cannot become" in again.content.decode()

    response = client.post(url, {"action": "reject", "reject-reason": "Forged NIB found"})
    applicant.refresh_from_db()
    assert applicant.verification_status == "rejected"


def test_unknown_action_is_explained(client, staff, applicant):
    login_with_second_factor(client, staff)
    url = reverse("members:staff_organisation_review", kwargs={"slug": applicant.slug})
    response = client.post(url, {"action": "delete"}, follow=True)
    assert response.status_code == 200
    assert "Choose verify or reject" in response.content.decode()
    assert Organisation.objects.get(pk=applicant.pk).verification_status == "unverified"


@pytest.mark.parametrize("who", ["plant_admin", "processor_admin", "official", "unverified_admin"])
def test_non_staff_cannot_reach_the_verification_pages(client, request, who, applicant):
    client.force_login(request.getfixturevalue(who))
    list_url = reverse("members:staff_organisation_list")
    review_url = reverse("members:staff_organisation_review", kwargs={"slug": applicant.slug})
    for response in (client.get(list_url), client.post(review_url, {"action": "verify"})):
        assert response.status_code == 403
        assert "This page is for platform staff." in response.content.decode()
    assert Organisation.objects.get(pk=applicant.pk).verification_status == "unverified"


def test_anonymous_cannot_verify(client, applicant):
    url = reverse("members:staff_organisation_review", kwargs={"slug": applicant.slug})
    response = client.post(url, {"action": "verify"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert Organisation.objects.get(pk=applicant.pk).verification_status == "unverified"


def test_admin_action_verifies_through_the_service(client, applicant, django_capture_on_commit_callbacks, mailoutbox):
    from tests.factories import staff_user

    superuser = staff_user(is_superuser=True)
    log_in(client, superuser)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:members_organisation_changelist"),
            {"action": "verify_selected", "_selected_action": [applicant.pk]},
        )
    assert response.status_code == 302
    applicant.refresh_from_db()
    assert applicant.is_verified
    assert applicant.verification_events.first().actor == superuser
    assert len(mailoutbox) == 2


def test_admin_cannot_set_status_by_hand(client, applicant):
    from tests.factories import staff_user

    login_with_second_factor(client, staff_user(is_superuser=True))
    url = reverse("admin:members_organisation_change", args=[applicant.pk])
    page = client.get(url)
    assert 'name="verification_status"' not in page.content.decode()

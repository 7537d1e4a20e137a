"""What decides who may bid and what the city's figures say is a claim staff verify: a verified organisation's
change to it waits for staff as a change request; the verified values keep applying until they approve."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from dashboard.filters import Selection
from dashboard.models import Deal
from dashboard.selectors import Scope, awarded_figures
from dashboard.services import deals_refresh_all
from listings import services as listing_services
from listings.services import BidOffer
from members import services
from members.models import AuditEntry, Notification, Organisation, OrganisationChangeRequest, User
from tests.factories import LotFactory, OrganisationFactory, log_in, member_of, staff_user

pytestmark = pytest.mark.django_db

TO_BANTEN = {"province": "banten", "city": "Kota Serang", "japnas_number": "JPN-0042"}


@pytest.fixture
def outsider(db):
    """A verified processor registered in Jawa Barat."""
    return OrganisationFactory(
        name="PT Olah Bandung", slug="olah-bandung", processor=True, province="jawa-barat", city="Kota Bandung",
        kecamatan="", japnas_number="",
    )  # fmt: skip


@pytest.fixture
def outsider_admin(outsider):
    return member_of(outsider, email="admin@olah-bandung.test", language="en")


def fresh(user) -> User:
    """The person as a new request sees them (the membership, and its organisation, read afresh)."""
    return User.objects.get(pk=user.pk)


def ask(organisation, admin, **fields):
    return services.organisation_update(organisation=organisation, acting_user=admin, fields=fields)


# The request ---------------------------------------------------------------------------------------------


def test_a_verified_organisation_asks_and_its_verified_values_keep_applying(
    outsider, outsider_admin, staff, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = ask(outsider, outsider_admin, address="Jl. Baru 1", phone="0254 9", **TO_BANTEN)
    outsider.refresh_from_db()
    # address and phone are not verified claims: saved at once
    assert (outsider.address, outsider.phone) == ("Jl. Baru 1", "0254 9")
    # the claims wait for staff
    assert (outsider.province, outsider.city, outsider.japnas_number) == ("jawa-barat", "Kota Bandung", "")
    assert not outsider.is_banten and not outsider.is_japnas_member
    assert request.is_pending and request.requested_by == outsider_admin
    assert request.changes == {
        "province": ["jawa-barat", "banten"],
        "city": ["Kota Bandung", "Kota Serang"],
        "japnas_number": ["", "JPN-0042"],
    }
    # staff hear of it
    assert [m.to for m in mailoutbox] == [[staff.email]]
    assert "PT Olah Bandung" in mailoutbox[0].subject and "Jawa Barat → Banten" in mailoutbox[0].body


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("kind", "plant"),
        ("nib", "9000000000001"),
        ("name", "PT Nama Baru"),
        ("city", "Kota Serang"),
        ("province", "banten"),
        ("kecamatan", "grogol"),
        ("latitude", Decimal("-6.1")),
        ("japnas_number", "JPN-1"),
    ],
)
def test_every_verified_field_waits_for_staff(outsider, outsider_admin, field, value):
    fields = {field: value}
    if field == "latitude":
        fields["longitude"] = Decimal("106.1")
    before = Organisation.objects.get(pk=outsider.pk)
    request = ask(outsider, outsider_admin, **fields)
    after = Organisation.objects.get(pk=outsider.pk)
    assert getattr(after, field) == getattr(before, field)
    assert field in request.changes


def test_unchanged_verified_values_make_no_request(outsider, outsider_admin):
    assert ask(outsider, outsider_admin, province="jawa-barat", name="PT Olah Bandung", phone="1") is None
    assert not outsider.change_requests.exists()


def test_unverified_and_rejected_organisations_edit_freely(outsider_admin):
    for trait in ("unverified", "rejected"):
        organisation = OrganisationFactory(processor=True, province="jawa-barat", kecamatan="", **{trait: True})
        admin = member_of(organisation)
        assert ask(organisation, admin, province="banten", japnas_number="JPN-7") is None
        organisation.refresh_from_db()
        assert (organisation.province, organisation.japnas_number) == ("banten", "JPN-7")
        assert organisation.verification_status == "unverified"  # staff verify the whole of it anyway


def test_a_new_request_replaces_the_one_waiting(outsider, outsider_admin):
    first = ask(outsider, outsider_admin, province="banten")
    second = ask(outsider, outsider_admin, province="jawa-tengah")
    first.refresh_from_db()
    assert first.status == "withdrawn" and second.is_pending
    assert outsider.change_requests.pending().get() == second


def test_the_database_keeps_one_pending_request_per_organisation(outsider, outsider_admin):
    ask(outsider, outsider_admin, province="banten")
    with pytest.raises(IntegrityError), transaction.atomic():
        OrganisationChangeRequest.objects.create(organisation=outsider, changes={"province": ["a", "b"]})


def test_a_request_racing_another_is_refused_with_a_message(outsider, outsider_admin, monkeypatch):
    """Without row locks (SQLite) a second request may not see the first one: the constraint refuses it."""
    from members.models import ChangeRequestQuerySet

    first = ask(outsider, outsider_admin, province="banten")
    monkeypatch.setattr(ChangeRequestQuerySet, "pending", lambda self: self.none())
    with pytest.raises(ValidationError, match="asked at the same moment"):
        ask(outsider, outsider_admin, province="jawa-tengah")
    first.refresh_from_db()
    assert first.is_pending and OrganisationChangeRequest.objects.count() == 1


def test_who_may_not_ask(outsider, outsider_admin, plant_admin, staff):
    colleague = member_of(outsider, role="member")
    for person in (colleague, plant_admin, staff):
        with pytest.raises(PermissionDenied, match="Only an administrator of this organisation"):
            ask(outsider, person, province="banten")
    assert not outsider.change_requests.exists()


def test_an_invalid_request_is_refused_with_its_reason(outsider, outsider_admin, plant):
    with pytest.raises(ValidationError, match="only be a plant or a processing business"):
        ask(outsider, outsider_admin, kind="authority")
    with pytest.raises(ValidationError) as taken:
        ask(outsider, outsider_admin, nib=plant.nib)
    assert "nib" in taken.value.message_dict
    assert not outsider.change_requests.exists()


def test_the_admin_withdraws_a_request(outsider, outsider_admin):
    request = ask(outsider, outsider_admin, province="banten")
    with pytest.raises(PermissionDenied, match="withdraw"):
        services.organisation_change_withdraw(change_request=request, acting_user=member_of(outsider, role="member"))
    services.organisation_change_withdraw(change_request=request, acting_user=outsider_admin)
    request.refresh_from_db()
    assert request.status == "withdrawn"
    with pytest.raises(ValidationError, match="decided already"):
        services.organisation_change_withdraw(change_request=request, acting_user=outsider_admin)


# The decision --------------------------------------------------------------------------------------------


def test_staff_approve_the_values_apply_and_the_people_are_told(
    outsider, outsider_admin, staff, django_capture_on_commit_callbacks
):
    request = ask(outsider, outsider_admin, **TO_BANTEN)
    with django_capture_on_commit_callbacks(execute=True):
        services.organisation_change_approve(change_request=request, acting_user=staff, note="Checked the NIB address")
    outsider.refresh_from_db()
    assert (outsider.province, outsider.city, outsider.japnas_number) == ("banten", "Kota Serang", "JPN-0042")
    assert outsider.is_verified
    request.refresh_from_db()
    assert (request.status, request.decided_by, request.reason) == ("approved", staff, "Checked the NIB address")
    entry = AuditEntry.objects.get(kind="change_approved")
    assert (entry.actor, entry.organisation, entry.reason) == (staff, outsider, "Checked the NIB address")
    assert "Province: Jawa Barat → Banten" in entry.what
    told = Notification.objects.get(recipient=outsider_admin)
    assert told.event == "organisation_change"
    from members.notifications import message

    assert message(told) == (
        "PT Olah Bandung: platform staff approved the change of city or regency, Japnas membership number, province"
    )


def test_staff_reject_with_a_reason_the_values_stay(
    outsider, outsider_admin, staff, mailoutbox, django_capture_on_commit_callbacks
):
    request = ask(outsider, outsider_admin, **TO_BANTEN)
    with pytest.raises(ValidationError, match="Say why the change is rejected"):
        services.organisation_change_reject(change_request=request, acting_user=staff, reason="  ")
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.organisation_change_reject(change_request=request, acting_user=staff, reason="Still in Bandung")
    outsider.refresh_from_db()
    assert outsider.province == "jawa-barat" and outsider.japnas_number == ""
    request.refresh_from_db()
    assert (request.status, request.reason) == ("rejected", "Still in Bandung")
    assert [m.to for m in mailoutbox] == [[outsider_admin.email]]
    assert "Still in Bandung" in mailoutbox[0].subject
    assert AuditEntry.objects.get(kind="change_rejected").reason == "Still in Bandung"


def test_who_may_not_decide(outsider, outsider_admin, plant_admin, official):
    request = ask(outsider, outsider_admin, province="banten")
    for person in (outsider_admin, plant_admin, official):
        with pytest.raises(PermissionDenied, match="Only platform staff can approve"):
            services.organisation_change_approve(change_request=request, acting_user=person)
        with pytest.raises(PermissionDenied, match="Only platform staff can reject"):
            services.organisation_change_reject(change_request=request, acting_user=person, reason="no")
    assert Organisation.objects.get(pk=outsider.pk).province == "jawa-barat"
    assert OrganisationChangeRequest.objects.get().is_pending


def test_a_decided_request_is_not_decided_again(outsider, outsider_admin, staff):
    request = ask(outsider, outsider_admin, province="banten")
    services.organisation_change_reject(change_request=request, acting_user=staff, reason="no")
    with pytest.raises(ValidationError, match="decided already"):
        services.organisation_change_approve(change_request=request, acting_user=staff)
    assert Organisation.objects.get(pk=outsider.pk).province == "jawa-barat"


def test_approval_refuses_values_no_longer_valid(outsider, outsider_admin, staff):
    request = ask(outsider, outsider_admin, nib="9000000000009")
    OrganisationFactory(nib="9000000000009")  # another organisation registered that NIB meanwhile
    with pytest.raises(ValidationError, match="no longer valid"):
        services.organisation_change_approve(change_request=request, acting_user=staff)
    assert OrganisationChangeRequest.objects.get().is_pending


# Eligibility and the city's figures read the verified values ---------------------------------------------


def offer():
    return BidOffer(
        price_per_unit=150000, quantity=Decimal("50"), pickup_date=timezone.localdate() + timedelta(days=3),
        route="recycling",
    )  # fmt: skip


def test_local_first_still_refuses_while_the_change_waits_and_admits_after_approval(
    plant, outsider, outsider_admin, staff
):
    lot = LotFactory(plant=plant, local_first_days=3, local_first_until=timezone.now() + timedelta(days=2))
    request = ask(outsider, outsider_admin, **TO_BANTEN)
    with pytest.raises(ValidationError, match="only Banten businesses may bid"):
        listing_services.bid_place(lot=lot, acting_user=fresh(outsider_admin), offer=offer())
    services.organisation_change_approve(change_request=request, acting_user=staff)
    bid = listing_services.bid_place(lot=lot, acting_user=fresh(outsider_admin), offer=offer())
    assert bid.bidder == outsider


def test_a_rejected_change_leaves_the_refusal_in_place(plant, outsider, outsider_admin, staff):
    lot = LotFactory(plant=plant, local_first_days=3, local_first_until=timezone.now() + timedelta(days=2))
    request = ask(outsider, outsider_admin, province="banten", city="Kota Serang")
    services.organisation_change_reject(change_request=request, acting_user=staff, reason="Address is in Bandung")
    with pytest.raises(ValidationError, match="only Banten businesses may bid"):
        listing_services.bid_place(lot=lot, acting_user=fresh(outsider_admin), offer=offer())


def test_the_dashboard_keeps_the_status_at_award(plant, plant_admin, outsider, outsider_admin, staff):
    """Award to an outside processor, then approve its move to Banten with a Japnas number: the Banten and
    Japnas shares do not move, also after a full rebuild of the rollup."""
    lot = LotFactory(plant=plant, quantity=Decimal("100"), bidding_mode="open")
    bid = listing_services.bid_place(lot=lot, acting_user=fresh(outsider_admin), offer=offer())
    listing_services.lot_award(lot=lot, bid=bid, acting_user=plant_admin)
    today = timezone.localdate()
    selection = Selection(first=date(today.year, 1, 1), last=date(today.year, 12, 31), period="year")
    before = awarded_figures(selection, Scope("city"))
    assert before["tonnes"] == Decimal("50") and before["banten_share"] == 0 and before["japnas_share"] == 0

    services.organisation_change_approve(change_request=ask(outsider, outsider_admin, **TO_BANTEN), acting_user=staff)
    assert Organisation.objects.get(pk=outsider.pk).is_banten
    assert awarded_figures(selection, Scope("city")) == before
    deals_refresh_all()
    assert awarded_figures(selection, Scope("city")) == before
    assert Deal.objects.get().processor_banten is False
    assert lot.award.processor_banten is False and lot.award.processor_japnas is False


def test_the_award_keeps_a_banten_japnas_winner_as_it_was(plant, plant_admin, processor, processor_admin, staff):
    lot = LotFactory(plant=plant, quantity=Decimal("100"), bidding_mode="open")
    bid = listing_services.bid_place(lot=lot, acting_user=processor_admin, offer=offer())
    award = listing_services.lot_award(lot=lot, bid=bid, acting_user=plant_admin)
    assert award.processor_banten and award.processor_japnas
    request = ask(processor, processor_admin, province="jawa-barat", kecamatan="", japnas_number="")
    services.organisation_change_approve(change_request=request, acting_user=staff)
    deals_refresh_all()
    deal = Deal.objects.get()
    assert deal.processor_banten and deal.processor_japnas


# Pages ---------------------------------------------------------------------------------------------------

EDIT_DATA = {
    "kind": "processor",
    "name": "PT Olah Bandung",
    "address": "Jl. Contoh No. 1",
    "city": "Kota Serang",
    "kecamatan": "",
    "province": "banten",
    "latitude": "",
    "longitude": "",
    "japnas_number": "JPN-0042",
    "phone": "",
}


def test_the_edit_page_sends_a_request_and_the_organisation_page_shows_it_waiting(client, outsider, outsider_admin):
    log_in(client, outsider_admin)
    url = reverse("members:organisation_edit", kwargs={"slug": outsider.slug})
    assert "goes to them as a request" in client.get(url).content.decode()
    response = client.post(url, {**EDIT_DATA, "nib": outsider.nib}, follow=True)
    page = response.content.decode()
    assert "Platform staff verify" in page and "waits for their approval" in page
    assert "Waiting for platform staff:" in page and "Province Banten" in page
    assert Organisation.objects.get(pk=outsider.pk).province == "jawa-barat"
    # others who may see the profile do not see the request
    other = member_of(OrganisationFactory(processor=True))
    log_in(client, other)
    assert "Waiting for platform staff" not in client.get(outsider.get_absolute_url()).content.decode()


def test_an_authority_cannot_choose_its_kind(client):
    authority = OrganisationFactory(authority=True)
    log_in(client, member_of(authority))
    form = client.get(reverse("members:organisation_edit", kwargs={"slug": authority.slug})).context["form"]
    assert "kind" not in form.fields


def test_staff_see_old_and_new_side_by_side_and_decide(client, outsider, outsider_admin, staff):
    request = ask(outsider, outsider_admin, **TO_BANTEN)
    log_in(client, staff)
    page = client.get(reverse("members:staff_change_list")).content.decode()
    assert "Jawa Barat" in page and "Banten" in page and "Kota Bandung" in page and "JPN-0042" in page
    assert "No Japnas member list uploaded yet" in page
    decide = reverse("members:staff_change_decide", kwargs={"pk": request.pk})
    response = client.post(decide, {"action": "reject", "reason": ""}, follow=True)
    assert "Say why the change is rejected" in response.content.decode()
    response = client.post(decide, {"action": "approve", "reason": "ok"}, follow=True)
    assert "is approved" in response.content.decode()
    assert Organisation.objects.get(pk=outsider.pk).province == "banten"
    # the organisation's history keeps the request, the decision and its reason
    log_in(client, fresh(outsider_admin))
    history = client.get(outsider.get_absolute_url()).content.decode()
    assert "Approved" in history and "Jawa Barat → Banten" in history and str(staff) in history


def test_who_may_not_open_or_post_to_the_staff_queue(client, outsider, outsider_admin, plant_admin):
    request = ask(outsider, outsider_admin, province="banten")
    decide = reverse("members:staff_change_decide", kwargs={"pk": request.pk})
    for person in (None, outsider_admin, plant_admin):
        client.logout()
        if person:
            log_in(client, person)
        response = client.get(reverse("members:staff_change_list"))
        # visitors are sent to log in; a signed-in person who is not staff is told the page is for staff
        assert response.status_code == (403 if person else 302)
        response = client.post(decide, {"action": "approve"})
        if person:
            assert response.status_code == 403
        else:
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert OrganisationChangeRequest.objects.get().is_pending


def test_only_its_own_admin_withdraws_through_the_page(client, outsider, outsider_admin, plant_admin):
    request = ask(outsider, outsider_admin, province="banten")
    url = reverse("members:organisation_change_withdraw", kwargs={"slug": outsider.slug, "pk": request.pk})
    log_in(client, plant_admin)
    assert client.post(url).status_code == 404
    log_in(client, outsider_admin)
    assert client.post(url).status_code == 302
    assert OrganisationChangeRequest.objects.get().status == "withdrawn"


def test_the_admin_site_cannot_change_what_staff_verified(client, outsider):
    """Staff change a verified claim only by deciding a change request (on the audit log), not in the admin."""
    staff = staff_user(email="admin-staff@wastex.test", is_superuser=True)
    log_in(client, staff)
    url = reverse("admin:members_organisation_change", args=[outsider.pk])
    page = client.get(url)
    assert page.status_code == 200
    form_fields = set(page.context["adminform"].form.fields)
    assert not form_fields & {"province", "japnas_number", "kind", "nib", "name", "latitude", "kecamatan"}
    data = {
        "name": "PT Olah Bandung",
        "slug": outsider.slug,
        "kind": "processor",
        "address": outsider.address,
        "city": "Kota Serang",
        "province": "banten",
        "japnas_number": "JPN-SELF-1",
        "phone": "0254 000",
        **{f"{prefix}-{key}": value for prefix in ("memberships", "verification_events") for key, value in
           (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"), ("MIN_NUM_FORMS", "0"), ("MAX_NUM_FORMS", "1000"))},
    }  # fmt: skip
    client.post(url, data)
    outsider.refresh_from_db()
    assert (outsider.province, outsider.japnas_number) == ("jawa-barat", "")

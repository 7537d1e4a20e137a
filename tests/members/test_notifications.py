"""Notifications: once, never lost, by each person's choice; the inbox and its unread count."""

import smtplib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.urls import reverse
from django.utils import timezone

from core import outbox
from core.mail import MAX_EMAIL_ATTEMPTS
from core.models import OutboxEvent
from core.uploads import CleanUpload
from listings import services
from listings.models import Bid
from listings.services import BidOffer
from members import notifications
from members.models import Event, Notification, NotificationPreference
from tests.factories import LotFactory, OrganisationFactory, member_of

pytestmark = pytest.mark.django_db


class FlakyBackend(EmailBackend):
    """An SMTP server that refuses the first `failures` messages (a true external edge)."""

    failures = 0

    def send_messages(self, messages):
        if FlakyBackend.failures > 0:
            FlakyBackend.failures -= 1
            raise smtplib.SMTPResponseException(451, b"4.3.0 try again later")
        return super().send_messages(messages)


def tell(people, key="k1", event=Event.NEW_MATCH, **params):
    return notifications.deliver(
        event, key, [p.pk for p in people], {"reference": "WX-1", "title": "Slag", **params}, "/lots/WX-1/"
    )


def test_each_person_gets_it_once_whatever_the_retries(processor_admin, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        tell([processor_admin])
    with django_capture_on_commit_callbacks(execute=True):
        tell([processor_admin])  # a duplicate delivery of the same event
    assert Notification.objects.filter(recipient=processor_admin).count() == 1
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.alternatives[0][1] == "text/html"
    assert "/notifications/preferences/" in message.body and "List-Unsubscribe" in message.extra_headers


def test_email_in_the_recipients_language(processor, mailoutbox, django_capture_on_commit_callbacks):
    indonesian = member_of(processor, email="id@olah.test", language="id", role="member")
    english = member_of(processor, email="en@olah.test", language="en", role="member")
    with django_capture_on_commit_callbacks(execute=True):
        tell([indonesian, english])
    by_address = {m.to[0]: m for m in mailoutbox}
    assert by_address["en@olah.test"].subject.startswith("New lot WX-1 matches")
    assert by_address["id@olah.test"].subject.startswith("Lot baru WX-1")


def test_preferences_in_app_only_and_digest(processor, mailoutbox, django_capture_on_commit_callbacks):
    quiet = member_of(processor, email="quiet@olah.test", role="member")
    daily = member_of(processor, email="daily@olah.test", role="member")
    NotificationPreference.objects.create(user=quiet, event=Event.NEW_MATCH, channel="in_app")
    NotificationPreference.objects.create(user=daily, event=Event.NEW_MATCH, channel="digest")
    with django_capture_on_commit_callbacks(execute=True):
        tell([quiet, daily], key="a")
        tell([quiet, daily], key="b", reference="WX-2")
    assert mailoutbox == []
    assert Notification.objects.filter(recipient=quiet).count() == 2  # still in the inbox
    assert notifications.send_digests() == 1
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["daily@olah.test"]
    assert "WX-1" in mailoutbox[0].body and "WX-2" in mailoutbox[0].body
    assert notifications.send_digests() == 0  # never twice
    assert set(Notification.objects.filter(recipient=daily).values_list("email_status", flat=True)) == {"digested"}


def test_smtp_refusal_is_retried_with_backoff_then_delivered_once(processor_admin, settings):
    settings.EMAIL_BACKEND = "tests.members.test_notifications.FlakyBackend"
    FlakyBackend.failures = 2
    tell([processor_admin])
    note = Notification.objects.get()
    counts = notifications.send_pending_emails()
    assert (counts["sent"], counts["retry"], counts["failed"]) == (0, 1, 0)
    assert counts["retry_in"] >= 1
    note.refresh_from_db()
    assert note.email_status == "pending" and note.email_attempts == 1 and "451" in note.email_error
    assert note.email_next_attempt_at > timezone.now()
    assert notifications.send_pending_emails()["sent"] == 0  # not due yet
    Notification.objects.update(email_next_attempt_at=timezone.now())
    notifications.send_pending_emails()
    Notification.objects.update(email_next_attempt_at=timezone.now())
    assert notifications.send_pending_emails()["sent"] == 1
    assert notifications.send_pending_emails()["sent"] == 0
    assert len(mail.outbox) == 1
    note.refresh_from_db()
    assert note.email_status == "sent" and note.email_attempts == 3 and note.email_error == ""


def test_smtp_refusing_for_good_stops_after_bounded_tries_and_says_why(processor_admin, settings):
    settings.EMAIL_BACKEND = "tests.members.test_notifications.FlakyBackend"
    FlakyBackend.failures = 100
    tell([processor_admin])
    for _ in range(MAX_EMAIL_ATTEMPTS + 2):
        Notification.objects.filter(email_status="pending").update(email_next_attempt_at=timezone.now())
        notifications.send_pending_emails()
    note = Notification.objects.get()
    assert note.email_status == "failed"
    assert note.email_attempts == MAX_EMAIL_ATTEMPTS
    assert "451" in note.email_error
    FlakyBackend.failures = 0


def test_a_broker_outage_loses_nothing(
    plant, plant_admin, processor_admin, monkeypatch, mailoutbox, django_capture_on_commit_callbacks
):
    from core.tasks import process_event

    lot = LotFactory(plant=plant, status="draft", published_at=None)
    from tests.listings.test_matching import capable

    capable(processor_admin.membership.organisation)

    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("Error 111 connecting to 127.0.0.1:6379")

    monkeypatch.setattr(process_event, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        services.lot_publish(lot=lot, acting_user=plant_admin)  # publishing does not fail
    lot.refresh_from_db()
    assert lot.status == "open"
    waiting = OutboxEvent.objects.get(processed_at__isnull=True)
    assert Notification.objects.count() == 0

    assert outbox.redispatch(older_than=timedelta(0)) == 0  # still down: still kept
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.redispatch(older_than=timedelta(0)) == 1
    waiting.refresh_from_db()
    assert waiting.processed_at is not None
    assert Notification.objects.filter(recipient=processor_admin).count() == 1
    assert len(mailoutbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        outbox.redispatch(older_than=timedelta(0))
        outbox.dispatch(waiting.pk)  # a late duplicate of the message
    assert Notification.objects.filter(recipient=processor_admin).count() == 1 and len(mailoutbox) == 1


def test_inbox_unread_count_read_and_read_all(client, processor_admin):
    tell([processor_admin], key="one")
    tell([processor_admin], key="two", reference="WX-2")
    someone_else = member_of(OrganisationFactory(processor=True), email="else@olah.test")
    tell([someone_else], key="three", reference="WX-SECRET")
    client.force_login(processor_admin)
    badge = client.get(reverse("members:notifications_unread")).content.decode()
    assert 'data-testid="unread-count">2<' in badge
    page = client.get(reverse("members:notifications")).content.decode()
    assert page.count('data-testid="notification"') == 2 and "WX-SECRET" not in page
    first = Notification.objects.get(recipient=processor_admin, key="one")
    response = client.post(reverse("members:notification_open", args=[first.pk]))
    assert response.status_code == 302 and response.url == "/lots/WX-1/"
    assert 'data-testid="unread-count">1<' in client.get(reverse("members:notifications_unread")).content.decode()
    other = Notification.objects.get(recipient=someone_else)
    assert client.post(reverse("members:notification_open", args=[other.pk])).status_code == 404
    client.post(reverse("members:notifications_read_all"))
    assert "unread-count" not in client.get(reverse("members:notifications_unread")).content.decode()
    other.refresh_from_db()
    assert other.read_at is None  # only my own


def test_inbox_runs_a_constant_number_of_queries(client, processor_admin, django_assert_max_num_queries):
    client.force_login(processor_admin)
    tell([processor_admin], key="k0")
    with django_assert_max_num_queries(6):
        client.get(reverse("members:notifications"))
    for n in range(40):
        tell([processor_admin], key=f"k{n + 1}")
    with django_assert_max_num_queries(6):
        page = client.get(reverse("members:notifications"))
    assert page.content.decode().count('data-testid="notification"') == 30  # one page


def test_preferences_are_saved_and_bad_values_refused(client, processor_admin):
    client.force_login(processor_admin)
    page = client.get(reverse("members:notification_preferences"))
    assert page.status_code == 200
    data = {event.value: "email" for event in Event}
    data[Event.NEW_MATCH] = "digest"
    assert client.post(reverse("members:notification_preferences"), data).status_code == 302
    assert notifications.channel_for(processor_admin, Event.NEW_MATCH) == "digest"
    data[Event.NEW_BID] = "carrier-pigeon"
    response = client.post(reverse("members:notification_preferences"), data)
    assert response.status_code == 400
    assert notifications.channel_for(processor_admin, Event.NEW_BID) == "email"


def test_visitors_have_no_inbox(client):
    client.logout()
    for name in ("members:notifications", "members:notifications_unread", "members:notification_preferences"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/accounts/login/" in response.url


@pytest.fixture
def open_lot(plant):
    return LotFactory(plant=plant, bidding_mode="open", reserve_price=0, quantity=Decimal("100"))


def offer(price):
    return BidOffer(price_per_unit=price, quantity=Decimal("50"), pickup_date=timezone.localdate(), route="recycling")


def test_new_bid_tells_the_plant_and_outbid_tells_the_previous_best(
    open_lot, plant_admin, processor_admin, django_capture_on_commit_callbacks
):
    rival = member_of(OrganisationFactory(processor=True), email="rival@olah.test")
    with django_capture_on_commit_callbacks(execute=True):
        services.bid_place(lot=open_lot, acting_user=processor_admin, offer=offer(100_000))
    assert Notification.objects.filter(recipient=plant_admin, event="new_bid").count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.bid_place(lot=open_lot, acting_user=rival, offer=offer(150_000))
    assert Notification.objects.filter(recipient=plant_admin, event="new_bid").count() == 2
    outbid = Notification.objects.get(event="outbid")
    assert outbid.recipient == processor_admin
    with django_capture_on_commit_callbacks(execute=True):
        services.bid_place(lot=LotFactory(plant=open_lot.plant), acting_user=processor_admin, offer=offer(1))
    assert Notification.objects.filter(event="outbid").count() == 1


def test_no_notification_carries_a_sealed_price_or_bidder(
    plant, plant_admin, processor_admin, mailoutbox, django_capture_on_commit_callbacks
):
    lot = LotFactory(plant=plant, bidding_mode="sealed", reserve_price=0)
    rival = member_of(OrganisationFactory(processor=True, name="CV Rahasia Sekali"), email="rahasia@olah.test")
    with django_capture_on_commit_callbacks(execute=True):
        services.bid_place(lot=lot, acting_user=rival, offer=offer(777_777))
        services.bid_place(lot=lot, acting_user=processor_admin, offer=offer(888_888))
    assert Notification.objects.filter(event="outbid").count() == 0  # sealed: nobody is "outbid"
    texts = [notifications.message(n) + str(n.params) for n in Notification.objects.all()]
    texts += [m.subject + m.body + m.alternatives[0][0] for m in mailoutbox]
    assert texts
    for text in texts:
        assert "777" not in text and "888" not in text and "Rahasia" not in text


def test_award_tells_the_winner_and_the_others_the_winning_price_only(
    open_lot, plant_admin, processor_admin, django_capture_on_commit_callbacks
):
    rival = member_of(OrganisationFactory(processor=True, name="CV Pesaing"), email="pesaing@olah.test")
    services.bid_place(lot=open_lot, acting_user=processor_admin, offer=offer(100_000))
    best = services.bid_place(lot=open_lot, acting_user=rival, offer=offer(150_000))
    open_lot.closes_at = timezone.now() - timedelta(minutes=1)
    open_lot.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.lot_close_if_overdue(open_lot)
    assert Notification.objects.filter(recipient=plant_admin, event="lot_closed").count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.lot_award(lot=open_lot, bid=Bid.objects.get(pk=best.pk), acting_user=plant_admin)
    assert Notification.objects.get(event="bid_accepted").recipient == rival
    lost = Notification.objects.get(event="bid_rejected")
    assert lost.recipient == processor_admin
    text = notifications.message(lost)
    assert "Rp\u00a0150,000" in text and "CV Pesaing" not in text


def test_closing_soon_tells_bidders_and_matched_processors_once(
    open_lot, plant_admin, processor_admin, django_capture_on_commit_callbacks
):
    from listings import notify
    from listings.services import matching
    from tests.listings.test_matching import capable

    watcher = member_of(OrganisationFactory(processor=True, name="CV Pengamat"), email="amat@olah.test")
    capable(watcher.membership.organisation)
    matching.match_lot(open_lot.pk)
    services.bid_place(lot=open_lot, acting_user=processor_admin, offer=offer(10_000))
    far_off = LotFactory(plant=open_lot.plant, closes_at=timezone.now() + timedelta(days=5))
    services.bid_place(lot=far_off, acting_user=processor_admin, offer=offer(10_000))
    assert notify.warn_lots_closing_soon() == 0  # nothing within 24 hours yet
    open_lot.closes_at = timezone.now() + timedelta(hours=20)
    open_lot.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert notify.warn_lots_closing_soon() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert notify.warn_lots_closing_soon() == 0  # the next run, ten minutes later, skips it
    told = Notification.objects.filter(event="closing_soon")
    assert sorted(told.values_list("recipient__email", flat=True)) == sorted(["amat@olah.test", processor_admin.email])
    assert plant_admin.pk not in told.values_list("recipient", flat=True)
    assert "closes on" in notifications.message(told.first())


def test_pickup_and_processing_tell_the_other_side(
    open_lot, plant_admin, processor_admin, django_capture_on_commit_callbacks
):
    bid = services.bid_place(lot=open_lot, acting_user=processor_admin, offer=offer(10_000))
    open_lot.closes_at = timezone.now() - timedelta(minutes=1)
    open_lot.save()
    services.lot_close_if_overdue(open_lot)
    services.lot_award(lot=open_lot, bid=bid, acting_user=plant_admin)
    with django_capture_on_commit_callbacks(execute=True):
        services.pickup_record(
            lot=open_lot,
            acting_user=plant_admin,
            pickup_date=timezone.localdate(),
            carrier="PT Angkut",
            vehicle="A 1234 BC",
            manifest_number="",
            quantity_sent=Decimal("50"),
        )
    pickup = Notification.objects.get(event="pickup_recorded")
    assert pickup.recipient == processor_admin  # not the plant person who recorded it
    proof = CleanUpload(
        content=b"%PDF-1.4\n%%EOF\n",
        extension="pdf",
        content_type="application/pdf",
        thumbnail=None,
        width=None,
        height=None,
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.processing_record(
            lot=open_lot,
            acting_user=processor_admin,
            quantity_received=Decimal("50"),
            route_used="recycling",
            proof=proof,
        )
    processing = Notification.objects.get(event="processing_recorded")
    assert processing.recipient == plant_admin
    assert "Processing of lot" in notifications.message(processing)

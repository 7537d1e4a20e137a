"""Webhooks end to end: a real receiver on loopback checks the signature; one delivery per subscription and
event, retried with backoff until it is answered (exactly once), kept through a broker outage, given up after
a day; only the organisations entitled to an event hear of it, and a sealed price or a winner never leaks."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.utils import timezone

from api import webhook_sending, webhooks
from api.models import WebhookDelivery
from core import outbox
from core.models import OutboxEvent
from listings import services
from listings.models import WasteLot
from listings.services import BidOffer
from members.models import Event
from tests.api.conftest import verify
from tests.factories import LotFactory, OrganisationFactory, member_of

pytestmark = pytest.mark.django_db

SEALED_PRICE = 987_654
WINNER_NAME = "CV Pemenang Rahasia"


def offer(price):
    day = timezone.localdate() + timedelta(days=2)
    return BidOffer(price_per_unit=price, quantity=Decimal("10"), pickup_date=day, route="recycling")


def subscribe(person, url, events):
    return webhooks.subscription_create(
        organisation=person.membership.organisation, acting_user=person, url=url, events=events
    )


@pytest.fixture
def market(plant, plant_admin):
    winner = member_of(OrganisationFactory(name=WINNER_NAME, processor=True), email="win@olah.test")
    loser = member_of(OrganisationFactory(name="CV Kalah", processor=True), email="lose@olah.test")
    outsider = member_of(OrganisationFactory(name="CV Penonton", processor=True), email="look@olah.test")
    other_plant = member_of(OrganisationFactory(name="PT Pabrik Lain"), email="other@pabrik.test")
    return {"plant": plant_admin, "winner": winner, "loser": loser, "outsider": outsider, "other_plant": other_plant}


def test_a_new_bid_reaches_the_plant_signed_once(market, receiver, django_capture_on_commit_callbacks):
    plant = market["plant"]
    created = subscribe(plant, receiver.url, ["new_bid"])
    lot = LotFactory(plant=plant.membership.organisation, bidding_mode="open")
    with django_capture_on_commit_callbacks(execute=True):
        bid = services.bid_place(lot=lot, acting_user=market["winner"], offer=offer(150_000))
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    body = verify(created.secret, request)
    assert request["path"] == "/hooks/wastex"
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["headers"]["X-WasteX-Event"] == "new_bid"
    delivery = WebhookDelivery.objects.get()
    assert request["headers"]["X-WasteX-Event-Id"] == str(delivery.event_id) == body["id"]
    assert body["type"] == "new_bid"
    assert body["data"]["lot"]["reference"] == lot.reference
    assert body["data"]["lot"]["api_url"].endswith(f"/api/v1/lots/{lot.reference}/")
    assert delivery.status == "sent" and delivery.attempts == 1 and delivery.last_status_code == 200
    # A tampered body, or another secret, does not verify.
    with pytest.raises(AssertionError, match="bad signature"):
        verify(created.secret, {**request, "body": request["body"].replace(b"new_bid", b"outbid")})
    with pytest.raises(AssertionError, match="bad signature"):
        verify("whsec_another", request)
    # The same event told again (a re-run of the fan-out) is not a second delivery.
    with django_capture_on_commit_callbacks(execute=True):
        webhooks.on_notification(Event.NEW_BID, f"new_bid:{bid.pk}", [plant.pk], {"reference": lot.reference})
    assert WebhookDelivery.objects.count() == 1 and len(receiver.requests) == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        WebhookDelivery.objects.create(subscription=delivery.subscription, key=delivery.key, event="new_bid")


def due_now():
    WebhookDelivery.objects.filter(status="pending").update(next_attempt_at=timezone.now())


def test_a_failing_receiver_gets_it_again_with_backoff_then_once(market, receiver, django_capture_on_commit_callbacks):
    plant = market["plant"]
    created = subscribe(plant, receiver.url, ["new_bid"])
    receiver.answers = [500, 503]
    lot = LotFactory(plant=plant.membership.organisation)
    with django_capture_on_commit_callbacks(execute=True):
        services.bid_place(lot=lot, acting_user=market["winner"], offer=offer(150_000))
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert delivery.last_error.startswith("HTTP 500")
    first_wait = (delivery.next_attempt_at - timezone.now()).total_seconds()
    assert 25 < first_wait <= 30  # WEBHOOK_RETRY_SECONDS
    assert webhook_sending.retry_due() == 0  # not due yet: nothing sent
    assert len(receiver.requests) == 1

    due_now()
    with django_capture_on_commit_callbacks(execute=True):
        assert webhook_sending.retry_due() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 2)
    assert 55 < (delivery.next_attempt_at - timezone.now()).total_seconds() <= 60  # doubled
    assert delivery.last_error.startswith("HTTP 503")

    due_now()
    with django_capture_on_commit_callbacks(execute=True):
        assert webhook_sending.retry_due() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 3, "")
    ids = {request["headers"]["X-WasteX-Event-Id"] for request in receiver.requests}
    assert ids == {str(delivery.event_id)} and len(receiver.requests) == 3
    for request in receiver.requests:
        verify(created.secret, request)
    # Delivered: neither beat nor a late duplicate of the task sends it again.
    due_now()
    assert webhook_sending.retry_due() == 0
    assert webhook_sending.attempt(delivery.pk) is None
    assert len(receiver.requests) == 3


def test_a_broker_outage_at_the_event_loses_nothing_and_doubles_nothing(
    market, receiver, monkeypatch, django_capture_on_commit_callbacks
):
    from core.tasks import process_event

    plant = market["plant"]
    created = subscribe(plant, receiver.url, ["new_bid"])
    lot = LotFactory(plant=plant.membership.organisation)

    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("Error 111 connecting to 127.0.0.1:6379")

    monkeypatch.setattr(process_event, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        services.bid_place(lot=lot, acting_user=market["winner"], offer=offer(150_000))  # the bid does not fail
    assert receiver.requests == [] and OutboxEvent.objects.filter(processed_at__isnull=True).exists()
    assert outbox.redispatch(older_than=timedelta(0)) == 0  # still down: still kept

    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        outbox.redispatch(older_than=timedelta(0))
    assert len(receiver.requests) == 1
    verify(created.secret, receiver.requests[0])
    sent = OutboxEvent.objects.get(kind="webhook")
    with django_capture_on_commit_callbacks(execute=True):
        outbox.redispatch(older_than=timedelta(0))
        outbox.dispatch(sent.pk)  # a late duplicate of the message
        webhook_sending.retry_due()
    assert len(receiver.requests) == 1
    assert WebhookDelivery.objects.get().status == "sent"


def test_the_broker_down_when_the_delivery_is_handed_over(
    market, receiver, monkeypatch, django_capture_on_commit_callbacks
):
    from core.tasks import process_event

    created = subscribe(market["plant"], receiver.url, ["new_bid"])
    monkeypatch.setattr(process_event, "apply_async", lambda *a, **k: (_ for _ in ()).throw(ConnectionError("down")))
    with django_capture_on_commit_callbacks(execute=True):
        webhooks.subscription_test(subscription=created.subscription, acting_user=market["plant"])
    assert receiver.requests == [] and WebhookDelivery.objects.get().status == "pending"
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        outbox.redispatch(older_than=timedelta(0))
        outbox.redispatch(older_than=timedelta(0))
    assert len(receiver.requests) == 1
    assert verify(created.secret, receiver.requests[0])["type"] == "ping"


def test_given_up_after_a_day_with_the_reason_kept(market, receiver, client, django_capture_on_commit_callbacks):
    plant = market["plant"]
    subscribe(plant, receiver.url, ["new_bid"])
    receiver.answers = [500] * 10
    lot = LotFactory(plant=plant.membership.organisation)
    with django_capture_on_commit_callbacks(execute=True):
        services.bid_place(lot=lot, acting_user=market["winner"], offer=offer(150_000))
    delivery = WebhookDelivery.objects.get()
    # A day later the last retry is due at the day's end, not after it; failing then, it is given up.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(created_at=timezone.now() - timedelta(hours=23, minutes=59))
    due_now()
    with django_capture_on_commit_callbacks(execute=True):
        webhook_sending.retry_due()
    delivery.refresh_from_db()
    assert delivery.status == "pending"
    assert delivery.next_attempt_at <= delivery.created_at + timedelta(hours=24)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(created_at=timezone.now() - timedelta(hours=24, seconds=1))
    due_now()
    webhook_sending.retry_due()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 3)
    assert webhook_sending.retry_due() == 0 and len(receiver.requests) == 3
    client.force_login(plant)
    page = client.get(f"/org/{plant.membership.organisation.slug}/webhooks/").content.decode()
    assert "HTTP 500" in page and "given up" in page


@override_settings(WEBHOOK_TIMEOUT_SECONDS=0.3)
def test_a_slow_receiver_times_out_and_a_redirect_is_not_followed(market, receiver, django_capture_on_commit_callbacks):
    plant = market["plant"]
    created = subscribe(plant, receiver.url, ["new_bid"])
    receiver.delay = 1
    with django_capture_on_commit_callbacks(execute=True):
        webhooks.subscription_test(subscription=created.subscription, acting_user=plant)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and "timeout" in delivery.last_error
    receiver.delay = 0
    receiver.answers = [302]
    receiver.location = receiver.url + "/elsewhere"
    due_now()
    webhook_sending.retry_due()
    delivery.refresh_from_db()
    assert delivery.status == "pending" and "redirects are not followed" in delivery.last_error
    assert [request["path"] for request in receiver.requests] == ["/hooks/wastex", "/hooks/wastex"]


def test_a_paused_subscription_gets_nothing_new_and_its_waiting_deliveries_wait(
    market, receiver, django_capture_on_commit_callbacks
):
    plant = market["plant"]
    subscription = subscribe(plant, receiver.url, ["new_bid"]).subscription
    receiver.answers = [500]
    lot = LotFactory(plant=plant.membership.organisation)
    with django_capture_on_commit_callbacks(execute=True):
        services.bid_place(lot=lot, acting_user=market["winner"], offer=offer(150_000))
    webhooks.subscription_set_active(subscription=subscription, acting_user=plant, active=False)
    with django_capture_on_commit_callbacks(execute=True):
        services.bid_place(lot=lot, acting_user=market["loser"], offer=offer(160_000))
    assert WebhookDelivery.objects.count() == 1  # nothing recorded while paused
    due_now()
    assert webhook_sending.retry_due() == 0 and len(receiver.requests) == 1
    webhooks.subscription_set_active(subscription=subscription, acting_user=plant, active=True)
    assert webhook_sending.retry_due() == 1
    assert WebhookDelivery.objects.get().status == "sent" and len(receiver.requests) == 2


def payloads(receiver, secret) -> list[dict]:
    return [verify(secret, request) for request in receiver.requests]


def test_only_the_entitled_hear_and_sealed_bids_and_winners_stay_secret(
    market, receiver, django_capture_on_commit_callbacks
):
    secrets = {
        role: subscribe(market[role], receiver.url + f"/{role}", events).secret
        for role, events in {
            "plant": ["new_bid", "pickup_recorded"],
            "winner": ["award", "outbid", "pickup_recorded"],
            "loser": ["award", "outbid"],
            "outsider": ["new_match", "award", "outbid", "lot_closing"],
            "other_plant": ["new_bid"],
        }.items()
    }
    lot = LotFactory(plant=market["plant"].membership.organisation, bidding_mode="sealed")
    with django_capture_on_commit_callbacks(execute=True):
        winning = services.bid_place(lot=lot, acting_user=market["winner"], offer=offer(SEALED_PRICE))
        services.bid_place(lot=lot, acting_user=market["loser"], offer=offer(SEALED_PRICE - 1000))
    by_path = {}
    for request in receiver.requests:
        by_path.setdefault(request["path"].rsplit("/", 1)[-1], []).append(request)
    assert set(by_path) == {"plant"}  # sealed: no outbid; nobody else hears of a bid
    for request in by_path["plant"]:
        text = request["body"].decode()
        assert str(SEALED_PRICE) not in text and WINNER_NAME not in text and "Kalah" not in text
        assert verify(secrets["plant"], request)["type"] == "new_bid"

    WasteLot.objects.filter(pk=lot.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    lot.refresh_from_db()
    services.lot_close_if_overdue(lot)
    receiver.requests.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.lot_award(lot=lot, bid=winning, acting_user=market["plant"])
    by_path = {request["path"].rsplit("/", 1)[-1]: request for request in receiver.requests}
    assert set(by_path) == {"winner", "loser"}
    assert verify(secrets["winner"], by_path["winner"])["data"]["result"] == "won"
    lost = verify(secrets["loser"], by_path["loser"])
    assert lost["data"]["result"] == "not_chosen" and lost["data"]["winning_price_per_unit"] == SEALED_PRICE
    assert WINNER_NAME not in by_path["loser"]["body"].decode()

    receiver.requests.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.pickup_record(
            lot=lot,
            acting_user=market["winner"],  # the winner's only person: its organisation still hears of it
            pickup_date=timezone.localdate(),
            carrier="PT Angkut",
            vehicle="A 1234 BC",
            manifest_number="MAN-1",
            quantity_sent=Decimal("10"),
        )
    paths = sorted(request["path"].rsplit("/", 1)[-1] for request in receiver.requests)
    assert paths == ["plant", "winner"]
    assert {
        verify(secrets[path], request)["type"]
        for path, request in zip(paths, sorted(receiver.requests, key=lambda r: r["path"]), strict=True)
    } == {"pickup_recorded"}


def test_open_mode_tells_the_overtaken_bidder_only(market, receiver, django_capture_on_commit_callbacks):
    loser_secret = subscribe(market["loser"], receiver.url + "/loser", ["outbid"]).secret
    subscribe(market["winner"], receiver.url + "/winner", ["outbid"])
    lot = LotFactory(plant=market["plant"].membership.organisation, bidding_mode="open")
    with django_capture_on_commit_callbacks(execute=True):
        services.bid_place(lot=lot, acting_user=market["loser"], offer=offer(100_000))
        services.bid_place(lot=lot, acting_user=market["winner"], offer=offer(200_000))
    assert [request["path"] for request in receiver.requests] == ["/hooks/wastex/loser"]
    body = verify(loser_secret, receiver.requests[0])
    assert body["type"] == "outbid" and WINNER_NAME not in receiver.requests[0]["body"].decode()


def test_payload_carries_only_the_values_it_names():
    data = webhooks.payload_for(
        "award",
        "not_chosen",
        {"reference": "WX-1", "title": "Slag", "winning_price": 5, "unit": "ton", "bidder": "X", "price": 9},
    )
    assert set(data) == {"lot", "result", "winning_price_per_unit", "unit"}
    assert webhooks.payload_for("award", "won", {"reference": "WX-1", "winning_price": 5}).keys() == {"lot", "result"}

"""The watchlist: a processor's person follows a lot (htmx and plain POST), sees it on /my/bids/, and is reminded
once before it closes — by in-app notification and e-mail as they chose — never for a lot they cannot bid on.
And "My bids": leading or outbid in open mode, never a word of other bids on a sealed lot, the time left."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from listings import notify, services
from listings.models import WasteLot, Watch
from listings.services import BidOffer
from members import notifications
from members.models import Notification, NotificationPreference, Organisation
from tests.factories import LotFactory, OrganisationFactory, member_of

pytestmark = pytest.mark.django_db

MY_BIDS = reverse("listings:my_bids")


def watch_url(lot):
    return reverse("listings:lot_watch", args=[lot.reference])


def closing_in(plant, hours: float, **fields):
    return LotFactory(plant=plant, closes_at=timezone.now() + timedelta(hours=hours), **fields)


def bid(lot, person, price):
    return services.bid_place(
        lot=lot,
        acting_user=person,
        offer=BidOffer(
            price_per_unit=price,
            quantity=Decimal("10"),
            pickup_date=timezone.localdate() + timedelta(days=2),
            route="recycling",
        ),
    )


# --- Following ------------------------------------------------------------------------------------------------


def test_follow_and_unfollow_without_javascript(client, plant, processor_admin):
    lot = closing_in(plant, 72)
    client.force_login(processor_admin)
    page = client.get(lot.get_absolute_url()).content.decode()
    assert 'data-testid="follow"' in page and 'data-testid="unfollow"' not in page
    response = client.post(watch_url(lot), {"follow": "1", "next": lot.get_absolute_url()})
    assert response.status_code == 302 and response["Location"] == lot.get_absolute_url()
    assert Watch.objects.filter(user=processor_admin, lot=lot).count() == 1
    client.post(watch_url(lot), {"follow": "1"})  # twice: still one
    assert Watch.objects.filter(user=processor_admin, lot=lot).count() == 1
    page = client.get(lot.get_absolute_url()).content.decode()
    assert 'data-testid="unfollow"' in page
    listing = client.get(MY_BIDS).content.decode()
    assert 'data-testid="watched-lot"' in listing and lot.reference in listing
    client.post(watch_url(lot), {"follow": "0", "next": MY_BIDS + "#following"})
    assert not Watch.objects.filter(user=processor_admin, lot=lot).exists()
    assert 'data-testid="watched-empty"' in client.get(MY_BIDS).content.decode()


def test_follow_with_htmx_swaps_the_button(client, plant, processor_admin):
    lot = closing_in(plant, 72)
    client.force_login(processor_admin)
    response = client.post(watch_url(lot), {"follow": "1"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.strip().startswith("<div") and 'id="watch"' in html and 'data-testid="unfollow"' in html
    assert "<html" not in html
    response = client.post(watch_url(lot), {"follow": "0"}, HTTP_HX_REQUEST="true")
    assert 'data-testid="follow"' in response.content.decode()
    assert not Watch.objects.exists()


def test_a_foreign_next_is_ignored(client, plant, processor_admin):
    lot = closing_in(plant, 72)
    client.force_login(processor_admin)
    response = client.post(watch_url(lot), {"follow": "1", "next": "https://evil.example/"})
    assert response["Location"] == lot.get_absolute_url()


def test_who_may_not_follow_is_told_why(client, plant, plant_admin, unverified_admin):
    lot = closing_in(plant, 72)
    unverified_processor = member_of(OrganisationFactory(processor=True, unverified=True))
    for person in (plant_admin, unverified_admin, unverified_processor):
        client.force_login(person)
        assert 'data-testid="follow"' not in client.get(lot.get_absolute_url()).content.decode()
        response = client.post(watch_url(lot), {"follow": "1"})
        assert response.status_code == 403
        assert "Only people of verified processing businesses can follow lots." in response.content.decode()
    assert not Watch.objects.exists()


def test_a_closed_lot_cannot_be_followed_but_can_be_unfollowed(client, plant, processor_admin):
    lot = closing_in(plant, 72)
    Watch.objects.create(user=processor_admin, lot=lot)
    WasteLot.objects.filter(pk=lot.pk).update(status=WasteLot.Status.CLOSED)
    client.force_login(processor_admin)
    page = client.get(lot.get_absolute_url()).content.decode()
    assert 'data-testid="unfollow"' in page
    client.post(watch_url(lot), {"follow": "0"})
    assert not Watch.objects.exists()
    response = client.post(watch_url(lot), {"follow": "1"})
    assert response.status_code == 403 and "This lot is not open for bids." in response.content.decode()


def test_a_draft_cannot_be_followed(client, plant, processor_admin):
    draft = LotFactory(plant=plant, status="draft", published_at=None)
    client.force_login(processor_admin)
    assert client.post(watch_url(draft), {"follow": "1"}).status_code == 404
    assert client.get(watch_url(draft)).status_code == 405


# --- The reminder -----------------------------------------------------------------------------------------------


def test_the_reminder_comes_once_before_the_lot_closes(
    plant, processor_admin, mailoutbox, django_capture_on_commit_callbacks
):
    soon = closing_in(plant, 20)
    later = closing_in(plant, 30)
    services.lot_follow(lot=soon, acting_user=processor_admin)
    services.lot_follow(lot=later, acting_user=processor_admin)
    with django_capture_on_commit_callbacks(execute=True):
        assert notify.remind_watchers() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert notify.remind_watchers() == 0  # the next run: never twice
    note = Notification.objects.get(recipient=processor_admin, event="watched_closing")
    assert note.url == soon.get_absolute_url()
    assert soon.reference in notifications.message(note) and "which you follow" in notifications.message(note)
    assert [m.to for m in mailoutbox] == [[processor_admin.email]] and soon.reference in mailoutbox[0].subject
    assert Watch.objects.get(lot=soon).reminded_at is not None
    assert Watch.objects.get(lot=later).reminded_at is None
    # even if the watch were reset, the inbox never doubles (one per lot and person)
    Watch.objects.filter(lot=soon).update(reminded_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        notify.remind_watchers()
    assert Notification.objects.filter(recipient=processor_admin, event="watched_closing").count() == 1
    assert len(mailoutbox) == 1


def test_the_reminder_time_is_a_setting(plant, processor_admin, settings, django_capture_on_commit_callbacks):
    lot = closing_in(plant, 30)
    services.lot_follow(lot=lot, acting_user=processor_admin)
    assert notify.remind_watchers() == 0
    settings.WATCH_REMINDER_HOURS = 48
    with django_capture_on_commit_callbacks(execute=True):
        assert notify.remind_watchers() == 1


def test_the_reminder_follows_the_persons_choice(
    plant, processor_admin, mailoutbox, django_capture_on_commit_callbacks
):
    NotificationPreference.objects.create(
        user=processor_admin, event="watched_closing", channel=NotificationPreference.Channel.IN_APP
    )
    services.lot_follow(lot=closing_in(plant, 5), acting_user=processor_admin)
    with django_capture_on_commit_callbacks(execute=True):
        assert notify.remind_watchers() == 1
    assert Notification.objects.filter(recipient=processor_admin, event="watched_closing").exists()
    assert mailoutbox == []


def test_no_reminder_for_a_lot_the_person_cannot_bid_on(
    plant, processor, processor_admin, django_capture_on_commit_callbacks
):
    closed = closing_in(plant, 5)
    local_first = closing_in(plant, 5, local_first_until=timezone.now() + timedelta(hours=2))
    services.lot_follow(lot=closed, acting_user=processor_admin)
    outsider = member_of(OrganisationFactory(processor=True, province="jawa-barat", city="Bekasi"))
    Watch.objects.create(user=outsider, lot=local_first)  # followed before; Banten businesses only for now
    WasteLot.objects.filter(pk=closed.pk).update(status=WasteLot.Status.CLOSED)
    plant_person = member_of(plant, email="orang@baja.test")
    other = closing_in(plant, 5)
    Watch.objects.create(user=plant_person, lot=other)  # a watch a plant's person could not have made
    left = member_of(OrganisationFactory(processor=True))
    Watch.objects.create(user=left, lot=other)
    Organisation.objects.filter(pk=left.membership.organisation_id).update(
        verification_status=Organisation.Status.REJECTED
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert notify.remind_watchers() == 0
    assert not Notification.objects.filter(event="watched_closing").exists()
    assert not Watch.objects.filter(reminded_at__isnull=False).exists()


def test_the_beat_task_runs_the_reminder(plant, processor_admin, settings, django_capture_on_commit_callbacks):
    from listings import tasks

    assert settings.CELERY_BEAT_SCHEDULE["remind-watchers"]["task"] == "listings.tasks.remind_watchers"
    services.lot_follow(lot=closing_in(plant, 5), acting_user=processor_admin)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.remind_watchers.delay().get() == 1
    assert Notification.objects.filter(event="watched_closing").count() == 1


# --- My bids: leading, outbid, sealed, time left ---------------------------------------------------------------


def standing(html: str, reference: str) -> str:
    row = html.split(f">{reference}</a>", 1)[1].split("</tr>", 1)[0]
    return row.split('data-testid="standing">', 1)[1].split("</td>", 1)[0]


def test_my_bids_shows_leading_or_outbid_in_open_mode_and_nothing_of_sealed_bids(client, plant, processor_admin):
    rival = member_of(OrganisationFactory(processor=True, name="CV Pesaing"))
    leading = closing_in(plant, 50, bidding_mode=WasteLot.BiddingMode.OPEN)
    outbid = closing_in(plant, 50, bidding_mode=WasteLot.BiddingMode.OPEN)
    sealed = closing_in(plant, 50, bidding_mode=WasteLot.BiddingMode.SEALED)
    bid(leading, processor_admin, 60_000)
    bid(leading, rival, 50_000)
    bid(outbid, processor_admin, 60_000)
    rival_bid = bid(outbid, rival, 70_000)
    bid(sealed, processor_admin, 60_000)
    bid(sealed, rival, 70_000)
    client.force_login(processor_admin)
    html = client.get(MY_BIDS).content.decode()
    assert 'data-testid="leading"' in standing(html, leading.reference)
    assert 'data-testid="outbid"' in standing(html, outbid.reference)
    sealed_cell = standing(html, sealed.reference)
    assert 'data-testid="sealed"' in sealed_cell
    assert "leading" not in sealed_cell and "outbid" not in sealed_cell
    assert timezone.localtime(sealed.closes_at).strftime("%H:%M") in sealed_cell
    for lot in (leading, outbid, sealed):
        assert "closes in 2\xa0days" in standing(html, lot.reference)
    assert "70,000" not in html and "70.000" not in html and "CV Pesaing" not in html
    # the rival withdraws from the outbid lot: the bid leads again
    services.bid_withdraw(bid=rival_bid, acting_user=rival)
    html = client.get(MY_BIDS).content.decode()
    assert 'data-testid="leading"' in standing(html, outbid.reference)


def test_my_bids_shows_no_standing_once_the_lot_is_decided(client, plant, processor_admin):
    lot = closing_in(plant, 50, bidding_mode=WasteLot.BiddingMode.OPEN)
    bid(lot, processor_admin, 60_000)
    WasteLot.objects.filter(pk=lot.pk).update(status=WasteLot.Status.CLOSED)
    client.force_login(processor_admin)
    cell = standing(client.get(MY_BIDS).content.decode(), lot.reference)
    assert "leading" not in cell and "outbid" not in cell and "closes in" not in cell

"""Who hears of what happens to a lot. Each function is called inside the transaction of the change and only
records the event in the outbox (members.notifications): delivery happens after the commit, once.

No message carries a bid's price or bidder, except the winning price told to the other bidders after the
award (issue 4's rule); sealed bids stay sealed in every notification."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import CharField, Exists, OuterRef, Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils import timezone

from core.models import OutboxEvent
from members import notifications
from members.models import Event, User

from . import selectors
from .models import Bid, Match, VisitBooking, WasteLot, Watch

key_for = notifications.key_for


def people_of(organisation_ids):
    return User.objects.filter(membership__organisation_id__in=list(organisation_ids), is_active=True).values_list(
        "pk", flat=True
    )


def lot_params(lot: WasteLot) -> dict:
    return {"reference": lot.reference, "title": lot.title}


def lot_closed_by_deadline(lot: WasteLot) -> None:
    notifications.notify_later(
        Event.LOT_CLOSED,
        key_for(Event.LOT_CLOSED, lot.pk),
        people_of([lot.plant_id]),
        lot_params(lot),
        lot.get_absolute_url() + "bids/",
    )


def bid_arrived(lot: WasteLot, bid: Bid, *, previous_best: int | None, placed: bool) -> None:
    """A new bid tells the plant; in open mode a better price tells whoever held the best price before."""
    if placed:
        notifications.notify_later(
            Event.NEW_BID,
            key_for(Event.NEW_BID, bid.pk),
            people_of([lot.plant_id]),
            lot_params(lot),
            lot.get_absolute_url(),
        )
    if lot.is_sealed or previous_best is None or bid.price_per_unit <= previous_best:
        return
    overtaken = (
        Bid.objects.filter(lot=lot, status=Bid.Status.LIVE, price_per_unit=previous_best)
        .exclude(bidder_id=bid.bidder_id)
        .values_list("bidder_id", flat=True)
    )
    notifications.notify_later(
        Event.OUTBID,
        key_for(Event.OUTBID, lot.pk, bid.pk, bid.revision),
        people_of(overtaken),
        lot_params(lot),
        lot.get_absolute_url(),
    )


def award_made(lot: WasteLot, award) -> None:
    notifications.notify_later(
        Event.BID_ACCEPTED,
        key_for(Event.BID_ACCEPTED, award.pk),
        people_of([award.bid.bidder_id]),
        lot_params(lot),
        lot.get_absolute_url(),
    )


def bids_not_chosen(lot: WasteLot, *, loser_organisation_ids, winning_prices: list[int]) -> None:
    """The bids still live when awarding ended: their bidders learn the winning prices, never the winners."""
    prices = sorted(set(winning_prices), reverse=True)
    params = {**lot_params(lot), "winning_price": prices[0], "unit": lot.unit}
    if len(prices) > 1:
        params.update(how="shared", winning_prices=prices)
    notifications.notify_later(
        Event.BID_REJECTED,
        key_for(Event.BID_REJECTED, lot.pk),
        people_of(loser_organisation_ids),
        params,
        lot.get_absolute_url(),
    )


def lot_ended(lot: WasteLot, *, bidder_organisation_ids, reason: str, cancelled: bool) -> None:
    """Cancelled, or closed without an award: the bidders whose bids ended hear why."""
    notifications.notify_later(
        Event.LOT_ENDED,
        key_for(Event.LOT_ENDED, lot.pk),
        people_of(bidder_organisation_ids),
        {**lot_params(lot), "reason": reason, "how": "cancelled" if cancelled else "unawarded"},
        lot.get_absolute_url(),
    )


def handover_recorded(lot: WasteLot, event: str, *, handover, winner_organisation_id: int, acting_user: User) -> None:
    """Pickup or processing recorded: both sides hear of it, except the person who recorded it."""
    people = people_of([lot.plant_id, winner_organisation_id]).exclude(pk=acting_user.pk)
    params = lot_params(lot)
    if lot.is_recurring:
        params.update(how="period", period=handover.period.number)
    notifications.notify_later(event, key_for(event, handover.pk), people, params, lot.get_absolute_url())


def contract_url(lot: WasteLot, award) -> str:
    """Where a contract's notifications lead: its page (the parties and staff may open it)."""
    return reverse("listings:contract_detail", kwargs={"reference": lot.reference, "pk": award.pk})


def staff_ids():
    return User.objects.filter(is_staff=True, is_active=True).values_list("pk", flat=True)


def contract_ended(lot: WasteLot, award, *, by_plant: bool, acting_user: User) -> None:
    """A contract ended early: the other side and staff hear of it, with the reason."""
    other = award.bid.bidder_id if by_plant else lot.plant_id
    people = set(people_of([other])) | set(staff_ids())
    params = {**lot_params(lot), "reason": award.end_reason, "how": "plant" if by_plant else "processor"}
    notifications.notify_later(
        Event.CONTRACT_ENDED,
        key_for(Event.CONTRACT_ENDED, award.pk),
        people - {acting_user.pk},
        params,
        contract_url(lot, award),
    )


def period_missed(period) -> None:
    """A contract period ended without a pickup: both sides and staff hear of it, once."""
    award = period.award
    lot = award.lot
    people = set(people_of([lot.plant_id, award.bid.bidder_id])) | set(staff_ids())
    params = {
        **lot_params(lot),
        "period": period.number,
        "starts_on": period.starts_on.isoformat(),
        "ends_on": period.ends_on.isoformat(),
    }
    notifications.notify_later(
        Event.PERIOD_MISSED, key_for(Event.PERIOD_MISSED, period.pk), people, params, contract_url(lot, award)
    )


def _clarification_audience(lot: WasteLot, *also) -> set[int]:
    """Who hears of a lot's answers and addenda: the organisations with a live bid on it and those matched to
    it (and `also`), never the plant itself."""
    organisations = (
        set(Bid.objects.filter(lot=lot, status=Bid.Status.LIVE).values_list("bidder_id", flat=True))
        | set(Match.objects.filter(lot=lot).values_list("organisation_id", flat=True))
        | set(also)
    )
    organisations.discard(lot.plant_id)
    return organisations


def question_answered(lot: WasteLot, question, *, edited: bool) -> None:
    """An answer (or a changed answer) on the lot's questions. The message names the lot only: never who asked
    (the asker's organisation hears of it like every bidder, without being singled out)."""
    version = int(question.answer_edited_at.timestamp()) if edited else 0
    notifications.notify_later(
        Event.QUESTION_ANSWERED,
        key_for(Event.QUESTION_ANSWERED, lot.pk, question.pk, version),
        people_of(_clarification_audience(lot, question.asked_by_organisation_id)),
        {**lot_params(lot), "how": "edited" if edited else "answered"},
        lot.get_absolute_url() + "questions/",
    )


ADDENDUM_EXCERPT = 160


def addendum_published(lot: WasteLot, addendum) -> None:
    """Bidders and matched processors hear of an addendum with the start of its text."""
    text = addendum.text if len(addendum.text) <= ADDENDUM_EXCERPT else addendum.text[: ADDENDUM_EXCERPT - 1] + "…"
    notifications.notify_later(
        Event.ADDENDUM_PUBLISHED,
        key_for(Event.ADDENDUM_PUBLISHED, lot.pk, addendum.pk),
        people_of(_clarification_audience(lot)),
        {**lot_params(lot), "addendum": text},
        lot.get_absolute_url(),
    )


CLOSING_SOON = timedelta(hours=24)


def warn_lots_closing_soon() -> int:
    """Bidders and matched processors hear once that an open lot closes within 24 hours."""
    now = timezone.now()
    already = OutboxEvent.objects.filter(
        key=Concat(Value(f"{Event.CLOSING_SOON}:"), Cast(OuterRef("pk"), CharField()), output_field=CharField())
    )
    lots = WasteLot.objects.filter(
        status=WasteLot.Status.OPEN, closes_at__gt=now, closes_at__lte=now + CLOSING_SOON
    ).exclude(Exists(already))
    warned = 0
    for lot in lots.only("pk", "reference", "title", "closes_at"):
        organisations = set(
            Bid.objects.filter(lot=lot, status=Bid.Status.LIVE).values_list("bidder_id", flat=True)
        ) | set(Match.objects.filter(lot=lot).values_list("organisation_id", flat=True))
        with transaction.atomic():
            notifications.notify_later(
                Event.CLOSING_SOON,
                key_for(Event.CLOSING_SOON, lot.pk),
                people_of(organisations),
                {**lot_params(lot), "closes_at": lot.closes_at.isoformat()},
                lot.get_absolute_url(),
            )
        warned += 1
    return warned


def remind_watchers() -> int:
    """People who follow an open lot hear once, WATCH_REMINDER_HOURS before it closes, that it closes soon —
    only while they may still bid on it (a person who left their processor, a lot they may not bid on, a lot no
    longer open: no reminder). Each reminder is marked on the watch in the transaction that records it in the
    outbox, and its inbox key is per lot and person: never twice. Returns how many were reminded."""
    now = timezone.now()
    due = (
        Watch.objects.filter(
            reminded_at__isnull=True,
            user__is_active=True,
            lot__status=WasteLot.Status.OPEN,
            lot__closes_at__gt=now,
            lot__closes_at__lte=now + timedelta(hours=settings.WATCH_REMINDER_HOURS),
        )
        .select_related("user", "lot", "lot__category")
        .order_by("lot__closes_at", "pk")
    )
    reminded = 0
    for watch in due:
        lot, person = watch.lot, watch.user
        if selectors.why_cannot_bid(person, lot) is not None:
            continue  # left for a later run: a local-first window may still end before the deadline
        with transaction.atomic():
            if not Watch.objects.filter(pk=watch.pk, reminded_at__isnull=True).update(reminded_at=now):
                continue  # another run got there first
            notifications.notify_later(
                Event.WATCHED_CLOSING,
                key_for(Event.WATCHED_CLOSING, lot.pk, person.pk),
                [person.pk],
                {**lot_params(lot), "closes_at": lot.closes_at.isoformat()},
                lot.get_absolute_url(),
            )
        reminded += 1
    return reminded


# --- Site visits ------------------------------------------------------------------------------------------


def _visit_params(lot: WasteLot, slot) -> dict:
    return {**lot_params(lot), "starts_at": slot.starts_at.isoformat()}


def visit_booking_changed(lot: WasteLot, booking, *, cancelled: bool) -> None:
    """The plant's people hear that a site visit was booked or cancelled, with the organisation and how many
    people (the plant reads every booking; no other processor hears of it)."""
    how = "cancelled" if cancelled else "booked"
    notifications.notify_later(
        Event.VISIT_BOOKING,
        key_for(Event.VISIT_BOOKING, booking.pk, how),
        people_of([lot.plant_id]),
        {
            **_visit_params(lot, booking.slot),
            "organisation": booking.organisation.name,
            "people": booking.people,
            "how": how,
        },
        lot.get_absolute_url() + "visits/",
    )


def visit_slot_cancelled(lot: WasteLot, slot, booker_organisation_ids) -> None:
    """The organisations that had booked a slot the plant cancelled hear of it (each only of its own)."""
    notifications.notify_later(
        Event.VISIT_CANCELLED,
        key_for(Event.VISIT_CANCELLED, slot.pk),
        people_of(booker_organisation_ids),
        _visit_params(lot, slot),
        lot.get_absolute_url() + "visits/",
    )


def remind_visits() -> int:
    """The day before a site visit (its slot starts tomorrow in Jakarta; a visit booked on its own day gets
    none), the booking organisation and the plant hear of it once: each reminder is marked on the booking in the
    transaction that records it in the outbox, and its inbox key is per booking and side. Only live bookings of
    live slots of open lots. Returns how many bookings were reminded."""
    now = timezone.now()
    tomorrow = timezone.localdate(now) + timedelta(days=1)
    due = (
        VisitBooking.objects.filter(
            reminded_at__isnull=True,
            cancelled_at__isnull=True,
            slot__cancelled_at__isnull=True,
            slot__starts_at__date=tomorrow,
            lot__status=WasteLot.Status.OPEN,
        )
        .select_related("slot", "lot", "organisation")
        .order_by("slot__starts_at", "pk")
    )
    reminded = 0
    for booking in due:
        lot = booking.lot
        with transaction.atomic():
            if not VisitBooking.objects.filter(pk=booking.pk, reminded_at__isnull=True).update(reminded_at=now):
                continue  # another run got there first
            params = {**_visit_params(lot, booking.slot), "people": booking.people, "plate": booking.plate}
            url = lot.get_absolute_url() + "visits/"
            notifications.notify_later(
                Event.VISIT_REMINDER,
                key_for(Event.VISIT_REMINDER, booking.pk, "visitor"),
                people_of([booking.organisation_id]),
                {**params, "how": "visitor"},
                url,
            )
            notifications.notify_later(
                Event.VISIT_REMINDER,
                key_for(Event.VISIT_REMINDER, booking.pk, "plant"),
                people_of([lot.plant_id]),
                {**params, "organisation": booking.organisation.name, "how": "plant"},
                url,
            )
        reminded += 1
    return reminded

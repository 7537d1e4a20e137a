"""Site visits as services: the plant offers a slot and may cancel it (bookers are told); a verified processor
books one slot per lot and may cancel until the slot starts (the plant is told). Capacity is counted in people
under the slot's row lock, so two bookings at once cannot both take the last places; "one booking per
organisation per lot" is held by the lot's lock and a unique constraint. Notifications go through the outbox in
the same transaction (listings.notify), delivered once after the commit."""

import re
from dataclasses import dataclass
from datetime import date, datetime, time

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from members.models import User
from members.selectors import organisation_of

from .. import notify, visits
from ..models import (
    MAX_SLOT_CAPACITY,
    MAX_SLOTS_PER_LOT,
    MAX_VISITORS_PER_BOOKING,
    VisitBooking,
    VisitSlot,
    WasteLot,
)
from ..models.visits import MAX_MEETING_POINT_CHARS, MAX_VISITOR_NAME_CHARS, MIN_SLOT_CAPACITY

MIN_VISITOR_NAME_CHARS = 2
MIN_MEETING_POINT_CHARS = 3
# An Indonesian plate, read loosely: region letters, 1-4 digits, up to three letters ("A 1234 BC", "b1234xyz").
PLATE = re.compile(r"^([A-Z]{1,2})\s*(\d{1,4})\s*([A-Z]{0,3})$")


def normalise_plate(value: str) -> str:
    """ "b1234  xyz" → "B 1234 XYZ"; anything that does not read as a plate is refused with an example."""
    text = " ".join((value or "").upper().split())
    match = PLATE.match(text)
    if not match:
        raise ValidationError({"plate": _('Write the vehicle plate as on the car, for example "A 1234 BC".')})
    return " ".join(part for part in match.groups() if part)


def clean_visitors(names) -> list[str]:
    cleaned = [" ".join(str(name).split()) for name in names]
    cleaned = [name for name in cleaned if name]
    if not 1 <= len(cleaned) <= MAX_VISITORS_PER_BOOKING:
        raise ValidationError(
            {"visitors": _("Give the names of 1 to %(n)d people, one per line.") % {"n": MAX_VISITORS_PER_BOOKING}}
        )
    for name in cleaned:
        if not MIN_VISITOR_NAME_CHARS <= len(name) <= MAX_VISITOR_NAME_CHARS:
            raise ValidationError(
                {
                    "visitors": _("Each name has %(low)d to %(high)d characters.")
                    % {"low": MIN_VISITOR_NAME_CHARS, "high": MAX_VISITOR_NAME_CHARS}
                }
            )
    if len({name.casefold() for name in cleaned}) != len(cleaned):
        raise ValidationError({"visitors": _("Each person once: a name is given twice.")})
    return cleaned


@dataclass(frozen=True)
class SlotOffer:
    day: date
    start: time
    end: time
    capacity: int
    meeting_point: str

    @property
    def starts_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.day, self.start))

    @property
    def ends_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.day, self.end))


def slot_errors(lot: WasteLot, offer: SlotOffer) -> dict:
    """What a slot may not be, per field (the form shows them in one round; the service checks again)."""
    errors = {}
    if offer.end <= offer.start:
        errors["end"] = _("The visit ends after it starts (on the same day).")
    elif offer.starts_at <= timezone.now():
        errors["start"] = _("A site visit starts in the future.")
    elif offer.ends_at > lot.closes_at:
        errors["day"] = _("A site visit ends before bidding closes (%(when)s).") % {
            "when": visits.moment_words(lot.closes_at)
        }
    if not MIN_SLOT_CAPACITY <= (offer.capacity or 0) <= MAX_SLOT_CAPACITY:
        errors["capacity"] = _("Between %(low)d and %(high)d people.") % {
            "low": MIN_SLOT_CAPACITY,
            "high": MAX_SLOT_CAPACITY,
        }
    point = (offer.meeting_point or "").strip()
    if not MIN_MEETING_POINT_CHARS <= len(point) <= MAX_MEETING_POINT_CHARS:
        errors["meeting_point"] = _("Say where visitors meet, in %(low)d to %(high)d characters.") % {
            "low": MIN_MEETING_POINT_CHARS,
            "high": MAX_MEETING_POINT_CHARS,
        }
    return errors


def slot_offer(*, lot: WasteLot, acting_user: User, offer: SlotOffer) -> VisitSlot:
    """The plant's people offer a slot on their open lot: in the future, before bidding closes, at most
    MAX_SLOTS_PER_LOT live slots per lot (counted under the lot's lock)."""
    with transaction.atomic():
        locked = WasteLot.objects.select_for_update().get(pk=lot.pk)
        reason = visits.why_cannot_offer(acting_user, locked)
        if reason:
            raise PermissionDenied(reason)
        errors = slot_errors(locked, offer)
        if errors:
            raise ValidationError(errors)
        if VisitSlot.objects.filter(lot=locked, cancelled_at__isnull=True).count() >= MAX_SLOTS_PER_LOT:
            raise ValidationError(_("A lot has at most %(n)d site visit slots.") % {"n": MAX_SLOTS_PER_LOT})
        return VisitSlot.objects.create(
            lot=locked,
            starts_at=offer.starts_at,
            ends_at=offer.ends_at,
            capacity=offer.capacity,
            meeting_point=offer.meeting_point.strip(),
            created_by=acting_user,
        )


def slot_cancel(*, slot: VisitSlot, acting_user: User) -> VisitSlot:
    """The plant cancels a slot that has not started: its bookings end with it and their organisations hear."""
    with transaction.atomic():
        locked = VisitSlot.objects.select_for_update().select_related("lot").get(pk=slot.pk)
        if not visits.can_manage_lot(acting_user, locked.lot):
            raise PermissionDenied(_("Only people of the verified plant that owns this lot offer site visits."))
        if locked.is_cancelled:
            return locked
        if locked.has_started:
            raise ValidationError(_("This site visit has already started: it can no longer be cancelled."))
        now = timezone.now()
        locked.cancelled_at = now
        locked.save(update_fields=["cancelled_at"])
        bookers = list(
            VisitBooking.objects.filter(slot=locked, cancelled_at__isnull=True).values_list(
                "organisation_id", flat=True
            )
        )
        VisitBooking.objects.filter(slot=locked, cancelled_at__isnull=True).update(cancelled_at=now)
        notify.visit_slot_cancelled(locked.lot, locked, bookers)
    return locked


def slots_end_with_bidding(lot: WasteLot) -> int:
    """When bidding on a lot ends before its visits (closed early, closed by an award, or cancelled), the slots
    still to come end with it: each is cancelled with its bookings, and the organisations that had booked hear
    of it. Called by lot_transition, under the lot's lock and in its transaction. Returns how many slots
    ended (slots that have started, or were cancelled before, are left as they are)."""
    now = timezone.now()
    slots = list(VisitSlot.objects.select_for_update().filter(lot=lot, cancelled_at__isnull=True, starts_at__gt=now))
    for slot in slots:
        live = VisitBooking.objects.filter(slot=slot, cancelled_at__isnull=True)
        bookers = list(live.values_list("organisation_id", flat=True))
        live.update(cancelled_at=now)
        slot.cancelled_at = now
        slot.save(update_fields=["cancelled_at"])
        if bookers:
            notify.visit_slot_cancelled(lot, slot, bookers)
    return len(slots)


def places_taken(slot: VisitSlot) -> int:
    return VisitBooking.objects.filter(slot=slot, cancelled_at__isnull=True).aggregate(n=Sum("people"))["n"] or 0


def visit_book(*, slot: VisitSlot, acting_user: User, visitors: list[str], plate: str) -> VisitBooking:
    """A verified processor's person books the slot for the people named (each takes a place) and the vehicle.
    Under the lot's lock (one booking per organisation per lot) and the slot's (its places): a full slot, or one
    without room for everyone named, refuses with how many places are left."""
    names = clean_visitors(visitors)
    plate = normalise_plate(plate)
    with transaction.atomic():
        lot = WasteLot.objects.select_for_update().get(pk=slot.lot_id)
        locked = VisitSlot.objects.select_for_update().get(pk=slot.pk)
        reason = visits.why_cannot_book(acting_user, lot, locked)
        if reason:
            raise PermissionDenied(reason)
        organisation = organisation_of(acting_user)
        if VisitBooking.objects.filter(lot=lot, organisation=organisation, cancelled_at__isnull=True).exists():
            raise ValidationError(
                _("Your organisation has already booked a site visit on this lot: cancel it to choose another.")
            )
        left = locked.capacity - places_taken(locked)
        if left <= 0:
            raise ValidationError(_("This site visit is full: choose another slot."))
        if len(names) > left:
            raise ValidationError(
                {
                    "visitors": ngettext(
                        "Only %(n)d place is left on this site visit: name fewer people.",
                        "Only %(n)d places are left on this site visit: name fewer people.",
                        left,
                    )
                    % {"n": left}
                }
            )
        try:
            with transaction.atomic():
                booking = VisitBooking.objects.create(
                    slot=locked,
                    lot=lot,
                    organisation=organisation,
                    booked_by=acting_user,
                    visitors=names,
                    people=len(names),
                    plate=plate,
                )
        except IntegrityError as exc:  # the lot's lock makes this unreachable; the constraint stays the last word
            raise ValidationError(_("Your organisation has already booked a site visit on this lot.")) from exc
        notify.visit_booking_changed(lot, booking, cancelled=False)
    return booking


def visit_cancel(*, booking: VisitBooking, acting_user: User) -> VisitBooking:
    """The booking organisation's people cancel it until the slot starts: the places are free again and the plant
    hears of it."""
    with transaction.atomic():
        locked_slot = VisitSlot.objects.select_for_update().select_related("lot").get(pk=booking.slot_id)
        locked = VisitBooking.objects.select_for_update().get(pk=booking.pk)
        organisation = organisation_of(acting_user)
        if organisation is None or organisation.pk != locked.organisation_id:
            raise PermissionDenied(_("Only the organisation that booked this site visit can cancel it."))
        if locked.is_cancelled:
            return locked
        if locked_slot.has_started:
            raise ValidationError(_("This site visit has already started: it can no longer be cancelled."))
        locked.cancelled_at = timezone.now()
        locked.save(update_fields=["cancelled_at"])
        notify.visit_booking_changed(locked_slot.lot, locked, cancelled=True)
    return locked

"""Reads and predicates of a lot's site visits (the selectors of slots and bookings), scoped to who asks. A
processor reads the slots with the places left and its own organisation's booking, never another's; the plant's
people and platform staff read every booking (the gate list)."""

from datetime import date

from django.db import connection
from django.db.models import IntegerField, Q, Sum
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from members.models import User
from members.selectors import organisation_of

from .clarifications import can_read_questions
from .models import VisitBooking, VisitSlot, WasteLot
from .selectors import can_manage_lot, processor_of

READ_REFUSED = gettext_lazy("Site visits are for verified processing businesses and the plant that owns the lot.")
GATE_LIST_REFUSED = gettext_lazy("Only the plant that owns this lot and platform staff print its gate list.")


def can_read_visits(user: User, lot: WasteLot) -> bool:
    """The same readers as the lot's questions: verified processors, the plant's people, officials and staff."""
    return can_read_questions(user, lot)


def sees_bookings(user: User, lot: WasteLot) -> bool:
    """Who reads every booking (names, organisation, plate): the plant's own people and platform staff."""
    return bool(user.is_authenticated and (user.is_staff or can_manage_lot(user, lot)))


def why_cannot_offer(user: User, lot: WasteLot) -> str | None:
    if not can_manage_lot(user, lot):
        return _("Only people of the verified plant that owns this lot offer site visits.")
    if not lot.is_open_now:
        return _("Site visits can be offered only while the lot is open for bids.")
    return None


def why_cannot_book(user: User, lot: WasteLot, slot: VisitSlot | None = None) -> str | None:
    """None when this person may book the slot (places aside: the service counts them under the slot's lock)."""
    organisation = processor_of(user)
    if organisation is None:
        return _("Only people of verified processing businesses can book a site visit.")
    if organisation.pk == lot.plant_id:
        return _("You cannot book a site visit on your own organisation's lot.")
    if not lot.is_open_now:
        return _("This lot is not open for bids.")
    if slot is not None:
        if slot.is_cancelled:
            return _("The plant cancelled this site visit.")
        if slot.has_started:
            return _("This site visit has already started.")
    return None


def slots_with_places(lot: WasteLot):
    """The lot's slots, soonest first, each with `booked` (people on live bookings) and `places_left`."""
    booked = Coalesce(Sum("bookings__people", filter=Q(bookings__cancelled_at__isnull=True)), 0)
    slots = VisitSlot.objects.filter(lot=lot).annotate(booked=booked).order_by("starts_at", "id")
    for slot in slots:
        slot.places_left = max(slot.capacity - slot.booked, 0)
        yield slot


def slots_for_viewer(user: User, lot: WasteLot) -> list[VisitSlot]:
    """Upcoming slots (and, for those who see bookings, past and cancelled ones too), with places left; for the
    plant and staff each slot carries its live `booking_list`."""
    slots = list(slots_with_places(lot))
    if sees_bookings(user, lot):
        by_slot = {}
        for booking in bookings_of(lot):
            by_slot.setdefault(booking.slot_id, []).append(booking)
        for slot in slots:
            slot.booking_list = by_slot.get(slot.pk, [])
        return slots
    now = timezone.now()
    return [slot for slot in slots if not slot.is_cancelled and slot.starts_at > now]


def bookings_of(lot: WasteLot, *, slot: VisitSlot | None = None, day: date | None = None) -> list[VisitBooking]:
    """Live bookings with their organisation: only for sees_bookings (the views check first)."""
    bookings = VisitBooking.objects.filter(lot=lot, cancelled_at__isnull=True, slot__cancelled_at__isnull=True)
    if slot is not None:
        bookings = bookings.filter(slot=slot)
    if day is not None:
        bookings = bookings.filter(slot__starts_at__date=day)
    return list(bookings.select_related("organisation", "slot").order_by("slot__starts_at", "slot_id", "created_at"))


def own_booking(user: User, lot: WasteLot) -> VisitBooking | None:
    """This person's organisation's live booking on the lot, with its slot, or None."""
    organisation = organisation_of(user)
    if organisation is None:
        return None
    return (
        VisitBooking.objects.filter(lot=lot, organisation=organisation, cancelled_at__isnull=True)
        .select_related("slot")
        .first()
    )


def slot_of_lot_or_404(lot: WasteLot, pk: int) -> VisitSlot:
    return get_object_or_404(VisitSlot, pk=pk, lot=lot)


def booking_of_organisation_or_404(user: User, lot: WasteLot, pk: int) -> VisitBooking:
    """A booking of this person's own organisation: anyone else's is a 404 (never a hint that it exists)."""
    organisation = organisation_of(user)
    if organisation is None:
        raise Http404
    return get_object_or_404(VisitBooking.objects.select_related("slot"), pk=pk, lot=lot, organisation=organisation)


def with_visit_summary(lots):
    """Lots with `visit_slot_count` (upcoming slots), `visit_capacity` (their places) and `visit_booked` (people on
    their live bookings) read in the lot's own query: the lot page shows "Site visits" without a query of its own.
    `lots`: a queryset of WasteLot, whose table is the query's base. The three correlated subqueries are written in
    SQL: as Django `Subquery` expressions they took 3 ms of Python on every lot page to resolve and relabel, ten
    times what the same SQL costs as `RawSQL` (measured on the bench data)."""
    # The moment as the database stores it (SQLite keeps UTC text without an offset).
    now = VisitSlot._meta.get_field("starts_at").get_db_prep_value(timezone.now(), connection)
    upcoming = (
        'FROM "listings_visitslot" s WHERE s."lot_id" = "listings_wastelot"."id" AND s."cancelled_at" IS NULL '
        'AND s."starts_at" > %s'
    )
    booked = (
        'SELECT COALESCE(SUM(b."people"), 0) FROM "listings_visitbooking" b '
        'JOIN "listings_visitslot" s ON s."id" = b."slot_id" '
        'WHERE b."lot_id" = "listings_wastelot"."id" AND b."cancelled_at" IS NULL AND s."cancelled_at" IS NULL '
        'AND s."starts_at" > %s'
    )
    return lots.annotate(
        visit_slot_count=RawSQL(f"SELECT COUNT(*) {upcoming}", (now,), IntegerField()),  # noqa: S611 - constant SQL
        visit_capacity=RawSQL(f'SELECT COALESCE(SUM(s."capacity"), 0) {upcoming}', (now,), IntegerField()),  # noqa: S611
        visit_booked=RawSQL(booked, (now,), IntegerField()),  # noqa: S611
    )


def visit_summary(lot: WasteLot) -> tuple[int, int]:
    """(upcoming slots, places left on them): from the lot's annotations when present, else counted."""
    if not hasattr(lot, "visit_slot_count"):
        lot = with_visit_summary(WasteLot.objects.filter(pk=lot.pk)).get()
    return lot.visit_slot_count, max(lot.visit_capacity - lot.visit_booked, 0)


def moment_words(moment) -> str:
    return date_format(timezone.localtime(moment), "j F Y H:i") + " WIB"


def local_day(moment) -> date:
    return timezone.localtime(moment).date()

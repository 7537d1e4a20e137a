"""A lot's site visits: the slots with places left (processors book one, and see only their own booking), the
plant's slot form, cancelling, and the gate list the plant prints for a slot or a day."""

from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.forms import add_validation_error

from .. import selectors, services, visits
from ..forms_visits import BookingForm, SlotForm
from ..models import MAX_SLOTS_PER_LOT


def _readable_lot(request, reference):
    """The lot (404 for whoever may not see it) if this person may read its site visits (else 403 with why)."""
    lot = selectors.lot_for_viewer_or_404(request.user, reference)
    if not visits.can_read_visits(request.user, lot):
        raise PermissionDenied(str(visits.READ_REFUSED))
    return lot


def _visits_url(lot) -> str:
    return lot.get_absolute_url() + "visits/"


@require_GET
def lot_visits(request, reference):
    """The slots: places left for everyone who may read them, the person's own booking, and for the plant's
    people and staff every booking with the gate list's links."""
    lot = _readable_lot(request, reference)
    sees_bookings = visits.sees_bookings(request.user, lot)
    slots = visits.slots_for_viewer(request.user, lot)
    mine = None if sees_bookings else visits.own_booking(request.user, lot)
    why_not = visits.why_cannot_book(request.user, lot)
    context = {
        "lot": lot,
        "slots": slots,
        "sees_bookings": sees_bookings,
        "booking": mine,
        "why_cannot_book": why_not,
        "may_book": why_not is None and mine is None,
        "can_offer": visits.why_cannot_offer(request.user, lot) is None,
        "days": sorted({visits.local_day(slot.starts_at) for slot in slots if not slot.is_cancelled}),
    }
    return render(request, "listings/lot_visits.html", context)


def slot_new(request, reference):
    """The plant's people offer a slot on their open lot (a decided lot sends them back with the reason)."""
    lot = selectors.lot_for_manager_or_403(request.user, reference)
    reason = visits.why_cannot_offer(request.user, lot)
    if reason:
        if request.method == "POST":
            raise PermissionDenied(reason)
        messages.error(request, reason)
        return redirect(lot)
    form = SlotForm(request.POST if request.method == "POST" else None, lot=lot)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.slot_offer(lot=lot, acting_user=request.user, offer=form.offer())
            except ValidationError as exc:
                add_validation_error(form, exc)
            else:
                messages.success(request, _("The site visit is offered: verified processors can book it."))
                return redirect(_visits_url(lot))
        status = 400
    context = {"lot": lot, "form": form, "max_slots": MAX_SLOTS_PER_LOT}
    return render(request, "listings/visit_slot_form.html", context, status=status)


@require_POST
def slot_cancel(request, reference, pk):
    lot = selectors.lot_for_manager_or_403(request.user, reference)
    slot = visits.slot_of_lot_or_404(lot, pk)
    try:
        services.slot_cancel(slot=slot, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The site visit is cancelled: those who booked it are told."))
    return redirect(_visits_url(lot))


def visit_book(request, reference, pk):
    """GET: the booking form for a slot. POST: a verified processor books it (403 with the reason when it may
    not; a full slot or a second booking comes back with the message)."""
    lot = _readable_lot(request, reference)
    slot = visits.slot_of_lot_or_404(lot, pk)
    reason = visits.why_cannot_book(request.user, lot, slot)
    if reason:
        raise PermissionDenied(reason)
    form = BookingForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.visit_book(
                    slot=slot,
                    acting_user=request.user,
                    visitors=form.cleaned_data["visitors"],
                    plate=form.cleaned_data["plate"],
                )
            except ValidationError as exc:
                add_validation_error(form, exc)
            else:
                messages.success(request, _("Your site visit is booked. Bring identity cards: the gate checks them."))
                return redirect(_visits_url(lot))
        status = 400
    slot.places_left = max(slot.capacity - services.visits.places_taken(slot), 0)
    return render(request, "listings/visit_book.html", {"lot": lot, "slot": slot, "form": form}, status=status)


@require_POST
def booking_cancel(request, reference, pk):
    """The booking organisation cancels its own booking (anyone else's is a 404) until the slot starts."""
    lot = _readable_lot(request, reference)
    booking = visits.booking_of_organisation_or_404(request.user, lot, pk)
    try:
        services.visit_cancel(booking=booking, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Your site visit is cancelled: the places are free again."))
    return redirect(_visits_url(lot))


def _gate_list_lot(request, reference):
    lot = selectors.lot_for_viewer_or_404(request.user, reference)
    if not visits.sees_bookings(request.user, lot):
        raise PermissionDenied(str(visits.GATE_LIST_REFUSED))
    return lot


@require_GET
def gate_list_slot(request, reference, pk):
    lot = _gate_list_lot(request, reference)
    slot = visits.slot_of_lot_or_404(lot, pk)
    context = {"lot": lot, "slot": slot, "bookings": visits.bookings_of(lot, slot=slot)}
    return render(request, "listings/visit_gate_list.html", context)


@require_GET
def gate_list_day(request, reference, day):
    lot = _gate_list_lot(request, reference)
    try:
        when = date.fromisoformat(day)
    except ValueError as exc:
        raise Http404 from exc
    context = {"lot": lot, "day": when, "bookings": visits.bookings_of(lot, day=when)}
    return render(request, "listings/visit_gate_list.html", context)

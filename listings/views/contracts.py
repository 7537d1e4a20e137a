"""A contract (one award of a lot) and its schedule: a row per period with its pickup and processing, what is
delivered against what is contracted to date, the per-period forms (pickup: the plant or that contract's
processor; processing: that processor), each period's proof, and ending the contract early (either side).

Only the plant's people, that contract's processor's people, staff and officials see a contract; to everyone
else (the other processors sharing the stream, losing bidders) it does not exist (404)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.files import private_file_response
from core.forms import add_validation_error

from .. import selectors, services
from ..contracts import contract_for_viewer_or_404, contract_schedule, period_handover
from ..forms import ContractEndForm, PickupForm, ProcessingForm, RatingForm
from ..models import Rating, WasteLot

OPEN_STATUSES = (WasteLot.Status.AWARDED, WasteLot.Status.COLLECTED)


def _period_or_404(award, number: int):
    period = award.periods.filter(number=number).first()
    if period is None:
        raise Http404
    return period


def _auto_id(number: int) -> str:
    # Every period's form on one page: unique ids, the same field names.
    return f"id_p{number}_%s"


def _bound_for(form, period):
    """The form sent back for this period, marked as shown; None when it is another period's (or none)."""
    if form is None or getattr(form, "period_number", None) != period.number:
        return None
    form.shown = True
    return form


def contract_detail(request, reference, pk):
    lot, award = contract_for_viewer_or_404(request.user, reference, pk)
    return render_contract(request, lot, award)


def render_contract(
    request, lot, award, *, pickup_form=None, processing_form=None, end_form=None, rating_form=None, status=200
):
    """The contract page, with the forms this person may use now (one bound when its POST came back invalid:
    `pickup_form` and `processing_form` carry the period's number as `period_number`)."""
    user = request.user
    periods, progress = contract_schedule(award)
    today = timezone.localdate()
    is_plant = selectors.can_manage_lot(user, lot)
    is_processor = selectors.winner_award(user, lot) == award
    live = lot.is_recurring and lot.status in OPEN_STATUSES
    for period in periods:
        handover = period.handover_record
        period.can_pickup = (
            live and (is_plant or is_processor) and handover is None and period.due and period.starts_on <= today
        )
        period.can_process = (
            live
            and is_processor
            and lot.status == WasteLot.Status.COLLECTED
            and handover is not None
            and handover.processing_recorded_at is None
        )
        if period.can_pickup:
            period.pickup_form = _bound_for(pickup_form, period) or PickupForm(
                auto_id=_auto_id(period.number), initial={"pickup_date": min(today, period.ends_on or today)}
            )
        if period.can_process:
            period.processing_form = _bound_for(processing_form, period) or ProcessingForm(
                auto_id=_auto_id(period.number), initial={"processing_date": today}
            )
    can_end = live and award.ended_at is None and (is_plant or is_processor)
    # A form sent back whose period has no form to show now (e.g. it was recorded meanwhile): its errors on top.
    unshown = [
        error
        for form in (pickup_form, processing_form)
        if form is not None and not getattr(form, "shown", False)
        for errors in form.errors.values()
        for error in errors
    ]
    # The periods that have started (or have a pickup) and the next one in the table; the later ones, a long
    # list on a weekly stream, folded away.
    upcoming = [period for period in periods if not period.started and period.handover_record is None]
    later = upcoming[1:]
    folded = {period.number for period in later}
    # Once the stream is completed the plant rates this contract's processor, and the processor the plant.
    rates = lot.status == WasteLot.Status.COMPLETED and lot.is_recurring and (is_plant or is_processor)
    my_rating = None
    if rates:
        rater, rated = (lot.plant_id, award.bid.bidder_id) if is_plant else (award.bid.bidder_id, lot.plant_id)
        my_rating = Rating.objects.filter(lot=lot, rater_id=rater, rated_id=rated).first()
    context = {
        "lot": lot,
        "award": award,
        "can_rate": rates,
        "my_rating": my_rating,
        "rating_form": rating_form or (RatingForm(auto_id="id_rating_%s") if rates and my_rating is None else None),
        "periods": [period for period in periods if period.number not in folded],
        "later_periods": later,
        "progress": progress,
        "unit": lot.get_unit_display(),
        "is_plant": is_plant,
        "is_processor": is_processor,
        "actionable": [period for period in periods if period.can_pickup or period.can_process],
        "can_end": can_end,
        "unshown_errors": unshown,
        "end_form": end_form or (ContractEndForm() if can_end else None),
    }
    return render(request, "listings/contract_detail.html", context, status=status)


@require_POST
def period_pickup(request, reference, pk, number):
    lot, award = contract_for_viewer_or_404(request.user, reference, pk)
    period = _period_or_404(award, number)
    if not (selectors.can_manage_lot(request.user, lot) or selectors.winner_award(request.user, lot) == award):
        raise PermissionDenied(_("Only the plant or the winning processor records the pickup."))
    form = PickupForm(request.POST, auto_id=_auto_id(number))
    form.period_number = number
    if form.is_valid():
        try:
            services.pickup_record(lot=lot, acting_user=request.user, period=period, **form.cleaned_data)
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            messages.success(request, _("Pickup of period %(number)s recorded.") % {"number": number})
            return redirect("listings:contract_detail", reference=lot.reference, pk=award.pk)
    return render_contract(request, lot, award, pickup_form=form, status=400)


@require_POST
def period_processing(request, reference, pk, number):
    lot, award = contract_for_viewer_or_404(request.user, reference, pk)
    period = _period_or_404(award, number)
    if selectors.winner_award(request.user, lot) != award:
        raise PermissionDenied(_("Only the winning processor records the processing."))
    form = ProcessingForm(request.POST, request.FILES, auto_id=_auto_id(number))
    form.period_number = number
    if form.is_valid():
        try:
            services.processing_record(
                lot=lot,
                acting_user=request.user,
                quantity_received=form.cleaned_data["quantity_received"],
                route_used=form.cleaned_data["route_used"],
                proof=form.cleaned_data["proof"],
                processing_date=form.cleaned_data["processing_date"],
                period=period,
            )
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            messages.success(request, _("Processing of period %(number)s recorded.") % {"number": number})
            return redirect("listings:contract_detail", reference=lot.reference, pk=award.pk)
    lot.refresh_from_db(fields=["status"])
    return render_contract(request, lot, award, processing_form=form, status=400)


@require_POST
def contract_end(request, reference, pk):
    lot, award = contract_for_viewer_or_404(request.user, reference, pk)
    if not (selectors.can_manage_lot(request.user, lot) or selectors.winner_award(request.user, lot) == award):
        raise PermissionDenied(_("Only the plant or the processor of this contract can end it."))
    form = ContractEndForm(request.POST)
    if form.is_valid():
        try:
            services.contract_end(award=award, acting_user=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            messages.success(request, _("The contract is ended early; the other side is told."))
            return redirect("listings:contract_detail", reference=lot.reference, pk=award.pk)
    return render_contract(request, lot, award, end_form=form, status=400)


@require_POST
def contract_rate(request, reference, pk):
    """The plant rates this contract's processor; the processor rates the plant (once each, once completed)."""
    lot, award = contract_for_viewer_or_404(request.user, reference, pk)
    form = RatingForm(request.POST, auto_id="id_rating_%s")
    if form.is_valid():
        try:
            services.rating_give(
                lot=lot,
                acting_user=request.user,
                stars=form.cleaned_data["stars"],
                comment=form.cleaned_data["comment"],
                award=award,
            )
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            messages.success(request, _("Thank you for your rating."))
            return redirect("listings:contract_detail", reference=lot.reference, pk=award.pk)
    return render_contract(request, lot, award, rating_form=form, status=400)


def period_proof(request, reference, pk, number):
    """A period's proof of processing: for those who see the contract (else 404), like the rest of it."""
    lot, award = contract_for_viewer_or_404(request.user, reference, pk)
    period = _period_or_404(award, number)
    handover = period_handover(period)
    if handover is None or not handover.proof:
        raise Http404
    return private_file_response(
        handover.proof,
        content_type=handover.proof_content_type or "application/pdf",
        filename=f"{lot.reference}-{award.pk}-{number}-proof",
    )

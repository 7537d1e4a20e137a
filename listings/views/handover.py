"""After the award: pickup, processing with its proof, the plant's confirmation, ratings; the staff's list of
handovers whose weights differ."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.files import private_file_response
from core.forms import add_validation_error
from core.views import run_service

from .. import selectors, services
from ..forms import PickupForm, ProcessingForm, RatingForm
from ..models import WasteLot
from .browse import render_lot


@require_POST
def pickup(request, reference):
    lot = selectors.lot_for_viewer_or_404(request.user, reference)
    form = PickupForm(request.POST)
    if form.is_valid():
        try:
            services.pickup_record(lot=lot, acting_user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            messages.success(request, _("Pickup recorded."))
            return redirect(lot)
    return render_lot(request, lot, pickup_form=form, status=400)


@require_POST
def processing(request, reference):
    lot = selectors.lot_for_viewer_or_404(request.user, reference)
    if not selectors.is_winner(request.user, lot):
        raise PermissionDenied(_("Only the winning processor records the processing."))
    form = ProcessingForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.processing_record(
                lot=lot,
                acting_user=request.user,
                quantity_received=form.cleaned_data["quantity_received"],
                route_used=form.cleaned_data["route_used"],
                proof=form.cleaned_data["proof"],
                processing_date=form.cleaned_data["processing_date"],
            )
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            messages.success(request, _("Processing recorded. The plant confirms it next."))
            return redirect(lot)
    return render_lot(request, lot, processing_form=form, status=400)


@require_POST
def complete(request, reference):
    lot = selectors.lot_for_manager_or_403(request.user, reference)
    if run_service(request, services.lot_confirm_completion, lot=lot, acting_user=request.user):
        messages.success(request, _("Lot %(ref)s is completed. Rate your partner.") % {"ref": lot.reference})
    return redirect(lot)


@require_POST
def rate(request, reference):
    lot = selectors.lot_for_viewer_or_404(request.user, reference)
    form = RatingForm(request.POST)
    if form.is_valid():
        try:
            services.rating_give(
                lot=lot,
                acting_user=request.user,
                stars=form.cleaned_data["stars"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            messages.success(request, _("Thank you for your rating."))
            return redirect(lot)
    return render_lot(request, lot, rating_form=form, status=400)


def proof(request, reference):
    """The proof of processing: for the plant, the winner, staff and officials, like the rest of the handover."""
    lot = selectors.lot_for_viewer_or_404(request.user, reference)
    if not selectors.can_see_deal_parties(request.user, lot):
        raise PermissionDenied(
            _("The handover's documents are only for the plant, the winning processor, platform staff and officials.")
        )
    handover = getattr(lot, "handover", None) if lot.status in WasteLot.DECIDED_STATUSES else None
    if handover is None or not handover.proof:
        raise Http404
    return private_file_response(
        handover.proof,
        content_type=handover.proof_content_type or "application/pdf",
        filename=f"{lot.reference}-proof",
    )


def staff_handovers(request):
    if not (request.user.is_staff and request.user.is_verified()):
        raise PermissionDenied(_("For platform staff signed in with their second factor."))
    return render(request, "listings/staff_handovers.html", {"handovers": selectors.flagged_handovers()[:200]})

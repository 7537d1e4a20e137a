"""After the award: the plant or the winner records the pickup; the winner records processing with its proof;
the plant confirms completion — the web's services and their rules."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from listings import selectors, services
from listings.forms import PickupForm, ProcessingForm

from ..forms import bind
from ..models import Scope
from ..problems import raise_for_form
from ..serializers import LotDetailSerializer, PickupInputSerializer, ProcessingInputSerializer
from .base import ApiView
from .lots import REFERENCE, lot_detail_payload


def _fresh(request, reference):
    return lot_detail_payload(request.user, selectors.lot_for_viewer_or_404(request.user, reference, with_outcome=True))


class PickupView(ApiView):
    scopes = {"POST": Scope.HANDOVER}

    @extend_schema(
        operation_id="lots_pickup",
        parameters=[REFERENCE],
        request=PickupInputSerializer,
        responses=LotDetailSerializer,
        description=(
            "A one-off lot's pickup. A recurring stream's are per contract period: "
            "`contracts/{id}/periods/{number}/pickup/`."
        ),
    )
    def post(self, request, reference):
        lot = selectors.lot_for_viewer_or_404(request.user, reference)
        if not (selectors.is_winner(request.user, lot) or selectors.can_manage_lot(request.user, lot)):
            raise PermissionDenied(_("Only the plant or the winning processor records the pickup."))
        form = bind(PickupForm, request.data)
        raise_for_form(form)
        services.pickup_record(lot=lot, acting_user=request.user, **form.cleaned_data)
        return Response(_fresh(request, reference))


class ProcessingView(ApiView):
    scopes = {"POST": Scope.HANDOVER}
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="lots_processing",
        parameters=[REFERENCE],
        request={"multipart/form-data": ProcessingInputSerializer},
        responses=LotDetailSerializer,
        description=(
            "A one-off lot's processing. A recurring stream's are per contract period: "
            "`contracts/{id}/periods/{number}/processing/`."
        ),
    )
    def post(self, request, reference):
        lot = selectors.lot_for_viewer_or_404(request.user, reference)
        if not selectors.is_winner(request.user, lot):
            raise PermissionDenied(_("Only the winning processor records the processing."))
        form = bind(ProcessingForm, request.data, files=request.FILES)
        raise_for_form(form)
        services.processing_record(
            lot=lot,
            acting_user=request.user,
            quantity_received=form.cleaned_data["quantity_received"],
            route_used=form.cleaned_data["route_used"],
            proof=form.cleaned_data["proof"],
            processing_date=form.cleaned_data["processing_date"],
        )
        return Response(_fresh(request, reference))


class CompleteView(ApiView):
    scopes = {"POST": Scope.LOTS}

    @extend_schema(
        operation_id="lots_complete",
        parameters=[REFERENCE],
        request=None,
        responses=LotDetailSerializer,
        description="The plant confirms a one-off lot's processing (a recurring stream completes with its contracts).",
    )
    def post(self, request, reference):
        lot = selectors.lot_for_manager_or_403(request.user, reference)
        services.lot_confirm_completion(lot=lot, acting_user=request.user)
        return Response(_fresh(request, reference))

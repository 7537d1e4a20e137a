"""Contracts after the award: a contract's periods with their handovers, each period's pickup (the plant or the
contract's processor) and processing (the contract's processor), and ending a recurring stream's contract early
with a reason (either side) — the web's services and their rules."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from listings import selectors, services
from listings.forms import PickupForm, ProcessingForm
from listings.models import Award, WasteLot

from ..contracts import contract_periods, contract_row, contract_with_progress, period_row
from ..forms import ReasonForm, bind
from ..models import Scope
from ..problems import raise_for_form
from ..serializers import (
    ContractPeriodsSerializer,
    ContractSerializer,
    PeriodSerializer,
    PickupInputSerializer,
    ProcessingInputSerializer,
    ReasonSerializer,
)
from .base import ApiView
from .lots import REFERENCE

CONTRACT = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The contract's (award's) id.")
PERIOD = OpenApiParameter("number", OpenApiTypes.INT, OpenApiParameter.PATH, description="The period's number (1…).")
CONTRACT_PARTIES_ONLY = gettext_lazy(
    "A contract's periods are only for the plant, the contract's processor, platform staff and officials."
)
ONLY_PICKUP = gettext_lazy("Only the plant or the winning processor records the pickup.")
ONLY_PROCESSING = gettext_lazy("Only the winning processor records the processing.")
ONLY_END = gettext_lazy("Only the plant or the processor of this contract can end it.")


def _lot_and_contract(request, reference, pk) -> tuple[WasteLot, Award]:
    """The lot if this person may see it, and one of its contracts (else 404)."""
    lot = selectors.lot_for_viewer_or_404(request.user, reference, with_outcome=True)
    award = next((award for award in selectors.lot_awards(lot) if award.pk == pk), None)
    if award is None:
        raise Http404
    return lot, award


def _period_or_404(award: Award, number: int):
    period = award.periods.filter(number=number).first()
    if period is None:
        raise Http404
    return period


def _is_contract_processor(request, lot, award) -> bool:
    return selectors.winner_award(request.user, lot) == award


def _period_payload(request, reference, pk, number) -> dict:
    lot = selectors.lot_for_viewer_or_404(request.user, reference)
    award = contract_with_progress(lot, pk)
    period = contract_periods(award).get(number=number)
    return PeriodSerializer(period_row(period, award)).data


class ContractPeriodsView(ApiView):
    @extend_schema(
        operation_id="contract_periods",
        parameters=[REFERENCE, CONTRACT],
        responses=ContractPeriodsSerializer,
        description=(
            "A contract's periods (one for a one-off lot), each with its pickup and processing: for the plant, the "
            "contract's processor, staff and officials. A processor that shares a stream gets 403 for the others'."
        ),
    )
    def get(self, request, reference, pk):
        lot, award = _lot_and_contract(request, reference, pk)
        if not selectors.can_see_contract(request.user, lot, award):
            raise PermissionDenied(CONTRACT_PARTIES_ONLY)
        award = contract_with_progress(lot, pk)
        body = {
            "contract": contract_row(request.user, lot, award),
            "periods": [period_row(period, award) for period in contract_periods(award)],
        }
        return Response(ContractPeriodsSerializer(body).data)


class PeriodPickupView(ApiView):
    scopes = {"POST": Scope.HANDOVER}

    @extend_schema(
        operation_id="contract_period_pickup",
        parameters=[REFERENCE, CONTRACT, PERIOD],
        request=PickupInputSerializer,
        responses=PeriodSerializer,
        description="The pickup of one period of a contract: by the plant or the contract's processor, once.",
    )
    def post(self, request, reference, pk, number):
        lot, award = _lot_and_contract(request, reference, pk)
        if not (selectors.can_manage_lot(request.user, lot) or _is_contract_processor(request, lot, award)):
            raise PermissionDenied(ONLY_PICKUP)
        period = _period_or_404(award, number)
        form = bind(PickupForm, request.data)
        raise_for_form(form)
        services.pickup_record(lot=lot, acting_user=request.user, period=period, **form.cleaned_data)
        return Response(_period_payload(request, reference, pk, number))


class PeriodProcessingView(ApiView):
    scopes = {"POST": Scope.HANDOVER}
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="contract_period_processing",
        parameters=[REFERENCE, CONTRACT, PERIOD],
        request={"multipart/form-data": ProcessingInputSerializer},
        responses=PeriodSerializer,
        description=(
            "The processing of one period's pickup, with its proof: by the contract's processor only. On a "
            "recurring stream the period's processing certificate is issued with it."
        ),
    )
    def post(self, request, reference, pk, number):
        lot, award = _lot_and_contract(request, reference, pk)
        if not _is_contract_processor(request, lot, award):
            raise PermissionDenied(ONLY_PROCESSING)
        period = _period_or_404(award, number)
        form = bind(ProcessingForm, request.data, files=request.FILES)
        raise_for_form(form)
        services.processing_record(
            lot=lot,
            acting_user=request.user,
            quantity_received=form.cleaned_data["quantity_received"],
            route_used=form.cleaned_data["route_used"],
            proof=form.cleaned_data["proof"],
            processing_date=form.cleaned_data["processing_date"],
            period=period,
        )
        return Response(_period_payload(request, reference, pk, number))


class ContractEndView(ApiView):
    scopes = {"POST": Scope.HANDOVER}

    @extend_schema(
        operation_id="contract_end",
        parameters=[REFERENCE, CONTRACT],
        request=ReasonSerializer,
        responses=ContractSerializer,
        description=(
            "End a recurring stream's contract before its term, with the reason (both sides and staff see it): by "
            "the plant or the contract's processor. Periods that started before it stay due; later ones are not."
        ),
    )
    def post(self, request, reference, pk):
        lot, award = _lot_and_contract(request, reference, pk)
        if not (selectors.can_manage_lot(request.user, lot) or _is_contract_processor(request, lot, award)):
            raise PermissionDenied(ONLY_END)
        form = bind(ReasonForm, request.data)
        raise_for_form(form)
        services.contract_end(award=award, acting_user=request.user, reason=form.cleaned_data["reason"])
        lot = selectors.lot_for_viewer_or_404(request.user, reference)
        return Response(ContractSerializer(contract_row(request.user, lot, contract_with_progress(lot, pk))).data)

"""Lots: browse (the /lots/ filters, sorts and search), detail, and the plant's create, edit, publish, close and
cancel — through listings' selectors and services, as the web pages."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from core.pagination import PAGE_SIZE
from listings import selectors, services
from listings.filters import LotFilter, Sort
from listings.forms import CancelForm, LotForm
from listings.models import WasteCategory, WasteLot
from members.choices import Kecamatan
from members.selectors import organisation_of

from ..contracts import contract_rows
from ..forms import bind
from ..models import Scope
from ..pagination import cursor_page
from ..problems import InvalidInput, form_errors, raise_for_form
from ..serializers import (
    LotDetailSerializer,
    LotInputSerializer,
    LotPatchSerializer,
    LotSummarySerializer,
    ReasonSerializer,
    page_of,
)
from .base import ApiView

REFERENCE = OpenApiParameter("reference", OpenApiTypes.STR, OpenApiParameter.PATH, description="e.g. WX-2026-00042")


def _enum(name, choices, description):
    return OpenApiParameter(name, OpenApiTypes.STR, enum=[value for value, _label in choices], description=description)


def _yes_no(name, description):
    return OpenApiParameter(name, OpenApiTypes.BOOL, description=description)


BROWSE_PARAMETERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description="Words to search for."),
    _enum("group", WasteCategory.Group.choices, "Category group."),
    OpenApiParameter("category", OpenApiTypes.STR, description="A catalogue code."),
    _yes_no("hazardous", "Hazardous (B3) lots only, or none of them."),
    _enum("kecamatan", Kecamatan.choices, "Kecamatan of the site."),
    _enum("unit", WasteCategory.Unit.choices, "Unit."),
    OpenApiParameter("quantity_min", OpenApiTypes.DECIMAL),
    OpenApiParameter("quantity_max", OpenApiTypes.DECIMAL),
    OpenApiParameter("price_min", OpenApiTypes.INT, description="Reserve price from (Rp)."),
    OpenApiParameter("price_max", OpenApiTypes.INT, description="Reserve price up to (Rp)."),
    _yes_no("recurring", "Recurring streams."),
    OpenApiParameter("closing_within", OpenApiTypes.INT, description="Closing within this many days (1–365)."),
    _yes_no("local_first", "In their local-first window now."),
    _enum("sort", Sort.CHOICES, "Order (default: newest; with a search: relevance)."),
    OpenApiParameter("cursor", OpenApiTypes.STR, description="The `next` of the previous page."),
]


# What a new lot gets for a field the request leaves out (the web form shows these as its initial values).
MODEL_DEFAULTS = {
    field.name: field.default
    for field in WasteLot._meta.get_fields()
    if field.name in LotForm.Meta.fields
    and getattr(field, "has_default", lambda: False)()
    and not callable(field.default)
}


def lot_detail_payload(user, lot: WasteLot) -> dict:
    """The lot as the lot page shows it to this organisation: who won only for the deal's parties."""
    organisation = organisation_of(user)
    can_manage = selectors.can_manage_lot(user, lot)
    lot.can_manage = can_manage
    lot.my_bid = selectors.own_bid(lot, organisation) if organisation and not can_manage else None
    lot.why_cannot_bid = selectors.why_cannot_bid(user, lot)
    lot.best_price = selectors.best_live_price(lot) if lot.bidding_mode == WasteLot.BiddingMode.OPEN else None
    sees_parties = selectors.can_see_deal_parties(user, lot)
    # Not `lot.award`/`lot.handover`: those are the model's own (a lot with one award; a one-off lot's handover).
    lot.api_award = selectors.lot_award(lot) if sees_parties else None
    lot.api_handover = (
        lot.handover if sees_parties and lot.status in (WasteLot.Status.COLLECTED, WasteLot.Status.COMPLETED) else None
    )
    # Each contract; a processor sharing a stream sees the others without who holds them (api.contracts).
    lot.api_awards = contract_rows(user, lot) if sees_parties else []
    return LotDetailSerializer(lot).data


class LotListView(ApiView):
    scopes = {"POST": Scope.LOTS}

    @extend_schema(
        operation_id="lots_list",
        parameters=BROWSE_PARAMETERS,
        responses=page_of(LotSummarySerializer),
        description="Open lots, filtered, sorted and searched as on /lots/.",
    )
    def get(self, request):
        organisation = organisation_of(request.user)
        origin = (
            (organisation.latitude, organisation.longitude)
            if organisation and organisation.latitude is not None
            else None
        )
        params = request.query_params.copy()
        params.pop("cursor", None)
        filterset = LotFilter(params or None, queryset=selectors.browsable_lots(), origin=origin)
        if filterset.is_bound and not filterset.is_valid():
            raise InvalidInput(form_errors(filterset.form))
        if filterset.searching:
            ids, cursor = cursor_page(
                request, filterset.qs.prefetch_related(None).values_list("pk", flat=True), PAGE_SIZE
            )
            items = selectors.browsable_lots_in_order(ids, origin=origin)
        else:
            items, cursor = cursor_page(request, filterset.qs, PAGE_SIZE)
        return Response({"results": LotSummarySerializer(items, many=True).data, "next": cursor})

    @extend_schema(operation_id="lots_create", request=LotInputSerializer, responses={201: LotDetailSerializer})
    def post(self, request):
        if not selectors.can_post_lots(request.user):
            raise PermissionDenied(_("Only people of a verified plant can post waste lots."))
        form = bind(LotForm, request.data, base=MODEL_DEFAULTS)
        raise_for_form(form)
        lot = services.lot_create(acting_user=request.user, fields=form.lot_fields())
        return Response(
            lot_detail_payload(request.user, selectors.lot_for_viewer_or_404(request.user, lot.reference)), status=201
        )


class LotDetailView(ApiView):
    scopes = {"PATCH": Scope.LOTS}

    @extend_schema(operation_id="lots_retrieve", parameters=[REFERENCE], responses=LotDetailSerializer)
    def get(self, request, reference):
        lot = selectors.lot_for_viewer_or_404(request.user, reference, with_outcome=True)
        if lot.is_past_deadline:
            lot = services.lot_close_if_overdue(lot)
        return Response(lot_detail_payload(request.user, lot))

    @extend_schema(
        operation_id="lots_update",
        parameters=[REFERENCE],
        request=LotPatchSerializer,
        responses=LotDetailSerializer,
        description="A draft changes freely; an open lot only in ways fair to bidders (as on the web).",
    )
    def patch(self, request, reference):
        lot = selectors.lot_for_manager_or_403(request.user, reference)
        base = LotForm(instance=lot).initial
        form = bind(LotForm, request.data, base=base, instance=lot)
        for field in form.fields.values():
            field.disabled = False  # the service says which fields an open lot keeps, and why
        raise_for_form(form)
        given = set(request.data.keys())
        fields = {name: value for name, value in form.lot_fields().items() if name in given}
        with transaction.atomic():
            services.lot_update(lot=WasteLot.objects.get(pk=lot.pk), acting_user=request.user, fields=fields)
        return Response(lot_detail_payload(request.user, selectors.lot_for_viewer_or_404(request.user, reference)))


class LotActionView(ApiView):
    """publish, close (early), cancel (with a reason)."""

    scopes = {"POST": Scope.LOTS}
    action = ""

    def post(self, request, reference):
        lot = selectors.lot_for_manager_or_403(request.user, reference)
        if self.action == "publish":
            services.lot_publish(lot=lot, acting_user=request.user)
        elif self.action == "close":
            services.lot_close_early(lot=lot, acting_user=request.user)
        else:
            form = bind(CancelForm, request.data)
            raise_for_form(form)
            services.lot_cancel(lot=lot, acting_user=request.user, reason=form.cleaned_data["reason"])
        return Response(lot_detail_payload(request.user, selectors.lot_for_viewer_or_404(request.user, reference)))


class LotPublishView(LotActionView):
    action = "publish"

    @extend_schema(operation_id="lots_publish", parameters=[REFERENCE], request=None, responses=LotDetailSerializer)
    def post(self, request, reference):
        return super().post(request, reference)


class LotCloseView(LotActionView):
    action = "close"

    @extend_schema(operation_id="lots_close", parameters=[REFERENCE], request=None, responses=LotDetailSerializer)
    def post(self, request, reference):
        return super().post(request, reference)


class LotCancelView(LotActionView):
    action = "cancel"

    @extend_schema(
        operation_id="lots_cancel", parameters=[REFERENCE], request=ReasonSerializer, responses=LotDetailSerializer
    )
    def post(self, request, reference):
        return super().post(request, reference)


class MyLotsView(ApiView):
    @extend_schema(
        operation_id="my_lots",
        parameters=[
            _enum("status", WasteLot.Status.choices, "Only lots in this status."),
            OpenApiParameter("cursor", OpenApiTypes.STR),
        ],
        responses=page_of(LotSummarySerializer),
    )
    def get(self, request):
        organisation = organisation_of(request.user)
        if organisation is None or organisation.kind != organisation.Kind.PLANT:
            raise PermissionDenied(_("“My lots” is for people of industrial plants."))
        status = request.query_params.get("status") or ""
        if status and status not in WasteLot.Status.values:
            raise InvalidInput({"status": [_("Select a valid choice.")]})
        lots, _counts = selectors.lots_of_plant(organisation, status=status)
        items, cursor = cursor_page(request, lots.prefetch_related(None), PAGE_SIZE)
        return Response({"results": LotSummarySerializer(items, many=True).data, "next": cursor})

"""Bids: a processor places, revises and withdraws its own; "my bids"; the plant compares a lot's bids (sealed
ones stay sealed until bidding closes: no price, no bidder), awards one or none."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from listings import selectors, services
from listings.forms import AwardForm, BidForm, UnawardedForm
from members.selectors import organisation_of

from ..forms import ShareForm, bind
from ..models import Scope
from ..pagination import cursor_page
from ..problems import InvalidInput, raise_for_form
from ..serializers import (
    AwardInputSerializer,
    BidInputSerializer,
    LotBidsSerializer,
    LotDetailSerializer,
    MyBidSerializer,
    OwnBidSerializer,
    ReasonSerializer,
    page_of,
)
from .base import ApiView
from .lots import REFERENCE, lot_detail_payload

BIDS_PAGE_SIZE = 50


def _offer_form(request, lot):
    organisation = organisation_of(request.user)
    form = bind(BidForm, request.data, lot=lot, organisation=organisation)
    raise_for_form(form)
    return form


class MyBidView(ApiView):
    scopes = {"POST": Scope.BID, "PUT": Scope.BID, "DELETE": Scope.BID}

    def _live_bid(self, request, lot):
        organisation = organisation_of(request.user)
        mine = selectors.live_bid_of(lot, organisation)
        if mine is None:
            raise ValidationError(_("Your organisation has no live bid on this lot."))
        return mine

    @extend_schema(operation_id="my_bid_retrieve", parameters=[REFERENCE], responses=MyBidSerializer)
    def get(self, request, reference):
        lot = selectors.lot_for_viewer_or_404(request.user, reference)
        mine = selectors.own_bid(lot, organisation_of(request.user))
        if mine is None:
            raise ValidationError(_("Your organisation has no live bid on this lot."))
        return Response(MyBidSerializer(mine).data)

    @extend_schema(
        operation_id="my_bid_place",
        parameters=[REFERENCE],
        request=BidInputSerializer,
        responses={201: MyBidSerializer},
    )
    def post(self, request, reference):
        lot = selectors.lot_for_viewer_or_404(request.user, reference)
        reason = selectors.why_cannot_bid(request.user, lot)
        if reason:
            raise PermissionDenied(reason)
        form = _offer_form(request, lot)
        bid = services.bid_place(lot=lot, acting_user=request.user, offer=form.offer())
        return Response(MyBidSerializer(bid).data, status=201)

    @extend_schema(
        operation_id="my_bid_revise", parameters=[REFERENCE], request=BidInputSerializer, responses=MyBidSerializer
    )
    def put(self, request, reference):
        lot = selectors.lot_for_viewer_or_404(request.user, reference)
        reason = selectors.why_cannot_bid(request.user, lot)
        if reason:
            raise PermissionDenied(reason)
        mine = self._live_bid(request, lot)
        form = _offer_form(request, lot)
        bid = services.bid_revise(bid=mine, acting_user=request.user, offer=form.offer())
        return Response(MyBidSerializer(bid).data)

    @extend_schema(operation_id="my_bid_withdraw", parameters=[REFERENCE], request=None, responses=MyBidSerializer)
    def delete(self, request, reference):
        lot = selectors.lot_for_viewer_or_404(request.user, reference)
        bid = services.bid_withdraw(bid=self._live_bid(request, lot), acting_user=request.user)
        return Response(MyBidSerializer(bid).data)


class MyBidsView(ApiView):
    @extend_schema(
        operation_id="my_bids",
        parameters=[OpenApiParameter("cursor", OpenApiTypes.STR)],
        responses=page_of(OwnBidSerializer),
    )
    def get(self, request):
        organisation = organisation_of(request.user)
        if organisation is None or organisation.kind != organisation.Kind.PROCESSOR:
            raise PermissionDenied(_("“My bids” is for people of processing businesses."))
        items, cursor = cursor_page(request, selectors.bids_of_organisation(organisation).select_related("licence"), 24)
        return Response({"results": OwnBidSerializer(items, many=True).data, "next": cursor})


class LotBidsView(ApiView):
    @extend_schema(
        operation_id="lot_bids",
        parameters=[
            REFERENCE,
            OpenApiParameter("sort", OpenApiTypes.STR, enum=["price", "route"]),
            OpenApiParameter("cursor", OpenApiTypes.STR),
        ],
        responses=LotBidsSerializer,
    )
    def get(self, request, reference):
        lot = selectors.lot_for_viewer_or_404(request.user, reference)
        if not selectors.can_manage_lot(request.user, lot):
            raise PermissionDenied(_("Only the plant that owns this lot sees its bids."))
        if lot.is_past_deadline:
            lot = services.lot_close_if_overdue(lot)
        if not selectors.bids_are_open_to_plant(lot):
            body = {"sealed": True, "live_count": lot.bids.live().count(), "best_price": None, "bids": [], "next": None}
            return Response(LotBidsSerializer(body).data)
        sort = "route" if request.query_params.get("sort") == "route" else "price"
        bids, cursor = cursor_page(request, selectors.bids_for_plant(lot, sort=sort), BIDS_PAGE_SIZE)
        body = {
            "sealed": False,
            "live_count": None,
            "best_price": selectors.best_live_price(lot),
            "bids": bids,
            "next": cursor,
        }
        return Response(LotBidsSerializer(body).data)


class AwardView(ApiView):
    scopes = {"POST": Scope.LOTS}

    @extend_schema(
        operation_id="lots_award",
        parameters=[REFERENCE],
        request=AwardInputSerializer,
        responses=LotDetailSerializer,
        description=(
            "Award a bid. A one-off lot: the whole lot, and the other bids are not chosen. A recurring stream: a "
            "contract for a share of the quantity per period (`quantity`); further bids can be awarded until the "
            "shares take it all, or the plant stops (`awarding-finish`)."
        ),
    )
    def post(self, request, reference):
        lot = selectors.lot_for_manager_or_403(request.user, reference)
        if lot.is_past_deadline:
            lot = services.lot_close_if_overdue(lot)
        if not selectors.bids_are_open_to_plant(lot):  # refused before any bid is looked up
            raise ValidationError(_("Sealed bids are opened at the deadline. Close the lot first to open them."))
        # The reason is checked by lot_award under the lot's lock: required only below the best price.
        form = bind(AwardForm, request.data, best=False)
        form.fields["reason"].required = False
        raise_for_form(form)
        share = bind(ShareForm, request.data)
        raise_for_form(share)
        quantity = share.cleaned_data["quantity"]
        if quantity is not None and not lot.is_recurring:
            raise InvalidInput({"quantity": [_("A share per period is for a recurring stream: leave it out.")]})
        bid = lot.bids.filter(pk=form.cleaned_data["bid"]).first()
        if bid is None:
            raise ValidationError({"bid": _("Choose one of this lot's bids.")})
        services.lot_award(
            lot=lot,
            bid=bid,
            acting_user=request.user,
            reason=form.cleaned_data.get("reason") or "",
            note=form.cleaned_data["note"],
            quantity=quantity,
        )
        return Response(
            lot_detail_payload(
                request.user, selectors.lot_for_viewer_or_404(request.user, reference, with_outcome=True)
            )
        )


class AwardingFinishView(ApiView):
    scopes = {"POST": Scope.LOTS}

    @extend_schema(
        operation_id="lots_awarding_finish",
        parameters=[REFERENCE],
        request=None,
        responses=LotDetailSerializer,
        description="A recurring stream awarded in shares: no further shares, the bids still live are not chosen.",
    )
    def post(self, request, reference):
        lot = selectors.lot_for_manager_or_403(request.user, reference)
        services.lot_awarding_finish(lot=lot, acting_user=request.user)
        return Response(
            lot_detail_payload(
                request.user, selectors.lot_for_viewer_or_404(request.user, reference, with_outcome=True)
            )
        )


class UnawardedView(ApiView):
    scopes = {"POST": Scope.LOTS}

    @extend_schema(
        operation_id="lots_close_unawarded",
        parameters=[REFERENCE],
        request=ReasonSerializer,
        responses=LotDetailSerializer,
    )
    def post(self, request, reference):
        lot = selectors.lot_for_manager_or_403(request.user, reference)
        form = bind(UnawardedForm, request.data)
        raise_for_form(form)
        services.lot_close_unawarded(lot=lot, acting_user=request.user, reason=form.cleaned_data["reason"])
        return Response(lot_detail_payload(request.user, selectors.lot_for_viewer_or_404(request.user, reference)))

"""Bidding (place, revise, withdraw; "My bids") and the plant's side of it: compare the bids, award one or none."""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import numbers
from core.forms import add_validation_error
from core.pagination import offset_page
from core.views import run_service
from members.selectors import organisation_of

from .. import selectors, services
from ..contracts import can_award_more_shares, share_left
from ..exports import bids_csv_response
from ..forms import AwardForm, BidForm, UnawardedForm
from ..models import WasteLot
from .browse import render_lot

BIDS_PAGE_SIZE = 50
WATCHED_SHOWN = 50


@require_POST
def bid_submit(request, reference):
    """Place a bid, or revise the organisation's live one (the history keeps every version)."""
    lot = selectors.lot_for_viewer_or_404(request.user, reference)
    organisation = organisation_of(request.user)
    reason = selectors.why_cannot_bid(request.user, lot)
    if reason:
        messages.error(request, reason)
        return redirect(lot)
    form = BidForm(request.POST, lot=lot, organisation=organisation)
    if form.is_valid():
        mine = selectors.live_bid_of(lot, organisation)
        try:
            if mine:
                services.bid_revise(bid=mine, acting_user=request.user, offer=form.offer())
            else:
                services.bid_place(lot=lot, acting_user=request.user, offer=form.offer())
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            messages.success(request, _("Your bid is revised.") if mine else _("Your bid is placed."))
            return redirect(lot)
    return render_lot(request, lot, bid_form=form, status=400)


@require_POST
def bid_withdraw(request, reference):
    lot = selectors.lot_for_viewer_or_404(request.user, reference)
    organisation = organisation_of(request.user)
    mine = selectors.live_bid_of(lot, organisation)
    if mine is None:
        messages.error(request, _("Your organisation has no live bid on this lot."))
        return redirect(lot)
    if run_service(request, services.bid_withdraw, bid=mine, acting_user=request.user):
        messages.success(request, _("Your bid is withdrawn."))
    return redirect(lot)


def lot_bids(request, reference):
    """The plant compares the bids, ranked by price or by route, and awards one (or none, with a reason);
    `?format=csv` exports them. "Award this bid" on a row (`?award=<bid>`) first shows that bid whole —
    processor, price, quantity, total — and asks for a reason only when it is not the best price; the award
    itself is the service's (row lock, one award per lot). Sealed bids show nothing before they open."""
    lot = selectors.lot_for_viewer_or_404(request.user, reference)
    if not (selectors.can_manage_lot(request.user, lot) or request.user.is_staff):
        raise PermissionDenied(_("Only the plant that owns this lot sees its bids."))
    if request.method == "POST" and not selectors.can_manage_lot(request.user, lot):
        # Staff read the bids; only the plant awards.
        raise PermissionDenied(_("Only people of the verified plant that owns this lot can change it."))
    if lot.is_past_deadline:
        lot = services.lot_close_if_overdue(lot)
    sealed = not selectors.bids_are_open_to_plant(lot)
    manages = selectors.can_manage_lot(request.user, lot)
    # A recurring stream stays open to further awards while a share of its quantity per period is left.
    more_shares = manages and can_award_more_shares(lot)
    can_decide = manages and (lot.status in (WasteLot.Status.OPEN, WasteLot.Status.CLOSED) or more_shares)
    sort = "route" if request.GET.get("sort") == "route" else "price"
    status = 200
    confirm = None
    if can_decide and not sealed:
        chosen_id = request.POST.get("bid") if request.method == "POST" else request.GET.get("award")
        confirm = _award_step(request, lot, chosen_id)
        if confirm is not None and confirm.get("done"):
            if can_award_more_shares(lot):
                return redirect("listings:lot_bids", reference=lot.reference)
            return redirect(lot)
    elif request.method == "POST":
        confirm = {
            "error": _("Sealed bids are opened at the deadline. Close the lot first to open them.")
            if sealed
            else _("This lot has been decided already.")
        }
    if request.method == "POST":
        status = 400  # a successful award has redirected
    if confirm is not None and confirm.get("bid") is not None:
        return render(
            request, "listings/lot_award_confirm.html", {"lot": lot, **_shares(lot), **confirm}, status=status
        )
    bids, best, page = [], None, {}
    if not sealed:
        ranked = selectors.bids_for_plant(lot, sort=sort)
        if request.GET.get("format") == "csv":
            return bids_csv_response(lot, _with_licence_check(ranked))
        best = selectors.best_live_price(lot)
        # Ranked and paginated: the best bids come first, and a lot with hundreds stays quick to open.
        page = offset_page(request, ranked, BIDS_PAGE_SIZE)
        bids = _with_licence_check(page["items"])
    context = {
        "lot": lot,
        "sealed": sealed,
        "bids": bids,
        "best_price": best,
        "sort": sort,
        **page,
        "award_error": confirm.get("error") if confirm else None,
        "unawarded_form": UnawardedForm(),
        "can_decide": can_decide,
        # A recurring stream awarded in shares: the plant may stop, the live bids are then not chosen.
        "can_finish_awarding": more_shares,
        **_shares(lot),
        "live_count": lot.bids.live().count() if sealed else None,
        # Said once, not once per row: a lot may have hundreds of bids.
        "unit": lot.get_unit_display(),
        "licence_valid": _("valid"),
        "licence_invalid": _("not valid on pickup"),
        "licence_none": _("none"),
    }
    return render(request, "listings/lot_bids.html", context, status=status)


def _award_step(request, lot, chosen_id) -> dict | None:
    """The confirmation of one bid's award (GET: shown; POST: done, or shown again with its errors).
    None when no bid was chosen; `error` when the chosen one cannot be awarded (no longer live, not this lot's)."""
    if chosen_id is None:
        return {"error": _("Choose a bid to award.")} if request.method == "POST" else None
    bid = None
    if str(chosen_id).isdigit():
        bid = lot.bids.live().select_related("bidder", "licence").filter(pk=int(chosen_id)).first()
    if bid is None:
        # Another award may have been committed since this request read the lot: then that is the reason to give.
        lot.refresh_from_db(fields=["status", "awarded_quantity"])
        if lot.status not in (WasteLot.Status.OPEN, WasteLot.Status.CLOSED) and not can_award_more_shares(lot):
            return {"error": _("This lot has been decided already.")}
        return {"error": _("This bid is no longer live: it was withdrawn or decided.")}
    best_price = selectors.best_live_price(lot)
    is_best = best_price is None or bid.price_per_unit >= best_price
    form = AwardForm(
        request.POST if request.method == "POST" else None,
        best=is_best,
        lot=lot,
        bid=bid,
        left=share_left(lot),
        initial={"bid": bid.pk},
    )
    if request.method == "POST" and form.is_valid():
        try:
            award = services.lot_award(
                lot=lot,
                bid=bid,
                acting_user=request.user,
                reason=form.cleaned_data.get("reason") or "",
                note=form.cleaned_data["note"],
                quantity=form.cleaned_data.get("quantity"),
            )
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            if lot.is_recurring:
                messages.success(request, _share_message(lot, award))
            else:
                messages.success(request, _("Lot %(ref)s is awarded; every bidder is told.") % {"ref": lot.reference})
            return {"done": True}
    bid.licence_ok = bool(bid.licence and bid.licence.is_valid_on(bid.pickup_date))
    return {
        "bid": bid,
        "form": form,
        "is_best": is_best,
        "best_price": best_price,
        "total": int(bid.total.quantize(Decimal(1), ROUND_HALF_UP)),
        "unit": lot.get_unit_display(),
    }


def _shares(lot) -> dict:
    """What the awards of a recurring stream took of its quantity per period, and what is left."""
    if not lot.is_recurring:
        return {}
    return {"shares_awarded": lot.awarded_quantity, "shares_left": share_left(lot)}


def _share_message(lot, award) -> str:
    unit = lot.get_unit_display()
    left = share_left(lot)
    message = _("%(processor)s is awarded a contract for %(share)s per period.") % {
        "processor": award.bid.bidder.name,
        "share": numbers.quantity(award.quantity, unit),
    }
    if left > 0 and lot.bids.live().exists():
        message += " " + _("%(left)s per period is left: award a further bid, or award no more shares.") % {
            "left": numbers.quantity(left, unit)
        }
    else:
        message += " " + _("Every bidder is told.")
    return message


def _with_licence_check(bids) -> list:
    bids = list(bids)
    for bid in bids:
        bid.licence_ok = bool(bid.licence and bid.licence.is_valid_on(bid.pickup_date))
    return bids


@require_POST
def lot_awarding_finish(request, reference):
    """A recurring stream's plant awards no more shares: the bids still live are not chosen (and told)."""
    lot = selectors.lot_for_manager_or_403(request.user, reference)
    if run_service(request, services.lot_awarding_finish, lot=lot, acting_user=request.user):
        messages.success(request, _("No further shares are awarded; the other bidders are told."))
        return redirect(lot)
    return redirect("listings:lot_bids", reference=lot.reference)


@require_POST
def lot_unawarded(request, reference):
    lot = selectors.lot_for_manager_or_403(request.user, reference)
    form = UnawardedForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why no bid is chosen: bidders and the timeline keep the reason."))
        return redirect("listings:lot_bids", reference=lot.reference)
    if not run_service(
        request, services.lot_close_unawarded, lot=lot, acting_user=request.user, reason=form.cleaned_data["reason"]
    ):
        return redirect("listings:lot_bids", reference=lot.reference)
    messages.success(request, _("Lot %(ref)s is closed without an award.") % {"ref": lot.reference})
    return redirect(lot)


def my_bids(request):
    organisation = organisation_of(request.user)
    if organisation is None or organisation.kind != organisation.Kind.PROCESSOR:
        raise PermissionDenied(_("“My bids” is for people of processing businesses."))
    page = offset_page(request, selectors.bids_of_organisation(organisation))
    # The lots this person follows (the watchlist), beside the bids: one query, at most WATCHED_SHOWN rows.
    watched = list(selectors.watched_lots(request.user)[:WATCHED_SHOWN])
    return render(
        request,
        "listings/my_bids.html",
        {**page, "bids": page["items"], "watched": watched, "watch_reminder_hours": settings.WATCH_REMINDER_HOURS},
    )

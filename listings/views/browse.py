"""Browse the open lots, the lot page (with what this person may do on it now), and the waste catalogue."""

from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.utils import timezone

from core.forms import light_fields
from core.pagination import offset_page
from members.selectors import organisation_of, user_membership

from .. import clarifications, selectors, services, visits
from ..cards import with_cards
from ..contracts import can_award_more_shares, contracts_for_viewer, share_left
from ..filters import LotFilter
from ..forms import BidForm, CancelForm, PickupForm, ProcessingForm, RatingForm
from ..meta import lot_meta
from ..models import CatalogueSource, LotAttachment, WasteCategory, WasteLot
from .watch import watch_context


@login_not_required
def lot_list(request):
    """Browse open lots: filters in the URL, htmx updates, no full COUNT (one row more tells if a next page
    exists)."""
    membership = user_membership(request.user)
    organisation = membership.organisation if membership else None
    origin = (
        (organisation.latitude, organisation.longitude) if organisation and organisation.latitude is not None else None
    )
    filterset = LotFilter(request.GET or None, queryset=selectors.browsable_lots(), origin=origin)
    if filterset.pages_by_id:
        # A search or the nearest lots: the page is chosen over the ids alone, and only its rows are loaded and
        # joined, not every match's.
        page = offset_page(request, filterset.qs.prefetch_related(None).values_list("pk", flat=True))
        page["items"] = selectors.browsable_lots_in_order(page["items"], origin=origin)
    else:
        page = offset_page(request, filterset.qs)
    context = {
        **page,
        "filter": filterset,
        "lots": with_cards(page["items"]),
        "distance_unavailable": request.GET.get("sort") == "distance" and origin is None,
    }
    template = "listings/partials/lot_results.html" if request.htmx else "listings/lot_list.html"
    return render(request, template, context)


@login_not_required
def lot_detail(request, reference):
    if not request.user.is_authenticated:
        # Visitors see an open lot (to find it and share it); drafts do not exist for them, and a lot past its
        # deadline or decided asks them to sign in: what became of it is for members.
        lot = selectors.lot_for_visitor(reference)
        if not selectors.visitor_may_see(lot):
            return redirect_to_login(request.get_full_path())
        return render_lot(request, lot)
    lot = selectors.lot_for_viewer_or_404(
        request.user,
        reference,
        with_outcome=True,
        lots=visits.with_visit_summary(clarifications.with_question_count(WasteLot.objects)),
    )
    if lot.is_past_deadline:
        # The beat task closes overdue lots every minute; a page never shows "open" past the deadline meanwhile.
        lot = services.lot_close_if_overdue(lot)
    return render_lot(request, lot)


def render_lot(request, lot, *, bid_form=None, pickup_form=None, processing_form=None, rating_form=None, status=200):
    """The lot page, with what this person may do on it now (forms bound when a POST came back invalid)."""
    attachments = list(lot.attachments.all())
    photos = [a for a in attachments if a.kind == LotAttachment.Kind.PHOTO]
    visitor = not request.user.is_authenticated
    organisation = organisation_of(request.user)
    can_manage = selectors.can_manage_lot(request.user, lot)
    mine = selectors.own_bid(lot, organisation) if organisation and not can_manage else None
    award = selectors.lot_award(lot)
    winner = bool(award and organisation and award.bid.bidder_id == organisation.pk)
    # A recurring stream's contracts (one per award): the plant, staff and officials see them all, a processor
    # its own; each links to its contract page (schedule, pickups, processing).
    contracts = contracts_for_viewer(request.user, lot) if lot.is_recurring else []
    if lot.is_recurring:
        winner = selectors.is_winner(request.user, lot)
    # Who won and the handover: only for the plant, the winner, staff and officials (everyone else: the status).
    sees_parties = selectors.can_see_deal_parties(request.user, lot)
    handover = (
        getattr(lot, "handover", None)
        if sees_parties and lot.status in (WasteLot.Status.COLLECTED, WasteLot.Status.COMPLETED)
        else None
    )
    why_not = selectors.why_cannot_bid(request.user, lot)
    # The addenda show on the page and on the timeline: one query for both.
    addenda = clarifications.addenda_of(lot)
    timeline = selectors.timeline_for_viewer(request.user, lot, sees_parties=sees_parties, addenda=addenda)
    reads_questions = clarifications.can_read_questions(request.user, lot)
    ended_at, closed_early = _bidding_ended(lot, timeline)
    if bid_form is None and not why_not:
        bid_form = BidForm(lot=lot, organisation=organisation, initial=_bid_initial(mine))
    context = {
        "lot": lot,
        "photos": photos,
        # Documents (lab reports, safety data sheets) are for members: visitors are asked to sign in.
        "documents": [] if visitor else [a for a in attachments if a.kind == LotAttachment.Kind.DOCUMENT],
        "visitor": visitor,
        "shows_plant": selectors.shows_plant_name(request.user, lot),
        "meta": lot_meta(request, lot, photos),
        **watch_context(request.user, lot),
        "timeline": timeline,
        "addenda": addenda,
        "reads_questions": reads_questions,
        # Counted in the lot's own query on the lot page (with_question_count); a form sent back counts it.
        "question_count": getattr(lot, "question_count", None)
        if not reads_questions or hasattr(lot, "question_count")
        else lot.questions.count(),
        "can_publish_addendum": can_manage and lot.is_open_now,
        # Upcoming site visits and their places left: read in the lot's own query (with_visit_summary).
        "visit_summary": visits.visit_summary(lot) if reads_questions else None,
        "bidding_ended_at": ended_at,
        "closed_early": closed_early,
        "sees_parties": sees_parties,
        "can_manage": can_manage,
        "cancel_form": CancelForm(),
        "distance_km": selectors.distance_to_viewer(request.user, lot),
        "is_processor": bool(organisation and organisation.kind == organisation.Kind.PROCESSOR),
        "why_cannot_bid": why_not,
        "my_bid": mine,
        "best_price": selectors.best_live_price(lot)
        if lot.bidding_mode == WasteLot.BiddingMode.OPEN and not visitor
        else None,
        "bid_form": bid_form,
        "bid_fields": light_fields(bid_form) if bid_form is not None else None,
        "bid_count": lot.bids.live().count() if can_manage and lot.status == WasteLot.Status.OPEN else None,
        "award": award,
        "is_winner": winner,
        "contracts": contracts,
        # A bidder not chosen on a shared stream learns the winning prices, never who offered them.
        "winning_prices": sorted({a.bid.price_per_unit for a in selectors.lot_awards(lot)}, reverse=True)
        if lot.is_recurring and mine is not None and mine.status == mine.Status.REJECTED
        else None,
        "can_award_more": can_manage and can_award_more_shares(lot),
        "shares_left": share_left(lot) if lot.is_recurring else None,
        "handover": handover,
        "pickup_form": pickup_form or PickupForm(initial={"pickup_date": timezone.localdate()}),
        "processing_form": processing_form or ProcessingForm(initial={"processing_date": timezone.localdate()}),
        "rating_form": rating_form or RatingForm(),
        "my_rating": _my_rating(lot, organisation),
        **selectors.lot_matching_context(request.user, lot, can_manage=can_manage),
    }
    return render(request, "listings/lot_detail.html", context, status=status)


def _bidding_ended(lot, timeline):
    """When bidding ended, for a lot no longer open, and whether a person ended it before the deadline: the page
    shows that, not a deadline that no longer holds. Bidding closes with the bids' opening; a lot cancelled
    while open ends with its cancellation. A close made by a person (early, or by an early award) is early; the
    deadline's own is automatic. Read from the lot and the timeline already loaded: no query."""
    if lot.status in (WasteLot.Status.DRAFT, WasteLot.Status.OPEN):
        return None, False
    ends = [step for step in timeline if step.status in (WasteLot.Status.CLOSED, WasteLot.Status.CANCELLED)]
    early = bool(ends) and not ends[0].automatic
    if lot.bids_opened_at:
        return lot.bids_opened_at, early
    return (ends[0].created_at, early) if ends else (None, False)


def _bid_initial(bid):
    if bid is None or bid.status != bid.Status.LIVE:
        return None
    return {
        "price_per_unit": bid.price_per_unit,
        "quantity": bid.quantity,
        "pickup_date": bid.pickup_date,
        "route": bid.route,
        "licence": bid.licence_id,
        "note": bid.note,
    }


def _my_rating(lot, organisation):
    if organisation is None or lot.status != WasteLot.Status.COMPLETED:
        return None
    return lot.ratings.filter(rater=organisation).first()


@login_not_required
def catalogue(request):
    categories = WasteCategory.objects.select_related("indonesian_code_source", "co2e_source").order_by(
        "group", "name_en"
    )
    return render(
        request,
        "listings/catalogue.html",
        {"categories": categories, "sources": CatalogueSource.objects.all(), "groups": WasteCategory.Group},
    )

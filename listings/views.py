from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.exports import SafeCsvWriter
from members.selectors import user_membership
from wastex.files import private_file_response
from wastex.forms import add_validation_error

from . import selectors, services
from .cards import with_cards
from .filters import LotFilter
from .forms import (
    AwardForm,
    BidForm,
    CancelForm,
    LotForm,
    PickupForm,
    ProcessingForm,
    RatingForm,
    UnawardedForm,
)
from .models import CatalogueSource, LotAttachment, WasteCategory, WasteLot

PAGE_SIZE = 24
# Beyond this, a person should narrow the filters; a deep OFFSET is slow and nobody reads page 400.
MAX_PAGE = 400
BIDS_PAGE_SIZE = 50
# Whole-request limit for the lot form, checked before Django reads the body (files stream to disk).
MAX_LOT_FORM_BYTES = services.MAX_BYTES_PER_LOT + 5 * 1024 * 1024


def _page_number(value) -> int:
    try:
        return min(max(int(value), 1), MAX_PAGE)
    except (TypeError, ValueError):
        return 1


def offset_page(request, queryset, size: int = PAGE_SIZE) -> dict:
    """One page of a list without a COUNT: one row more than the page tells whether a next page exists.
    Returns the context partials/prev_next.html reads, with the rows under "items"."""
    page_number = _page_number(request.GET.get("page"))
    offset = (page_number - 1) * size
    rows = list(queryset[offset : offset + size + 1])
    return {
        "items": rows[:size],
        "page_number": page_number,
        "has_next": len(rows) > size and page_number < MAX_PAGE,
        "has_previous": page_number > 1,
        "shown_until": offset + len(rows[:size]),  # a count without a COUNT: "N lots", or "more than N"
        "query_without_page": selectors.query_without(request.GET, "page"),
    }


def lot_list(request):
    """Browse open lots: filters in the URL, htmx updates, no full COUNT (one row more tells if a next page
    exists)."""
    membership = user_membership(request.user)
    organisation = membership.organisation if membership else None
    origin = (
        (organisation.latitude, organisation.longitude) if organisation and organisation.latitude is not None else None
    )
    filterset = LotFilter(request.GET or None, queryset=selectors.browsable_lots(), origin=origin)
    if filterset.searching:
        # Ranked full-text search: the page is chosen over the ids alone (ranked on the GIN-indexed vector), and
        # only its rows are loaded and joined, not every match's.
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


def _lot_form_too_large(request) -> bool:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > MAX_LOT_FORM_BYTES
    except ValueError:
        return True


def _save_attachments(lot, user, form) -> None:
    for kind, field in ((LotAttachment.Kind.PHOTO, "photos"), (LotAttachment.Kind.DOCUMENT, "documents")):
        for original_name, clean in form.cleaned_data.get(field) or []:
            services.attachment_add(lot=lot, acting_user=user, kind=kind, original_name=original_name, clean=clean)


def _too_large_response(request):
    return render(
        request,
        "error.html",
        {
            "title": _("Too much at once"),
            "message": _("The files sent together are larger than %(mb)d MB. Send fewer or smaller files.")
            % {"mb": MAX_LOT_FORM_BYTES // (1024 * 1024)},
        },
        status=413,
    )


def lot_create(request):
    if not services.can_post_lots(request.user):
        raise PermissionDenied(_("Only people of a verified plant can post waste lots."))
    if request.method == "POST" and _lot_form_too_large(request):
        return _too_large_response(request)
    organisation = request.user.membership.organisation
    initial = {
        "site_address": organisation.address,
        "site_kecamatan": organisation.kecamatan,
        "latitude": organisation.latitude,
        "longitude": organisation.longitude,
    }
    notice = _answered_notice(request)
    if notice is not None:
        initial.update(category=notice.category_id, unit="t", is_recurring=True, frequency="monthly")
        initial["quantity_per_period"] = notice.quantity_tonnes_per_month
    form = LotForm(request.POST if request.method == "POST" else None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                fields = form.lot_fields()
                if notice is not None and notice.category_id == fields["category"].pk:
                    fields["answers_notice"] = notice
                lot = services.lot_create(acting_user=request.user, fields=fields)
                _save_attachments(lot, request.user, form)
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            messages.success(request, _("Draft %(ref)s saved. Check it, then publish it.") % {"ref": lot.reference})
            return redirect(lot)
    return render(request, "listings/lot_form.html", {"form": form, "lot": None, "notice": notice})


def _answered_notice(request):
    """`?answers=<id>`: the plant answers a live wanted notice with this lot (the notice's processor is matched)."""
    from .models import WantedNotice

    value = request.GET.get("answers") or request.POST.get("answers") or ""
    if not value.isdigit():
        return None
    return WantedNotice.objects.live().select_related("category", "organisation").filter(pk=int(value)).first()


def lot_edit(request, reference):
    lot = selectors.lot_for_viewer_or_404(request.user, reference)
    if not services.can_manage_lot(request.user, lot):
        raise PermissionDenied(_("Only people of the verified plant that owns this lot can change it."))
    if lot.status not in (WasteLot.Status.DRAFT, WasteLot.Status.OPEN):
        messages.error(request, _("Only draft and open lots can be edited."))
        return redirect(lot)
    if request.method == "POST" and _lot_form_too_large(request):
        return _too_large_response(request)
    existing = lot.attachments.aggregate(n=Count("id"), size=Sum("size"))
    form = LotForm(
        request.POST if request.method == "POST" else None,
        request.FILES or None,
        instance=lot,
        existing_files=(existing["n"] or 0, existing["size"] or 0),
    )
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                fresh = WasteLot.objects.get(pk=lot.pk)
                services.lot_update(lot=fresh, acting_user=request.user, fields=form.lot_fields())
                _save_attachments(fresh, request.user, form)
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            messages.success(request, _("Lot %(ref)s saved.") % {"ref": lot.reference})
            return redirect(lot)
    return render(request, "listings/lot_form.html", {"form": form, "lot": lot})


def lot_detail(request, reference):
    lot = selectors.lot_for_viewer_or_404(request.user, reference, with_outcome=True)
    if lot.is_past_deadline:
        # The beat task closes overdue lots every minute; a page never shows "open" past the deadline meanwhile.
        lot = services.lot_close_if_overdue(lot)
    return _render_lot(request, lot)


def _render_lot(request, lot, *, bid_form=None, pickup_form=None, processing_form=None, rating_form=None, status=200):
    """The lot page, with what this person may do on it now (forms bound when a POST came back invalid)."""
    attachments = list(lot.attachments.all())
    organisation = services.bidder_organisation(request.user)
    can_manage = services.can_manage_lot(request.user, lot)
    mine = selectors.own_bid(lot, organisation) if organisation and not can_manage else None
    award = selectors.lot_award(lot)
    winner = bool(award and organisation and award.bid.bidder_id == organisation.pk)
    # Who won and the handover: only for the plant, the winner, staff and officials (everyone else: the status).
    sees_parties = selectors.can_see_deal_parties(request.user, lot)
    handover = (
        getattr(lot, "handover", None)
        if sees_parties and lot.status in (WasteLot.Status.COLLECTED, WasteLot.Status.COMPLETED)
        else None
    )
    why_not = services.why_cannot_bid(request.user, lot)
    context = {
        "lot": lot,
        "photos": [a for a in attachments if a.kind == LotAttachment.Kind.PHOTO],
        "documents": [a for a in attachments if a.kind == LotAttachment.Kind.DOCUMENT],
        "timeline": selectors.timeline_for_viewer(request.user, lot, sees_parties=sees_parties),
        "sees_parties": sees_parties,
        "can_manage": can_manage,
        "cancel_form": CancelForm(),
        "distance_km": selectors.distance_to_viewer(request.user, lot),
        "is_processor": bool(organisation and organisation.kind == organisation.Kind.PROCESSOR),
        "why_cannot_bid": why_not,
        "my_bid": mine,
        "bid_form": bid_form
        or (BidForm(lot=lot, organisation=organisation, initial=_bid_initial(mine)) if not why_not else None),
        "best_price": services.best_live_price(lot) if lot.bidding_mode == WasteLot.BiddingMode.OPEN else None,
        "bid_count": lot.bids.live().count() if can_manage and lot.status == WasteLot.Status.OPEN else None,
        "award": award,
        "is_winner": winner,
        "handover": handover,
        "pickup_form": pickup_form or PickupForm(initial={"pickup_date": timezone.localdate()}),
        "processing_form": processing_form or ProcessingForm(initial={"processing_date": timezone.localdate()}),
        "rating_form": rating_form or RatingForm(),
        "my_rating": _my_rating(lot, organisation),
    }
    from .matching_views import lot_matching_context

    context.update(lot_matching_context(request, lot, can_manage=can_manage))
    return render(request, "listings/lot_detail.html", context, status=status)


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


def _managed_lot_or_403(request, reference):
    lot = selectors.lot_for_viewer_or_404(request.user, reference)
    if not services.can_manage_lot(request.user, lot):
        raise PermissionDenied(_("Only people of the verified plant that owns this lot can change it."))
    return lot


@require_POST
def lot_publish(request, reference):
    lot = _managed_lot_or_403(request, reference)
    try:
        services.lot_publish(lot=lot, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Lot %(ref)s is published and open for bids.") % {"ref": lot.reference})
    return redirect(lot)


@require_POST
def lot_cancel(request, reference):
    lot = _managed_lot_or_403(request, reference)
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the lot is cancelled: it stays on the lot's timeline."))
        return redirect(lot)
    try:
        services.lot_cancel(lot=lot, acting_user=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Lot %(ref)s is cancelled.") % {"ref": lot.reference})
    return redirect(lot)


@require_POST
def lot_close(request, reference):
    lot = _managed_lot_or_403(request, reference)
    try:
        services.lot_close_early(lot=lot, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Lot %(ref)s is closed to new bids.") % {"ref": lot.reference})
    return redirect(lot)


def _serve(attachment: LotAttachment, field: str):
    thumbnail = field == "thumbnail"
    return private_file_response(
        getattr(attachment, field),
        content_type="image/jpeg" if thumbnail else attachment.content_type,
        filename=attachment.original_name,
        inline=thumbnail or attachment.kind == LotAttachment.Kind.PHOTO,
        cache_seconds=3600,
    )


def attachment(request, reference, pk):
    lot = selectors.lot_for_viewer_or_404(request.user, reference)
    return _serve(get_object_or_404(LotAttachment, pk=pk, lot=lot), "file")


def attachment_thumbnail(request, reference, pk):
    lot = selectors.lot_for_viewer_or_404(request.user, reference)
    return _serve(get_object_or_404(LotAttachment, pk=pk, lot=lot), "thumbnail")


@require_POST
def attachment_delete(request, reference, pk):
    lot = _managed_lot_or_403(request, reference)
    item = get_object_or_404(LotAttachment, pk=pk, lot=lot)
    try:
        services.attachment_delete(attachment=item, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("“%(name)s” is removed.") % {"name": item.original_name})
    return redirect("listings:lot_edit", reference=lot.reference)


def my_lots(request):
    membership = user_membership(request.user)
    if membership is None or membership.organisation.kind != membership.organisation.Kind.PLANT:
        raise PermissionDenied(_("“My lots” is for people of industrial plants."))
    status = request.GET.get("status") or ""
    if status not in WasteLot.Status.values:
        status = ""
    lots, counts = selectors.lots_of_plant(membership.organisation, status=status)
    page = offset_page(request, lots)
    context = {
        **page,
        "lots": page["items"],
        "counts": counts,
        "status": status,
        "statuses": WasteLot.Status.choices,
        "can_post": services.can_post_lots(request.user),
    }
    return render(request, "listings/my_lots.html", context)


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


# Bidding


@require_POST
def bid_submit(request, reference):
    """Place a bid, or revise the organisation's live one (the history keeps every version)."""
    lot = selectors.lot_for_viewer_or_404(request.user, reference)
    organisation = services.bidder_organisation(request.user)
    reason = services.why_cannot_bid(request.user, lot)
    if reason:
        messages.error(request, reason)
        return redirect(lot)
    form = BidForm(request.POST, lot=lot, organisation=organisation)
    if form.is_valid():
        mine = lot.bids.live().filter(bidder=organisation).first()
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
    return _render_lot(request, lot, bid_form=form, status=400)


@require_POST
def bid_withdraw(request, reference):
    lot = selectors.lot_for_viewer_or_404(request.user, reference)
    organisation = services.bidder_organisation(request.user)
    mine = lot.bids.live().filter(bidder=organisation).first() if organisation else None
    if mine is None:
        messages.error(request, _("Your organisation has no live bid on this lot."))
        return redirect(lot)
    try:
        services.bid_withdraw(bid=mine, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Your bid is withdrawn."))
    return redirect(lot)


def lot_bids(request, reference):
    """The plant compares the bids, ranked by price or by route, and awards one (or none, with a reason)."""
    lot = selectors.lot_for_viewer_or_404(request.user, reference)
    if not (services.can_manage_lot(request.user, lot) or request.user.is_staff):
        raise PermissionDenied(_("Only the plant that owns this lot sees its bids."))
    if request.method == "POST" and not services.can_manage_lot(request.user, lot):
        # Staff read the bids; only the plant awards.
        raise PermissionDenied(_("Only people of the verified plant that owns this lot can change it."))
    if lot.is_past_deadline:
        lot = services.lot_close_if_overdue(lot)
    sealed = not services.bids_are_open_to_plant(lot)
    sort = "route" if request.GET.get("sort") == "route" else "price"
    award_form = AwardForm()
    if request.method == "POST" and not sealed:
        award_form = AwardForm(request.POST)
        if award_form.is_valid():
            bid = lot.bids.filter(pk=award_form.cleaned_data["bid"]).first()
            try:
                if bid is None:
                    raise ValidationError(_("Choose one of this lot's bids."))
                services.lot_award(
                    lot=lot,
                    bid=bid,
                    acting_user=request.user,
                    reason=award_form.cleaned_data["reason"],
                    note=award_form.cleaned_data["note"],
                )
            except PermissionDenied:
                raise
            except ValidationError as exc:
                add_validation_error(award_form, exc)
            else:
                messages.success(request, _("Lot %(ref)s is awarded; every bidder is told.") % {"ref": lot.reference})
                return redirect(lot)
    bids, best, page = [], None, {}
    if not sealed:
        ranked = selectors.bids_for_plant(lot, sort=sort)
        if request.GET.get("format") == "csv":
            return _bids_csv(lot, _with_licence_check(ranked))
        best = services.best_live_price(lot)
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
        "award_form": award_form,
        "unawarded_form": UnawardedForm(),
        "can_decide": services.can_manage_lot(request.user, lot)
        and lot.status in (WasteLot.Status.OPEN, WasteLot.Status.CLOSED),
        "live_count": lot.bids.live().count() if sealed else None,
        # Said once, not once per row: a lot may have hundreds of bids.
        "unit": lot.get_unit_display(),
        "licence_valid": _("valid"),
        "licence_invalid": _("not valid on pickup"),
        "licence_none": _("none"),
    }
    return render(request, "listings/lot_bids.html", context, status=400 if award_form.errors else 200)


def _with_licence_check(bids) -> list:
    bids = list(bids)
    for bid in bids:
        bid.licence_ok = bool(bid.licence and bid.licence.is_valid_on(bid.pickup_date))
    return bids


def _bids_csv(lot, bids):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"{lot.reference}-bids.csv")
    writer = SafeCsvWriter(response)  # a bidder's name could be a formula: every cell is neutralised
    writer.writerow(
        [
            "bidder",
            "banten",
            "japnas",
            "price_per_unit_rp",
            "quantity",
            "unit",
            "route",
            "pickup_date",
            "distance_km",
            "rating",
            "licence_ok",
            "status",
        ]
    )
    for bid in bids:
        writer.writerow(
            [
                bid.bidder.name,
                bid.bidder.is_banten,
                bid.bidder.is_japnas_member,
                bid.price_per_unit,
                f"{bid.quantity.normalize():f}",
                lot.unit,
                bid.route,
                bid.pickup_date.isoformat(),
                f"{bid.distance_km:.1f}" if getattr(bid, "distance_km", None) is not None else "",
                f"{bid.bidder_rating:.1f}" if bid.bidder_rating is not None else "",
                bid.licence_ok,
                bid.status,
            ]
        )
    return response


@require_POST
def lot_unawarded(request, reference):
    lot = _managed_lot_or_403(request, reference)
    form = UnawardedForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why no bid is chosen: bidders and the timeline keep the reason."))
        return redirect("listings:lot_bids", reference=lot.reference)
    try:
        services.lot_close_unawarded(lot=lot, acting_user=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("listings:lot_bids", reference=lot.reference)
    messages.success(request, _("Lot %(ref)s is closed without an award.") % {"ref": lot.reference})
    return redirect(lot)


# Handover


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
    return _render_lot(request, lot, pickup_form=form, status=400)


@require_POST
def processing(request, reference):
    lot = selectors.lot_for_viewer_or_404(request.user, reference)
    if not services.is_winner(request.user, lot):
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
    return _render_lot(request, lot, processing_form=form, status=400)


@require_POST
def complete(request, reference):
    lot = _managed_lot_or_403(request, reference)
    try:
        services.lot_confirm_completion(lot=lot, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
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
    return _render_lot(request, lot, rating_form=form, status=400)


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


def my_bids(request):
    organisation = services.bidder_organisation(request.user)
    if organisation is None or organisation.kind != organisation.Kind.PROCESSOR:
        raise PermissionDenied(_("“My bids” is for people of processing businesses."))
    page = offset_page(request, selectors.bids_of_organisation(organisation))
    return render(request, "listings/my_bids.html", {**page, "bids": page["items"]})


def staff_handovers(request):
    if not (request.user.is_staff and request.user.is_verified()):
        raise PermissionDenied(_("For platform staff signed in with their second factor."))
    return render(request, "listings/staff_handovers.html", {"handovers": selectors.flagged_handovers()[:200]})

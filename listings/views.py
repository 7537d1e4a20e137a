from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Sum
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from members.selectors import user_membership
from wastex.forms import add_validation_error

from . import cache as lots_cache
from . import selectors, services
from .filters import LotFilter
from .forms import CancelForm, LotForm
from .models import CatalogueSource, LotAttachment, WasteCategory, WasteLot

PAGE_SIZE = 24
# Beyond this, a person should narrow the filters; a deep OFFSET is slow and nobody reads page 400.
MAX_PAGE = 400
# Whole-request limit for the lot form, checked before Django reads the body (files stream to disk).
MAX_LOT_FORM_BYTES = services.MAX_BYTES_PER_LOT + 5 * 1024 * 1024


def _page_number(value) -> int:
    try:
        return min(max(int(value), 1), MAX_PAGE)
    except (TypeError, ValueError):
        return 1


def lot_list(request):
    """Browse open lots: filters in the URL, htmx updates, no full COUNT (one row more tells if a next page
    exists). The rendered filters and results are cached (listings.cache) until any lot changes."""
    membership = user_membership(request.user)
    organisation = membership.organisation if membership else None
    origin = (
        (organisation.latitude, organisation.longitude) if organisation and organisation.latitude is not None else None
    )
    partial = bool(request.htmx)
    template = "listings/partials/lot_results.html" if partial else "listings/partials/lot_browser.html"
    key = (
        lots_cache.page_key(query=request.GET.urlencode(), language=get_language(), origin=origin, partial=partial)
        if lots_cache.enabled()
        else None
    )
    html = cache.get(key) if key else None
    context = {}
    if html is None:
        filterset = LotFilter(request.GET or None, queryset=selectors.browsable_lots(), origin=origin)
        page_number = _page_number(request.GET.get("page"))
        offset = (page_number - 1) * PAGE_SIZE
        rows = list(filterset.qs[offset : offset + PAGE_SIZE + 1])
        context = {
            "filter": filterset,
            "lots": rows[:PAGE_SIZE],
            "page_number": page_number,
            "has_next": len(rows) > PAGE_SIZE and page_number < MAX_PAGE,
            "has_previous": page_number > 1,
            "distance_unavailable": request.GET.get("sort") == "distance" and origin is None,
            "query_without_page": selectors.query_without(request.GET, "page"),
        }
        html = render_to_string(template, context, request)
        if key:
            cache.set(key, html, lots_cache.seconds_to_keep(context["lots"]))
    if partial:
        return HttpResponse(html)
    return render(request, "listings/lot_list.html", {**context, "browser": mark_safe(html)})  # noqa: S308


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
    form = LotForm(request.POST if request.method == "POST" else None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                lot = services.lot_create(acting_user=request.user, fields=form.lot_fields())
                _save_attachments(lot, request.user, form)
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            messages.success(request, _("Draft %(ref)s saved. Check it, then publish it.") % {"ref": lot.reference})
            return redirect(lot)
    return render(request, "listings/lot_form.html", {"form": form, "lot": None})


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
    lot = selectors.lot_for_viewer_or_404(request.user, reference)
    if lot.is_past_deadline:
        # The beat task closes overdue lots every minute; a page never shows "open" past the deadline meanwhile.
        lot = services.lot_close_if_overdue(lot)
    attachments = list(lot.attachments.all())
    context = {
        "lot": lot,
        "photos": [a for a in attachments if a.kind == LotAttachment.Kind.PHOTO],
        "documents": [a for a in attachments if a.kind == LotAttachment.Kind.DOCUMENT],
        "timeline": lot.transitions.select_related("actor"),
        "can_manage": services.can_manage_lot(request.user, lot),
        "cancel_form": CancelForm(),
        "distance_km": selectors.distance_to_viewer(request.user, lot),
    }
    return render(request, "listings/lot_detail.html", context)


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
    stored = getattr(attachment, field)
    if not stored:
        raise Http404
    try:
        handle = stored.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    is_image = field == "thumbnail" or attachment.kind == LotAttachment.Kind.PHOTO
    content_type = "image/jpeg" if field == "thumbnail" else attachment.content_type
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(not is_image, attachment.original_name)
    # Served files can never run anything in our origin, whatever they contain.
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; plugin-types application/pdf; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response


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
    page_number = _page_number(request.GET.get("page"))
    offset = (page_number - 1) * PAGE_SIZE
    rows = list(lots[offset : offset + PAGE_SIZE + 1])
    context = {
        "lots": rows[:PAGE_SIZE],
        "counts": counts,
        "status": status,
        "statuses": WasteLot.Status.choices,
        "page_number": page_number,
        "has_next": len(rows) > PAGE_SIZE,
        "has_previous": page_number > 1,
        "query_without_page": selectors.query_without(request.GET, "page"),
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

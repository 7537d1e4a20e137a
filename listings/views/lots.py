"""The plant's side of a lot: create and edit it with its files, publish, close early, cancel; "My lots"."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.files import private_file_response
from core.forms import add_validation_error
from core.pagination import offset_page
from core.views import run_service
from members.selectors import user_membership

from .. import selectors, services
from ..forms import CancelForm, LotForm
from ..models import LotAttachment, WantedNotice, WasteLot

# Whole-request limit for the lot form, checked before Django reads the body (files stream to disk).
MAX_LOT_FORM_BYTES = services.MAX_BYTES_PER_LOT + 5 * 1024 * 1024


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
    if not selectors.can_post_lots(request.user):
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
    value = request.GET.get("answers") or request.POST.get("answers") or ""
    if not value.isdigit():
        return None
    return WantedNotice.objects.live().select_related("category", "organisation").filter(pk=int(value)).first()


def lot_edit(request, reference):
    lot = selectors.lot_for_manager_or_403(request.user, reference)
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


@require_POST
def lot_publish(request, reference):
    lot = selectors.lot_for_manager_or_403(request.user, reference)
    if run_service(request, services.lot_publish, lot=lot, acting_user=request.user):
        messages.success(request, _("Lot %(ref)s is published and open for bids.") % {"ref": lot.reference})
    return redirect(lot)


@require_POST
def lot_cancel(request, reference):
    lot = selectors.lot_for_manager_or_403(request.user, reference)
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the lot is cancelled: it stays on the lot's timeline."))
        return redirect(lot)
    if run_service(request, services.lot_cancel, lot=lot, acting_user=request.user, reason=form.cleaned_data["reason"]):
        messages.success(request, _("Lot %(ref)s is cancelled.") % {"ref": lot.reference})
    return redirect(lot)


@require_POST
def lot_close(request, reference):
    lot = selectors.lot_for_manager_or_403(request.user, reference)
    if run_service(request, services.lot_close_early, lot=lot, acting_user=request.user):
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


@login_not_required
def attachment(request, reference, pk):
    """A lot's file, for those who may see the lot. Visitors are asked to sign in (documents and full-size
    photos are for members); a draft's file does not exist for them."""
    if not request.user.is_authenticated:
        selectors.lot_for_visitor(reference)  # 404 for a draft, as for everyone who may not see it
        return redirect_to_login(request.get_full_path())
    lot = selectors.lot_for_viewer_or_404(request.user, reference)
    return _serve(get_object_or_404(LotAttachment, pk=pk, lot=lot), "file")


@login_not_required
def attachment_thumbnail(request, reference, pk):
    """A photo's thumbnail. Visitors get the thumbnails of an open lot's photos (what /lots/, the lot page and a
    shared link's preview show), never a document's, nor anything of a lot that is not open."""
    if not request.user.is_authenticated:
        lot = selectors.lot_for_visitor(reference)
        if not selectors.visitor_may_see(lot):
            return redirect_to_login(request.get_full_path())
        photo = get_object_or_404(LotAttachment, pk=pk, lot=lot, kind=LotAttachment.Kind.PHOTO)
        return _serve(photo, "thumbnail")
    lot = selectors.lot_for_viewer_or_404(request.user, reference)
    return _serve(get_object_or_404(LotAttachment, pk=pk, lot=lot), "thumbnail")


@require_POST
def attachment_delete(request, reference, pk):
    lot = selectors.lot_for_manager_or_403(request.user, reference)
    item = get_object_or_404(LotAttachment, pk=pk, lot=lot)
    if run_service(request, services.attachment_delete, attachment=item, acting_user=request.user):
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
        "can_post": selectors.can_post_lots(request.user),
    }
    return render(request, "listings/my_lots.html", context)

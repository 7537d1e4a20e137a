"""Licences: an organisation's list and documents, and staff's checks."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.files import private_file_response
from core.forms import add_validation_error

from .. import selectors, services
from ..decorators import staff_required
from ..forms import (
    LicenceForm,
    LicenceReviewForm,
)
from ..models import Licence


def licences(request, slug):
    """An organisation's licences: its people see them; its admins add them."""
    organisation = selectors.organisation_of_member_or_404(request.user, slug)
    is_admin = selectors.is_organisation_admin(request.user, organisation)
    form = LicenceForm(request.POST if request.method == "POST" else None, request.FILES or None)
    if request.method == "POST":
        if not is_admin:
            raise PermissionDenied(_("Only an administrator of this organisation can add licences."))
        if form.is_valid():
            fields = {k: v for k, v in form.cleaned_data.items() if k not in ("categories", "document")}
            try:
                services.licence_add(
                    organisation=organisation,
                    acting_user=request.user,
                    fields=fields,
                    categories=form.cleaned_data["categories"],
                    document=form.cleaned_data["document"],
                )
            except ValidationError as exc:
                add_validation_error(form, exc)
            else:
                messages.success(request, _("Licence saved. Platform staff will check it."))
                return redirect("members:licences", slug=organisation.slug)
    context = {
        "organisation": organisation,
        "is_admin": is_admin,
        "form": form,
        "licences": organisation.licences.prefetch_related("categories"),
    }
    return render(request, "members/licences.html", context)


def licence_document(request, pk):
    """A licence document is confidential: only its organisation's people and platform staff download it."""
    licence = get_object_or_404(Licence, pk=pk)
    membership = selectors.user_membership(request.user)
    if not (request.user.is_staff or (membership and membership.organisation_id == licence.organisation_id)):
        raise Http404
    return private_file_response(licence.document, content_type="application/pdf", filename=f"licence-{licence.pk}.pdf")


@staff_required
def staff_licence_list(request):
    pending = Licence.objects.filter(status=Licence.Status.PENDING).select_related("organisation")
    return render(
        request,
        "members/staff_licence_list.html",
        {"pending": pending.prefetch_related("categories").order_by("created_at"), "form": LicenceReviewForm()},
    )


@staff_required
@require_POST
def staff_licence_review(request, pk):
    licence = get_object_or_404(Licence, pk=pk)
    form = LicenceReviewForm(request.POST)
    action = request.POST.get("action")
    if form.is_valid() and action in ("verify", "reject"):
        try:
            services.licence_review(
                licence=licence, acting_user=request.user, verified=action == "verify", note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("Licence %(number)s: %(status)s.")
                % {"number": licence.number, "status": licence.get_status_display()},
            )
    else:
        messages.error(request, _("Choose verify or reject."))
    return redirect("members:staff_licence_list")

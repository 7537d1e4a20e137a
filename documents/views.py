"""The lot's documents for its parties, downloads, staff's revoke and replace, and the public verification page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from core.files import private_file_response
from listings.selectors import lot_for_viewer_or_404

from . import selectors, services
from .forms import DocumentActionForm

ONLY_STAFF = gettext_lazy("Only platform staff revoke or replace documents.")


def lot_documents(request, reference):
    lot = selectors.lot_for_documents_or_403(request.user, reference)
    return render(
        request,
        "documents/lot_documents.html",
        {
            "lot": lot,
            "documents": selectors.lot_documents(lot, request.user),
            "can_manage": selectors.can_manage_documents(request.user),
        },
    )


def download(request, reference, number):
    lot = selectors.lot_for_documents_or_403(request.user, reference)
    document = selectors.lot_document_or_404(lot, number, request.user)
    return private_file_response(document.file, content_type="application/pdf", filename=f"{document.number}.pdf")


def _staff_action(request, reference, service, done: str):
    lot = lot_for_viewer_or_404(request.user, reference)
    if not selectors.can_manage_documents(request.user):
        raise PermissionDenied(ONLY_STAFF)
    form = DocumentActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say which document and why: the reason is shown on the verification page."))
        return redirect("documents:lot_documents", reference=lot.reference)
    document = selectors.lot_document_or_404(lot, form.cleaned_data["document"], request.user)
    try:
        result = service(document=document, acting_user=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done % {"number": document.number, "new": result.number})
    return redirect("documents:lot_documents", reference=lot.reference)


@require_POST
def revoke(request, reference):
    return _staff_action(request, reference, services.document_revoke, _("Document %(number)s is revoked."))


@require_POST
def supersede(request, reference):
    return _staff_action(
        request, reference, services.document_supersede, _("Document %(number)s is replaced by %(new)s.")
    )


@login_not_required
def verify_lookup(request):
    """Public: type the code printed under the QR code."""
    code = "".join(request.GET.get("code", "").split())[:64]
    if code:
        return redirect("documents:verify", code=code)
    return render(request, "documents/verify_lookup.html")


@login_not_required
@ratelimit(key="ip", rate="60/m", block=True)
def verify(request, code):
    """Public: anyone holding the paper checks it by its code (the QR code leads here). Never a price."""
    document = selectors.document_by_code(code)
    if document is None:
        return render(request, "documents/verify_unknown.html", {"code": code[:64]}, status=404)
    return render(
        request,
        "documents/verify.html",
        {
            "document": document,
            "facts": selectors.verification_facts(document),
            "verify_url": request.build_absolute_uri(reverse("documents:verify", kwargs={"code": document.code})),
        },
    )

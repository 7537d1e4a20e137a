"""Platform staff's pages: verification, change requests, the Japnas list and the audit trail."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.exports import SafeCsvWriter

from .. import selectors, services
from ..decorators import staff_required
from ..filters import AuditFilter, StaffOrganisationFilter
from ..forms import (
    ChangeDecisionForm,
    JapnasListForm,
    RejectForm,
    VerifyForm,
)
from ..models import AuditEntry, Organisation, OrganisationChangeRequest


@staff_required
def staff_organisation_list(request):
    data = request.GET.copy()
    data.setdefault("status", Organisation.Status.UNVERIFIED)
    filterset = StaffOrganisationFilter(data, queryset=Organisation.objects.order_by("created_at"))
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    return render(request, "members/staff_organisation_list.html", {"filter": filterset, "page": page})


@staff_required
def staff_organisation_review(request, slug):
    organisation = get_object_or_404(Organisation, slug=slug)
    verify_form = VerifyForm(prefix="verify")
    reject_form = RejectForm(prefix="reject")
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "verify":
                verify_form = VerifyForm(request.POST, prefix="verify")
                if verify_form.is_valid():
                    services.organisation_verify(
                        organisation=organisation, acting_user=request.user, note=verify_form.cleaned_data["note"]
                    )
                    messages.success(request, _("%(name)s is verified; its people are told.") % {"name": organisation})
                    return redirect("members:staff_organisation_list")
            elif action == "reject":
                reject_form = RejectForm(request.POST, prefix="reject")
                if reject_form.is_valid():
                    services.organisation_reject(
                        organisation=organisation, acting_user=request.user, reason=reject_form.cleaned_data["reason"]
                    )
                    messages.success(
                        request, _("%(name)s is rejected; its people are told why.") % {"name": organisation}
                    )
                    return redirect("members:staff_organisation_list")
            else:
                messages.error(request, _("Choose verify or reject."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    current_list = selectors.japnas_list_current()
    pending_change = organisation.change_requests.pending().select_related("requested_by").first()
    numbers = [organisation.japnas_number]
    if pending_change and "japnas_number" in pending_change.changes:
        numbers.append(pending_change.changes["japnas_number"][1])
    listed = selectors.japnas_listed(numbers)
    context = {
        "organisation": organisation,
        "verify_form": verify_form,
        "reject_form": reject_form,
        "events": organisation.verification_events.select_related("actor"),
        "people": organisation.memberships.select_related("user"),
        "japnas_list": current_list,
        "japnas": selectors.japnas_check(organisation.japnas_number, listed=listed, has_list=current_list is not None),
        "japnas_name": listed.get(organisation.japnas_number),
        "pending_change": pending_change,
        "change_requests": organisation.change_requests.exclude(
            status=OrganisationChangeRequest.Status.PENDING
        ).select_related("requested_by", "decided_by")[:20],
    }
    return render(request, "members/staff_organisation_review.html", context)


@staff_required
def staff_change_list(request):
    """Changes to verified details waiting for staff, old and new side by side, Japnas numbers checked."""
    pending = list(
        OrganisationChangeRequest.objects.pending()
        .select_related("organisation", "requested_by")
        .order_by("requested_at", "pk")[:200]
    )
    current_list = selectors.japnas_list_current()
    asked = [c.changes["japnas_number"][1] for c in pending if "japnas_number" in c.changes]
    listed = selectors.japnas_listed(asked)
    for change in pending:
        change.table = change.rows()
        for row in change.table:
            if row["name"] == "japnas_number":
                row["japnas"] = selectors.japnas_check(
                    row["new_raw"] or "", listed=listed, has_list=current_list is not None
                )
                row["japnas_name"] = listed.get(row["new_raw"] or "")
    context = {"pending": pending, "form": ChangeDecisionForm(), "japnas_list": current_list}
    return render(request, "members/staff_change_list.html", context)


@staff_required
@require_POST
def staff_change_decide(request, pk):
    change_request = get_object_or_404(OrganisationChangeRequest.objects.select_related("organisation"), pk=pk)
    form = ChangeDecisionForm(request.POST)
    action = request.POST.get("action")
    if not form.is_valid() or action not in ("approve", "reject"):
        messages.error(request, " ".join(form.errors.get("reason", [])) or _("Choose approve or reject."))
        return redirect("members:staff_change_list")
    try:
        if action == "approve":
            services.organisation_change_approve(
                change_request=change_request, acting_user=request.user, note=form.cleaned_data["reason"]
            )
        else:
            services.organisation_change_reject(
                change_request=change_request, acting_user=request.user, reason=form.cleaned_data["reason"]
            )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        done = _("approved") if action == "approve" else _("rejected")
        messages.success(
            request,
            _("The change for %(name)s is %(done)s; its people are told.")
            % {"name": change_request.organisation, "done": done},
        )
    return redirect("members:staff_change_list")


@staff_required
def staff_japnas_list(request):
    """Japnas's member list, uploaded by staff as CSV: what Japnas numbers are checked against."""
    form = JapnasListForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = services.japnas_list_replace(
            members=form.members, filename=form.cleaned_data["file"].name, acting_user=request.user
        )
        messages.success(request, _("The Japnas member list now has %(n)d members.") % {"n": upload.member_count})
        return redirect("members:staff_japnas_list")
    claimed = (
        Organisation.objects.exclude(japnas_number="")
        .filter(kind__in=Organisation.SELF_SERVICE_KINDS)
        .order_by("name")
        .only("name", "slug", "japnas_number", "verification_status")
    )
    current_list = selectors.japnas_list_current()
    claimed = list(claimed[:500])
    listed = selectors.japnas_listed([o.japnas_number for o in claimed])
    for organisation in claimed:
        organisation.japnas = selectors.japnas_check(
            organisation.japnas_number, listed=listed, has_list=current_list is not None
        )
    context = {"form": form, "japnas_list": current_list, "claimed": claimed}
    return render(request, "members/staff_japnas_list.html", context, status=400 if form.errors else 200)


def _audit_filter(request):
    return AuditFilter(
        request.GET or None,
        queryset=AuditEntry.objects.select_related("actor", "organisation").order_by("-created_at", "-id"),
    )


@staff_required
def staff_audit(request):
    """Who verified, rejected or changed what, when, and why: every staff decision, filtered and exported."""
    filterset = _audit_filter(request)
    if filterset.is_bound and not filterset.is_valid():
        messages.error(request, _("Some filters could not be read; correct them to see the entries."))
        entries = AuditEntry.objects.none()
    else:
        entries = filterset.qs
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"filter": filterset, "page": page, "query": query.urlencode()}
    return render(request, "members/staff_audit.html", context)


@staff_required
def staff_audit_export(request):
    filterset = _audit_filter(request)
    if filterset.is_bound and not filterset.is_valid():
        reasons = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in filterset.errors.items())
        return HttpResponse(
            _("The filters could not be read: %(reasons)s") % {"reasons": reasons},
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, "wastex-audit.csv")
    writer = SafeCsvWriter(response)
    writer.writerow(["when", "action", "staff_member", "staff_email", "organisation", "nib", "what", "reason"])
    for entry in filterset.qs.iterator(chunk_size=1000):
        writer.writerow(
            [
                timezone.localtime(entry.created_at).isoformat(timespec="seconds"),
                entry.kind,
                entry.actor.full_name if entry.actor else "",
                entry.actor.email if entry.actor else "",
                entry.organisation.name if entry.organisation else "",
                (entry.organisation.nib or "") if entry.organisation else "",
                entry.what,
                entry.reason,
            ]
        )
    return response

"""An organisation's pages for its people: profile, details, team and invitations; and the directory."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.forms import add_validation_error

from .. import selectors, services
from ..decorators import verified_organisation_required
from ..filters import DirectoryFilter
from ..forms import (
    InvitationForm,
    OrganisationEditForm,
)
from ..models import Invitation, OrganisationChangeRequest


def organisation_detail(request, slug):
    organisation = selectors.organisation_visible_or_404(request.user, slug)
    membership = selectors.user_membership(request.user)
    is_own = bool(membership and membership.organisation_id == organisation.pk)
    insider = is_own or request.user.is_staff
    change_requests = (
        list(organisation.change_requests.select_related("requested_by", "decided_by")[:20]) if insider else []
    )
    context = {
        "organisation": organisation,
        "is_own": is_own,
        "is_admin": is_own and membership.is_admin,
        "events": organisation.verification_events.select_related("actor")[:20] if insider else [],
        "change_requests": change_requests,
        "pending_change": next((c for c in change_requests if c.is_pending), None),
    }
    return render(request, "members/organisation_detail.html", context)


@require_POST
def organisation_change_withdraw(request, slug, pk):
    organisation = selectors.organisation_of_member_or_404(request.user, slug, admin=True)
    change_request = get_object_or_404(OrganisationChangeRequest, pk=pk, organisation=organisation)
    try:
        services.organisation_change_withdraw(change_request=change_request, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Your change request is withdrawn."))
    return redirect(organisation)


def organisation_edit(request, slug):
    organisation = selectors.organisation_of_member_or_404(request.user, slug, admin=True)
    form = OrganisationEditForm(request.POST if request.method == "POST" else None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.fields if not form.fields[name].disabled}
        # The form validated against the instance in memory; reload it so the service starts clean.
        organisation.refresh_from_db()
        try:
            change_request = services.organisation_update(
                organisation=organisation, acting_user=request.user, fields=fields
            )
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            if change_request is None:
                messages.success(request, _("The organisation's details are saved."))
            else:
                messages.info(
                    request,
                    _(
                        "Platform staff verify %(fields)s: your change waits for their approval. Until then the "
                        "verified details keep applying. Other details are saved."
                    )
                    % {"fields": ", ".join(str(row["label"]) for row in change_request.rows())},
                )
            return redirect(organisation)
    context = {
        "organisation": organisation,
        "form": form,
        "pending_change": organisation.change_requests.pending().first(),
    }
    return render(request, "members/organisation_edit.html", context)


def organisation_team(request, slug):
    organisation = selectors.organisation_of_member_or_404(request.user, slug)
    is_admin = selectors.is_organisation_admin(request.user, organisation)
    form = InvitationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not is_admin:
            raise PermissionDenied(_("Only an administrator of this organisation can invite colleagues."))
        if form.is_valid():
            try:
                invitation = services.invitation_create(
                    organisation=organisation,
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                    acting_user=request.user,
                )
            except ValidationError as exc:
                add_validation_error(form, exc)
            else:
                messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.email})
                return redirect("members:organisation_team", slug=organisation.slug)
    context = {
        "organisation": organisation,
        "is_admin": is_admin,
        "form": form,
        "members": organisation.memberships.select_related("user").order_by("user__full_name"),
        "invitations": organisation.invitations.pending().select_related("invited_by") if is_admin else [],
    }
    return render(request, "members/organisation_team.html", context)


@require_POST
def invitation_revoke(request, slug, pk):
    organisation = selectors.organisation_of_member_or_404(request.user, slug, admin=True)
    invitation = get_object_or_404(Invitation, pk=pk, organisation=organisation, accepted_at__isnull=True)
    services.invitation_revoke(invitation=invitation, acting_user=request.user)
    messages.success(request, _("The invitation to %(email)s is revoked.") % {"email": invitation.email})
    return redirect("members:organisation_team", slug=organisation.slug)


@verified_organisation_required
def directory(request):
    filterset = DirectoryFilter(request.GET or None, queryset=selectors.directory_queryset())
    page = Paginator(filterset.qs, 25).get_page(request.GET.get("page"))
    template = "members/partials/directory_results.html" if request.htmx else "members/directory.html"
    return render(request, template, {"filter": filterset, "page": page})

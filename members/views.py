from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from core.exports import SafeCsvWriter
from wastex.files import private_file_response
from wastex.forms import add_validation_error
from wastex.middleware import set_language_cookie

from . import selectors, services
from .filters import AuditFilter, DirectoryFilter, StaffOrganisationFilter
from .forms import (
    ChangeDecisionForm,
    EmailChangeForm,
    InvitationAcceptForm,
    InvitationForm,
    JapnasListForm,
    LicenceForm,
    LicenceReviewForm,
    OrganisationEditForm,
    ProfileForm,
    RejectForm,
    SignupForm,
    VerifyForm,
)
from .models import AuditEntry, Invitation, Licence, Organisation, OrganisationChangeRequest, normalise_email


def staff_required(view):
    """For platform staff whose session is verified with the second factor. Anyone else signed in gets a 403
    that says so (visitors are sent to log in first by LoginRequiredMiddleware, and staff without the second
    factor to its step by SecondFactorMiddleware), not a login form they cannot get past."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not (user.is_active and user.is_staff and user.is_verified()):
            raise PermissionDenied(_("This page is for platform staff."))
        return view(request, *args, **kwargs)

    return wrapper


def verified_organisation_required(view):
    """For pages that only verified organisations (and officials and staff) may open."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not selectors.can_see_directory(request.user):
            return render(request, "members/verification_required.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def _signup_email(group, request) -> str:
    return normalise_email(request.POST.get("email", ""))


@login_not_required
@ratelimit(key="ip", rate="10/h", method="POST", block=True)
@ratelimit(key=_signup_email, rate="5/h", method="POST", block=True)  # no flooding one address with e-mails
def signup(request):
    """The answer is the same whether or not the address has an account: "check your e-mail". The account is
    created when the link in that e-mail is followed (signup_confirm); an existing account's owner gets a note."""
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.signup_request(
                email=form.cleaned_data["email"],
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password1"],
                language=translation.get_language() or "id",
                organisation_fields=form.organisation_fields(),
            )
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            return redirect("members:signup_sent")
    return render(request, "members/signup.html", {"form": form})


@login_not_required
def signup_sent(request):
    return render(request, "members/signup_sent.html", {"hours": settings.SIGNUP_CONFIRM_MAX_AGE_HOURS})


@login_not_required
@ratelimit(key="ip", rate="20/h", method="POST", block=True)
def signup_confirm(request, token):
    """GET shows what will be created; POST creates it (mail scanners that open links create nothing)."""
    pending = services.pending_signup_from_token(token)
    if pending is None:
        return render(request, "members/signup_invalid.html", status=404)
    if request.user.is_authenticated:
        messages.error(request, _("You are signed in already. Log out first to confirm a sign-up."))
        return redirect("home")
    error = None
    if request.method == "POST":
        try:
            user, organisation = services.signup_confirm(pending=pending)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            login(request, user, backend="members.backends.MembershipBackend")
            messages.success(
                request,
                _("Welcome to WasteX. %(name)s is registered and waits for verification by platform staff.")
                % {"name": organisation.name},
            )
            return redirect("home")
    return render(request, "members/signup_confirm.html", {"pending": pending, "error": error})


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
    is_admin = services.is_organisation_admin(request.user, organisation)
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


@login_not_required
@ratelimit(key="ip", rate="20/h", method="POST", block=True)
def invitation_accept(request, token):
    try:
        invitation_id = signing.loads(token, salt=Invitation.SIGNING_SALT)
    except signing.BadSignature:
        invitation_id = None
    invitation = (
        Invitation.objects.pending().select_related("organisation").filter(pk=invitation_id).first()
        if isinstance(invitation_id, int)
        else None
    )
    if invitation is None:
        return render(request, "members/invitation_invalid.html", status=404)
    if request.user.is_authenticated:
        messages.error(request, _("You are signed in already. Log out first to accept an invitation for someone else."))
        return redirect("home")
    form = InvitationAcceptForm(request.POST if request.method == "POST" else None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                invitation=invitation,
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password1"],
                language=translation.get_language() or "id",
            )
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            login(request, user, backend="members.backends.MembershipBackend")
            messages.success(
                request,
                _("Welcome to WasteX. You are now on the team of %(name)s.") % {"name": invitation.organisation.name},
            )
            return redirect("home")
    return render(request, "members/invitation_accept.html", {"invitation": invitation, "form": form})


def profile(request):
    profile_form = ProfileForm(instance=request.user, prefix="profile")
    email_form = EmailChangeForm(user=request.user, prefix="email")
    if request.method == "POST" and "profile-full_name" in request.POST:
        profile_form = ProfileForm(request.POST, instance=request.user, prefix="profile")
        if profile_form.is_valid():
            user = profile_form.save()
            response = redirect("members:profile")
            set_language_cookie(response, user.language)
            translation.activate(user.language)
            messages.success(request, _("Your profile is saved."))
            return response
    elif request.method == "POST":
        email_form = EmailChangeForm(request.POST, user=request.user, prefix="email")
        if email_form.is_valid():
            new_email = email_form.cleaned_data["email"]
            try:
                services.email_change_request(user=request.user, new_email=new_email)
            except ValidationError as exc:
                add_validation_error(email_form, exc)
            else:
                messages.success(
                    request,
                    _("We sent a link to %(email)s. Your address changes when you follow it.") % {"email": new_email},
                )
                return redirect("members:profile")
    return render(request, "members/profile.html", {"profile_form": profile_form, "email_form": email_form})


def email_change_confirm(request, token):
    """The link sent to the new address: GET asks, POST changes the login (mail scanners change nothing)."""
    new_email = services.email_change_from_token(user=request.user, token=token)
    if new_email is None:
        return render(request, "members/email_change_invalid.html", status=404)
    error = None
    if request.method == "POST":
        try:
            services.user_change_email(user=request.user, new_email=new_email)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, _("Your e-mail address is now %(email)s.") % {"email": request.user.email})
            return redirect("members:profile")
    return render(request, "members/email_change_confirm.html", {"new_email": new_email, "error": error})


@verified_organisation_required
def directory(request):
    filterset = DirectoryFilter(request.GET or None, queryset=selectors.directory_queryset())
    page = Paginator(filterset.qs, 25).get_page(request.GET.get("page"))
    template = "members/partials/directory_results.html" if request.htmx else "members/directory.html"
    return render(request, template, {"filter": filterset, "page": page})


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


def licences(request, slug):
    """An organisation's licences: its people see them; its admins add them."""
    organisation = selectors.organisation_of_member_or_404(request.user, slug)
    is_admin = services.is_organisation_admin(request.user, organisation)
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

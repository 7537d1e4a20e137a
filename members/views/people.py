"""People and sign-up: sign-up and its confirmation, an invitation accepted, one's own profile and address."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django_ratelimit.decorators import ratelimit

from core.forms import add_validation_error
from core.middleware import set_language_cookie

from .. import services, tokens
from ..forms import (
    EmailChangeForm,
    InvitationAcceptForm,
    ProfileForm,
    SignupForm,
)
from ..models import Invitation, normalise_email


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
    pending = tokens.pending_signup_from_token(token)
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
    new_email = tokens.email_change_from_token(user=request.user, token=token)
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

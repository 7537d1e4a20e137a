"""The organisation's API tokens page (/org/<slug>/tokens/): its admins create, name, scope and revoke tokens.
A new token's secret is shown once: kept in the session only until the page after the POST's redirect reads it
(a reload of that page, or of the POST, never makes or shows another)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.forms import add_validation_error
from members import selectors as member_selectors

from . import services
from .models import OrganisationToken, Scope


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"), max_length=100, help_text=gettext_lazy("The system that uses it, e.g. “SAP ERP”.")
    )
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("Scopes"), choices=Scope.choices, widget=forms.CheckboxSelectMultiple
    )
    expires_at = forms.DateTimeField(
        label=gettext_lazy("Expires at"),
        required=False,
        help_text=gettext_lazy("Asia/Jakarta time (WIB). Empty: until revoked."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = services.allowed_scopes(organisation)
        self.fields["scopes"].choices = [(value, label) for value, label in Scope.choices if value in allowed]


NEW_SECRET = "api_new_token"  # noqa: S105 - the session key, not a secret


def tokens(request, slug):
    organisation = member_selectors.organisation_of_member_or_404(request.user, slug, admin=True)
    form = TokenForm(request.POST or None, organisation=organisation)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                created = services.token_create(
                    organisation=organisation,
                    acting_user=request.user,
                    name=form.cleaned_data["name"],
                    scopes=form.cleaned_data["scopes"],
                    expires_at=form.cleaned_data["expires_at"],
                )
            except ValidationError as exc:
                add_validation_error(form, exc)
            else:
                request.session[NEW_SECRET] = {"name": created.token.name, "secret": created.secret}
                return redirect("api_tokens", slug=organisation.slug)
        status = 400
    created = request.session.pop(NEW_SECRET, None) if request.method == "GET" else None
    context = {
        "organisation": organisation,
        "form": form,
        "created": created,
        "tokens": OrganisationToken.objects.filter(organisation=organisation).select_related("created_by"),
        "is_staff_member": request.user.is_staff,
    }
    return render(request, "api/tokens.html", context, status=status)


@require_POST
def token_revoke(request, slug, pk):
    organisation = member_selectors.organisation_of_member_or_404(request.user, slug, admin=True)
    token = get_object_or_404(OrganisationToken, pk=pk, organisation=organisation)
    services.token_revoke(token=token, acting_user=request.user)
    messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("api_tokens", slug=organisation.slug)

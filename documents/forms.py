from django import forms
from django.utils.translation import gettext_lazy as _


class DocumentActionForm(forms.Form):
    """Staff revoke or replace one document of the lot, with the reason (shown on the verification page)."""

    document = forms.CharField(widget=forms.HiddenInput, max_length=30)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        help_text=_("Shown on the public verification page."),
        widget=forms.TextInput,
    )

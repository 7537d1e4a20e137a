import csv
import re

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import PasswordResetForm as DjangoPasswordResetForm
from django.template import loader
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from core import uploads
from core.mail import send_email
from core.number_fields import LocalizedDecimalField

from .choices import Province
from .models import VERIFIED_FIELDS, Licence, Membership, Organisation, User, normalise_email, normalise_japnas

ORGANISATION_FIELDS = [
    "name",
    "kind",
    "nib",
    "address",
    "city",
    "kecamatan",
    "province",
    "latitude",
    "longitude",
    "japnas_number",
    "phone",
]


class NIBField(forms.CharField):
    """People copy the NIB from OSS printouts with spaces or dots: keep only what matters."""

    def to_python(self, value):
        value = super().to_python(value)
        return re.sub(r"[\s.\-]", "", value) if value else value


class CoordinateField(forms.DecimalField):
    """Accepts -6,0167 (the Indonesian way) as well as -6.0167."""

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().replace(",", ".")
        return super().to_python(value)


class OrganisationDetailsForm(forms.ModelForm):
    """The organisation fields a plant or processor fills in itself; checks the rules between fields."""

    class Meta:
        model = Organisation
        fields = [f for f in ORGANISATION_FIELDS if f != "kind"]
        widgets = {"address": forms.Textarea(attrs={"rows": 2})}
        field_classes = {"nib": NIBField, "latitude": CoordinateField, "longitude": CoordinateField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["nib"].required = True
        self.fields["nib"].widget.attrs.update({"maxlength": "20", "inputmode": "numeric", "autocomplete": "off"})
        self.fields["latitude"].help_text = _("Optional, in decimal degrees, e.g. -6,0167")
        self.fields["longitude"].help_text = _("Optional, in decimal degrees, e.g. 106,0500")
        for name in ("latitude", "longitude"):
            self.fields[name].widget = forms.TextInput(attrs={"inputmode": "decimal"})

    def clean(self):
        cleaned = super().clean()
        lat, lon = cleaned.get("latitude"), cleaned.get("longitude")
        if (lat is None) != (lon is None) and "latitude" not in self.errors and "longitude" not in self.errors:
            raise forms.ValidationError(_("Give both latitude and longitude, or neither."))
        in_cilegon = cleaned.get("province") == Province.BANTEN and "cilegon" in (cleaned.get("city") or "").lower()
        if cleaned.get("kecamatan") and not in_cilegon:
            self.add_error(
                "kecamatan", _("The kecamatan list is for Kota Cilegon, in Banten. Leave it empty elsewhere.")
            )
        return cleaned


class NewPasswordFields(forms.Form):
    """A new person's password, typed twice and checked against the validators (and their name and e-mail)."""

    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def check_new_password(self, cleaned: dict, *, email: str) -> None:
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            try:
                password_validation.validate_password(p1, User(email=email, full_name=cleaned.get("full_name") or ""))
            except forms.ValidationError as exc:
                self.add_error("password1", exc)


class SignupForm(NewPasswordFields, OrganisationDetailsForm):
    """One form for the person and the new organisation: nothing is created unless all of it is valid."""

    full_name = forms.CharField(label=_("Your full name"), max_length=150)
    email = forms.EmailField(label=_("Your e-mail address"), max_length=254)
    kind = forms.ChoiceField(
        label=_("Your organisation is"),
        choices=[(k.value, k.label) for k in Organisation.SELF_SERVICE_KINDS],
        widget=forms.RadioSelect,
    )

    field_order = ["full_name", "email", "password1", "password2", "kind", *ORGANISATION_FIELDS]

    def clean_email(self):
        # Never "already has an account" here: sign-up must not tell a stranger who is registered. The NIB's
        # uniqueness error stays (the model's unique check): an NIB is a business's public registration number
        # (OSS), so it says that a business is on WasteX — never which person or address — and a business that
        # finds its NIB taken must learn it to ask staff, not sign up again and again.
        return normalise_email(self.cleaned_data["email"])

    def clean(self):
        cleaned = super().clean()
        self.check_new_password(cleaned, email=cleaned.get("email") or "")
        return cleaned

    def organisation_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in ORGANISATION_FIELDS}


class OrganisationEditForm(OrganisationDetailsForm):
    """A plant or processor edits its details. Once verified, a change to what staff verified (VERIFIED_FIELDS)
    is asked for, not made: the service turns it into a change request."""

    kind = forms.ChoiceField(
        label=_("Your organisation is"), choices=[(k.value, k.label) for k in Organisation.SELF_SERVICE_KINDS]
    )

    field_order = ORGANISATION_FIELDS

    class Meta(OrganisationDetailsForm.Meta):
        fields = [*OrganisationDetailsForm.Meta.fields, "show_name_to_visitors"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.kind != Organisation.Kind.PLANT:
            del self.fields["show_name_to_visitors"]  # only plants have lots that visitors see
        if self.instance.kind not in Organisation.SELF_SERVICE_KINDS:
            del self.fields["kind"]  # authorities and operators are set up by staff
        else:
            self.initial.setdefault("kind", self.instance.kind)
        if self.instance.is_verified:
            for name in VERIFIED_FIELDS:
                if name in self.fields:
                    self.fields[name].help_text = _("Checked by platform staff: a change waits for their approval.")


class ChangeDecisionForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (required to reject; the organisation's people will read it)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


JAPNAS_MAX_BYTES = 2 * 1024 * 1024
JAPNAS_MAX_ROWS = 50_000
JAPNAS_HEADER_WORDS = {"number", "no", "nomor", "no.", "nomor anggota", "japnas", "japnas number", "kta"}


class JapnasListForm(forms.Form):
    """Japnas's member list as a CSV file: one member per row, number then name (a header row is allowed).

    Tolerant of what spreadsheets write: a byte-order mark, ; or , between columns, spaces around values,
    blank lines. Refuses anything else with the row that is wrong: the list is replaced only when all of it
    is good."""

    file = forms.FileField(
        label=_("Member list (CSV)"),
        help_text=_("Two columns: membership number, member name. At most 2 MB."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".csv"):
            raise forms.ValidationError(_("Upload a CSV file (its name ends in .csv)."))
        if upload.size > JAPNAS_MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 2 MB. Is it the member list?"))
        raw = upload.read(JAPNAS_MAX_BYTES + 1)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(
                _("The file is not text in UTF-8. Save it from the spreadsheet as “CSV UTF-8”.")
            ) from exc
        if "\x00" in text:
            raise forms.ValidationError(_("The file is not a CSV text file."))
        try:
            self.members = parse_japnas_csv(text)
        except csv.Error as exc:
            raise forms.ValidationError(_("The file could not be read as CSV: %(error)s") % {"error": exc}) from exc
        return upload


def parse_japnas_csv(text: str) -> list[tuple[str, str]]:
    """[(normalised number, name)] from the file's text, or a ValidationError naming each bad row."""
    lines = text.splitlines()
    sample = next((line for line in lines if line.strip()), "")
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    members, seen, errors = [], {}, []
    for number_in_file, row in enumerate(csv.reader(lines, delimiter=delimiter), start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if not members and not seen and not errors and cells[0].lower().rstrip(":") in JAPNAS_HEADER_WORDS:
            continue  # the header row
        if len(cells) < 2 or not cells[0] or not cells[1]:
            errors.append(_("Row %(row)d: give a number and a name.") % {"row": number_in_file})
        elif len(cells[0]) > 40:
            errors.append(_("Row %(row)d: the number is longer than 40 characters.") % {"row": number_in_file})
        elif len(cells[1]) > 200:
            errors.append(_("Row %(row)d: the name is longer than 200 characters.") % {"row": number_in_file})
        else:
            number = normalise_japnas(cells[0])
            if number in seen:
                errors.append(
                    _("Row %(row)d: number %(number)s is also on row %(first)d.")
                    % {"row": number_in_file, "number": number, "first": seen[number]}
                )
            else:
                seen[number] = number_in_file
                members.append((number, " ".join(cells[1].split())))
        if len(errors) >= 10:
            break
        if len(members) > JAPNAS_MAX_ROWS:
            raise forms.ValidationError(_("The list has more than %(n)d members.") % {"n": JAPNAS_MAX_ROWS})
    if errors:
        raise forms.ValidationError(errors)
    if not members:
        raise forms.ValidationError(_("The file has no members in it."))
    return members


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Colleague's e-mail address"), max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices, initial=Membership.Role.MEMBER)


class InvitationAcceptForm(NewPasswordFields):
    full_name = forms.CharField(label=_("Your full name"), max_length=150)

    field_order = ["full_name", "password1", "password2"]

    def __init__(self, *args, email: str, **kwargs):
        self.email = email
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        self.check_new_password(cleaned, email=self.email)
        return cleaned


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["full_name", "language"]


class EmailChangeForm(forms.Form):
    email = forms.EmailField(label=_("New e-mail address"), max_length=254)
    password = forms.CharField(
        label=_("Your current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user: User, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("That is not your current password."))
        return password

    def clean_email(self):
        # Whether the address has an account is told only to its owner, through the link sent to it.
        return normalise_email(self.cleaned_data["email"])


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (the organisation's people will read it)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )


class VerifyForm(forms.Form):
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=2000)


class PasswordResetForm(DjangoPasswordResetForm):
    """Django's reset form, but the e-mail goes through the e-mail queue (core.mail, with its retries), in the
    user's language."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        with translation.override(context["user"].language):
            subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
            body = loader.render_to_string(email_template_name, context)
            html = loader.render_to_string(html_email_template_name, context) if html_email_template_name else None
        send_email(to=to_email, subject=subject, body=body, html=html)


class LicenceForm(forms.ModelForm):
    document = forms.FileField(label=_("Document (PDF)"), help_text=_("The licence as issued, as a PDF."))

    class Meta:
        model = Licence
        fields = [
            "kind",
            "number",
            "issuer",
            "categories",
            "waste_codes",
            "capacity_tonnes_per_month",
            "valid_from",
            "valid_until",
        ]
        widgets = {
            "valid_from": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "valid_until": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "categories": forms.SelectMultiple(attrs={"size": 8}),
        }
        field_classes = {"capacity_tonnes_per_month": LocalizedDecimalField}

    def clean_document(self):
        return uploads.clean_document(self.cleaned_data["document"])

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("valid_from"), cleaned.get("valid_until")
        if start and end and end < start:
            self.add_error("valid_until", _("A licence cannot end before it starts."))
        if not cleaned.get("categories") and not (cleaned.get("waste_codes") or "").strip():
            self.add_error("categories", _("Say what the licence covers: categories or waste codes."))
        return cleaned


class LicenceReviewForm(forms.Form):
    note = forms.CharField(label=_("Note (required to reject)"), required=False, max_length=2000)

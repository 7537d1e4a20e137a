from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import uploads
from core.bounds import (
    MAX_PRICE,
    MAX_QUANTITY,
    MIN_QUANTITY,
    price_error_messages,
    quantity_error_messages,
)
from core.number_fields import LocalizedDecimalField, LocalizedIntegerField, LocalizedNumberInput
from core.numbers import quantity as format_quantity
from members.forms import CoordinateField
from members.models import Licence

from .models import Award, Capability, Route, WantedNotice, WasteCategory, WasteLot
from .services import MAX_ATTACHMENTS_PER_LOT, MAX_BYTES_PER_LOT, OPEN_LOT_EDITABLE, BidOffer, offer_errors

DATETIME_INPUT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked on its own, so the message names the file at fault."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class LotForm(forms.ModelForm):
    photos = MultipleFileField(
        label=_("Photos"),
        help_text=_("JPEG, PNG or WebP, up to %(mb)d MB each. Location data (GPS) is removed.")
        % {"mb": uploads.MAX_PHOTO_BYTES // (1024 * 1024)},
    )
    documents = MultipleFileField(
        label=_("Lab reports and safety data sheets"),
        help_text=_("PDF, up to %(mb)d MB each.") % {"mb": uploads.MAX_DOCUMENT_BYTES // (1024 * 1024)},
    )

    class Meta:
        model = WasteLot
        fields = [
            "title",
            "category",
            "description",
            "physical_form",
            "packaging",
            "quantity",
            "unit",
            "is_recurring",
            "frequency",
            "quantity_per_period",
            "contract_months",
            "composition",
            "site_address",
            "site_kecamatan",
            "latitude",
            "longitude",
            "available_from",
            "available_until",
            "closes_at",
            "questions_close_at",
            "inspection_from",
            "inspection_until",
            "bidding_mode",
            "reserve_price",
            "local_first_days",
            "lab_certificate_expires",
        ]
        field_classes = {
            "latitude": CoordinateField,
            "longitude": CoordinateField,
            "quantity": LocalizedDecimalField,
            "quantity_per_period": LocalizedDecimalField,
            "reserve_price": LocalizedIntegerField,
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "composition": forms.Textarea(attrs={"rows": 3}),
            "site_address": forms.Textarea(attrs={"rows": 2}),
            "available_from": DateInput(),
            "available_until": DateInput(),
            "lab_certificate_expires": DateInput(),
            "closes_at": LocalDateTimeInput(),
            "questions_close_at": LocalDateTimeInput(),
            "inspection_from": LocalDateTimeInput(),
            "inspection_until": LocalDateTimeInput(),
            "bidding_mode": forms.RadioSelect,
        }

    def __init__(self, *args, existing_files=(0, 0), **kwargs):
        """`existing_files`: (count, bytes) of the lot's files already stored, for the per-lot limits."""
        super().__init__(*args, **kwargs)
        self.existing_files = existing_files
        self.fields["category"].queryset = WasteCategory.objects.filter(is_active=True).order_by("group", "name_en")
        self.fields["category"].to_field_name = "code"
        if self.instance.pk:
            self.initial["category"] = self.instance.category.code
        for name in ("closes_at", "questions_close_at", "inspection_from", "inspection_until"):
            self.fields[name].input_formats = DATETIME_INPUT_FORMATS
        for name in ("latitude", "longitude"):
            self.fields[name].widget = forms.TextInput(attrs={"inputmode": "decimal"})
        self.fields["reserve_price"].widget.attrs.update({"data-price-input": ""})
        self.fields["unit"].widget.attrs["data-unit-input"] = ""
        self.fields["closes_at"].help_text = _("Asia/Jakarta time (WIB).")
        self.fields["questions_close_at"].help_text = _(
            "Processors may ask questions until then: before the bid deadline, in WIB. Empty: 24 hours before it."
        )
        if self.instance.pk and self.instance.status == WasteLot.Status.OPEN:
            for name, field in self.fields.items():
                if name not in OPEN_LOT_EDITABLE and name not in ("photos", "documents"):
                    field.disabled = True
            self.fields["closes_at"].help_text = _(
                "Asia/Jakarta time (WIB). An open lot's deadline can only move later."
            )

    def _clean_files(self, name, cleaner):
        cleaned = []
        errors = []
        for uploaded in self.cleaned_data.get(name) or []:
            try:
                cleaned.append((uploaded.name, cleaner(uploaded)))
            except ValidationError as exc:
                errors.extend(exc.messages)
        if errors:
            raise ValidationError(errors)
        return cleaned

    def clean_photos(self):
        return self._clean_files("photos", uploads.clean_photo)

    def clean_documents(self):
        return self._clean_files("documents", uploads.clean_document)

    def clean(self):
        cleaned = super().clean()
        files = (cleaned.get("photos") or []) + (cleaned.get("documents") or [])
        count, size = self.existing_files
        if count + len(files) > MAX_ATTACHMENTS_PER_LOT:
            self.add_error(None, _("A lot has at most %(n)d files.") % {"n": MAX_ATTACHMENTS_PER_LOT})
        if size + sum(len(clean.content) for _name, clean in files) > MAX_BYTES_PER_LOT:
            self.add_error(
                None,
                _("The files of a lot may add up to %(mb)d MB at most.") % {"mb": MAX_BYTES_PER_LOT // (1024 * 1024)},
            )
        if cleaned.get("is_recurring"):
            if not cleaned.get("frequency"):
                self.add_error("frequency", _("A recurring stream needs a frequency."))
            if not cleaned.get("quantity_per_period"):
                self.add_error("quantity_per_period", _("A recurring stream needs a quantity per period."))
        lat, lon = cleaned.get("latitude"), cleaned.get("longitude")
        if (lat is None) != (lon is None) and not self.has_error("latitude") and not self.has_error("longitude"):
            self.add_error("longitude", _("Give both latitude and longitude, or neither."))
        return cleaned

    def lot_fields(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in self.Meta.fields
            if name in self.cleaned_data and not self.fields[name].disabled
        }


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is the lot cancelled?"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


class BidForm(forms.Form):
    """A bid, judged whole: every field's error in one round — the form's own (a price that is not a number) and
    the lot's rules (more than the lot, a date outside its availability, a licence that does not cover it), the
    same rules the service applies again under the lot's row lock."""

    price_per_unit = LocalizedIntegerField(
        label=_("Price per unit (Rp)"),
        min_value=-MAX_PRICE,
        max_value=MAX_PRICE,
        error_messages=price_error_messages(),
        help_text=_("Positive: you pay the plant. Negative: the plant pays you (a gate fee)."),
        widget=LocalizedNumberInput(attrs={"data-price-input": ""}, signed=True),
    )
    quantity = LocalizedDecimalField(
        label=_("Quantity"),
        max_digits=12,
        decimal_places=3,
        min_value=MIN_QUANTITY,
        max_value=MAX_QUANTITY,
        error_messages=quantity_error_messages(),
    )
    pickup_date = forms.DateField(label=_("Proposed pickup date"), widget=DateInput())
    # No route is chosen for the bidder: the first one (reuse, the best on the hierarchy) was too easy to keep.
    route = forms.ChoiceField(
        label=_("Processing route"),
        choices=[("", _("Choose a route…")), *Route.choices],
        error_messages={"required": _("Choose a processing route.")},
    )
    licence = forms.ModelChoiceField(label=_("Licence"), queryset=Licence.objects.none(), required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, lot, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.lot = lot
        self.organisation = organisation
        self.fields["quantity"].initial = lot.offered_per_award
        self.fields["quantity"].help_text = _("Up to %(q)s %(unit)s.") % {
            "q": format_quantity(lot.offered_per_award),
            "unit": lot.get_unit_display(),
        }
        if lot.is_recurring:
            # A stream is shared per period: the plant may award part of it to each of several bidders.
            self.fields["quantity"].label = _("Quantity per period")
            self.fields["quantity"].help_text = _(
                "Up to %(q)s %(unit)s per period: the most your organisation would take. The plant may award you "
                "a share of it."
            ) % {"q": format_quantity(lot.offered_per_award), "unit": lot.get_unit_display()}
        self.fields["pickup_date"].initial = max(lot.available_from, timezone.localdate())
        if lot.is_hazardous:
            self.fields["licence"].queryset = (
                Licence.objects.filter(organisation=organisation).prefetch_related("categories")
                if organisation
                else Licence.objects.none()
            )
            self.fields["licence"].required = True
            self.fields["licence"].empty_label = _("Choose a licence…")
            self.fields["licence"].error_messages["required"] = _(
                "A hazardous (B3) lot needs a licence that covers it."
            )
            self.fields["licence"].help_text = _("Hazardous (B3) waste: a verified licence that covers it.")
        else:
            # A licence is asked for only where one is needed.
            del self.fields["licence"]

    def clean(self):
        cleaned = super().clean()
        # The lot's rules for each field the form could read; a field that failed keeps its own message.
        names = ("price_per_unit", "quantity", "pickup_date", "route", "licence")
        readable = frozenset(n for n in names if n in self.fields and n in cleaned and not self.has_error(n))
        errors = offer_errors(
            self.lot,
            self.organisation,
            price_per_unit=cleaned.get("price_per_unit"),
            quantity=cleaned.get("quantity"),
            pickup_date=cleaned.get("pickup_date"),
            route=cleaned.get("route"),
            licence=cleaned.get("licence"),
            checked=readable,
        )
        for name, message in errors.items():
            self.add_error(name, message)
        return cleaned

    def offer(self) -> BidOffer:
        data = self.cleaned_data
        return BidOffer(
            price_per_unit=data["price_per_unit"],
            quantity=data["quantity"],
            pickup_date=data["pickup_date"],
            route=data["route"],
            note=data.get("note") or "",
            licence=data.get("licence"),
        )


class AwardForm(forms.Form):
    """The plant confirms the award of one bid. A reason is asked for only when the bid is not the best price
    (`best`: whether it is); nothing is chosen for the plant."""

    bid = forms.IntegerField(widget=forms.HiddenInput, error_messages={"required": _("Choose a bid to award.")})
    reason = forms.ChoiceField(
        label=_("Why this bid and not the best price?"),
        choices=[("", _("Choose a reason…"))]
        + [(value, label) for value, label in Award.Reason.choices if value != Award.Reason.BEST_PRICE],
        required=False,
        error_messages={"required": _("This is not the best price offered: say why you choose it.")},
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    # Asked only on a recurring stream: the share of the quantity per period this contract takes.
    quantity = LocalizedDecimalField(
        label=_("Share per period"),
        max_digits=12,
        decimal_places=3,
        min_value=MIN_QUANTITY,
        max_value=MAX_QUANTITY,
        error_messages=quantity_error_messages(),
    )

    def __init__(self, *args, best: bool = True, lot=None, bid=None, left=None, **kwargs):
        super().__init__(*args, **kwargs)
        if best:
            del self.fields["reason"]  # the best price needs no reason: the service records "best price"
        else:
            self.fields["reason"].required = True
        if lot is None or not lot.is_recurring or bid is None:
            del self.fields["quantity"]  # a one-off award takes the whole lot
        else:
            unit = lot.get_unit_display()
            self.fields["quantity"].initial = min(bid.quantity, left)
            self.fields["quantity"].help_text = _(
                "Of the %(per_period)s each period: this bid offered %(offered)s, %(left)s is left to award."
            ) % {
                "per_period": format_quantity(lot.quantity_per_period, unit),
                "offered": format_quantity(bid.quantity, unit),
                "left": format_quantity(left, unit),
            }

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("reason") == Award.Reason.OTHER and not (cleaned.get("note") or "").strip():
            self.add_error("note", _("Explain the reason in the note."))
        return cleaned


class ContractEndForm(forms.Form):
    reason = forms.CharField(
        label=_("Why does the contract end early?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Both sides and platform staff see it."),
        error_messages={"required": _("Say why the contract ends early: both sides and staff see it.")},
    )


class UnawardedForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is no bid chosen?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class PickupForm(forms.Form):
    pickup_date = forms.DateField(
        label=_("Pickup date"), widget=DateInput(), help_text=_("Not before the award, not in the future.")
    )
    carrier = forms.CharField(label=_("Carrier"), max_length=200)
    vehicle = forms.CharField(label=_("Vehicle registration"), max_length=40)
    manifest_number = forms.CharField(
        label=_("Manifest number"),
        max_length=60,
        required=False,
        help_text=_("For hazardous (B3) waste: the electronic manifest (Festronik) number."),
    )
    quantity_sent = LocalizedDecimalField(
        label=_("Quantity weighed out"),
        max_digits=12,
        decimal_places=3,
        min_value=MIN_QUANTITY,
        max_value=MAX_QUANTITY,
        error_messages=quantity_error_messages(),
    )


class ProcessingForm(forms.Form):
    processing_date = forms.DateField(
        label=_("Processing date"),
        widget=DateInput(),
        required=False,
        help_text=_("Not before the pickup, not in the future. Empty: today."),
    )
    quantity_received = LocalizedDecimalField(
        label=_("Quantity received"),
        max_digits=12,
        decimal_places=3,
        min_value=Decimal("0"),
        max_value=MAX_QUANTITY,
        error_messages={"max_value": quantity_error_messages()["max_value"]},
    )
    route_used = forms.ChoiceField(label=_("Route actually used"), choices=Route.choices)
    proof = forms.FileField(
        label=_("Proof of processing"), help_text=_("A certificate (PDF) or a photo (JPEG, PNG, WebP).")
    )

    def clean_proof(self):
        proof = self.cleaned_data["proof"]
        head = proof.read(5)
        proof.seek(0)
        return uploads.clean_document(proof) if head == b"%PDF-" else uploads.clean_photo(proof)


class RatingForm(forms.Form):
    stars = forms.TypedChoiceField(
        label=_("Rating"), choices=[(n, "★" * n) for n in range(5, 0, -1)], coerce=int, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


# --- Matching: capabilities, wanted notices, saved searches ------------------------------------------------


class CapabilityForm(forms.ModelForm):
    latitude = CoordinateField(
        label=_("Facility latitude"), max_digits=9, decimal_places=6, min_value=-90, max_value=90
    )
    longitude = CoordinateField(
        label=_("Facility longitude"), max_digits=9, decimal_places=6, min_value=-180, max_value=180
    )

    class Meta:
        model = Capability
        fields = ["category", "route", "capacity_tonnes_per_month", "latitude", "longitude", "radius_km"]
        field_classes = {"capacity_tonnes_per_month": LocalizedDecimalField, "radius_km": LocalizedIntegerField}
        help_texts = {
            "radius_km": _("How far from the facility you collect waste. Cilegon is about 20 km across."),
            "capacity_tonnes_per_month": _(
                "What you can still take each month; lots larger than this are not matched."
            ),
        }

    def __init__(self, *args, organisation=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.fields["category"].queryset = WasteCategory.objects.filter(is_active=True)
        for name in ("capacity_tonnes_per_month", "radius_km"):
            self.fields[name].widget.attrs["inputmode"] = "decimal"

    def clean_category(self):
        category = self.cleaned_data["category"]
        taken = Capability.objects.filter(organisation=self.organisation, category=category)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise ValidationError(_("Your organisation already has a capability for this category: edit it instead."))
        return category


class WantedNoticeForm(forms.ModelForm):
    class Meta:
        model = WantedNotice
        fields = [
            "category",
            "quantity_tonnes_per_month",
            "specification",
            "price_per_tonne",
            "kecamatan",
            "valid_until",
        ]
        widgets = {
            "specification": forms.Textarea(attrs={"rows": 3}),
            "valid_until": forms.DateInput(attrs={"type": "date"}),
        }
        field_classes = {"quantity_tonnes_per_month": LocalizedDecimalField, "price_per_tonne": LocalizedIntegerField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = WasteCategory.objects.filter(is_active=True)
        self.fields["price_per_tonne"].widget.attrs.update({"inputmode": "numeric", "data-price-input": ""})
        self.fields["kecamatan"].choices = [("", _("Anywhere in Cilegon")), *self.fields["kecamatan"].choices[1:]]

    def clean_valid_until(self):
        value = self.cleaned_data.get("valid_until")
        if value and value < timezone.localdate():
            raise ValidationError(_("The notice cannot end in the past."))
        return value


class SaveSearchForm(forms.Form):
    name = forms.CharField(label=_("Name of the alert"), max_length=120, required=False)
    query = forms.CharField(max_length=1000, required=False, widget=forms.HiddenInput)

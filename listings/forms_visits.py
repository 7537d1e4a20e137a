"""The forms of a lot's site visits: a slot the plant offers, a booking (listings.services.visits)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .forms import DateInput
from .models import MAX_SLOT_CAPACITY, MAX_VISITORS_PER_BOOKING
from .models.visits import MAX_MEETING_POINT_CHARS, MAX_PLATE_CHARS, MAX_VISITOR_NAME_CHARS, MIN_SLOT_CAPACITY
from .services import SlotOffer, normalise_plate, slot_errors
from .services.visits import clean_visitors


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%H:%M")


class SlotForm(forms.Form):
    """A slot, judged whole: the form's own errors and the lot's rules (slot_errors) in one round."""

    day = forms.DateField(label=_("Date"), widget=DateInput())
    start = forms.TimeField(label=_("Starts at (WIB)"), widget=TimeInput())
    end = forms.TimeField(label=_("Ends at (WIB)"), widget=TimeInput())
    capacity = forms.IntegerField(
        label=_("Places (people)"),
        min_value=MIN_SLOT_CAPACITY,
        max_value=MAX_SLOT_CAPACITY,
        help_text=_("How many people the plant can take round at once; each name in a booking takes a place."),
    )
    meeting_point = forms.CharField(
        label=_("Meeting point"),
        max_length=MAX_MEETING_POINT_CHARS,
        help_text=_("Where visitors report, e.g. the security post of gate 2."),
    )

    def __init__(self, *args, lot, **kwargs):
        super().__init__(*args, **kwargs)
        self.lot = lot

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            for field, message in slot_errors(self.lot, self.offer()).items():
                self.add_error(field, message)
        return cleaned

    def offer(self) -> SlotOffer:
        data = self.cleaned_data
        return SlotOffer(
            day=data.get("day"),
            start=data.get("start"),
            end=data.get("end"),
            capacity=data.get("capacity"),
            meeting_point=data.get("meeting_point", ""),
        )


class BookingForm(forms.Form):
    visitors = forms.CharField(
        label=_("People coming"),
        max_length=(MAX_VISITOR_NAME_CHARS + 2) * MAX_VISITORS_PER_BOOKING,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Full names as on their identity cards, one per line: 1 to 5 people. Each takes a place."),
    )
    plate = forms.CharField(
        label=_("Vehicle plate"),
        max_length=MAX_PLATE_CHARS + 8,
        help_text=_('For the gate pass, e.g. "A 1234 BC".'),
    )

    def clean_visitors(self):
        try:
            return clean_visitors(self.cleaned_data["visitors"].splitlines())
        except forms.ValidationError as exc:
            raise forms.ValidationError(exc.message_dict["visitors"]) from exc

    def clean_plate(self):
        try:
            return normalise_plate(self.cleaned_data["plate"])
        except forms.ValidationError as exc:
            raise forms.ValidationError(exc.message_dict["plate"]) from exc

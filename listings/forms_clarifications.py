"""The forms of a lot's clarifications: a question, an answer, an addendum (listings.services.questions)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.bounds import MAX_QUANTITY, MIN_QUANTITY, quantity_error_messages
from core.number_fields import LocalizedDecimalField

from .forms import DATETIME_INPUT_FORMATS, LocalDateTimeInput
from .models import MAX_ADDENDUM_CHARS, MAX_ANSWER_CHARS, MAX_QUESTION_CHARS
from .services import AddendumChange, addendum_errors
from .services.questions import MIN_QUESTION_CHARS


class QuestionForm(forms.Form):
    text = forms.CharField(
        label=_("Your question"),
        min_length=MIN_QUESTION_CHARS,
        max_length=MAX_QUESTION_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Every processor who can see this lot reads the question and the answer, without your name or your "
            "organisation's. Do not name them in the question."
        ),
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_("Answer"), max_length=MAX_ANSWER_CHARS, widget=forms.Textarea(attrs={"rows": 3}))


class AddendumForm(forms.Form):
    """An addendum, judged whole: the form's own errors and the lot's rules (addendum_errors) in one round."""

    text = forms.CharField(
        label=_("What changes and why"),
        min_length=MIN_QUESTION_CHARS,
        max_length=MAX_ADDENDUM_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Every bidder and matched processor is told. It stays on the lot's page and timeline."),
    )
    quantity = LocalizedDecimalField(
        label=_("Corrected quantity"),
        required=False,
        max_digits=12,
        decimal_places=3,
        min_value=MIN_QUANTITY,
        max_value=MAX_QUANTITY,
        error_messages=quantity_error_messages(),
        help_text=_("Optional: at most 10 percent more or less than the quantity the lot was published with."),
    )
    closes_at = forms.DateTimeField(
        label=_("New bid deadline"),
        required=False,
        input_formats=DATETIME_INPUT_FORMATS,
        widget=LocalDateTimeInput(),
        help_text=_("Optional: later than the current deadline. Asia/Jakarta time (WIB). Sealed bids stay sealed."),
    )

    def __init__(self, *args, lot, **kwargs):
        super().__init__(*args, **kwargs)
        self.lot = lot

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            for field, message in addendum_errors(self.lot, self.change()).items():
                self.add_error(field, message)
        return cleaned

    def change(self) -> AddendumChange:
        return AddendumChange(
            text=self.cleaned_data.get("text", ""),
            quantity=self.cleaned_data.get("quantity"),
            closes_at=self.cleaned_data.get("closes_at"),
        )

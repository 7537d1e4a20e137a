"""Form fields for numbers people type: shown and read the way core.numbers writes them.

An input shows "120" for a 120 t lot (not "120.000", which reads as a hundred and twenty thousand in
Indonesian), accepts "1.250,5" as well as "1250.5", refuses what fits no reading with a message in the
reader's language, and quotes limits in the page's format ("at most 1.200" in Indonesian).
"""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from . import numbers


class LocalizedNumberInput(forms.TextInput):
    """A text input (type=number cannot show "1.250,5") with the numeric keyboard on phones."""

    def __init__(self, attrs=None, *, signed: bool = False):
        # A phone's decimal keypad has no minus sign: signed numbers (prices) get the full keyboard.
        defaults = {"autocomplete": "off"} if signed else {"inputmode": "decimal", "autocomplete": "off"}
        super().__init__({**defaults, **(attrs or {})})

    def format_value(self, value):
        if value is None or value == "":
            return None
        return numbers.input_value(value)


class _LocalizedNumberMixin:
    integer = False

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            number = numbers.parse(value, integer=self.integer)
        except numbers.NumberFormatError as exc:
            raise ValidationError(str(exc), code="invalid") from exc
        return super().to_python(number)

    def run_validators(self, value):
        try:
            super().run_validators(value)
        except ValidationError as exc:
            raise ValidationError([self._quoted(error) for error in exc.error_list]) from exc

    @staticmethod
    def _quoted(error: ValidationError) -> ValidationError:
        """Limits quoted as the page writes numbers ("1.200", not "1200")."""
        params = dict(error.params or {})
        for name in ("limit_value", "show_value"):
            if isinstance(params.get(name), int | float | Decimal):
                params[name] = numbers.format_number(params[name])
        return ValidationError(error.message, code=error.code, params=params or None)


class LocalizedDecimalField(_LocalizedNumberMixin, forms.DecimalField):
    widget = LocalizedNumberInput


class LocalizedIntegerField(_LocalizedNumberMixin, forms.IntegerField):
    """Whole numbers, signed (a price: negative is a gate fee the plant pays)."""

    integer = True

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", LocalizedNumberInput(signed=True))
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        number = super().to_python(value)
        return int(number) if number is not None else None

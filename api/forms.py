"""The web's forms validate the API's input (same rules, same messages). JSON is read the machine way: a number,
or a string like "1250.5" (a point is always the decimal point, whatever the language), never a float's guess."""

import math
import re
from decimal import Decimal

from django import forms
from django.utils.translation import gettext as _

from .problems import InvalidInput

MACHINE_NUMBER = re.compile(r"^-?\d{1,20}(\.\d{1,20})?\Z")


def _value(name: str, value, field):
    if value is None:
        return ""
    if isinstance(value, dict | list):
        raise InvalidInput({name: [_("Give one value, not a list or an object.")]})
    numeric = isinstance(field, forms.DecimalField | forms.IntegerField)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidInput({name: [_("Enter a number.")]})
        return Decimal(repr(value)) if numeric else repr(value)
    if numeric and isinstance(value, str) and MACHINE_NUMBER.match(value.strip()):
        return Decimal(value.strip())
    if isinstance(value, bool):
        return value if isinstance(field, forms.BooleanField) else str(value).lower()
    if isinstance(value, int | Decimal) and not numeric:
        return str(value)  # a date, a choice or a text given as a number: the field reads (or refuses) its text
    return value


def request_mapping(data) -> dict:
    """The request's body as a mapping (a JSON array or a bare value is refused with the reason)."""
    if hasattr(data, "keys"):
        return data
    raise InvalidInput({"__all__": [_("Send a JSON object.")]})


def bind(form_class, data, *, base: dict | None = None, files=None, **kwargs):
    """The form bound to the request's values (over `base`, the current values, for a partial change)."""
    data = request_mapping(data)
    fields = form_class(**kwargs).fields
    values = dict(base or {})
    for name in fields:
        if name in data:
            values[name] = _value(name, data.get(name), fields[name])
    return form_class(values, files, **kwargs)


class ReasonForm(forms.Form):
    """A reason the service checks (its own message when it is missing); at most 2,000 characters."""

    reason = forms.CharField(required=False, max_length=2000)


class ShareForm(forms.Form):
    """An award's share of a recurring stream's quantity per period (optional; the service checks its bounds)."""

    quantity = forms.DecimalField(required=False, max_digits=12, decimal_places=3)

"""Choice labels ("Grogol", "tonnes", "Open"), looked up in a dictionary kept per field and language.

Django's `get_FOO_display()` builds a dictionary of the field's choices on every call, hashing each lazy label on
the way (a translation per choice): on a page of 24 lot cards with four labels each that was about a tenth of the
render. `ChoiceLabels` gives a model the same `get_FOO_display()` over a dictionary made once per field and
language. Labels come from the field's own choices, so nothing changes for a reader.
"""

from django.utils.encoding import force_str
from django.utils.translation import get_language

_LABELS: dict[tuple[int, str], dict] = {}


def choice_label(field, value):
    """The label of `value` among `field`'s choices in the active language; the value itself when it is not one
    of them (as Django does)."""
    key = (id(field), get_language() or "")
    labels = _LABELS.get(key)
    if labels is None:
        labels = {}
        for choice, label in field.flatchoices:
            labels.setdefault(choice, force_str(label, strings_only=True))
        _LABELS[key] = labels
    return labels.get(value, value)


class ChoiceLabels:
    """Mixin for models: `get_FOO_display()` through `choice_label` (same result, one lookup)."""

    def _get_FIELD_display(self, field):
        return force_str(choice_label(field, getattr(self, field.attname)), strings_only=True)

from django import forms, template
from django.utils.html import format_html
from django.utils.translation import gettext

from core import numbers

register = template.Library()

CHECK_WIDGETS = (forms.CheckboxInput,)
CHOICE_LIST_WIDGETS = (forms.RadioSelect, forms.CheckboxSelectMultiple)


@register.simple_tag
def bootstrap_widget(bound_field):
    """Render a field's widget with the Bootstrap class for its kind, marked invalid when it has errors."""
    widget = bound_field.field.widget
    if isinstance(widget, CHECK_WIDGETS):
        css = "form-check-input"
    elif isinstance(widget, CHOICE_LIST_WIDGETS):
        css = ""
    elif isinstance(widget, forms.Select):
        css = "form-select"
    else:
        css = "form-control"
    if bound_field.errors and css:
        css += " is-invalid"
    attrs = {"class": css} if css else {}
    if bound_field.errors:
        attrs["aria-invalid"] = "true"
        # The errors first, then the help text (Django's own describedby, which this replaces).
        described_by = [f"{bound_field.auto_id}_errors"]
        if bound_field.help_text:
            described_by.append(f"{bound_field.auto_id}_helptext")
        attrs["aria-describedby"] = " ".join(described_by)
    return bound_field.as_widget(attrs=attrs)


@register.filter
def is_choice_list(bound_field):
    return isinstance(bound_field.field.widget, CHOICE_LIST_WIDGETS)


@register.filter
def is_checkbox(bound_field):
    return isinstance(bound_field.field.widget, CHECK_WIDGETS)


@register.filter
def rupiah(value):
    """Rupiah, grouped the way of the page's language: Rp 1.250.000 (id), Rp 1,250,000 (en); -Rp 400.000."""
    return numbers.rupiah(value)


@register.filter
def price_in_words(price, unit=""):
    """A signed price per unit said in words: who pays whom (SPEC: a higher price is better for the plant)."""
    try:
        amount = int(numbers.parse(price, integer=True))
    except (TypeError, ValueError):  # empty, or what someone typed into the form that is not a number
        return gettext("no reserve price")
    per = f"{numbers.NBSP}/{numbers.NBSP}{unit}" if unit else ""
    if amount > 0:
        return gettext("processor pays %(amount)s%(per)s") % {"amount": numbers.rupiah(amount), "per": per}
    if amount < 0:
        return gettext("plant pays %(amount)s%(per)s") % {"amount": numbers.rupiah(-amount), "per": per}
    return gettext("free of charge")


@register.filter
def quantity(value, unit=""):
    """A quantity in its natural precision, no trailing zeros: 1.250,5 (id) / 1,250.5 (en); with `unit`, joined
    to it by a no-break space."""
    return numbers.quantity(value, unit)


@register.filter
def tonnes(value, unit=""):
    """A dashboard total: whole tonnes, one decimal under 10 t (core.numbers.total_tonnes)."""
    return numbers.total_tonnes(value, unit)


@register.filter
def number(value, places=1):
    """A figure with exactly `places` decimals, grouped the page's way: 2,3 (id) / 2.3 (en)."""
    return numbers.format_number(value, int(places), fixed=True)


@register.filter
def share(value):
    """A share with one decimal and its per cent sign; empty when there is none."""
    return numbers.share(value)


@register.filter
def field_label(form, name):
    field = form.fields.get(name)
    return field.label if field else name


@register.simple_tag
def price_words_attributes(none=None):
    """data-* attributes carrying price_in_words' sentences for the live preview in the lot form (lots.js).
    `none`: what an empty field says ("no reserve price" by default; the bid form says nothing)."""
    token = {"amount": "{amount}", "per": "{per}"}
    return format_html(
        'data-none="{}" data-free="{}" data-processor-pays="{}" data-plant-pays="{}"',
        gettext("no reserve price") if none is None else none,
        gettext("free of charge"),
        gettext("processor pays %(amount)s%(per)s") % token,
        gettext("plant pays %(amount)s%(per)s") % token,
    )


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None

from decimal import Decimal, InvalidOperation

from django import forms, template
from django.utils import numberformat
from django.utils.formats import get_format
from django.utils.html import format_html
from django.utils.translation import gettext

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
        attrs["aria-describedby"] = f"{bound_field.auto_id}_errors"
    return bound_field.as_widget(attrs=attrs)


@register.filter
def is_choice_list(bound_field):
    return isinstance(bound_field.field.widget, CHOICE_LIST_WIDGETS)


@register.filter
def is_checkbox(bound_field):
    return isinstance(bound_field.field.widget, CHECK_WIDGETS)


def _group_thousands(value: int) -> str:
    return f"{value:,}".replace(",", ".")


@register.filter
def rupiah(value):
    """Rupiah the Indonesian way, whatever the page's language: Rp 1.250.000 (negative: -Rp 400.000)."""
    if value is None or value == "":
        return ""
    try:
        amount = int(Decimal(str(value)).to_integral_value())
    except (InvalidOperation, ValueError):
        return ""
    return f"{'-' if amount < 0 else ''}Rp {_group_thousands(abs(amount))}"


@register.filter
def price_in_words(price, unit=""):
    """A signed price per unit said in words: who pays whom (SPEC: a higher price is better for the plant)."""
    try:
        amount = int(price)
    except (TypeError, ValueError):  # empty, or what someone typed into the form
        return gettext("no reserve price")
    per = f" / {unit}" if unit else ""
    if amount > 0:
        return gettext("processor pays %(amount)s%(per)s") % {"amount": rupiah(amount), "per": per}
    if amount < 0:
        return gettext("plant pays %(amount)s%(per)s") % {"amount": rupiah(-amount), "per": per}
    return gettext("free of charge")


@register.filter
def quantity(value):
    """A quantity with the current language's separators and no trailing zeros: 1.250,5 (id) / 1,250.5 (en)."""
    if value is None or value == "":
        return ""
    number = Decimal(str(value)).normalize()
    if number == number.to_integral():
        number = number.quantize(Decimal(1))
    return numberformat.format(
        number,
        get_format("DECIMAL_SEPARATOR"),
        grouping=3,
        thousand_sep=get_format("THOUSAND_SEPARATOR"),
        force_grouping=True,
    )


@register.filter
def field_label(form, name):
    field = form.fields.get(name)
    return field.label if field else name


@register.simple_tag
def price_words_attributes():
    """data-* attributes carrying price_in_words' sentences for the live preview in the lot form (lots.js)."""
    token = {"amount": "{amount}", "per": "{per}"}
    return format_html(
        'data-none="{}" data-free="{}" data-processor-pays="{}" data-plant-pays="{}"',
        gettext("no reserve price"),
        gettext("free of charge"),
        gettext("processor pays %(amount)s%(per)s") % token,
        gettext("plant pays %(amount)s%(per)s") % token,
    )


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None

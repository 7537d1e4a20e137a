from django import forms, template

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

from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import TemplatesSetting
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe


class BootstrapFormRenderer(TemplatesSetting):
    """Every form renders with Bootstrap 5 markup (templates/forms/), Django's own forms included."""

    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"


def add_validation_error(form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: on its field when it names one, else on the whole form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def light_fields(form) -> list[dict]:
    """A form of inputs and selects (the browse and dashboard filters) as plain values for one template loop
    (templates/forms/light_fields.html), with the markup of forms/field.html and Django's widgets: those render
    each field, and each of its options, through a template of their own, which took /lots/ 40 % of its time.
    Checkboxes and radio lists are not handled: such a form renders the usual way."""
    fields = []
    for bound in form:
        widget = bound.field.widget
        value = bound.value()
        entry = {
            "name": bound.html_name,
            "id": bound.auto_id,
            "label": bound.label,
            "errors": bound.errors,
            "required": bound.field.required,
            "required_attribute": bool(bound.build_widget_attrs({}, widget).get("required")),
            "help_text": bound.help_text,
        }
        if isinstance(widget, forms.Select):
            chosen = set(widget.format_value(value))
            entry["options"] = format_html_join(
                "",
                '<option value="{}"{}>{}</option>\n',
                ((choice, mark_safe(" selected") if str(choice) in chosen else "", label)  # noqa: S308
                 for choice, label in widget.choices),
            )  # fmt: skip
        else:
            entry["type"] = widget.input_type
            entry["value"] = widget.format_value(value)
            entry["attrs"] = list(widget.attrs.items())
        fields.append(entry)
    return fields

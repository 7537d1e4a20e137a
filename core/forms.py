import html

from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import TemplatesSetting
from django.utils.safestring import SafeData, mark_safe


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
    """A form of inputs, selects and text areas (the browse and dashboard filters, the bid form) as plain values
    for one template loop (templates/forms/light_fields.html), with the markup of forms/field.html and Django's
    widgets: those render each field, and each of its options, through a template of their own, which took
    /lots/ 40 % of its time and an open lot's page a third of its template's. Checkboxes and radio lists are
    not handled: such a form renders the usual way."""
    fields = []
    for bound in form:
        widget = bound.field.widget
        value = bound.value()
        select = isinstance(widget, forms.Select)
        entry = {
            "name": bound.html_name,
            "id": bound.auto_id,
            "label": bound.label,
            "errors": bound.errors,
            "required": bound.field.required,
            "help_text": bound.help_text,
            "attributes": _widget_attributes(bound, widget, "form-select" if select else "form-control"),
        }
        if select:
            chosen = set(widget.format_value(value))
            entry["options"] = mark_safe(  # noqa: S308 - every value and label is escaped here
                "".join(
                    f'<option value="{_escape(choice)}"{" selected" if str(choice) in chosen else ""}>'
                    f"{_escape(label)}</option>\n"
                    for choice, label in widget.choices
                )
            )
        elif isinstance(widget, forms.Textarea):
            entry["textarea"] = True
            entry["value"] = widget.format_value(value)
        else:
            entry["type"] = widget.input_type
            entry["value"] = widget.format_value(value)
        fields.append(entry)
    return fields


def _widget_attributes(bound, widget, css: str) -> str:
    """The attributes Django's widget prints after the name, in its order (core.templatetags.wastex's
    bootstrap_widget): the widget's own, the Bootstrap class, the errors' and help text's ARIA, required, id."""
    help_id = f"{bound.auto_id}_helptext" if bound.help_text else None
    attrs = [*widget.attrs.items(), ("class", f"{css} is-invalid" if bound.errors else css)]
    if bound.errors:
        described_by = " ".join(filter(None, [f"{bound.auto_id}_errors", help_id]))
        attrs += [("aria-invalid", "true"), ("aria-describedby", described_by)]
    if bound.build_widget_attrs({}, widget).get("required"):
        attrs.append(("required", True))
    if help_id and not bound.errors:  # Django's own, after required
        attrs.append(("aria-describedby", help_id))
    attrs.append(("id", bound.auto_id))
    return mark_safe(  # noqa: S308 - every value is escaped here
        "".join(
            f" {key}" if value is True else f' {key}="{_escape(value)}"' for key, value in attrs if value is not False
        )
    )


def _escape(value) -> str:
    """django.utils.html.conditional_escape without its lazy wrapper, which costs more than the escaping itself
    when it runs for each option of each select of each page."""
    return value if isinstance(value, SafeData) else html.escape(str(value))

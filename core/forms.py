from django.core.exceptions import ValidationError
from django.forms.renderers import TemplatesSetting


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

from django.forms.renderers import TemplatesSetting


class BootstrapFormRenderer(TemplatesSetting):
    """Every form renders with Bootstrap 5 markup (templates/forms/), Django's own forms included."""

    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"

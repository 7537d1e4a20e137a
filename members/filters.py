import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import Kecamatan, Province
from .models import AuditEntry, Organisation


class DirectoryFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Name"), method="filter_name", max_length=100)
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=[(k.value, k.label) for k in Organisation.SELF_SERVICE_KINDS]
    )
    kecamatan = django_filters.ChoiceFilter(label=_("Kecamatan"), choices=Kecamatan.choices)
    province = django_filters.ChoiceFilter(label=_("Province"), choices=Province.choices)
    japnas = django_filters.BooleanFilter(label=_("Japnas members only"), method="filter_japnas")

    class Meta:
        model = Organisation
        fields = ["q", "kind", "kecamatan", "province", "japnas"]

    def filter_name(self, queryset, name, value):
        return queryset.filter(name__icontains=value.strip()) if value.strip() else queryset

    def filter_japnas(self, queryset, name, value):
        if value is True:
            return queryset.exclude(japnas_number="")
        if value is False:
            return queryset.filter(japnas_number="")
        return queryset


class StaffOrganisationFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        field_name="verification_status",
        label=_("Status"),
        choices=Organisation.Status.choices,
        empty_label=_("All statuses"),
    )
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Organisation.Kind.choices)
    q = django_filters.CharFilter(label=_("Name or NIB"), method="filter_text", max_length=100)

    class Meta:
        model = Organisation
        fields = ["status", "kind", "q"]

    def filter_text(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(nib=value)) if value else queryset


class AuditFilter(django_filters.FilterSet):
    """The staff audit page's filters, read from the query string (the CSV export takes the same)."""

    kind = django_filters.ChoiceFilter(label=_("Action"), choices=AuditEntry.Kind.choices, empty_label=_("All actions"))
    organisation = django_filters.CharFilter(label=_("Organisation"), method="filter_organisation", max_length=100)
    actor = django_filters.CharFilter(label=_("Staff member"), method="filter_actor", max_length=100)
    date_after = django_filters.DateFilter(
        label=_("From (day)"),
        field_name="created_at",
        lookup_expr="date__gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_before = django_filters.DateFilter(
        label=_("Until (day)"),
        field_name="created_at",
        lookup_expr="date__lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = AuditEntry
        fields = ["kind", "organisation", "actor", "date_after", "date_before"]

    def filter_organisation(self, queryset, name, value):
        value = value.strip()
        return (
            queryset.filter(Q(organisation__name__icontains=value) | Q(organisation__nib=value)) if value else queryset
        )

    def filter_actor(self, queryset, name, value):
        value = value.strip()
        return (
            queryset.filter(Q(actor__full_name__icontains=value) | Q(actor__email__icontains=value))
            if value
            else queryset
        )

"""Browse filters for /lots/: every parameter lives in the URL; a value that is not understood is ignored
(and said so on the page), never a 500."""

import math
import re
from datetime import timedelta

import django_filters
from django import forms
from django.db import connection
from django.db.models import F, FloatField, Q, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Sqrt
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import light_fields
from members.choices import Kecamatan

from .models import WasteCategory, WasteLot

KM_PER_DEGREE_LATITUDE = 110.57
KM_PER_DEGREE_LONGITUDE_AT_EQUATOR = 111.32
SEARCH_TERMS = re.compile(r"\w+", re.UNICODE)
MAX_SEARCH_TERMS = 8
SEARCH_VECTOR = '"listings_wastelot"."search_vector"'


class Sort:
    NEWEST = "newest"
    CLOSING = "closing"
    QUANTITY_DESC = "quantity"
    QUANTITY_ASC = "quantity-asc"
    PRICE_DESC = "price"
    PRICE_ASC = "price-asc"
    DISTANCE = "distance"
    RELEVANCE = "relevance"

    CHOICES = [
        (NEWEST, _("Newest")),
        (CLOSING, _("Closing soonest")),
        (QUANTITY_DESC, _("Largest quantity")),
        (QUANTITY_ASC, _("Smallest quantity")),
        (PRICE_DESC, _("Best price for the plant")),
        (PRICE_ASC, _("Best price for the processor")),
        (DISTANCE, _("Nearest to my organisation")),
        (RELEVANCE, _("Best match for the search")),
    ]


def category_choices(queryset) -> list[tuple[str, str]]:
    """A category select's options: "Any", then (code, name in the page's language) in the queryset's order, from
    one narrow query. Django's ModelChoiceField builds a model instance and a wrapped value per category for the
    same options (2 ms of each /lots/ page); the field still validates what is sent against its queryset."""
    return [("", _("Any")), *queryset.values_list("code", WasteCategory.name_field())]


def search_terms(value: str) -> list[str]:
    return SEARCH_TERMS.findall(value.lower())[:MAX_SEARCH_TERMS]


def apply_search(queryset, value: str):
    """PostgreSQL: full-text search (prefix match per word) ranked; elsewhere: every word as a substring."""
    terms = search_terms(value)
    if not terms:
        return queryset
    if connection.vendor == "postgresql":
        # The stored, indexed tsvector column of migration 0006 (not a model field: SQLite has none). The
        # terms are \w+ only and travel as query parameters, never inside the SQL text.
        tsquery = " & ".join(f"{term}:*" for term in terms)
        rank = RawSQL(f"ts_rank({SEARCH_VECTOR}, to_tsquery('simple', %s))", (tsquery,), FloatField())  # noqa: S611
        return queryset.annotate(search_rank=rank).extra(  # noqa: S610
            where=[f"{SEARCH_VECTOR} @@ to_tsquery('simple', %s)"], params=[tsquery]
        )
    condition = Q()
    for term in terms:
        condition &= Q(search_document__icontains=term)
    return queryset.filter(condition).annotate(search_rank=Value(1.0, output_field=FloatField()))


# Distances are equirectangular approximations, good to a few per cent across Banten: in SQL to sort and
# annotate rows, in Python for one pair of points. Both use the same constants.


def _km_per_degree_longitude(latitude) -> float:
    return KM_PER_DEGREE_LONGITUDE_AT_EQUATOR * math.cos(math.radians(float(latitude)))


def distance_km_expression(latitude, longitude, lat_field: str = "latitude", lon_field: str = "longitude"):
    """Distance in km from a fixed point to the point in two fields of the row. In floating point, as in Python:
    the decimal columns' own arithmetic took twice as long when every open lot is sorted by it."""
    dx = (Cast(lon_field, FloatField()) - Value(float(longitude))) * Value(_km_per_degree_longitude(latitude))
    dy = (Cast(lat_field, FloatField()) - Value(float(latitude))) * Value(KM_PER_DEGREE_LATITUDE)
    return Sqrt(dx * dx + dy * dy, output_field=FloatField())


def distance_km(latitude, longitude, other_latitude, other_longitude) -> float:
    dx = (float(other_longitude) - float(longitude)) * _km_per_degree_longitude(latitude)
    dy = (float(other_latitude) - float(latitude)) * KM_PER_DEGREE_LATITUDE
    return math.hypot(dx, dy)


def annotate_distance(queryset, latitude, longitude):
    return queryset.annotate(distance_km=distance_km_expression(latitude, longitude))


class LotFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_search", max_length=200)
    group = django_filters.ChoiceFilter(
        label=_("Category group"), field_name="category__group", choices=WasteCategory.Group.choices
    )
    category = django_filters.ModelChoiceFilter(
        label=_("Category"), queryset=WasteCategory.objects.all(), to_field_name="code"
    )
    hazardous = django_filters.BooleanFilter(label=_("Hazardous (B3)"), method="filter_hazardous")
    kecamatan = django_filters.ChoiceFilter(
        label=_("Kecamatan"), field_name="site_kecamatan", choices=Kecamatan.choices
    )
    unit = django_filters.ChoiceFilter(label=_("Unit"), choices=WasteCategory.Unit.choices)
    quantity_min = django_filters.NumberFilter(
        label=_("Quantity from"),
        field_name="quantity",
        lookup_expr="gte",
        min_value=0,
        max_digits=12,
        decimal_places=3,
    )
    quantity_max = django_filters.NumberFilter(
        label=_("Quantity up to"),
        field_name="quantity",
        lookup_expr="lte",
        min_value=0,
        max_digits=12,
        decimal_places=3,
    )
    price_min = django_filters.NumberFilter(
        label=_("Reserve price from (Rp)"),
        field_name="reserve_price",
        lookup_expr="gte",
        max_digits=15,
        decimal_places=0,
    )
    price_max = django_filters.NumberFilter(
        label=_("Reserve price up to (Rp)"),
        field_name="reserve_price",
        lookup_expr="lte",
        max_digits=15,
        decimal_places=0,
    )
    recurring = django_filters.BooleanFilter(label=_("Recurring stream"), field_name="is_recurring")
    closing_within = django_filters.NumberFilter(
        label=_("Closing within (days)"),
        method="filter_closing_within",
        min_value=1,
        max_value=365,
        decimal_places=0,
    )
    local_first = django_filters.BooleanFilter(label=_("Local-first window now"), method="filter_local_first")
    sort = django_filters.ChoiceFilter(label=_("Sort"), choices=Sort.CHOICES, method="filter_sort", empty_label=None)

    class Meta:
        model = WasteLot
        fields = []

    def __init__(self, *args, origin=None, **kwargs):
        """`origin`: (latitude, longitude) of the viewer's organisation, for the distance sort."""
        super().__init__(*args, **kwargs)
        self.origin = origin
        for name in ("quantity_min", "quantity_max", "price_min", "price_max", "closing_within"):
            self.form.fields[name].widget = forms.NumberInput(attrs={"inputmode": "decimal"})
        any_yes_no = [("", _("Any")), ("true", _("Yes")), ("false", _("No"))]
        for name in ("hazardous", "recurring", "local_first"):
            self.form.fields[name].widget = forms.Select(choices=any_yes_no)
        for name in ("group", "kecamatan", "unit"):
            self.form.fields[name].empty_label = _("Any")
            self.form.fields[name].widget.choices = self.form.fields[name].choices
        category = self.form.fields["category"]
        category.widget.choices = category_choices(category.queryset)

    def light_fields(self) -> list[dict]:
        return light_fields(self.form)

    @property
    def qs(self):
        if not hasattr(self, "_qs"):
            queryset = super().qs
            if self.origin:
                queryset = annotate_distance(queryset, *self.origin)
            cleaned = getattr(self.form, "cleaned_data", None) or {}
            chosen, group = cleaned.get("category"), cleaned.get("group")
            if chosen and group and chosen.group != group:
                # A category outside the chosen group: nothing to show, and nothing for the database to scan.
                queryset = queryset.none()
            self._qs = self.order(queryset, cleaned.get("sort") or "")
        return self._qs

    @property
    def searching(self) -> bool:
        """Words to search for were given (and understood)."""
        self.qs  # noqa: B018 - validates the form
        cleaned = getattr(self.form, "cleaned_data", None) or {}
        return bool(self.is_bound and search_terms(cleaned.get("q") or ""))

    @property
    def pages_by_id(self) -> bool:
        """Whether a page is chosen over the lot ids alone before its rows are loaded: a search (ranked on the
        GIN-indexed vector) and the nearest lots (every open lot's distance, computed from the covering index on
        the deadline) order all the matches before a page can be cut, so they order ids, not the wide rows."""
        if self.searching:  # validates the form first
            return True
        cleaned = getattr(self.form, "cleaned_data", None) or {}
        return self._nearest_first(cleaned.get("sort"))

    def _nearest_first(self, sort) -> bool:
        """The distance sort applies only when the viewer's organisation has a position."""
        return sort == Sort.DISTANCE and self.origin is not None

    def order(self, queryset, sort: str):
        searching = self.searching
        if self._nearest_first(sort):
            return queryset.order_by(F("distance_km").asc(nulls_last=True), "-id")
        if sort == Sort.CLOSING:
            return queryset.order_by("closes_at", "id")
        if sort == Sort.QUANTITY_DESC:
            return queryset.order_by("-quantity", "-id")
        if sort == Sort.QUANTITY_ASC:
            return queryset.order_by("quantity", "id")
        if sort == Sort.PRICE_DESC:
            return queryset.order_by(F("reserve_price").desc(nulls_last=True), "-id")
        if sort == Sort.PRICE_ASC:
            return queryset.order_by(F("reserve_price").asc(nulls_last=True), "id")
        if searching and sort in ("", Sort.RELEVANCE):
            return queryset.order_by("-search_rank", "-published_at", "-id")
        return queryset.order_by("-published_at", "-id")

    def filter_sort(self, queryset, name, value):
        return queryset  # applied in `qs`, after every filter

    def filter_search(self, queryset, name, value):
        return apply_search(queryset, value)

    def filter_hazardous(self, queryset, name, value):
        if value is None:
            return queryset
        condition = Q(category__hazardous=WasteCategory.Hazard.YES)
        return queryset.filter(condition) if value else queryset.exclude(condition)

    def filter_closing_within(self, queryset, name, value):
        return queryset.filter(closes_at__lte=timezone.now() + timedelta(days=int(value)))

    def filter_local_first(self, queryset, name, value):
        if value is None:
            return queryset
        condition = Q(local_first_until__gt=timezone.now())
        return queryset.filter(condition) if value else queryset.exclude(condition)

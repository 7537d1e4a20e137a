"""The dashboard's filters: a period (month, quarter, year or custom dates) and optionally a category group,
a category and a kecamatan. Every parameter lives in the URL; a value that is not understood gets a message
on the page (and a 400), never a 500."""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from listings.filters import category_choices
from listings.models import WasteCategory, WasteLot
from members.choices import Kecamatan

# A custom period longer than this is refused: the monthly trend would be unreadable and the page slow.
MAX_CUSTOM_DAYS = 366 * 5
# Dates outside these years mean a typing slip (and would overflow the date arithmetic at the ends).
FIRST_YEAR, LAST_YEAR = 2000, 2100


class Period:
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    CUSTOM = "custom"

    CHOICES = [(MONTH, _("Month")), (QUARTER, _("Quarter")), (YEAR, _("Year")), (CUSTOM, _("Custom dates"))]


@dataclass(frozen=True)
class Selection:
    """What the figures are computed for: local dates [first, last] and the lot filters."""

    first: date
    last: date
    period: str
    group: str = ""
    category: WasteCategory | None = None
    kecamatan: str = ""

    @property
    def start(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.first, time.min))

    @property
    def end(self) -> datetime:
        """Exclusive: midnight after the last day (Asia/Jakarta)."""
        return timezone.make_aware(datetime.combine(self.last + timedelta(days=1), time.min))

    @property
    def trend_first(self) -> date:
        """The monthly trend covers the twelve months up to the end of the period, or the whole period."""
        month = self.last.replace(day=1)
        year, number = divmod(month.year * 12 + month.month - 1 - 11, 12)
        twelve = date(year, number + 1, 1)
        return min(self.first.replace(day=1), twelve)

    @property
    def trend_start(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.trend_first, time.min))

    def lot_q(self, prefix: str = "") -> Q:
        """The category and place filters on lots, reached through `prefix` (e.g. "lot__")."""
        q = Q()
        if self.group:
            q &= Q(**{f"{prefix}category__group": self.group})
        if self.category is not None:
            q &= Q(**{f"{prefix}category": self.category})
        if self.kecamatan:
            q &= Q(**{f"{prefix}site_kecamatan": self.kecamatan})
        return q

    def deal_q(self, *, group_field: str = "group") -> Q:
        """The same filters on the deals rollup (dashboard.models.Deal), or with `group_field="category__group"`
        on the per-month rollups (ListedMonth, DealMonth), which keep the category but not its group."""
        q = Q()
        if self.group:
            q &= Q(**{group_field: self.group})
        if self.category is not None:
            q &= Q(category=self.category)
        if self.kecamatan:
            q &= Q(kecamatan=self.kecamatan)
        return q

    def describe(self) -> dict:
        """The filters in plain values, for the exports' first lines."""
        return {
            "period": self.period,
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "group": self.group,
            "category": self.category.code if self.category else "",
            "kecamatan": self.kecamatan,
        }


def period_bounds(period: str, day: date) -> tuple[date, date]:
    """The month, quarter or year that contains `day`: (first day, last day)."""
    if period == Period.MONTH:
        return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])
    if period == Period.QUARTER:
        first_month = 3 * ((day.month - 1) // 3) + 1
        last_month = first_month + 2
        return date(day.year, first_month, 1), date(day.year, last_month, calendar.monthrange(day.year, last_month)[1])
    return date(day.year, 1, 1), date(day.year, 12, 31)


class DashboardFilter(django_filters.FilterSet):
    period = django_filters.ChoiceFilter(
        label=_("Period"), choices=Period.CHOICES, method="keep", empty_label=None, initial=Period.YEAR
    )
    start = django_filters.DateFilter(
        label=_("From (or any day of the month, quarter or year)"),
        method="keep",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    end = django_filters.DateFilter(
        label=_("To (custom dates)"), method="keep", widget=forms.DateInput(attrs={"type": "date"})
    )
    group = django_filters.ChoiceFilter(
        label=_("Category group"), field_name="category__group", choices=WasteCategory.Group.choices
    )
    category = django_filters.ModelChoiceFilter(
        label=_("Category"), queryset=WasteCategory.objects.order_by("name_en"), to_field_name="code"
    )
    kecamatan = django_filters.ChoiceFilter(
        label=_("Kecamatan"), field_name="site_kecamatan", choices=Kecamatan.choices
    )

    class Meta:
        model = WasteLot
        fields = []

    def __init__(self, data=None, *args, **kwargs):
        # An empty query means the defaults: this year, everything.
        super().__init__(data if data else {"period": Period.YEAR}, *args, **kwargs)
        for name in ("group", "kecamatan"):
            self.form.fields[name].empty_label = _("Any")
            self.form.fields[name].widget.choices = self.form.fields[name].choices
        category = self.form.fields["category"]
        category.widget.choices = category_choices(category.queryset)
        self.form.clean = self._clean_period

    def keep(self, queryset, name, value):
        return queryset  # the period is applied by the selectors, to the date each figure belongs to

    def _clean_period(self):
        form = self.form
        data = form.cleaned_data
        period = data.get("period") or Period.YEAR
        start, end = data.get("start"), data.get("end")
        for name, day in (("start", start), ("end", end)):
            if day and not FIRST_YEAR <= day.year <= LAST_YEAR:
                form.add_error(name, _("Choose a date between 2000 and 2100."))
                return data
        if period == Period.CUSTOM:
            if not start or not end:
                form.add_error("end" if start else "start", _("Custom dates need both a first and a last day."))
            elif end < start:
                form.add_error("end", _("The last day comes before the first day."))
            elif (end - start).days > MAX_CUSTOM_DAYS:
                form.add_error("end", _("A custom period may cover at most five years."))
        category, group = data.get("category"), data.get("group")
        if category is not None and group and category.group != group:
            form.add_error("category", _("This category is not in the chosen group."))
        return data

    def selection(self) -> Selection:
        """Call after is_valid()."""
        data = self.form.cleaned_data
        period = data.get("period") or Period.YEAR
        if period == Period.CUSTOM:
            first, last = data["start"], data["end"]
        else:
            first, last = period_bounds(period, data.get("start") or timezone.localdate())
        return Selection(
            first=first,
            last=last,
            period=period,
            group=data.get("group") or "",
            category=data.get("category"),
            kecamatan=data.get("kecamatan") or "",
        )

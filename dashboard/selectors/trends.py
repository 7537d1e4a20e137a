"""Awarded and completed tonnes per month, with the Banten and Japnas shares."""

from datetime import date

from django.db.models import F, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from dashboard.expressions import tonnes
from dashboard.filters import Selection
from dashboard.selectors.deals import BANTEN, JAPNAS, deal_months, period_deals
from dashboard.selectors.scope import Scope, share


def _months(first: date, last: date) -> list[date]:
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return months


def _by_month(deals, on: str, kg: str) -> dict:
    """{(year, month): kg, banten, japnas}: from the deal rows, or from the deals per month (on="month")."""
    month = F("month") if on == "month" else TruncMonth(on)
    rows = (
        deals.values(by_month=month)
        .annotate(kg=Sum(kg), banten=Sum(kg, filter=BANTEN), japnas=Sum(kg, filter=JAPNAS))
        .order_by("by_month")
    )
    found = {}
    for row in rows:
        month = row["by_month"]
        day = timezone.localtime(month).date() if hasattr(month, "hour") else month
        found[(day.year, day.month)] = row
    return found


def monthly_trend(selection: Selection, scope: Scope) -> list[dict]:
    """Awarded and completed tonnes per month, with the Banten and Japnas shares: two queries."""
    since = selection.trend_start
    awarded_months = deal_months(selection, scope, since=since)
    if awarded_months is not None:
        awarded = _by_month(awarded_months, "month", "kg_total")
        completed = _by_month(deal_months(selection, scope, on="completed", since=since), "month", "kg_total")
    else:
        awarded = _by_month(period_deals(selection, scope, since=since), "awarded_at", "kg_awarded")
        completed = _by_month(
            period_deals(selection, scope, on="completed_at", since=since), "completed_at", "kg_completed"
        )
    empty = {"kg": 0, "banten": 0, "japnas": 0}
    rows = []
    for month in _months(selection.trend_first, selection.last):
        a = awarded.get((month.year, month.month), empty)
        c = completed.get((month.year, month.month), empty)
        rows.append(
            {
                "month": month,
                "awarded_tonnes": tonnes(a["kg"]),
                "awarded_banten_share": share(a["banten"], a["kg"]),
                "awarded_japnas_share": share(a["japnas"], a["kg"]),
                "completed_tonnes": tonnes(c["kg"]),
                "completed_banten_share": share(c["banten"], c["kg"]),
                "completed_japnas_share": share(c["japnas"], c["kg"]),
            }
        )
    return rows

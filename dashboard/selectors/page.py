"""The figures the page and the landing page show: listed lots and their bids, the headline figures, and the whole
dashboard for a scope."""

from datetime import date
from decimal import Decimal

from django.db.models import Avg, Count
from django.utils import timezone

from dashboard import rollups
from dashboard.expressions import tonnes
from dashboard.filters import Selection
from dashboard.selectors.breakdowns import by_category, by_route, top_processors
from dashboard.selectors.deals import awarded_figures, completed_figures, median_days_to_award
from dashboard.selectors.follow_up import LIST_ROWS, handover_mismatches, open_lots_without_bids, supply_gaps
from dashboard.selectors.scope import Scope
from dashboard.selectors.trends import monthly_trend
from listings.models import Rating


def listed_figures(selection: Selection, scope: Scope, *, sums: dict | None = None) -> dict:
    """Lots listed in the period (the city's from the listed-lots rollup, dashboard.rollups). `sums`: the
    per-category sums of rollups.listed_sums when the caller has them already."""
    row = rollups.total(rollups.listed_sums(selection, scope) if sums is None else sums)
    figures = {name: row[name] for name in ("lots", "recurring", "bidding_closed", "other_unit_lots")}
    figures["tonnes"] = tonnes(row["kg"])
    for name in rollups.DECIMALS:
        figures[name] = row[name] or None
    return figures


def bid_figures(selection: Selection, scope: Scope, *, sums: dict | None = None) -> dict:
    """Bids (not withdrawn) on the lots listed in the period whose bidding has closed."""
    return {"bids": rollups.total(rollups.listed_sums(selection, scope) if sums is None else sums)["bids"]}


def rating_figures(scope: Scope) -> dict:
    if scope.is_city:
        return {}
    return Rating.objects.filter(rated=scope.organisation).aggregate(average=Avg("stars"), count=Count("pk"))


def headline_figures(selection: Selection, scope: Scope, *, sums: dict | None = None) -> dict:
    """The figures at the top of the page (and in the summary export)."""
    listed = bids = None
    if not scope.is_processor:
        sums = rollups.listed_sums(selection, scope) if sums is None else sums
        listed, bids = listed_figures(selection, scope, sums=sums), bid_figures(selection, scope, sums=sums)
    bids_per_lot = None
    if listed and listed["bidding_closed"]:
        bids_per_lot = (Decimal(bids["bids"]) / Decimal(listed["bidding_closed"])).quantize(Decimal("0.1"))
    return {
        "listed": listed,
        "bids": bids,
        "bids_per_lot": bids_per_lot,
        "awarded": awarded_figures(selection, scope),
        "median_days_to_award": median_days_to_award(selection, scope),
        "completed": completed_figures(selection, scope),
    }


def dashboard_figures(selection: Selection, scope: Scope) -> dict:
    """Everything the page shows, for a scope: a fixed number of queries."""
    sums = rollups.listed_sums(selection, scope)
    figures = {
        **headline_figures(selection, scope, sums=sums),
        "trend": monthly_trend(selection, scope),
        "routes": by_route(selection, scope),
        "categories": by_category(selection, scope, sums=sums),
        "ratings": rating_figures(scope),
    }
    if scope.is_city:
        figures["processors"] = top_processors(selection, scope)
        figures["gaps"] = supply_gaps(selection)
    if not scope.is_processor:
        no_bids = list(open_lots_without_bids(selection, scope, limit=LIST_ROWS + 1))
        figures["no_bids"], figures["no_bids_more"] = no_bids[:LIST_ROWS], len(no_bids) > LIST_ROWS
    figures["mismatches"] = list(handover_mismatches(selection, scope))
    return figures


def public_figures() -> dict:
    """For the landing page: the last twelve months, tonnes and shares only (no names, no prices). Two queries."""
    today = timezone.localdate()
    selection = Selection(first=date(today.year - 1, today.month, 1), last=today, period="custom")
    city = Scope("city")
    awarded = awarded_figures(selection, city)
    completed = completed_figures(selection, city)
    return {
        "awarded_tonnes": awarded["tonnes"],
        "banten_share": awarded["banten_share"],
        "deals": awarded["deals"],
        "completed_tonnes": completed["tonnes"],
        "co2e_tonnes": completed["co2e_tonnes"],
        "since": selection.first,
    }

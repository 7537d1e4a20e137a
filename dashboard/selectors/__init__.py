"""The dashboard's figures, aggregated in the database and scoped to who asks.

Which date each figure belongs to (all in Asia/Jakarta):
- listed: the lot's publication; bids per lot over the lots listed whose bidding has closed (a sealed bid of
  an open lot is never counted, not even in an average);
- awarded: the award; tonnage, value and processor shares are those of the accepted bid;
- completed: the plant's confirmation of processing (the lot's timeline); tonnage is the quantity the
  processor weighed in (the quantity weighed out, or the awarded quantity, when it was not recorded);
  awarded and completed figures are summed from the deals rollup (dashboard.models.Deal, one row per award);
- CO2e avoided: completed tonnage × the catalogue's factor, counted only for reuse, recycling and recovery as
  material (the routes the factors describe) and only for categories whose factor has a source;
- handover mismatches: the pickup date.

Banten and Japnas are the processor's registration as it stands today. Each function runs one query; the
page's query count does not grow with the data.

The package by what each module computes: scope.py (whose figures), deals.py (awarded and completed figures),
trends.py (per month), breakdowns.py (by route, category, processor), follow_up.py (lists for follow-up) and
page.py (the figures of the page as a whole). Import from the package: `from dashboard.selectors import ...`.
"""

from dashboard.selectors.breakdowns import by_category, by_route, top_processors
from dashboard.selectors.deals import (
    CO2E_ROUTES,
    awarded_figures,
    completed_figures,
    median_days_to_award,
    period_deals,
)
from dashboard.selectors.follow_up import handover_mismatches, open_lots_without_bids, supply_gaps
from dashboard.selectors.page import (
    bid_figures,
    dashboard_figures,
    headline_figures,
    listed_figures,
    public_figures,
    rating_figures,
)
from dashboard.selectors.scope import Scope
from dashboard.selectors.trends import monthly_trend

__all__ = [
    "CO2E_ROUTES",
    "Scope",
    "awarded_figures",
    "bid_figures",
    "by_category",
    "by_route",
    "completed_figures",
    "dashboard_figures",
    "handover_mismatches",
    "headline_figures",
    "listed_figures",
    "median_days_to_award",
    "monthly_trend",
    "open_lots_without_bids",
    "period_deals",
    "public_figures",
    "rating_figures",
    "supply_gaps",
    "top_processors",
]

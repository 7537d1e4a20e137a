"""The plant's bids of a lot as CSV (/lots/<reference>/bids/?format=csv), written through core.exports."""

from django.http import HttpResponse
from django.utils.http import content_disposition_header

from core.exports import SafeCsvWriter

from .models import WasteLot

BID_COLUMNS = [
    "bidder",
    "banten",
    "japnas",
    "price_per_unit_rp",
    "quantity",
    "unit",
    "route",
    "pickup_date",
    "distance_km",
    "rating",
    "licence_ok",
    "status",
]


def bids_csv_response(lot: WasteLot, bids) -> HttpResponse:
    """`bids` as ranked by selectors.bids_for_plant, each with `licence_ok` set."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"{lot.reference}-bids.csv")
    writer = SafeCsvWriter(response)  # a bidder's name could be a formula: every cell is neutralised
    writer.writerow(BID_COLUMNS)
    for bid in bids:
        writer.writerow(
            [
                bid.bidder.name,
                bid.bidder.is_banten,
                bid.bidder.is_japnas_member,
                bid.price_per_unit,
                f"{bid.quantity.normalize():f}",
                lot.unit,
                bid.route,
                bid.pickup_date.isoformat(),
                f"{bid.distance_km:.1f}" if getattr(bid, "distance_km", None) is not None else "",
                f"{bid.bidder_rating:.1f}" if bid.bidder_rating is not None else "",
                bid.licence_ok,
                bid.status,
            ]
        )
    return response

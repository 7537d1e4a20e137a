"""The wording of lot events in people's inboxes and e-mails, registered into members' notifications (which
never import listings). One line per event, in the reader's language; "event:variant" picks a variant by the
notification's "how" parameter."""

from django.utils.translation import gettext_lazy as _

from core.templatetags.wastex import price_in_words
from members.models import Event
from members.notifications import format_moment, register_wording

from .models import WasteCategory

MESSAGES = {
    Event.NEW_MATCH: _("New lot %(reference)s matches your organisation: %(title)s"),
    Event.NEW_BID: _("A new bid arrived on your lot %(reference)s (%(title)s)"),
    Event.OUTBID: _("Your bid on %(reference)s (%(title)s) is no longer the best price"),
    Event.BID_ACCEPTED: _("Your bid on %(reference)s (%(title)s) was accepted"),
    Event.BID_REJECTED: _("Lot %(reference)s (%(title)s) went to another bid, at %(winning_price)s"),
    f"{Event.BID_REJECTED}:shared": _(
        "Lot %(reference)s (%(title)s) was shared among other bids, at %(winning_prices)s"
    ),
    Event.LOT_ENDED: _("Lot %(reference)s (%(title)s) ended without an award: %(reason)s"),
    f"{Event.LOT_ENDED}:cancelled": _("Lot %(reference)s (%(title)s) was cancelled: %(reason)s"),
    Event.CLOSING_SOON: _("Lot %(reference)s (%(title)s) closes on %(closes_at)s"),
    Event.WATCHED_CLOSING: _("Lot %(reference)s (%(title)s), which you follow, closes on %(closes_at)s"),
    Event.LOT_CLOSED: _("Your lot %(reference)s (%(title)s) closed: choose a winner or close it unawarded"),
    Event.PICKUP_RECORDED: _("Pickup of lot %(reference)s (%(title)s) was recorded"),
    Event.PROCESSING_RECORDED: _("Processing of lot %(reference)s (%(title)s) was recorded"),
    f"{Event.PICKUP_RECORDED}:period": _("Pickup of period %(period)s of lot %(reference)s (%(title)s) was recorded"),
    f"{Event.PROCESSING_RECORDED}:period": _(
        "Processing of period %(period)s of lot %(reference)s (%(title)s) was recorded"
    ),
    Event.PERIOD_MISSED: _(
        "Period %(period)s (%(starts_on)s to %(ends_on)s) of lot %(reference)s (%(title)s) passed without a pickup"
    ),
    f"{Event.CONTRACT_ENDED}:plant": _("The plant ended a contract on lot %(reference)s (%(title)s) early: %(reason)s"),
    f"{Event.CONTRACT_ENDED}:processor": _(
        "The processor ended its contract on lot %(reference)s (%(title)s) early: %(reason)s"
    ),
    Event.QUESTION_ANSWERED: _("The plant answered a question on lot %(reference)s (%(title)s)"),
    f"{Event.QUESTION_ANSWERED}:edited": _("The plant changed an answer on lot %(reference)s (%(title)s)"),
    Event.ADDENDUM_PUBLISHED: _("Addendum to lot %(reference)s (%(title)s): %(addendum)s"),
    f"{Event.VISIT_BOOKING}:booked": _(
        "%(organisation)s booked a site visit on lot %(reference)s (%(title)s) for %(people)s people on %(starts_at)s"
    ),
    f"{Event.VISIT_BOOKING}:cancelled": _(
        "%(organisation)s cancelled its site visit on lot %(reference)s (%(title)s) of %(starts_at)s"
    ),
    Event.VISIT_CANCELLED: _(
        "The plant cancelled the site visit of %(starts_at)s on lot %(reference)s (%(title)s) that you booked"
    ),
    f"{Event.VISIT_REMINDER}:visitor": _(
        "Tomorrow: your site visit on lot %(reference)s (%(title)s) at %(starts_at)s, %(people)s people, "
        "vehicle %(plate)s"
    ),
    f"{Event.VISIT_REMINDER}:plant": _(
        "Tomorrow: %(organisation)s visits lot %(reference)s (%(title)s) at %(starts_at)s, %(people)s people, "
        "vehicle %(plate)s"
    ),
}


def format_lot_params(values: dict) -> None:
    """The winning price in words (who pays whom, per unit) and the closing time as a date."""
    if "winning_price" in values:
        unit = values.get("unit", "")
        label = WasteCategory.Unit(unit).label if unit in WasteCategory.Unit.values else unit
        values["winning_price"] = price_in_words(values["winning_price"], label)
        if values.get("winning_prices"):
            values["winning_prices"] = "; ".join(price_in_words(price, label) for price in values["winning_prices"])
    for moment in ("closes_at", "starts_at", "starts_on", "ends_on"):
        if values.get(moment):
            values[moment] = format_moment(values[moment])


register_wording(MESSAGES, format_lot_params)

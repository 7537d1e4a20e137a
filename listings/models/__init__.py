"""The models of listings, by sub-domain; every model is importable from `listings.models` as before."""

from .bids import Award, Bid, BidQuerySet, BidRevision
from .catalogue import ROUTE_RANK, CatalogueSource, Route, WasteCategory
from .contracts import MAX_PERIODS, ContractPeriod, add_months, period_count, schedule
from .handover import Handover, Rating, handover_path
from .lots import (
    LOT_TRANSITIONS,
    LotAttachment,
    LotReferenceCounter,
    LotTransition,
    WasteLot,
    WasteLotQuerySet,
    attachment_path,
)
from .matching import Capability, Match, SavedSearch, WantedNotice, WantedNoticeQuerySet
from .questions import MAX_ADDENDUM_CHARS, MAX_ANSWER_CHARS, MAX_QUESTION_CHARS, LotAddendum, LotQuestion
from .visits import (
    MAX_SLOT_CAPACITY,
    MAX_SLOTS_PER_LOT,
    MAX_VISITORS_PER_BOOKING,
    VisitBooking,
    VisitSlot,
)
from .watch import Watch

__all__ = [
    "MAX_ADDENDUM_CHARS",
    "MAX_ANSWER_CHARS",
    "MAX_QUESTION_CHARS",
    "MAX_SLOT_CAPACITY",
    "MAX_SLOTS_PER_LOT",
    "MAX_VISITORS_PER_BOOKING",
    "LotAddendum",
    "LotQuestion",
    "LOT_TRANSITIONS",
    "ROUTE_RANK",
    "Award",
    "Bid",
    "BidQuerySet",
    "BidRevision",
    "Capability",
    "CatalogueSource",
    "ContractPeriod",
    "MAX_PERIODS",
    "add_months",
    "period_count",
    "schedule",
    "Handover",
    "LotAttachment",
    "LotReferenceCounter",
    "LotTransition",
    "Match",
    "Rating",
    "Route",
    "SavedSearch",
    "WantedNotice",
    "WantedNoticeQuerySet",
    "WasteCategory",
    "WasteLot",
    "WasteLotQuerySet",
    "VisitBooking",
    "VisitSlot",
    "Watch",
    "attachment_path",
    "handover_path",
]

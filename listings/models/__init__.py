"""The models of listings, by sub-domain; every model is importable from `listings.models` as before."""

from .bids import Award, Bid, BidQuerySet, BidRevision
from .catalogue import ROUTE_RANK, CatalogueSource, Route, WasteCategory
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
from .watch import Watch

__all__ = [
    "MAX_ADDENDUM_CHARS",
    "MAX_ANSWER_CHARS",
    "MAX_QUESTION_CHARS",
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
    "Watch",
    "attachment_path",
    "handover_path",
]

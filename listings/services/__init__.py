"""Everything that changes lots, bids and handovers goes through these functions (listings.services.*)."""

from .bids import (  # noqa: F401
    BidOffer,
    best_live_price,
    bid_place,
    bid_revise,
    bid_withdraw,
    bidder_organisation,
    bids_are_open_to_plant,
    can_bid,
    lot_award,
    lot_close_unawarded,
    why_cannot_bid,
)
from .handover import is_winner, lot_confirm_completion, pickup_record, processing_record, rating_give  # noqa: F401
from .lots import (  # noqa: F401
    MAX_ATTACHMENTS_PER_LOT,
    MAX_BYTES_PER_LOT,
    OPEN_LOT_EDITABLE,
    attachment_add,
    attachment_delete,
    can_manage_lot,
    can_post_lots,
    close_overdue_lots,
    lot_cancel,
    lot_close_early,
    lot_close_if_overdue,
    lot_create,
    lot_publish,
    lot_transition,
    lot_update,
)

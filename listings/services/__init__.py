"""Everything that changes lots, bids and handovers goes through these functions (listings.services.*), by
sub-domain: lots, bids (and the award), handover, matching (reached as listings.services.matching). What
only reads, the predicates among it, is in listings.selectors."""

from .bids import (  # noqa: F401
    BidOffer,
    bid_place,
    bid_revise,
    bid_withdraw,
    lot_award,
    lot_awarding_finish,
    lot_close_unawarded,
    offer_errors,
)
from .contracts import complete_if_finished, contract_end, contract_finished, periods_flag_missed  # noqa: F401
from .handover import lot_confirm_completion, pickup_record, processing_record, rating_give  # noqa: F401
from .lots import (  # noqa: F401
    MAX_ATTACHMENTS_PER_LOT,
    MAX_BYTES_PER_LOT,
    OPEN_LOT_EDITABLE,
    attachment_add,
    attachment_delete,
    close_overdue_lots,
    lot_cancel,
    lot_close_early,
    lot_close_if_overdue,
    lot_create,
    lot_publish,
    lot_transition,
    lot_update,
)
from .questions import (  # noqa: F401
    AddendumChange,
    addendum_errors,
    addendum_publish,
    question_answer,
    question_ask,
)
from .visits import (  # noqa: F401
    SlotOffer,
    normalise_plate,
    slot_cancel,
    slot_errors,
    slot_offer,
    visit_book,
    visit_cancel,
)
from .watch import lot_follow, lot_unfollow  # noqa: F401

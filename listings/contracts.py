"""Reads of a lot's contracts (its awards) for the pages: who sees which contract, a contract for the person who
asks (404 for everyone else), what is left to award of a recurring stream, and a contract's schedule with what
has been delivered against what is contracted to date. Who may see a contract: listings.selectors
(`sees_every_contract`, `can_see_contract`)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.http import Http404
from django.utils import timezone

from members.selectors import user_membership

from .models import Award, ContractPeriod, Handover, WasteLot
from .selectors import can_see_contract, lot_awards, lot_for_viewer_or_404, sees_every_contract


def contract_for_viewer_or_404(user, reference: str, award_pk: int) -> tuple[WasteLot, Award]:
    """The lot and one of its awards (contracts) if this person may see that contract: the plant's people, that
    contract's processor, staff and officials. To everyone else (the other processors sharing the stream, the
    losing bidders) it does not exist: 404."""
    lot = lot_for_viewer_or_404(user, reference, with_outcome=True)
    award = next((award for award in lot_awards(lot) if award.pk == award_pk), None)
    if award is None or not can_see_contract(user, lot, award):
        raise Http404
    return lot, award


def contracts_for_viewer(user, lot: WasteLot) -> list:
    """The contracts of a lot this person sees on the lot page: all of them for the plant's people, staff and
    officials; a processor's own only; none for anyone else."""
    awards = lot_awards(lot)
    if not awards or sees_every_contract(user, lot):
        return awards
    membership = user_membership(user)
    if membership is None:
        return []
    return [award for award in awards if award.bid.bidder_id == membership.organisation_id]


def share_left(lot: WasteLot) -> Decimal:
    """What is left to award of what the awards share (the quantity per period of a recurring stream)."""
    return lot.offered_per_award - lot.awarded_quantity


def can_award_more_shares(lot: WasteLot) -> bool:
    """A recurring stream that is awarded may take further awards while a share is left and bids are live."""
    return (
        lot.is_recurring and lot.status == WasteLot.Status.AWARDED and share_left(lot) > 0 and lot.bids.live().exists()
    )


def period_handover(period: ContractPeriod) -> Handover | None:
    """The period's handover, or None (read with the period when selected with it)."""
    try:
        return period.handover
    except Handover.DoesNotExist:
        return None


@dataclass(frozen=True)
class ContractProgress:
    """What has been delivered against what is contracted to date: the quantity received (or sent, while not yet
    received) over the periods' pickups, against the share × the periods that have started (and were due)."""

    delivered: Decimal
    contracted: Decimal
    periods_started: int
    periods_total: int

    @property
    def percent(self) -> Decimal | None:
        return self.delivered * 100 / self.contracted if self.contracted else None


def contract_schedule(award: Award, today: date | None = None) -> tuple[list[ContractPeriod], ContractProgress]:
    """The contract's periods in order (one query, with their handovers), each with `.handover_record` (or None),
    `.started`, `.due` (started and not after an early end), `.not_due` (after an early end) and `.overdue`
    (over without a pickup), and the contract's progress to date."""
    today = today or timezone.localdate()
    ended_on = timezone.localdate(award.ended_at) if award.ended_at else None
    periods = list(award.periods.select_related("handover").order_by("number"))
    delivered, due_count = Decimal(0), 0
    for period in periods:
        handover = period_handover(period)
        period.handover_record = handover
        period.started = period.starts_on <= today
        period.not_due = ended_on is not None and period.starts_on > ended_on
        period.due = period.started and not period.not_due
        # Over without a pickup (the missed flag follows with the hourly task, once).
        period.overdue = period.due and handover is None and period.ends_on is not None and period.ends_on < today
        if period.due:
            due_count += 1
        if handover is not None:
            delivered += (
                handover.quantity_received if handover.quantity_received is not None else handover.quantity_sent
            )
    progress = ContractProgress(
        delivered=delivered,
        contracted=award.quantity * due_count,
        periods_started=due_count,
        periods_total=len(periods),
    )
    return periods, progress

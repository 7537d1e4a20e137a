"""The contracts of a lot as the API shows them to one organisation: every contract with its processor for the
plant, staff and officials; a processor's own contract in full and, on a stream it shares, the other contracts
without who holds them (a processor never learns the other winners)."""

from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import timezone

from listings import selectors
from listings.contracts import period_handover
from listings.models import Award, ContractPeriod, WasteLot
from members.selectors import organisation_of


def contracts_with_progress(lot: WasteLot):
    """The lot's awards (contracts) with their bids and bidders and, in the same query, how far each has come:
    `period_count`, `pickup_count`, `processed_count` and `delivered` (the quantity weighed out to date, None
    before the first pickup). None before the lot is decided. A period has at most one handover, so the counts
    do not multiply."""
    if lot.status not in WasteLot.DECIDED_STATUSES:
        return Award.objects.none()
    return (
        Award.objects.filter(lot=lot)
        .select_related("bid__bidder")
        .annotate(
            period_count=Count("periods", distinct=True),
            pickup_count=Count("periods__handover"),
            processed_count=Count(
                "periods__handover", filter=Q(periods__handover__processing_recorded_at__isnull=False)
            ),
            delivered=Sum("periods__handover__quantity_sent"),
        )
        .order_by("awarded_at", "id")
    )


def contract_row(user, lot: WasteLot, award: Award, *, sees_all: bool | None = None) -> dict:
    """One contract (an award of `contracts_with_progress`, with its counts) as ContractSerializer reads it."""
    organisation = organisation_of(user)
    mine = organisation is not None and award.bid.bidder_id == organisation.pk
    full = mine or (selectors.sees_every_contract(user, lot) if sees_all is None else sees_all)
    return {
        "id": award.pk,
        "mine": mine,
        "bidder": award.bid.bidder if full else None,
        "price_per_unit": award.bid.price_per_unit,
        "quantity": award.quantity,
        "per_period": lot.is_recurring,
        "reason": award.reason if full else None,
        "awarded_at": award.awarded_at,
        "ended_at": award.ended_at,
        "end_reason": award.end_reason if full else None,
        "periods": award.period_count,
        "pickups": award.pickup_count,
        "processed": award.processed_count,
        "delivered": award.delivered or 0,
        "periods_url": (
            reverse("api:contract_periods", kwargs={"reference": lot.reference, "pk": award.pk}) if full else None
        ),
    }


def contract_rows(user, lot: WasteLot) -> list[dict]:
    """The lot's contracts for one of the deal's parties (the caller checks `can_see_deal_parties`)."""
    sees_all = selectors.sees_every_contract(user, lot)
    return [contract_row(user, lot, award, sees_all=sees_all) for award in contracts_with_progress(lot)]


def contract_with_progress(lot: WasteLot, pk) -> Award | None:
    return contracts_with_progress(lot).filter(pk=pk).first()


def period_state(period: ContractPeriod, award: Award, today) -> str:
    handover = period_handover(period)
    if handover is not None:
        return "processed" if handover.processing_recorded_at is not None else "picked_up"
    if award.ended_at is not None and period.starts_on > timezone.localdate(award.ended_at):
        return "not_due"
    if period.starts_on > today:
        return "upcoming"
    if period.missed_at is not None or (period.ends_on is not None and period.ends_on < today):
        return "missed"
    return "due"


def period_row(period: ContractPeriod, award: Award, today=None) -> dict:
    today = today or timezone.localdate()
    return {
        "number": period.number,
        "starts_on": period.starts_on,
        "ends_on": period.ends_on,
        "state": period_state(period, award, today),
        "missed_at": period.missed_at,
        "api_handover": period_handover(period),
    }


def contract_periods(award: Award):
    return ContractPeriod.objects.filter(award=award).select_related("handover").order_by("number")

"""Contracts of recurring streams after the award: ending one early, flagging periods that passed without a
pickup, and completing the lot once every contract is finished. (Pickups and processing of each period are
listings.services.handover's.)"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import User

from .. import notify
from ..models import Award, ContractPeriod, Handover, LotTransition, WasteLot
from ..selectors import can_manage_lot, winner_award
from .lots import lot_transition

MAX_REASON_CHARS = 2000


def contract_finished(award: Award, today=None) -> bool:
    """Ended early; or every period is over and none waits for its processing; or every period is processed."""
    if Handover.objects.filter(period__award=award, processing_recorded_at__isnull=True).exists():
        return False  # a pickup waits for its processing
    if award.ended_at is not None:
        return True
    periods = award.periods.all()
    if not periods.exclude(handover__processing_recorded_at__isnull=False).exists():
        return True  # every period processed
    last = periods.order_by("-number").first()
    return last is not None and last.ends_on is not None and last.ends_on < (today or timezone.localdate())


def complete_if_finished(lot: WasteLot, *, acting_user: User | None) -> bool:
    """A recurring stream (locked by the caller) is completed once each of its contracts is finished."""
    if not lot.is_recurring or lot.status not in (WasteLot.Status.AWARDED, WasteLot.Status.COLLECTED):
        return False
    if lot.bids.live().exists():
        return False  # the plant may still award a share
    awards = list(Award.objects.filter(lot=lot))
    if not awards or not all(contract_finished(award) for award in awards):
        return False
    lot_transition(
        lot=lot,
        to_status=WasteLot.Status.COMPLETED,
        acting_user=acting_user,
        note=_("Every contract of this stream is finished."),
    )
    lot.refresh_from_db()
    return True


def contract_end(*, award: Award, acting_user: User, reason: str) -> Award:
    """Either side ends a contract before its term, with a reason: recorded on the contract and the timeline,
    and the other side is told. Periods that started before it stay due; later ones are not."""
    reason = (reason or "").strip()
    with transaction.atomic():
        lot = WasteLot.objects.select_for_update().get(pk=award.lot_id)
        locked = Award.objects.select_for_update().select_related("bid").get(pk=award.pk)
        plant_side = can_manage_lot(acting_user, lot)
        if not plant_side and winner_award(acting_user, lot) != locked:
            raise PermissionDenied(_("Only the plant or the processor of this contract can end it."))
        if not lot.is_recurring:
            raise ValidationError(_("A one-off lot has no contract term to end."))
        if locked.ended_at is not None:
            raise ValidationError(_("This contract has ended already."))
        if lot.status not in (WasteLot.Status.AWARDED, WasteLot.Status.COLLECTED):
            raise ValidationError(_("This contract is finished: there is nothing left to end."))
        if not reason:
            raise ValidationError({"reason": _("Say why the contract ends early: both sides and staff see it.")})
        if len(reason) > MAX_REASON_CHARS:
            raise ValidationError({"reason": _("Keep the reason under 2,000 characters.")})
        locked.ended_at = timezone.now()
        locked.ended_by = acting_user
        locked.end_reason = reason
        locked.save(update_fields=["ended_at", "ended_by", "end_reason"])
        LotTransition.objects.create(
            lot=lot,
            from_status=lot.status,
            to_status=lot.status,
            actor=acting_user,
            note=_("A contract was ended early by the %(side)s: %(reason)s")
            % {"side": _("plant") if plant_side else _("processor"), "reason": reason},
            step=LotTransition.Step.CONTRACT_ENDED,
        )
        notify.contract_ended(lot, locked, by_plant=plant_side, acting_user=acting_user)
        complete_if_finished(lot, acting_user=acting_user)
    return locked


def periods_flag_missed(today=None) -> int:
    """Flag the periods that ended yesterday or before without a pickup (once each): both sides and staff are
    told. Then complete the streams whose contracts are all finished. The daily beat task; idempotent."""
    today = today or timezone.localdate()
    due = (
        ContractPeriod.objects.filter(
            missed_at__isnull=True,
            ends_on__lt=today,
            award__ended_at__isnull=True,
            award__lot__status__in=(WasteLot.Status.AWARDED, WasteLot.Status.COLLECTED),
        )
        .filter(~Exists(Handover.objects.filter(period=OuterRef("pk"))))
        .values_list("pk", flat=True)
    )
    flagged = 0
    for period_id in list(due[:5000]):
        with transaction.atomic():
            period = (
                ContractPeriod.objects.select_for_update()
                .select_related("award__lot", "award__bid")
                .filter(pk=period_id, missed_at__isnull=True)
                .first()
            )
            if period is None or Handover.objects.filter(period=period).exists():
                continue
            period.missed_at = timezone.now()
            period.save(update_fields=["missed_at"])
            notify.period_missed(period)
            flagged += 1
    for lot in (
        WasteLot.objects.filter(is_recurring=True, status__in=(WasteLot.Status.AWARDED, WasteLot.Status.COLLECTED))
        .filter(award__periods__ends_on__lt=today)
        .distinct()
    ):
        with transaction.atomic():
            locked = WasteLot.objects.select_for_update().get(pk=lot.pk)
            complete_if_finished(locked, acting_user=None)
    return flagged

"""After the award: pickup with its manifest, processing with its proof, the plant's confirmation, ratings."""

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core import numbers, uploads
from members.models import Event, User

from .. import notify
from ..models import Award, ContractPeriod, Handover, LotTransition, Rating, Route, WasteLot
from ..selectors import can_manage_lot, is_winner, winner_award
from .contracts import complete_if_finished
from .lots import lot_transition


def _period_or_error(lot: WasteLot, period: ContractPeriod | None) -> ContractPeriod:
    """The period a handover is for: the one-off lot's only one, or the given period of one of the lot's
    contracts (locked)."""
    periods = ContractPeriod.objects.select_for_update().select_related("award__bid").filter(award__lot=lot)
    found = periods.filter(pk=period.pk).first() if period is not None else None
    if found is None and not lot.is_recurring:
        found = periods.order_by("number").first()
    if found is None:
        raise ValidationError(_("Choose a period of one of this lot's contracts."))
    return found


def pickup_record(
    *,
    lot: WasteLot,
    acting_user: User,
    pickup_date,
    carrier: str,
    vehicle: str,
    manifest_number: str,
    quantity_sent: Decimal,
    period: ContractPeriod | None = None,
) -> Handover:
    """The pickup of a period (a one-off lot has one). The plant or the winner of that period's contract."""
    if not (is_winner(acting_user, lot) or can_manage_lot(acting_user, lot)):
        raise PermissionDenied(_("Only the plant or the winning processor records the pickup."))
    with transaction.atomic():
        locked = WasteLot.objects.select_for_update().select_related("category").get(pk=lot.pk)
        if locked.status not in (WasteLot.Status.AWARDED, WasteLot.Status.COLLECTED):
            raise ValidationError(_("A pickup is recorded once, after the award."))
        period = _period_or_error(locked, period)
        award = period.award
        if not (winner_award(acting_user, locked) == award or can_manage_lot(acting_user, locked)):
            raise PermissionDenied(_("Only the plant or the winning processor records the pickup."))
        if Handover.objects.filter(period=period).exists():
            raise ValidationError(_("A pickup is recorded once, after the award."))
        if award.ended_at is not None and period.starts_on > timezone.localdate(award.ended_at):
            raise ValidationError(_("This contract was ended early: its later periods are not due."))
        if period.starts_on > timezone.localdate():
            raise ValidationError(
                _("This period starts on %(day)s: record its pickup once it has happened.")
                % {"day": date_format(period.starts_on, "j F Y")}
            )
        award_day = timezone.localdate(award.awarded_at)
        errors = {}
        if locked.is_hazardous and not (manifest_number or "").strip():
            errors["manifest_number"] = _("Hazardous (B3) waste travels with an electronic manifest: give its number.")
        if quantity_sent is None or quantity_sent <= 0:
            errors["quantity_sent"] = _("The weighed quantity must be more than zero.")
        if pickup_date is None:
            errors["pickup_date"] = _("Give the pickup date.")
        elif pickup_date > timezone.localdate():
            errors["pickup_date"] = _("Record a pickup once it has happened: the date cannot be in the future.")
        elif pickup_date < award_day:
            errors["pickup_date"] = _("The pickup cannot be before the award (%(day)s).") % {
                "day": date_format(award_day, "j F Y")
            }
        if errors:
            raise ValidationError(errors)
        handover = Handover.objects.create(
            lot=locked,
            period=period,
            pickup_date=pickup_date,
            carrier=carrier.strip(),
            vehicle=vehicle.strip(),
            manifest_number=(manifest_number or "").strip(),
            quantity_sent=quantity_sent,
            pickup_recorded_by=acting_user,
        )
        note = (
            _("Manifest %(manifest)s, %(quantity)s weighed out, carrier %(carrier)s.")
            if handover.manifest_number
            else _("%(quantity)s weighed out, carrier %(carrier)s.")
        ) % {
            "manifest": handover.manifest_number,
            "quantity": numbers.quantity(quantity_sent, locked.get_unit_display()),
            "carrier": handover.carrier,
        }
        if locked.is_recurring:
            note = _period_label(period) + " " + note
        if locked.status == WasteLot.Status.AWARDED:
            lot_transition(lot=locked, to_status=WasteLot.Status.COLLECTED, acting_user=acting_user, note=note)
        else:
            LotTransition.objects.create(
                lot=locked,
                from_status=locked.status,
                to_status=locked.status,
                actor=acting_user,
                note=note,
                step=LotTransition.Step.PICKUP,
            )
        notify.handover_recorded(
            locked,
            Event.PICKUP_RECORDED,
            handover=handover,
            winner_organisation_id=award.bid.bidder_id,
            acting_user=acting_user,
        )
    return handover


def _period_label(period: ContractPeriod) -> str:
    return _("Period %(number)s (%(start)s – %(end)s):") % {
        "number": period.number,
        "start": date_format(period.starts_on, "j M Y"),
        "end": date_format(period.ends_on, "j M Y") if period.ends_on else "",
    }


def processing_record(
    *,
    lot: WasteLot,
    acting_user: User,
    quantity_received: Decimal,
    route_used: str,
    proof: uploads.CleanUpload | None,
    processing_date=None,
    period: ContractPeriod | None = None,
) -> Handover:
    """The processing of a period's pickup, by the winner of its contract. `processing_date`: the day of
    processing (today when not given); not before the pickup, not in the future. On a recurring stream the
    period is complete with it, and the lot once every contract is."""
    if not is_winner(acting_user, lot):
        raise PermissionDenied(_("Only the winning processor records the processing."))
    with transaction.atomic():
        locked = WasteLot.objects.select_for_update().get(pk=lot.pk)
        period = _period_or_error(locked, period)
        if winner_award(acting_user, locked) != period.award:
            raise PermissionDenied(_("Only the winning processor records the processing."))
        handover = Handover.objects.select_for_update().filter(period=period).first()
        if locked.status != WasteLot.Status.COLLECTED or handover is None:
            raise ValidationError(_("Processing is recorded after the pickup, before the plant confirms."))
        if locked.is_recurring and handover.processing_recorded_at is not None:
            raise ValidationError(_("This period's processing is recorded already."))
        errors = {}
        if quantity_received is None or quantity_received < 0:
            errors["quantity_received"] = _("Give the quantity received.")
        if route_used not in Route.values:
            errors["route_used"] = _("Choose the route actually used.")
        if proof is None and not handover.proof:
            errors["proof"] = _("Attach the proof of processing (a certificate or a photo).")
        processing_date = processing_date or timezone.localdate()
        if processing_date > timezone.localdate():
            errors["processing_date"] = _("Record processing once it has happened: the date cannot be in the future.")
        elif processing_date < handover.pickup_date:
            errors["processing_date"] = _("Processing cannot be before the pickup (%(day)s).") % {
                "day": date_format(handover.pickup_date, "j F Y")
            }
        if errors:
            raise ValidationError(errors)
        handover.quantity_received = quantity_received
        handover.route_used = route_used
        handover.processing_date = processing_date
        if proof is not None:
            handover.proof.save(f"proof.{proof.extension}", ContentFile(proof.content), save=False)
            handover.proof_content_type = proof.content_type
        handover.processing_recorded_by = acting_user
        handover.processing_recorded_at = timezone.now()
        handover.mismatch = handover.compute_mismatch()
        handover.save()
        note = _("Processing recorded: %(quantity)s received, route %(route)s.") % {
            "quantity": numbers.quantity(quantity_received, locked.get_unit_display()),
            "route": Route(route_used).label,
        }
        if handover.mismatch:
            note += " " + _("Sent and received differ by more than 2 %: flagged for staff.")
        if locked.is_recurring:
            note = _period_label(period) + " " + note
        LotTransition.objects.create(
            lot=locked,
            from_status=locked.status,
            to_status=locked.status,
            actor=acting_user,
            note=note,
            step=LotTransition.Step.PROCESSING,
        )
        notify.handover_recorded(
            locked,
            Event.PROCESSING_RECORDED,
            handover=handover,
            winner_organisation_id=period.award.bid.bidder_id,
            acting_user=acting_user,
        )
        if locked.is_recurring:
            complete_if_finished(locked, acting_user=acting_user)
    return handover


def lot_confirm_completion(*, lot: WasteLot, acting_user: User) -> WasteLot:
    """The plant confirms a one-off lot's processing (a recurring stream completes with its contracts)."""
    if not can_manage_lot(acting_user, lot):
        raise PermissionDenied(_("Only the plant confirms that processing is complete."))
    with transaction.atomic():
        locked = WasteLot.objects.select_for_update().get(pk=lot.pk)
        if locked.is_recurring:
            raise ValidationError(_("A recurring stream is complete when each of its contracts is."))
        handover = Handover.objects.filter(lot=locked).first()
        if handover is None or handover.processing_recorded_at is None:
            raise ValidationError(_("The processor has not recorded the processing yet."))
        lot_transition(lot=locked, to_status=WasteLot.Status.COMPLETED, acting_user=acting_user)
    lot.refresh_from_db()
    return lot


def rating_give(
    *, lot: WasteLot, acting_user: User, stars: int, comment: str = "", award: Award | None = None
) -> Rating:
    """Each side rates the other once, after completion. The plant of a stream shared among processors rates each
    one (`award`: whose contract; the lot's only award when there is one)."""
    if lot.status != WasteLot.Status.COMPLETED:
        raise ValidationError(_("Ratings are given once the lot is completed."))
    award = award if award is not None and award.lot_id == lot.pk else lot.award
    if can_manage_lot(acting_user, lot):
        if award is None:
            raise ValidationError(_("Choose the contract whose processor you rate."))
        rater, rated = lot.plant, award.bid.bidder
    elif is_winner(acting_user, lot):
        rater, rated = winner_award(acting_user, lot).bid.bidder, lot.plant
    else:
        raise PermissionDenied(_("Only the plant and the winning processor rate this deal."))
    if not isinstance(stars, int) or not 1 <= stars <= 5:
        raise ValidationError({"stars": _("Give 1 to 5 stars.")})
    try:
        with transaction.atomic():
            return Rating.objects.create(
                lot=lot, rater=rater, rated=rated, stars=stars, comment=(comment or "").strip(), by=acting_user
            )
    except IntegrityError as exc:
        raise ValidationError(_("Your organisation has rated this deal already.")) from exc

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
from ..models import Handover, LotTransition, Rating, Route, WasteLot
from ..selectors import can_manage_lot, is_winner
from .lots import lot_transition


def _award_day(lot: WasteLot):
    """The day of the award, in Asia/Jakarta."""
    return timezone.localdate(lot.award.awarded_at)


def pickup_record(
    *,
    lot: WasteLot,
    acting_user: User,
    pickup_date,
    carrier: str,
    vehicle: str,
    manifest_number: str,
    quantity_sent: Decimal,
) -> Handover:
    if not (is_winner(acting_user, lot) or can_manage_lot(acting_user, lot)):
        raise PermissionDenied(_("Only the plant or the winning processor records the pickup."))
    with transaction.atomic():
        locked = WasteLot.objects.select_for_update().select_related("category").get(pk=lot.pk)
        if locked.status != WasteLot.Status.AWARDED:
            raise ValidationError(_("A pickup is recorded once, after the award."))
        errors = {}
        if locked.is_hazardous and not (manifest_number or "").strip():
            errors["manifest_number"] = _("Hazardous (B3) waste travels with an electronic manifest: give its number.")
        if quantity_sent is None or quantity_sent <= 0:
            errors["quantity_sent"] = _("The weighed quantity must be more than zero.")
        if pickup_date is None:
            errors["pickup_date"] = _("Give the pickup date.")
        elif pickup_date > timezone.localdate():
            errors["pickup_date"] = _("Record a pickup once it has happened: the date cannot be in the future.")
        elif pickup_date < _award_day(locked):
            errors["pickup_date"] = _("The pickup cannot be before the award (%(day)s).") % {
                "day": date_format(_award_day(locked), "j F Y")
            }
        if errors:
            raise ValidationError(errors)
        handover = Handover.objects.create(
            lot=locked,
            pickup_date=pickup_date,
            carrier=carrier.strip(),
            vehicle=vehicle.strip(),
            manifest_number=(manifest_number or "").strip(),
            quantity_sent=quantity_sent,
            pickup_recorded_by=acting_user,
        )
        lot_transition(
            lot=locked,
            to_status=WasteLot.Status.COLLECTED,
            acting_user=acting_user,
            note=(
                _("Manifest %(manifest)s, %(quantity)s weighed out, carrier %(carrier)s.")
                if handover.manifest_number
                else _("%(quantity)s weighed out, carrier %(carrier)s.")
            )
            % {
                "manifest": handover.manifest_number,
                "quantity": numbers.quantity(quantity_sent, locked.get_unit_display()),
                "carrier": handover.carrier,
            },
        )
        notify.handover_recorded(
            locked, Event.PICKUP_RECORDED, winner_organisation_id=locked.award.bid.bidder_id, acting_user=acting_user
        )
    return handover


def processing_record(
    *,
    lot: WasteLot,
    acting_user: User,
    quantity_received: Decimal,
    route_used: str,
    proof: uploads.CleanUpload | None,
    processing_date=None,
) -> Handover:
    """`processing_date`: the day of processing (today when not given); not before the pickup, not in the
    future."""
    if not is_winner(acting_user, lot):
        raise PermissionDenied(_("Only the winning processor records the processing."))
    with transaction.atomic():
        locked = WasteLot.objects.select_for_update().get(pk=lot.pk)
        handover = Handover.objects.select_for_update().filter(lot=locked).first()
        if locked.status != WasteLot.Status.COLLECTED or handover is None:
            raise ValidationError(_("Processing is recorded after the pickup, before the plant confirms."))
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
        LotTransition.objects.create(
            lot=locked, from_status=locked.status, to_status=locked.status, actor=acting_user, note=note
        )
        notify.handover_recorded(
            locked,
            Event.PROCESSING_RECORDED,
            winner_organisation_id=locked.award.bid.bidder_id,
            acting_user=acting_user,
        )
    return handover


def lot_confirm_completion(*, lot: WasteLot, acting_user: User) -> WasteLot:
    if not can_manage_lot(acting_user, lot):
        raise PermissionDenied(_("Only the plant confirms that processing is complete."))
    with transaction.atomic():
        locked = WasteLot.objects.select_for_update().get(pk=lot.pk)
        handover = Handover.objects.filter(lot=locked).first()
        if handover is None or handover.processing_recorded_at is None:
            raise ValidationError(_("The processor has not recorded the processing yet."))
        lot_transition(lot=locked, to_status=WasteLot.Status.COMPLETED, acting_user=acting_user)
    lot.refresh_from_db()
    return lot


def rating_give(*, lot: WasteLot, acting_user: User, stars: int, comment: str = "") -> Rating:
    """Each side rates the other once, after completion."""
    if lot.status != WasteLot.Status.COMPLETED:
        raise ValidationError(_("Ratings are given once the lot is completed."))
    if can_manage_lot(acting_user, lot):
        rater, rated = lot.plant, lot.award.bid.bidder
    elif is_winner(acting_user, lot):
        rater, rated = lot.award.bid.bidder, lot.plant
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

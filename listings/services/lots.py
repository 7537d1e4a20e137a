"""Everything that changes a waste lot goes through these functions: one transition service for the status."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core import uploads
from members.models import User

from .. import notify
from ..models import LOT_TRANSITIONS, LotAttachment, LotReferenceCounter, LotTransition, WasteLot
from ..models.lots import QUESTIONS_CLOSE_BEFORE
from ..selectors import can_manage_lot, can_post_lots
from .matching import match_published_lot
from .visits import slots_end_with_bidding

MAX_ATTACHMENTS_PER_LOT = 12
MAX_BYTES_PER_LOT = 60 * 1024 * 1024

# What may change once a lot is open: only what is fair to people who may already be preparing a bid.
OPEN_LOT_EDITABLE = {
    "description",
    "composition",
    "closes_at",
    "available_until",
    "inspection_from",
    "inspection_until",
    "lab_certificate_expires",
    "quantity",
    "questions_close_at",
}


def _require_manager(user: User, lot: WasteLot) -> None:
    if not can_manage_lot(user, lot):
        raise PermissionDenied(_("Only people of the verified plant that owns this lot can change it."))


def _next_reference(year: int) -> str:
    counter, _created = LotReferenceCounter.objects.select_for_update().get_or_create(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"WX-{year}-{counter.last:05d}"


def lot_transition(*, lot: WasteLot, to_status: str, acting_user: User | None, note: str = "") -> WasteLot:
    """The one way a lot changes status: locks the row, refuses illegal moves, writes the timeline row."""
    with transaction.atomic():
        locked = WasteLot.objects.select_for_update().get(pk=lot.pk)
        from_status = locked.status
        if to_status not in LOT_TRANSITIONS.get(from_status, set()):
            raise ValidationError(
                _("A lot that is “%(from)s” cannot become “%(to)s”.")
                % {"from": WasteLot.Status(from_status).label, "to": WasteLot.Status(to_status).label}
            )
        locked.status = to_status
        fields = ["status", "updated_at"]
        if to_status == WasteLot.Status.OPEN:
            locked.published_at = timezone.now()
            locked.local_first_until = (
                locked.published_at + timezone.timedelta(days=locked.local_first_days)
                if locked.local_first_days
                else None
            )
            fields += ["published_at", "local_first_until"]
        if to_status == WasteLot.Status.CLOSED and locked.bids_opened_at is None:
            # Sealed bids open when bidding closes, at the deadline or early: the moment is on record.
            locked.bids_opened_at = timezone.now()
            fields.append("bids_opened_at")
        locked.save(update_fields=fields)
        LotTransition.objects.create(
            lot=locked, from_status=from_status, to_status=to_status, actor=acting_user, note=note
        )
        if to_status == WasteLot.Status.OPEN:
            match_published_lot(locked)
        elif to_status == WasteLot.Status.CLOSED and acting_user is None:
            notify.lot_closed_by_deadline(locked)
        if from_status == WasteLot.Status.OPEN and to_status in (WasteLot.Status.CLOSED, WasteLot.Status.CANCELLED):
            slots_end_with_bidding(locked)  # site visits still to come end with the bidding
    lot.refresh_from_db()
    return lot


def _check_dates(lot: WasteLot, *, publishing: bool, questions_changed: bool = False) -> None:
    now = timezone.now()
    errors = {}
    if publishing and lot.closes_at <= now:
        errors["closes_at"] = _("The bid deadline must be in the future.")
    if lot.questions_close_at:
        if lot.questions_close_at >= lot.closes_at:
            errors["questions_close_at"] = _("Questions must close before the bid deadline.")
        elif questions_changed and lot.questions_close_at <= now:
            errors["questions_close_at"] = _("The time questions close must be in the future.")
    if lot.inspection_from and lot.inspection_until and lot.inspection_until <= lot.inspection_from:
        errors["inspection_until"] = _("The inspection window must end after it starts.")
    if bool(lot.inspection_from) != bool(lot.inspection_until):
        errors["inspection_until"] = _("Give both the start and the end of the inspection window, or neither.")
    if lot.is_recurring and (not lot.frequency or not lot.quantity_per_period):
        errors["frequency"] = _("A recurring stream needs a frequency and a quantity per period.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def lot_create(*, acting_user: User, fields: dict) -> WasteLot:
    """A plant manager saves a new lot as a draft; nobody else sees it until it is published."""
    if not can_post_lots(acting_user):
        raise PermissionDenied(_("Only people of a verified plant can post waste lots."))
    lot = WasteLot(plant=acting_user.membership.organisation, created_by=acting_user, **fields)
    if not lot.is_recurring:
        lot.frequency, lot.quantity_per_period, lot.contract_months = "", None, None
    _check_dates(lot, publishing=False, questions_changed=True)
    lot.reference = _next_reference(timezone.localdate().year)
    lot.full_clean()
    lot.save()
    LotTransition.objects.create(lot=lot, from_status="", to_status=WasteLot.Status.DRAFT, actor=acting_user)
    return lot


@transaction.atomic
def lot_update(*, lot: WasteLot, acting_user: User, fields: dict) -> WasteLot:
    """Edit a draft freely; edit an open lot only in ways fair to bidders (extend, add, never shrink)."""
    _require_manager(acting_user, lot)
    locked = WasteLot.objects.select_for_update().get(pk=lot.pk)
    if locked.status not in (WasteLot.Status.DRAFT, WasteLot.Status.OPEN):
        raise ValidationError(_("Only draft and open lots can be edited."))
    if locked.status == WasteLot.Status.OPEN:
        changed = {name for name, value in fields.items() if getattr(locked, name) != value}
        refused = changed - OPEN_LOT_EDITABLE
        if refused:
            raise ValidationError(
                _("Once a lot is open, these cannot change any more: %(fields)s.")
                % {"fields": ", ".join(str(WasteLot._meta.get_field(f).verbose_name) for f in sorted(refused))}
            )
        errors = {}
        if "closes_at" in changed and fields["closes_at"] < locked.closes_at:
            errors["closes_at"] = _("The deadline of an open lot can only be extended.")
        if (
            "questions_close_at" in changed
            and (fields["questions_close_at"] or fields.get("closes_at", locked.closes_at) - QUESTIONS_CLOSE_BEFORE)
            < locked.questions_deadline
        ):
            errors["questions_close_at"] = _("Questions on an open lot can only close later.")
        if "quantity" in changed and fields["quantity"] < locked.quantity:
            errors["quantity"] = _("The quantity of an open lot can only go up.")
        if (
            "available_until" in changed
            and locked.available_until
            and (fields["available_until"] is None or fields["available_until"] < locked.available_until)
        ) or ("available_until" in changed and fields["available_until"] is not None and not locked.available_until):
            errors["available_until"] = _("The availability of an open lot can only be extended.")
        if errors:
            raise ValidationError(errors)
    questions_changed = fields.get("questions_close_at", locked.questions_close_at) != locked.questions_close_at
    for name, value in fields.items():
        setattr(locked, name, value)
    if not locked.is_recurring:
        locked.frequency, locked.quantity_per_period, locked.contract_months = "", None, None
    _check_dates(
        locked,
        publishing=locked.status == WasteLot.Status.OPEN and "closes_at" in fields,
        questions_changed=questions_changed,
    )
    locked.full_clean()
    locked.save()
    lot.refresh_from_db()
    return lot


def lot_publish(*, lot: WasteLot, acting_user: User) -> WasteLot:
    _require_manager(acting_user, lot)
    lot.refresh_from_db()
    _check_dates(lot, publishing=True, questions_changed=True)
    return lot_transition(lot=lot, to_status=WasteLot.Status.OPEN, acting_user=acting_user)


def lot_cancel(*, lot: WasteLot, acting_user: User, reason: str) -> WasteLot:
    """Cancel before an award; live bids end with it and their bidders are told."""
    _require_manager(acting_user, lot)
    if not (reason or "").strip():
        raise ValidationError(_("Say why the lot is cancelled: it stays on the lot's timeline."))
    with transaction.atomic():
        lot_transition(lot=lot, to_status=WasteLot.Status.CANCELLED, acting_user=acting_user, note=reason.strip())
        ended = lot.bids.filter(status="live")
        bidders = set(ended.values_list("bidder_id", flat=True))
        ended.update(status="rejected", updated_at=timezone.now())
        notify.lot_ended(lot, bidder_organisation_ids=bidders, reason=reason.strip(), cancelled=True)
    return lot


def lot_close_early(*, lot: WasteLot, acting_user: User, note: str = "") -> WasteLot:
    """Close before the deadline. The deadline becomes the moment it closed, so no page shows the old one."""
    _require_manager(acting_user, lot)
    with transaction.atomic():
        lot = lot_transition(
            lot=lot,
            to_status=WasteLot.Status.CLOSED,
            acting_user=acting_user,
            note=note or _("Closed early by the plant."),
        )
        now = timezone.now()
        if lot.closes_at > now:
            WasteLot.objects.filter(pk=lot.pk).update(closes_at=now)
            lot.closes_at = now
    return lot


def lot_close_if_overdue(lot: WasteLot) -> WasteLot:
    """Close a lot whose deadline passed (idempotent: a lot already closed is left as it is)."""
    with transaction.atomic():
        locked = WasteLot.objects.select_for_update().filter(pk=lot.pk).first()
        if locked and locked.is_past_deadline:
            lot_transition(
                lot=locked, to_status=WasteLot.Status.CLOSED, acting_user=None, note=_("Bid deadline passed.")
            )
    lot.refresh_from_db()
    return lot


def close_overdue_lots() -> int:
    closed = 0
    for lot in WasteLot.objects.overdue().only("pk").iterator():
        before = lot.status
        if lot_close_if_overdue(lot).status != before:
            closed += 1
    return closed


@transaction.atomic
def attachment_add(
    *, lot: WasteLot, acting_user: User, kind: str, original_name: str, clean: uploads.CleanUpload
) -> LotAttachment:
    """Keep a file that core.uploads checked by content (photos re-encoded) under a random name."""
    _require_manager(acting_user, lot)
    locked = WasteLot.objects.select_for_update().get(pk=lot.pk)
    if locked.status not in (WasteLot.Status.DRAFT, WasteLot.Status.OPEN):
        raise ValidationError(_("Files can only be added to draft and open lots."))
    existing = locked.attachments.aggregate(n=Count("id"), size=Sum("size"))
    if (existing["n"] or 0) >= MAX_ATTACHMENTS_PER_LOT:
        raise ValidationError(_("A lot has at most %(n)d files.") % {"n": MAX_ATTACHMENTS_PER_LOT})
    if (existing["size"] or 0) + len(clean.content) > MAX_BYTES_PER_LOT:
        raise ValidationError(
            _("The files of a lot may add up to %(mb)d MB at most.") % {"mb": MAX_BYTES_PER_LOT // (1024 * 1024)}
        )
    attachment = LotAttachment(
        lot=locked,
        kind=kind,
        original_name=(original_name or "file")[:200],
        content_type=clean.content_type,
        size=len(clean.content),
        uploaded_by=acting_user,
    )
    attachment.file.save(f"file.{clean.extension}", ContentFile(clean.content), save=False)
    if clean.thumbnail:
        attachment.thumbnail.save("thumb.jpg", ContentFile(clean.thumbnail), save=False)
    attachment.save()
    return attachment


def attachment_delete(*, attachment: LotAttachment, acting_user: User) -> None:
    _require_manager(acting_user, attachment.lot)
    if attachment.lot.status != WasteLot.Status.DRAFT:
        raise ValidationError(_("Files of a published lot stay: bidders may have read them."))
    attachment.file.delete(save=False)
    if attachment.thumbnail:
        attachment.thumbnail.delete(save=False)
    attachment.delete()

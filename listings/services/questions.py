"""Clarifications on an open lot as services: a processor asks, the plant answers (and may change its answer
until questions close), the plant publishes an addendum (with, optionally, a corrected quantity and a later
deadline). Each runs under the lot's row lock; its notifications are recorded in the outbox in the same
transaction (listings.notify), delivered once after the commit."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.numbers import quantity as format_quantity
from members.models import User
from members.selectors import organisation_of

from .. import clarifications, notify
from ..models import MAX_ADDENDUM_CHARS, MAX_ANSWER_CHARS, MAX_QUESTION_CHARS, LotAddendum, LotQuestion, WasteLot

MIN_QUESTION_CHARS = 10
# An addendum may correct the quantity by at most this share of the quantity the lot was published with
# (before any addendum), up or down: a correction, not a different lot.
ADDENDUM_QUANTITY_SHARE = Decimal("0.10")
# An addendum may move the deadline later by at most this much at a time.
ADDENDUM_MAX_EXTENSION = timedelta(days=60)


def _text(value: str, *, field: str, minimum: int, maximum: int) -> str:
    text = (value or "").strip()
    if len(text) < minimum:
        raise ValidationError({field: _("Write at least %(n)d characters.") % {"n": minimum}})
    if len(text) > maximum:
        raise ValidationError({field: _("Write at most %(n)d characters.") % {"n": maximum}})
    return text


def question_ask(*, lot: WasteLot, acting_user: User, text: str) -> LotQuestion:
    """A verified processor's person asks a question on an open lot before questions close. At most
    MAX_UNANSWERED_PER_ORGANISATION of the organisation's questions wait for an answer at once, and
    MAX_QUESTIONS_PER_ORGANISATION in all (counted under the lot's lock, so two at once cannot pass it)."""
    text = _text(text, field="text", minimum=MIN_QUESTION_CHARS, maximum=MAX_QUESTION_CHARS)
    with transaction.atomic():
        locked = WasteLot.objects.select_for_update().get(pk=lot.pk)
        reason = clarifications.why_cannot_ask(acting_user, locked)
        if reason:
            raise PermissionDenied(reason)
        organisation = organisation_of(acting_user)
        unanswered, asked = clarifications.organisation_question_counts(locked, organisation)
        if unanswered >= clarifications.MAX_UNANSWERED_PER_ORGANISATION:
            raise ValidationError(
                _(
                    "Your organisation has %(n)d questions on this lot waiting for an answer: "
                    "wait for the plant's answers."
                )
                % {"n": unanswered}
            )
        if asked >= clarifications.MAX_QUESTIONS_PER_ORGANISATION:
            raise ValidationError(
                _("Your organisation has asked the most questions allowed on one lot (%(n)d).") % {"n": asked}
            )
        return LotQuestion.objects.create(
            lot=locked, asked_by_organisation=organisation, asked_by=acting_user, text=text
        )


def question_answer(*, question: LotQuestion, acting_user: User, answer: str) -> LotQuestion:
    """The plant answers a question while the lot is open, and may change the answer until questions close.
    Bidders, matched processors and the asker's organisation are told (never who asked)."""
    answer = _text(answer, field="answer", minimum=1, maximum=MAX_ANSWER_CHARS)
    with transaction.atomic():
        locked_lot = WasteLot.objects.select_for_update().get(pk=question.lot_id)
        locked = LotQuestion.objects.select_for_update().get(pk=question.pk)
        reason = clarifications.why_cannot_answer(acting_user, locked_lot, locked)
        if reason:
            raise PermissionDenied(reason)
        if locked.answer == answer:
            return locked  # nothing changed: nobody is told twice
        edited = locked.is_answered
        now = timezone.now()
        locked.answer, locked.answered_by = answer, acting_user
        if edited:
            locked.answer_edited_at = now
        else:
            locked.answered_at = now
        locked.save(update_fields=["answer", "answered_by", "answered_at", "answer_edited_at"])
        notify.question_answered(locked_lot, locked, edited=edited)
    return locked


@dataclass(frozen=True)
class AddendumChange:
    text: str
    quantity: Decimal | None = None
    closes_at: datetime | None = None


def quantity_bounds(lot: WasteLot) -> tuple[Decimal, Decimal]:
    """The quantities an addendum may set: within ±ADDENDUM_QUANTITY_SHARE of the quantity the lot had before
    its first addendum (so addenda cannot add up to a larger change)."""
    first = LotAddendum.objects.filter(lot=lot, quantity_before__isnull=False).order_by("created_at", "id").first()
    base = first.quantity_before if first else lot.quantity
    return (base * (1 - ADDENDUM_QUANTITY_SHARE)).quantize(Decimal("0.001")), (
        base * (1 + ADDENDUM_QUANTITY_SHARE)
    ).quantize(Decimal("0.001"))


def addendum_errors(lot: WasteLot, change: AddendumChange) -> dict:
    """What an addendum may not do, per field: the form shows them in one round; the service checks again
    under the lot's lock."""
    errors = {}
    if change.quantity is not None and change.quantity != lot.quantity:
        low, high = quantity_bounds(lot)
        if not low <= change.quantity <= high:
            errors["quantity"] = _(
                "An addendum corrects the quantity by at most 10 %%: between %(low)s and %(high)s %(unit)s."
            ) % {"low": format_quantity(low), "high": format_quantity(high), "unit": lot.get_unit_display()}
    if change.closes_at is not None and change.closes_at != lot.closes_at:
        if change.closes_at < lot.closes_at:
            errors["closes_at"] = _("An addendum can only move the deadline later.")
        elif change.closes_at > lot.closes_at + ADDENDUM_MAX_EXTENSION:
            errors["closes_at"] = _("An addendum moves the deadline by at most %(days)d days at a time.") % {
                "days": ADDENDUM_MAX_EXTENSION.days
            }
        elif lot.available_until and timezone.localtime(change.closes_at).date() > lot.available_until:
            errors["closes_at"] = _(
                "The lot is available until %(date)s: extend its availability (Edit) "
                "before moving the deadline past it."
            ) % {"date": date_format(lot.available_until, "j F Y")}
    return errors


def addendum_publish(*, lot: WasteLot, acting_user: User, change: AddendumChange) -> LotAddendum:
    """The plant announces a change on an open lot. A corrected quantity and a later deadline take effect on the
    lot at once; a sealed lot's bids stay sealed until bidding closes, as before. The addendum is kept with who
    published it and when, shows on the lot's page and timeline, and bidders and matched processors are told."""
    text = _text(change.text, field="text", minimum=MIN_QUESTION_CHARS, maximum=MAX_ADDENDUM_CHARS)
    with transaction.atomic():
        locked = WasteLot.objects.select_for_update().get(pk=lot.pk)
        reason = clarifications.why_cannot_publish_addendum(acting_user, locked)
        if reason:
            raise PermissionDenied(reason)
        errors = addendum_errors(locked, change)
        if errors:
            raise ValidationError(errors)
        addendum = LotAddendum(lot=locked, text=text, published_by=acting_user)
        fields = []
        if change.quantity is not None and change.quantity != locked.quantity:
            addendum.quantity_before, addendum.quantity_after = locked.quantity, change.quantity
            locked.quantity = change.quantity
            fields.append("quantity")
        if change.closes_at is not None and change.closes_at != locked.closes_at:
            addendum.closes_at_before, addendum.closes_at_after = locked.closes_at, change.closes_at
            locked.closes_at = change.closes_at
            fields.append("closes_at")
        if fields:
            locked.save(update_fields=[*fields, "updated_at"])
        addendum.save()
        notify.addendum_published(locked, addendum)
    lot.refresh_from_db()
    return addendum

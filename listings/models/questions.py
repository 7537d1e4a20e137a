"""Tender-style clarifications on an open lot (*aanwijzing*): processors' questions with the plant's answers, and
the plant's addenda. Who asked is kept for the asker's own limit and for platform staff in the admin, and never
shown on a page, in a notification or in an export (listings.selectors.questions_for_viewer reads no asker)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.bounds import MAX_QUANTITY, quantity_validators
from members.models import Organisation

from .lots import WasteLot

MAX_QUESTION_CHARS = 1000
MAX_ANSWER_CHARS = 2000
MAX_ADDENDUM_CHARS = 2000


class LotQuestion(models.Model):
    lot = models.ForeignKey(WasteLot, on_delete=models.CASCADE, related_name="questions", verbose_name=_("lot"))
    # The asker: for the per-organisation limit and for staff (abuse), never for the lot's readers.
    asked_by_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("asked by (organisation)")
    )
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("asked by")
    )
    text = models.TextField(_("question"), max_length=MAX_QUESTION_CHARS)
    answer = models.TextField(_("answer"), max_length=MAX_ANSWER_CHARS, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answer_edited_at = models.DateTimeField(_("answer last edited at"), null=True, blank=True)
    created_at = models.DateTimeField(_("asked at"), default=timezone.now)

    class Meta:
        verbose_name = _("question on a lot")
        verbose_name_plural = _("questions on lots")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["lot", "created_at"], name="question_lot_idx"),
            models.Index(
                fields=["lot", "asked_by_organisation"],
                name="question_unanswered_idx",
                condition=Q(answered_at__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(answered_at__isnull=True) | ~Q(answer=""), name="question_answered_has_answer"
            ),
        ]

    def __str__(self):
        return f"{self.lot.reference}: {self.text[:60]}"

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None


class LotAddendum(models.Model):
    """A change the plant announces on an open lot, with what it changed (quantity, deadline) before and after."""

    lot = models.ForeignKey(WasteLot, on_delete=models.CASCADE, related_name="addenda", verbose_name=_("lot"))
    text = models.TextField(_("what changes and why"), max_length=MAX_ADDENDUM_CHARS)
    quantity_before = models.DecimalField(
        _("quantity before"), max_digits=12, decimal_places=3, null=True, blank=True, validators=quantity_validators()
    )
    quantity_after = models.DecimalField(
        _("quantity after"), max_digits=12, decimal_places=3, null=True, blank=True, validators=quantity_validators()
    )
    closes_at_before = models.DateTimeField(_("deadline before"), null=True, blank=True)
    closes_at_after = models.DateTimeField(_("deadline after"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("published by")
    )
    created_at = models.DateTimeField(_("published at"), default=timezone.now)

    class Meta:
        verbose_name = _("addendum")
        verbose_name_plural = _("addenda")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["lot", "created_at"], name="addendum_lot_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity_after__isnull=True) | Q(quantity_after__gt=0, quantity_after__lte=MAX_QUANTITY),
                name="addendum_quantity_bounds",
            ),
            models.CheckConstraint(
                condition=Q(closes_at_after__isnull=True) | Q(closes_at_after__gt=models.F("closes_at_before")),
                name="addendum_deadline_only_later",
            ),
        ]

    def __str__(self):
        return f"{self.lot.reference}: {self.text[:60]}"

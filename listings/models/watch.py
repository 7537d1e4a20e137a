"""The watchlist: a person follows a lot, and is reminded once before it closes."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .lots import WasteLot


class Watch(models.Model):
    """One person follows one lot. `reminded_at` is set in the same transaction as the reminder is recorded in
    the outbox: a second run of the beat task finds it set and never reminds twice."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watches", verbose_name=_("person")
    )
    lot = models.ForeignKey(WasteLot, on_delete=models.CASCADE, related_name="watches", verbose_name=_("lot"))
    created_at = models.DateTimeField(_("followed since"), default=timezone.now)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("followed lot")
        verbose_name_plural = _("followed lots")
        constraints = [models.UniqueConstraint(fields=["user", "lot"], name="watch_once_per_person_and_lot")]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="watch_person_idx"),
            models.Index(fields=["lot"], name="watch_due_idx", condition=models.Q(reminded_at__isnull=True)),
        ]

    def __str__(self):
        return f"{self.user} → {self.lot}"

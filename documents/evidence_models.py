"""The yearly evidence pack of a plant: one ZIP per build (documents.evidence_build), kept as a row per
organisation, calendar year and generation. Asking again while a build waits or runs reuses it (a partial
unique constraint backs it); asking after a finished or failed one makes the next generation.

Defined in its own module and imported by documents/models.py, so that Django loads it with the app."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Organisation

# A build that has run this long died with its worker (Celery's hard time limit is 300 s): it counts as failed
# and may be asked for again. One that waits this long for a worker is handed to the broker again.
STALLED_AFTER = timedelta(minutes=15)
REDISPATCH_AFTER = timedelta(minutes=2)


def evidence_path(instance, filename):
    # Random stored names, as for every private file.
    return f"evidence/{instance.organisation_id}/{secrets.token_urlsafe(16)}.zip"


class EvidencePack(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to start")
        RUNNING = "running", _("Being built")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    ACTIVE = (Status.PENDING, Status.RUNNING)

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    generation = models.PositiveIntegerField(_("generation"), default=1)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=200, blank=True)
    size = models.BigIntegerField(_("size in bytes"), null=True, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    document_count = models.PositiveIntegerField(_("documents included"), default=0)
    error = models.TextField(_("error"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("asked for at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        app_label = "documents"
        verbose_name = _("evidence pack")
        verbose_name_plural = _("evidence packs")
        ordering = ["organisation", "year", "-generation"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "year", "generation"], name="evidence_pack_generation_unique"
            ),
            # One build at a time per plant and year: asking again while it waits or runs reuses it.
            models.UniqueConstraint(
                fields=["organisation", "year"],
                condition=Q(status__in=["pending", "running"]),
                name="evidence_pack_one_active",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "running", "ready", "failed"]), name="evidence_pack_status_known"
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="evidence_pack_progress_at_most_100"),
        ]

    def __str__(self):
        return f"{self.organisation_id} {self.year} #{self.generation} {self.status}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE and not self.is_stalled

    @property
    def is_stalled(self) -> bool:
        """Started (or asked for) so long ago that its worker must have died."""
        if self.status != self.Status.RUNNING:
            return False
        return (self.started_at or self.created_at) < timezone.now() - STALLED_AFTER

    @property
    def is_waiting_long(self) -> bool:
        """Still waiting for a worker a while after it was asked for (the broker was down?): asking again hands
        it over again (documents.evidence.evidence_request)."""
        return self.status == self.Status.PENDING and self.created_at < timezone.now() - REDISPATCH_AFTER

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.READY and bool(self.file)

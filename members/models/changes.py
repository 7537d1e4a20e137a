"""What staff keep apart from an organisation's own row: change requests to its verified details, and the
Japnas member list that Japnas numbers are checked against."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from core.choices import ChoiceLabels

from .organisations import VERIFIED_FIELDS, Organisation, display_value


def normalise_japnas(number: str) -> str:
    """One spelling per Japnas number: `ｊpn 0012 ` and `JPN 0012` are the same member."""
    return " ".join((number or "").split()).upper()


class ChangeRequestQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status=OrganisationChangeRequest.Status.PENDING)


class OrganisationChangeRequest(ChoiceLabels, models.Model):
    """A verified organisation's admin asks to change what staff verified (VERIFIED_FIELDS). Nothing applies
    until staff approve: the organisation's row keeps its verified values meanwhile. Kept after the decision,
    with who decided and why: the organisation's history of its claims."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for staff")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Replaced or withdrawn")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="change_requests", verbose_name=_("organisation")
    )
    # {field: [value when asked, value asked for]}, as text (JSON): staff see old and new side by side.
    changes = models.JSONField(_("changes"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("asked by")
    )
    requested_at = models.DateTimeField(_("asked at"), default=timezone.now)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    objects = ChangeRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("change request")
        verbose_name_plural = _("change requests")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"],
                condition=models.Q(status="pending"),
                name="change_request_one_pending_per_organisation",
            )
        ]
        indexes = [models.Index(fields=["status", "requested_at"], name="change_request_status_idx")]

    def __str__(self):
        return f"{self.organisation}: {', '.join(self.changes)} ({self.status})"

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING

    def rows(self) -> list[dict]:
        """One row per field asked for: its label and the old and new values as people read them."""
        result = []
        for name in VERIFIED_FIELDS:
            if name in self.changes:
                old, new = self.changes[name]
                result.append(
                    {
                        "name": name,
                        "label": capfirst(Organisation._meta.get_field(name).verbose_name),
                        "old": display_value(name, old),
                        "new": display_value(name, new),
                        "new_raw": new,
                    }
                )
        return result


class JapnasListUpload(ChoiceLabels, models.Model):
    """One upload of Japnas's member list by staff: the list in force is the latest one's JapnasMember rows."""

    filename = models.CharField(_("file"), max_length=200)
    member_count = models.PositiveIntegerField(_("members"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("by")
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("Japnas member list upload")
        verbose_name_plural = _("Japnas member list uploads")
        ordering = ["-uploaded_at", "-id"]

    def __str__(self):
        return f"{self.filename} ({self.member_count})"


class JapnasMember(ChoiceLabels, models.Model):
    """A member on Japnas's list as staff last uploaded it: what a Japnas number is checked against."""

    number = models.CharField(_("Japnas membership number"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    upload = models.ForeignKey(
        JapnasListUpload, on_delete=models.CASCADE, related_name="members", verbose_name=_("upload")
    )

    class Meta:
        verbose_name = _("Japnas member")
        verbose_name_plural = _("Japnas members")
        ordering = ["number"]

    def __str__(self):
        return f"{self.number} {self.name}"

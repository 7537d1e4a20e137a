"""The staff audit trail."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from core.choices import ChoiceLabels

from .organisations import VERIFIED_FIELDS, Organisation, display_value


class AuditEntry(ChoiceLabels, models.Model):
    """One row per staff action or decision: who, when, what, why. Written by the service that acts, in the
    same transaction; read on /staff/audit/ (filtered and exported). Never changed afterwards."""

    class Kind(models.TextChoices):
        ORGANISATION_VERIFIED = "organisation_verified", _("Organisation verified")
        ORGANISATION_REJECTED = "organisation_rejected", _("Organisation rejected")
        CHANGE_APPROVED = "change_approved", _("Change request approved")
        CHANGE_REJECTED = "change_rejected", _("Change request rejected")
        LICENCE_VERIFIED = "licence_verified", _("Licence verified")
        LICENCE_REJECTED = "licence_rejected", _("Licence rejected")
        JAPNAS_LIST_UPLOADED = "japnas_list_uploaded", _("Japnas member list uploaded")

    kind = models.CharField(_("action"), max_length=30, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("by")
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_entries",
        verbose_name=_("organisation"),
    )
    # What was acted on, as plain values: {"changes": {field: [old, new]}}, {"licence": number},
    # {"members": n, "file": name}, {"from": status}. Described in the reader's language by `what`.
    details = models.JSONField(_("details"), default=dict, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="audit_recent_idx"),
            models.Index(fields=["kind", "-created_at"], name="audit_kind_idx"),
        ]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.kind} {self.actor}"

    @property
    def what(self) -> str:
        """What was acted on, in the active language."""
        details = self.details or {}
        if "changes" in details:
            changes = details["changes"]
            return "; ".join(
                f"{capfirst(Organisation._meta.get_field(name).verbose_name)}: "
                f"{display_value(name, changes[name][0])} → {display_value(name, changes[name][1])}"
                for name in VERIFIED_FIELDS
                if name in changes
            )
        if "licence" in details:
            return _("Licence %(number)s") % {"number": details["licence"]}
        if "members" in details:
            return _("%(file)s: %(n)s members") % {"file": details.get("file", ""), "n": details["members"]}
        if "from" in details:
            return _("Was: %(status)s") % {"status": display_value("verification_status", details["from"])}
        return ""

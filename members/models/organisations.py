"""Organisations and their verification: who they are, what staff verified, and each change of status."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.choices import ChoiceLabels
from core.geo import coordinate_constraints, coordinate_fields

from ..choices import Kecamatan, Province

nib_validator = RegexValidator(
    r"^\d{13}\Z", _("An NIB (Nomor Induk Berusaha) is exactly 13 digits, with no spaces or dots.")
)


class OrganisationQuerySet(models.QuerySet):
    def verified(self):
        return self.filter(verification_status=Organisation.Status.VERIFIED)

    def banten(self):
        return self.filter(province=Province.BANTEN)

    def japnas_members(self):
        return self.exclude(japnas_number="")

    def awaiting_verification(self):
        return self.filter(verification_status=Organisation.Status.UNVERIFIED)


class Organisation(ChoiceLabels, models.Model):
    class Kind(models.TextChoices):
        PLANT = "plant", _("Industrial plant")
        PROCESSOR = "processor", _("Processing business")
        AUTHORITY = "authority", _("Government authority")
        OPERATOR = "operator", _("Platform operator")

    class Status(models.TextChoices):
        UNVERIFIED = "unverified", _("Awaiting verification")
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Rejected")

    # Kinds people may choose when they sign up; authorities and operators are set up by staff.
    SELF_SERVICE_KINDS = (Kind.PLANT, Kind.PROCESSOR)

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    nib = models.CharField(
        _("NIB"),
        max_length=13,
        unique=True,
        null=True,
        blank=True,
        validators=[nib_validator],
        help_text=_("Nomor Induk Berusaha: the 13-digit business identification number from OSS."),
    )
    address = models.TextField(_("address"))
    city = models.CharField(_("city or regency"), max_length=100, default="Kota Cilegon")
    kecamatan = models.CharField(
        _("kecamatan"),
        max_length=20,
        choices=Kecamatan.choices,
        blank=True,
        help_text=_("Leave empty when the organisation is outside Kota Cilegon."),
    )
    province = models.CharField(_("province"), max_length=30, choices=Province.choices, default=Province.BANTEN)
    latitude, longitude = coordinate_fields()
    japnas_number = models.CharField(
        _("Japnas membership number"),
        max_length=40,
        blank=True,
        help_text=_("Only for members of Jaringan Pengusaha Nasional (Japnas)."),
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    # A plant may show its name to visitors (people not signed in) on its open lots; signed-in people always see
    # it. Off until the plant's admins choose otherwise: a plant may not want its waste streams tied to it publicly.
    show_name_to_visitors = models.BooleanField(
        _("show our name to visitors"),
        default=False,
        help_text=_(
            "Visitors who are not signed in see your open lots without your name unless you tick this. "
            "Signed-in members always see it."
        ),
    )
    verification_status = models.CharField(
        _("verification status"), max_length=16, choices=Status.choices, default=Status.UNVERIFIED
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        indexes = [models.Index(fields=["kind", "verification_status"], name="org_kind_status_idx")]
        constraints = [*coordinate_constraints("org")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("members:organisation_detail", kwargs={"slug": self.slug})

    @property
    def is_verified(self) -> bool:
        return self.verification_status == self.Status.VERIFIED

    @property
    def is_banten(self) -> bool:
        """A Banten business: registered with its address in the province of Banten."""
        return self.province == Province.BANTEN

    @property
    def is_japnas_member(self) -> bool:
        return bool(self.japnas_number)


# The moves verification may make: staff verify or reject; a rejected organisation that corrects its
# details asks again; staff may withdraw a verification (e.g. a forged NIB found later).
ORGANISATION_TRANSITIONS = {
    Organisation.Status.UNVERIFIED: {Organisation.Status.VERIFIED, Organisation.Status.REJECTED},
    Organisation.Status.REJECTED: {Organisation.Status.UNVERIFIED, Organisation.Status.VERIFIED},
    Organisation.Status.VERIFIED: {Organisation.Status.REJECTED},
}


class VerificationEvent(ChoiceLabels, models.Model):
    """One row per change of an organisation's verification status: the audit trail staff and members see."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="verification_events", verbose_name=_("organisation")
    )
    from_status = models.CharField(_("from"), max_length=16, choices=Organisation.Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=16, choices=Organisation.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("by")
    )
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)
    notified_at = models.DateTimeField(_("people told at"), null=True, blank=True)

    class Meta:
        verbose_name = _("verification event")
        verbose_name_plural = _("verification events")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.organisation}: {self.from_status or '-'} → {self.to_status}"


# What decides who may bid and what the city's figures say. Staff verify these; once an organisation is
# verified, a change to any of them waits for staff as a change request (OrganisationChangeRequest).
VERIFIED_FIELDS = ("kind", "nib", "name", "city", "province", "kecamatan", "latitude", "longitude", "japnas_number")


def display_value(name: str, value) -> str:
    """A stored field value (text) as people read it: the label of a choice, "—" for nothing."""
    if value in (None, ""):
        return "—"
    field = Organisation._meta.get_field(name)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)

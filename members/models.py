import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core import signing
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from .choices import Kecamatan, Province

nib_validator = RegexValidator(
    r"^\d{13}\Z", _("An NIB (Nomor Induk Berusaha) is exactly 13 digits, with no spaces or dots.")
)


def normalise_email(email: str) -> str:
    """One spelling per address, so that Budi@Plant.test and budi@plant.test are one person."""
    return (email or "").strip().lower()


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        return self.get(email=normalise_email(username))

    def create_user(self, email, password=None, **extra_fields):
        if not email:
            raise ValueError("Users need an e-mail address.")
        user = self.model(email=normalise_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person with one login; e-mail is the login name."""

    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE)
    is_staff = models.BooleanField(
        _("platform staff"), default=False, help_text=_("Platform staff can open the admin site.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self):
        return self.full_name or self.email

    def clean(self):
        super().clean()
        self.email = normalise_email(self.email)

    def save(self, *args, **kwargs):
        self.email = normalise_email(self.email)
        super().save(*args, **kwargs)

    def get_full_name(self):
        return self.full_name

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def organisation(self):
        membership = getattr(self, "membership", None)
        return membership.organisation if membership else None


class OrganisationQuerySet(models.QuerySet):
    def verified(self):
        return self.filter(verification_status=Organisation.Status.VERIFIED)

    def banten(self):
        return self.filter(province=Province.BANTEN)

    def japnas_members(self):
        return self.exclude(japnas_number="")

    def awaiting_verification(self):
        return self.filter(verification_status=Organisation.Status.UNVERIFIED)


class Organisation(models.Model):
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
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    japnas_number = models.CharField(
        _("Japnas membership number"),
        max_length=40,
        blank=True,
        help_text=_("Only for members of Jaringan Pengusaha Nasional (Japnas)."),
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)
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
        constraints = [
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True, longitude__isnull=True)
                | models.Q(latitude__isnull=False, longitude__isnull=False),
                name="org_coordinates_both_or_neither",
            ),
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True) | models.Q(latitude__gte=-90, latitude__lte=90),
                name="org_latitude_range",
            ),
            models.CheckConstraint(
                condition=models.Q(longitude__isnull=True) | models.Q(longitude__gte=-180, longitude__lte=180),
                name="org_longitude_range",
            ),
        ]

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


class VerificationEvent(models.Model):
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


def normalise_japnas(number: str) -> str:
    """One spelling per Japnas number: `ｊpn 0012 ` and `JPN 0012` are the same member."""
    return " ".join((number or "").split()).upper()


class ChangeRequestQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status=OrganisationChangeRequest.Status.PENDING)


class OrganisationChangeRequest(models.Model):
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


def display_value(name: str, value) -> str:
    """A stored field value (text) as people read it: the label of a choice, "—" for nothing."""
    if value in (None, ""):
        return "—"
    field = Organisation._meta.get_field(name)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


class JapnasListUpload(models.Model):
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


class JapnasMember(models.Model):
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


class AuditEntry(models.Model):
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


class Membership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", _("Administrator")
        MEMBER = "member", _("Member")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership", verbose_name=_("person")
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("organisation")
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(_("joined at"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["organisation", "user__full_name"]

    def __str__(self):
        return f"{self.user} @ {self.organisation} ({self.get_role_display()})"

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN


class InvitationQuerySet(models.QuerySet):
    def pending(self):
        cutoff = timezone.now() - timedelta(days=settings.INVITATION_MAX_AGE_DAYS)
        return self.filter(accepted_at__isnull=True, created_at__gt=cutoff)

    def expired(self):
        cutoff = timezone.now() - timedelta(days=settings.INVITATION_MAX_AGE_DAYS)
        return self.filter(accepted_at__isnull=True, created_at__lte=cutoff)


class Invitation(models.Model):
    """An organisation admin's invitation to a colleague. The link carries a signed id, not a stored secret."""

    SIGNING_SALT = "wastex.members.invitation"

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("organisation")
    )
    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=10, choices=Membership.Role.choices, default=Membership.Role.MEMBER)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("invited by")
    )
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "email"],
                condition=models.Q(accepted_at__isnull=True),
                name="invitation_one_pending_per_email",
            )
        ]

    def __str__(self):
        return f"{self.email} → {self.organisation}"

    def save(self, *args, **kwargs):
        self.email = normalise_email(self.email)
        super().save(*args, **kwargs)

    @property
    def token(self) -> str:
        return signing.dumps(self.pk, salt=self.SIGNING_SALT)

    @property
    def expires_at(self):
        return self.created_at + timedelta(days=settings.INVITATION_MAX_AGE_DAYS)

    def get_accept_url(self) -> str:
        return reverse("members:invitation_accept", kwargs={"token": self.token})


class PendingSignup(models.Model):
    """A sign-up waiting for its e-mail address to be confirmed; the account is created only then.

    Sign-up answers the same whether or not the address already has an account (nobody learns who is
    registered): the form is kept here and an e-mail goes to the address — a confirmation link, or, when the
    address has an account already, a note to its owner. The password is kept only as its hash.
    """

    SIGNING_SALT = "wastex.members.signup"

    email = models.EmailField(_("e-mail address"))
    full_name = models.CharField(_("full name"), max_length=150)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    password = models.CharField(_("password"), max_length=128)
    organisation_fields = models.JSONField(_("organisation"), encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("sign-up awaiting confirmation")
        verbose_name_plural = _("sign-ups awaiting confirmation")

    def __str__(self):
        return self.email

    def save(self, *args, **kwargs):
        self.email = normalise_email(self.email)
        super().save(*args, **kwargs)

    @property
    def token(self) -> str:
        return signing.dumps(self.pk, salt=self.SIGNING_SALT)

    def get_confirm_url(self) -> str:
        return reverse("members:signup_confirm", kwargs={"token": self.token})


def licence_path(instance, filename):
    return f"licences/{instance.organisation_id}/{secrets.token_urlsafe(16)}.pdf"


class LicenceQuerySet(models.QuerySet):
    def verified(self):
        return self.filter(status=Licence.Status.VERIFIED)

    def valid_on(self, day):
        return self.verified().filter(valid_from__lte=day, valid_until__gte=day)

    def expiring_within(self, days: int):
        today = timezone.localdate()
        return self.verified().filter(valid_until__gte=today, valid_until__lte=today + timedelta(days=days))


class Licence(models.Model):
    """A permit a processor holds, e.g. the technical approval (Persetujuan Teknis) PP 22/2021 requires for B3
    waste. Checked by staff; a bid on a hazardous lot needs one that covers the category on the pickup date."""

    class Kind(models.TextChoices):
        PERTEK = "pertek", _("Technical approval for B3 waste (Persetujuan Teknis)")
        B3_PROCESSING = "b3-processing", _("B3 waste processing permit")
        B3_TRANSPORT = "b3-transport", _("B3 waste transport permit")
        OTHER = "other", _("Other environmental permit")

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting check")
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Rejected")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="licences", verbose_name=_("organisation")
    )
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    number = models.CharField(_("number"), max_length=100)
    issuer = models.CharField(_("issued by"), max_length=200)
    categories = models.ManyToManyField(
        "listings.WasteCategory", blank=True, related_name="licences", verbose_name=_("waste categories covered")
    )
    waste_codes = models.CharField(
        _("waste codes covered"), max_length=300, blank=True, help_text=_("Comma-separated, e.g. B105d, B104d")
    )
    capacity_tonnes_per_month = models.DecimalField(
        _("capacity (t per month)"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    document = models.FileField(_("document (PDF)"), upload_to=licence_path, max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checked by"),
    )
    reviewed_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    review_note = models.TextField(_("note from staff"), blank=True)
    expiry_warned_at = models.DateTimeField(_("expiry warning sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("added at"), auto_now_add=True)

    objects = LicenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("licence")
        verbose_name_plural = _("licences")
        ordering = ["-valid_until"]
        constraints = [
            models.CheckConstraint(condition=models.Q(valid_until__gte=models.F("valid_from")), name="licence_dates"),
        ]
        indexes = [models.Index(fields=["organisation", "status", "valid_until"], name="licence_org_status_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.number}"

    @property
    def code_list(self) -> list[str]:
        return [code.strip().upper() for code in self.waste_codes.split(",") if code.strip()]

    def covers(self, category) -> bool:
        """By category, or by the category's Indonesian waste code (prefetch `categories` to avoid a query)."""
        if category.indonesian_code and category.indonesian_code.upper() in self.code_list:
            return True
        return any(c.pk == category.pk for c in self.categories.all())

    def is_valid_on(self, day) -> bool:
        return self.status == self.Status.VERIFIED and self.valid_from <= day <= self.valid_until


# Notifications: an outbox of events written in the same transaction as the change, the inbox each person
# reads, and each person's choice per event (in-app only, e-mail at once, or a daily digest).


class Event(models.TextChoices):
    NEW_MATCH = "new_match", _("A new lot matches my organisation")
    NEW_BID = "new_bid", _("A new bid on my lot")
    OUTBID = "outbid", _("My bid is no longer the best price")
    BID_ACCEPTED = "bid_accepted", _("My bid was accepted")
    BID_REJECTED = "bid_rejected", _("My bid was not chosen")
    LOT_ENDED = "lot_ended", _("A lot I bid on was cancelled or closed without an award")
    CLOSING_SOON = "closing_soon", _("A lot closes within 24 hours")
    LOT_CLOSED = "lot_closed", _("My lot closed: choose a winner")
    LICENCE_EXPIRING = "licence_expiring", _("A licence of my organisation expires soon")
    ORGANISATION_DECISION = "organisation_decision", _("My organisation was verified or rejected")
    ORGANISATION_CHANGE = "organisation_change", _("A change to my organisation's details was decided")
    PICKUP_RECORDED = "pickup_recorded", _("Pickup recorded")
    PROCESSING_RECORDED = "processing_recorded", _("Processing recorded")


class OutboxEvent(models.Model):
    """Something happened that people must hear about. Written in the transaction of the change itself, so a
    broker outage loses nothing: a beat task dispatches what is still unprocessed once the broker is back."""

    key = models.CharField(max_length=160, unique=True)
    kind = models.CharField(max_length=40)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    dispatch_count = models.PositiveIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("outbox event")
        verbose_name_plural = _("outbox events")
        indexes = [
            models.Index(
                fields=["created_at"], name="outbox_unprocessed_idx", condition=models.Q(processed_at__isnull=True)
            )
        ]

    def __str__(self):
        return self.key


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """One person's inbox item. (recipient, key) is unique: a retried or repeated event never doubles it."""

    class Email(models.TextChoices):
        NONE = "none", _("in-app only")
        PENDING = "pending", _("to be sent")
        SENT = "sent", _("sent")
        DIGEST = "digest", _("waiting for the daily digest")
        DIGESTED = "digested", _("sent in a digest")
        FAILED = "failed", _("could not be sent")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    event = models.CharField(_("event"), max_length=40, choices=Event.choices)
    key = models.CharField(max_length=160)
    # Plain values only (references, titles, numbers): the message is rendered in the reader's language.
    params = models.JSONField(default=dict)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    email_status = models.CharField(max_length=10, choices=Email.choices, default=Email.NONE)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_next_attempt_at = models.DateTimeField(null=True, blank=True)
    email_error = models.TextField(blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["recipient", "key"], name="notification_once_per_key")]
        indexes = [
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_inbox_idx"),
            models.Index(
                fields=["recipient"], name="notification_unread_idx", condition=models.Q(read_at__isnull=True)
            ),
            models.Index(
                fields=["email_status", "email_next_attempt_at"],
                name="notification_email_idx",
                condition=models.Q(email_status__in=["pending", "digest"]),
            ),
        ]

    def __str__(self):
        return f"{self.recipient}: {self.key}"


class NotificationPreference(models.Model):
    class Channel(models.TextChoices):
        IN_APP = "in_app", _("In the app only")
        EMAIL = "email", _("E-mail at once")
        DIGEST = "digest", _("Daily digest e-mail")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    event = models.CharField(_("event"), max_length=40, choices=Event.choices)
    channel = models.CharField(_("how"), max_length=10, choices=Channel.choices)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [models.UniqueConstraint(fields=["user", "event"], name="preference_once_per_event")]

    def __str__(self):
        return f"{self.user}: {self.event} → {self.channel}"

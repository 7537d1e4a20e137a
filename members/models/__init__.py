"""The members app's models, by sub-domain; every model is importable from `members.models` as before."""

from .audit import AuditEntry
from .changes import (
    ChangeRequestQuerySet,
    JapnasListUpload,
    JapnasMember,
    OrganisationChangeRequest,
    normalise_japnas,
)
from .licences import Licence, LicenceQuerySet, licence_path
from .notifications import Event, Notification, NotificationPreference, NotificationQuerySet
from .organisations import (
    ORGANISATION_TRANSITIONS,
    VERIFIED_FIELDS,
    Organisation,
    OrganisationQuerySet,
    VerificationEvent,
    display_value,
    nib_validator,
)
from .users import Invitation, InvitationQuerySet, Membership, PendingSignup, User, UserManager, normalise_email

__all__ = [
    "ORGANISATION_TRANSITIONS",
    "VERIFIED_FIELDS",
    "AuditEntry",
    "ChangeRequestQuerySet",
    "Event",
    "Invitation",
    "InvitationQuerySet",
    "JapnasListUpload",
    "JapnasMember",
    "Licence",
    "LicenceQuerySet",
    "Membership",
    "Notification",
    "NotificationPreference",
    "NotificationQuerySet",
    "Organisation",
    "OrganisationChangeRequest",
    "OrganisationQuerySet",
    "PendingSignup",
    "User",
    "UserManager",
    "VerificationEvent",
    "display_value",
    "licence_path",
    "nib_validator",
    "normalise_email",
    "normalise_japnas",
]

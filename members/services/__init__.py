"""Everything that changes people, organisations and their verification goes through these functions, by
sub-domain: organisations (registration, verification), changes (details after verification, change
requests, the Japnas list), people (sign-up, invitations, e-mail address) and licences."""

from .changes import (
    japnas_list_replace,
    organisation_change_approve,
    organisation_change_reject,
    organisation_change_withdraw,
    organisation_update,
)
from .licences import licence_add, licence_review
from .organisations import (
    organisation_register,
    organisation_reject,
    organisation_transition,
    organisation_verify,
    require_staff,
    unique_slug,
)
from .people import (
    email_change_request,
    invitation_accept,
    invitation_create,
    invitation_revoke,
    signup_confirm,
    signup_request,
    user_change_email,
)

__all__ = [
    "email_change_request",
    "invitation_accept",
    "invitation_create",
    "invitation_revoke",
    "japnas_list_replace",
    "licence_add",
    "licence_review",
    "organisation_change_approve",
    "organisation_change_reject",
    "organisation_change_withdraw",
    "organisation_register",
    "organisation_reject",
    "organisation_transition",
    "organisation_update",
    "organisation_verify",
    "require_staff",
    "signup_confirm",
    "signup_request",
    "unique_slug",
    "user_change_email",
]

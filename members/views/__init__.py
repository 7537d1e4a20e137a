"""The members app's pages, by sub-domain; members/urls.py reaches every view through this package."""

from .licences import licence_document, licences, staff_licence_list, staff_licence_review
from .organisations import (
    directory,
    invitation_revoke,
    organisation_change_withdraw,
    organisation_detail,
    organisation_edit,
    organisation_team,
)
from .people import email_change_confirm, invitation_accept, profile, signup, signup_confirm, signup_sent
from .staff import (
    staff_audit,
    staff_audit_export,
    staff_change_decide,
    staff_change_list,
    staff_japnas_list,
    staff_organisation_list,
    staff_organisation_review,
)

__all__ = [
    "directory",
    "email_change_confirm",
    "invitation_accept",
    "invitation_revoke",
    "licence_document",
    "licences",
    "organisation_change_withdraw",
    "organisation_detail",
    "organisation_edit",
    "organisation_team",
    "profile",
    "signup",
    "signup_confirm",
    "signup_sent",
    "staff_audit",
    "staff_audit_export",
    "staff_change_decide",
    "staff_change_list",
    "staff_japnas_list",
    "staff_licence_list",
    "staff_licence_review",
    "staff_organisation_list",
    "staff_organisation_review",
]

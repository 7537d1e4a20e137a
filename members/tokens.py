"""Signed links: what a link in an e-mail carries, made and read without storing a secret."""

from datetime import timedelta

from django.conf import settings
from django.core import signing

from .models import PendingSignup, User

EMAIL_CHANGE_SALT = "wastex.members.email_change"
EMAIL_CHANGE_MAX_AGE = timedelta(days=1)


def email_change_token(*, user: User, new_email: str) -> str:
    # The current address is signed in: once the address has changed, older links stop working.
    return signing.dumps({"user": user.pk, "from": user.email, "to": new_email}, salt=EMAIL_CHANGE_SALT)


def email_change_from_token(*, user: User, token: str) -> str | None:
    """The new address a link of this person's carries, or None (forged, expired, someone else's, stale)."""
    try:
        data = signing.loads(token, salt=EMAIL_CHANGE_SALT, max_age=EMAIL_CHANGE_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("user") != user.pk or data.get("from") != user.email:
        return None
    return data.get("to") or None


def pending_signup_from_token(token: str) -> PendingSignup | None:
    max_age = timedelta(hours=settings.SIGNUP_CONFIRM_MAX_AGE_HOURS)
    try:
        pending_id = signing.loads(token, salt=PendingSignup.SIGNING_SALT, max_age=max_age)
    except signing.BadSignature:  # also SignatureExpired
        return None
    return PendingSignup.objects.filter(pk=pending_id).first() if isinstance(pending_id, int) else None

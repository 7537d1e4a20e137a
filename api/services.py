"""Organisation tokens: create (the secret is returned once), revoke, and find the token a request carries."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import Organisation, User
from members.selectors import is_organisation_admin

from .models import SCOPES_BY_KIND, ApiWrite, OrganisationToken, Scope

TOKEN_PREFIX = "wx_"  # noqa: S105 - the visible start of every token, not a secret
PREFIX_LENGTH = 8
# Record when a token was last used at most this often (a write per request would cost more than the request).
LAST_USED_RESOLUTION_SECONDS = 60


@dataclass(frozen=True)
class NewToken:
    token: OrganisationToken
    secret: str  # shown once, never stored


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def allowed_scopes(organisation: Organisation) -> tuple[str, ...]:
    """What this organisation may give a token: by its kind, and only reading until it is verified."""
    if not organisation.is_verified:
        return (Scope.READ,)
    return tuple(SCOPES_BY_KIND.get(organisation.kind, (Scope.READ,)))


def token_create(
    *,
    organisation: Organisation,
    acting_user: User,
    name: str,
    scopes: list[str],
    expires_at: datetime | None = None,
    by_operator: bool = False,
) -> NewToken:
    """An organisation's admin (or an operator, by the management command) creates a token for it. The token
    acts through `acting_user`, who must belong to the organisation."""
    if not by_operator and not is_organisation_admin(acting_user, organisation):
        raise PermissionDenied(_("Only an administrator of this organisation can manage its API tokens."))
    membership = getattr(acting_user, "membership", None)
    if membership is None or membership.organisation_id != organisation.pk:
        raise ValidationError(_("A token acts through a person of its own organisation."))
    if acting_user.is_staff:
        raise ValidationError(
            _("Platform staff use WasteX with their second factor: their powers are not given to API tokens.")
        )
    errors = {}
    if not (name or "").strip():
        errors["name"] = _("Give the token a name (e.g. the system that uses it).")
    wanted = list(dict.fromkeys(scopes or []))
    refused = [scope for scope in wanted if scope not in allowed_scopes(organisation)]
    if not wanted:
        errors["scopes"] = _("Choose at least one scope.")
    elif refused:
        errors["scopes"] = _("This organisation cannot give a token these scopes: %(scopes)s.") % {
            "scopes": ", ".join(refused)
        }
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = _("The expiry must be in the future.")
    if errors:
        raise ValidationError(errors)
    while True:
        prefix = secrets.token_hex(PREFIX_LENGTH // 2)
        if not OrganisationToken.objects.filter(prefix=prefix).exists():
            break
    secret = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = OrganisationToken.objects.create(
        organisation=organisation,
        name=name.strip()[:100],
        prefix=prefix,
        secret_hash=hash_secret(secret),
        scopes=wanted,
        created_by=acting_user,
        expires_at=expires_at,
    )
    return NewToken(token=token, secret=secret)


def token_revoke(*, token: OrganisationToken, acting_user: User) -> OrganisationToken:
    if not is_organisation_admin(acting_user, token.organisation):
        raise PermissionDenied(_("Only an administrator of this organisation can manage its API tokens."))
    with transaction.atomic():
        locked = OrganisationToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.revoked_by = acting_user
            locked.save(update_fields=["revoked_at", "revoked_by"])
    return locked


def token_for_secret(secret: str) -> OrganisationToken | None:
    """The active token this secret belongs to, with its organisation and person; None for anything else
    (unknown, revoked, expired, or its person no longer active or no longer of its organisation)."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    prefix, _sep, _rest = secret[len(TOKEN_PREFIX) :].partition("_")
    if len(prefix) != PREFIX_LENGTH:
        return None
    token = (
        OrganisationToken.objects.active()
        .select_related("organisation", "created_by", "created_by__membership__organisation")
        .filter(prefix=prefix)
        .first()
    )
    if token is None or not hmac.compare_digest(token.secret_hash, hash_secret(secret)):
        return None
    person = token.created_by
    membership = getattr(person, "membership", None)
    if (
        not person.is_active
        or person.is_staff
        or membership is None
        or membership.organisation_id != token.organisation_id
    ):
        return None
    return token


def token_touch(token: OrganisationToken) -> None:
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() >= LAST_USED_RESOLUTION_SECONDS:
        OrganisationToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def write_record(*, token: OrganisationToken, method: str, path: str, status: int) -> ApiWrite:
    return ApiWrite.objects.create(token=token, method=method, path=path[:300], status=status)

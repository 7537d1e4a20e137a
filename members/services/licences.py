"""Licences: a processor's admin records one; staff check it."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import (
    AuditEntry,
    Licence,
    Organisation,
    User,
)
from ..selectors import is_organisation_admin
from .organisations import require_staff


@transaction.atomic
def licence_add(*, organisation: Organisation, acting_user: User, fields: dict, categories, document) -> Licence:
    """A processor's admin records a licence; it counts for bids only once staff have checked it."""
    if not is_organisation_admin(acting_user, organisation):
        raise PermissionDenied(_("Only an administrator of this organisation can add licences."))
    licence = Licence(organisation=organisation, **fields)
    licence.document.save("licence.pdf", ContentFile(document.content), save=False)
    licence.full_clean()
    licence.save()
    licence.categories.set(categories)
    return licence


def licence_review(*, licence: Licence, acting_user: User, verified: bool, note: str = "") -> Licence:
    require_staff(acting_user)
    if not verified and not (note or "").strip():
        raise ValidationError(_("Say why the licence is rejected: the organisation will read it."))
    with transaction.atomic():
        locked = Licence.objects.select_for_update().get(pk=licence.pk)
        locked.status = Licence.Status.VERIFIED if verified else Licence.Status.REJECTED
        locked.reviewed_by = acting_user
        locked.reviewed_at = timezone.now()
        locked.review_note = (note or "").strip()
        locked.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
        AuditEntry.objects.create(
            kind=AuditEntry.Kind.LICENCE_VERIFIED if verified else AuditEntry.Kind.LICENCE_REJECTED,
            actor=acting_user,
            organisation_id=locked.organisation_id,
            details={"licence": locked.number},
            reason=locked.review_note,
        )
    licence.refresh_from_db()
    return licence

"""An organisation's details after verification: what its admin may change at once, what waits for staff as a
change request, and staff's decisions; and the Japnas member list staff upload."""

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import notifications, tasks
from ..models import (
    VERIFIED_FIELDS,
    AuditEntry,
    Event,
    JapnasListUpload,
    JapnasMember,
    Organisation,
    OrganisationChangeRequest,
    User,
)
from ..selectors import is_organisation_admin, people_of
from .organisations import enqueue_on_commit, organisation_transition, require_staff


def _as_text(value):
    """A field value as it is kept in a change request (JSON): text, or None for nothing."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return f"{value:.6f}"
    return str(value)


def organisation_update(
    *, organisation: Organisation, acting_user: User, fields: dict
) -> OrganisationChangeRequest | None:
    """An organisation's admin corrects its details; a rejected organisation goes back for review.

    Once verified, what staff verified (VERIFIED_FIELDS: kind, NIB, name, place, coordinates, Japnas number) is
    not the admin's to change: a change to any of it becomes a change request for staff, and the verified
    values keep applying until staff approve it. The other details (address, phone) are saved at once.
    Returns the change request when one was made."""
    if not is_organisation_admin(acting_user, organisation):
        raise PermissionDenied(_("Only an administrator of this organisation can change its details."))
    if (
        "kind" in fields
        and fields["kind"] != organisation.kind
        and fields["kind"] not in Organisation.SELF_SERVICE_KINDS
    ):
        raise ValidationError({"kind": _("An organisation can only be a plant or a processing business.")})
    request = None
    with transaction.atomic():
        locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
        claimed = {}
        if locked.is_verified:
            claimed = {
                name: [_as_text(getattr(locked, name)), _as_text(value)]
                for name, value in fields.items()
                if name in VERIFIED_FIELDS and _as_text(value) != _as_text(getattr(locked, name))
            }
        # The whole proposal must be valid (e.g. a NIB another organisation has) before anything is kept.
        proposal = Organisation.objects.get(pk=locked.pk)
        for name, value in fields.items():
            setattr(proposal, name, value)
        proposal.full_clean()
        direct = [name for name in fields if name not in claimed]
        for name in direct:
            setattr(locked, name, fields[name])
        if direct:
            locked.save(update_fields=direct)
        if claimed:
            request = _change_request_create(organisation=locked, changes=claimed, acting_user=acting_user)
        if locked.verification_status == Organisation.Status.REJECTED:
            organisation_transition(
                organisation=locked,
                to_status=Organisation.Status.UNVERIFIED,
                acting_user=acting_user,
                reason=_("Details corrected; asked for review again."),
            )
    organisation.refresh_from_db()
    return request


def _change_request_create(
    *, organisation: Organisation, changes: dict, acting_user: User
) -> OrganisationChangeRequest:
    """A new request replaces the one still waiting (its admin corrects what they asked for): the old one is
    kept as "replaced", so the history shows both. One pending request per organisation (a constraint)."""
    replaced = organisation.change_requests.pending()
    replaced.update(
        status=OrganisationChangeRequest.Status.WITHDRAWN, decided_by=acting_user, decided_at=timezone.now()
    )
    try:
        with transaction.atomic():
            request = OrganisationChangeRequest.objects.create(
                organisation=organisation, changes=changes, requested_by=acting_user
            )
    except IntegrityError as exc:  # without row locks (SQLite) two requests can race: the constraint decides
        raise ValidationError(_("Another change to these details was asked at the same moment. Try again.")) from exc
    enqueue_on_commit(tasks.notify_staff_of_change_request, request.pk)
    return request


def organisation_change_withdraw(*, change_request: OrganisationChangeRequest, acting_user: User) -> None:
    """The organisation's admin takes back a request still waiting."""
    if not is_organisation_admin(acting_user, change_request.organisation):
        raise PermissionDenied(_("Only an administrator of this organisation can withdraw its change request."))
    with transaction.atomic():
        Organisation.objects.select_for_update().get(pk=change_request.organisation_id)
        updated = OrganisationChangeRequest.objects.filter(
            pk=change_request.pk, status=OrganisationChangeRequest.Status.PENDING
        ).update(status=OrganisationChangeRequest.Status.WITHDRAWN, decided_by=acting_user, decided_at=timezone.now())
    if not updated:
        raise ValidationError(_("This change request has been decided already."))


def _locked_pending(change_request: OrganisationChangeRequest) -> tuple[Organisation, OrganisationChangeRequest]:
    # The organisation row first (as organisation_update does), then the request: one order, no deadlock.
    organisation = Organisation.objects.select_for_update().get(pk=change_request.organisation_id)
    locked = OrganisationChangeRequest.objects.select_for_update().get(pk=change_request.pk)
    if not locked.is_pending:
        raise ValidationError(_("This change request has been decided already."))
    return organisation, locked


def _decide(
    organisation: Organisation, request: OrganisationChangeRequest, *, status: str, acting_user: User, reason: str
) -> None:
    request.status = status
    request.decided_by = acting_user
    request.decided_at = timezone.now()
    request.reason = reason
    request.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    approved = status == OrganisationChangeRequest.Status.APPROVED
    AuditEntry.objects.create(
        kind=AuditEntry.Kind.CHANGE_APPROVED if approved else AuditEntry.Kind.CHANGE_REJECTED,
        actor=acting_user,
        organisation=organisation,
        details={"changes": request.changes},
        reason=reason,
    )
    notifications.notify_later(
        Event.ORGANISATION_CHANGE,
        notifications.key_for(Event.ORGANISATION_CHANGE, request.pk),
        people_of(organisation),
        {"organisation": organisation.name, "fields": sorted(request.changes), "how": status, "reason": reason},
        organisation.get_absolute_url(),
    )


def organisation_change_approve(
    *, change_request: OrganisationChangeRequest, acting_user: User, note: str = ""
) -> OrganisationChangeRequest:
    """Staff checked the new values: they apply from now on (bidding, matching, the city's figures)."""
    require_staff(acting_user, _("Only platform staff can approve a change to verified details."))
    with transaction.atomic():
        organisation, locked = _locked_pending(change_request)
        for name, (_old, new) in locked.changes.items():
            field = Organisation._meta.get_field(name)
            setattr(organisation, name, field.to_python(new) if new is not None else None)
        try:
            organisation.full_clean()
        except ValidationError as exc:  # e.g. the NIB was taken by another organisation in the meantime
            raise ValidationError(
                _("The requested values are no longer valid: %(errors)s") % {"errors": " ".join(exc.messages)}
            ) from exc
        organisation.save(update_fields=list(locked.changes))
        _decide(
            organisation,
            locked,
            status=OrganisationChangeRequest.Status.APPROVED,
            acting_user=acting_user,
            reason=(note or "").strip(),
        )
    change_request.refresh_from_db()
    return change_request


def organisation_change_reject(
    *, change_request: OrganisationChangeRequest, acting_user: User, reason: str
) -> OrganisationChangeRequest:
    """Staff refuse the change: the verified values stay; the organisation's people read why."""
    require_staff(acting_user, _("Only platform staff can reject a change to verified details."))
    if not (reason or "").strip():
        raise ValidationError(_("Say why the change is rejected: the organisation's people will read the reason."))
    with transaction.atomic():
        organisation, locked = _locked_pending(change_request)
        _decide(
            organisation,
            locked,
            status=OrganisationChangeRequest.Status.REJECTED,
            acting_user=acting_user,
            reason=reason.strip(),
        )
    change_request.refresh_from_db()
    return change_request


def japnas_list_replace(*, members: list[tuple[str, str]], filename: str, acting_user: User) -> JapnasListUpload:
    """Staff upload Japnas's member list: it replaces the previous one whole, or nothing changes."""
    require_staff(acting_user, _("Only platform staff can upload the Japnas member list."))
    with transaction.atomic():
        upload = JapnasListUpload.objects.create(
            filename=filename[:200], member_count=len(members), uploaded_by=acting_user
        )
        JapnasMember.objects.all().delete()
        JapnasMember.objects.bulk_create(
            [JapnasMember(number=number, name=name[:200], upload=upload) for number, name in members], batch_size=1000
        )
        AuditEntry.objects.create(
            kind=AuditEntry.Kind.JAPNAS_LIST_UPLOADED,
            actor=acting_user,
            details={"members": len(members), "file": upload.filename},
        )
    return upload

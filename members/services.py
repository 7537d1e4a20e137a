"""Everything that changes people, organisations and their verification goes through these functions."""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from . import notifications
from .models import (
    ORGANISATION_TRANSITIONS,
    VERIFIED_FIELDS,
    AuditEntry,
    Event,
    Invitation,
    JapnasListUpload,
    JapnasMember,
    Licence,
    Membership,
    Organisation,
    OrganisationChangeRequest,
    PendingSignup,
    User,
    VerificationEvent,
    normalise_email,
)


def _enqueue_on_commit(task, *args):
    # robust: a broker outage must not turn a committed change into a 500 for the person who made it.
    transaction.on_commit(lambda: task.delay(*args), robust=True)


def unique_slug(name: str) -> str:
    base = slugify(name)[:70] or "org"
    slug, n = base, 2
    while Organisation.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def signup_request(
    *, email: str, full_name: str, password: str, language: str, organisation_fields: dict
) -> PendingSignup:
    """Someone fills in the sign-up form: nothing is created yet, and the answer never says whether the address
    has an account. The form waits (password hashed) while an e-mail goes to the address: a link to confirm
    it, or — when the address has an account — a note to its owner (decided in the task, after the response)."""
    from . import tasks

    if organisation_fields.get("kind") not in Organisation.SELF_SERVICE_KINDS:
        raise ValidationError(_("Only plants and processing businesses can sign up here."))
    pending = PendingSignup.objects.create(
        email=email,
        full_name=full_name,
        language=language,
        password=make_password(password),
        organisation_fields=organisation_fields,
    )
    _enqueue_on_commit(tasks.send_signup_email, pending.pk)
    return pending


def pending_signup_from_token(token: str) -> PendingSignup | None:
    max_age = timedelta(hours=settings.SIGNUP_CONFIRM_MAX_AGE_HOURS)
    try:
        pending_id = signing.loads(token, salt=PendingSignup.SIGNING_SALT, max_age=max_age)
    except signing.BadSignature:  # also SignatureExpired
        return None
    return PendingSignup.objects.filter(pk=pending_id).first() if isinstance(pending_id, int) else None


@transaction.atomic
def signup_confirm(*, pending: PendingSignup) -> tuple[User, Organisation]:
    """The link in the e-mail is followed: the address is the person's, so the account and organisation are made."""
    locked = PendingSignup.objects.select_for_update().filter(pk=pending.pk).first()
    if locked is None:
        raise ValidationError(_("This link has already been used. Log in, or sign up again."))
    result = organisation_register(
        email=locked.email,
        full_name=locked.full_name,
        password_hash=locked.password,
        language=locked.language,
        organisation_fields=locked.organisation_fields,
    )
    PendingSignup.objects.filter(email=locked.email).delete()
    return result


@transaction.atomic
def organisation_register(
    *,
    email: str,
    full_name: str,
    language: str,
    organisation_fields: dict,
    password: str | None = None,
    password_hash: str = "",
) -> tuple[User, Organisation]:
    """A new person with a new plant or processor, which starts unverified; staff are told.

    Reached from a confirmed sign-up (`signup_confirm`): by then the person has shown the address is theirs, so
    saying that it already has an account reveals nothing to a stranger.
    """
    from . import tasks

    if organisation_fields.get("kind") not in Organisation.SELF_SERVICE_KINDS:
        raise ValidationError(_("Only plants and processing businesses can sign up here."))
    if User.objects.filter(email=normalise_email(email)).exists():
        raise ValidationError(_("A person with this e-mail address already has an account."))
    organisation = Organisation(**organisation_fields)
    organisation.slug = unique_slug(organisation.name)
    organisation.verification_status = Organisation.Status.UNVERIFIED
    organisation.full_clean()
    try:
        with transaction.atomic():
            organisation.save()
            user = User.objects.create_user(email, password, full_name=full_name, language=language)
            if password_hash:
                user.password = password_hash
                user.save(update_fields=["password"])
    except IntegrityError as exc:  # two sign-ups racing for one NIB or one e-mail
        raise ValidationError(_("This organisation or e-mail address is already registered.")) from exc
    Membership.objects.create(user=user, organisation=organisation, role=Membership.Role.ADMIN)
    VerificationEvent.objects.create(
        organisation=organisation,
        from_status="",
        to_status=Organisation.Status.UNVERIFIED,
        actor=user,
        reason=_("Registered through the sign-up form."),
        notified_at=timezone.now(),
    )
    _enqueue_on_commit(tasks.notify_staff_of_registration, organisation.pk)
    return user, organisation


def _organisation_transition(
    *, organisation: Organisation, to_status: str, acting_user: User, reason: str = ""
) -> VerificationEvent:

    with transaction.atomic():
        locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
        from_status = locked.verification_status
        if to_status not in ORGANISATION_TRANSITIONS.get(from_status, set()):
            raise ValidationError(
                _("An organisation that is “%(from)s” cannot become “%(to)s”.")
                % {
                    "from": Organisation.Status(from_status).label,
                    "to": Organisation.Status(to_status).label,
                }
            )
        locked.verification_status = to_status
        locked.verified_at = timezone.now() if to_status == Organisation.Status.VERIFIED else None
        locked.save(update_fields=["verification_status", "verified_at"])
        event = VerificationEvent.objects.create(
            organisation=locked, from_status=from_status, to_status=to_status, actor=acting_user, reason=reason
        )
        if to_status in (Organisation.Status.VERIFIED, Organisation.Status.REJECTED):
            _notify_decision(locked, event)
            AuditEntry.objects.create(
                kind=f"organisation_{to_status}",
                actor=acting_user,
                organisation=locked,
                details={"from": from_status},
                reason=reason,
            )
    organisation.refresh_from_db(fields=["verification_status", "verified_at"])
    return event


def _notify_decision(organisation: Organisation, event: VerificationEvent) -> None:
    """The organisation's people hear of staff's decision (through the outbox, in the same transaction)."""
    people = _people_of(organisation)
    notifications.notify_later(
        Event.ORGANISATION_DECISION,
        notifications.key_for(Event.ORGANISATION_DECISION, event.pk),
        people,
        {"organisation": organisation.name, "decision": event.to_status, "reason": event.reason},
        organisation.get_absolute_url(),
    )
    event.notified_at = timezone.now()
    event.save(update_fields=["notified_at"])


def _require_staff(user: User, message: str | None = None) -> None:
    if not (user.is_active and user.is_staff):
        raise PermissionDenied(message or _("Only platform staff can verify organisations."))


def organisation_verify(*, organisation: Organisation, acting_user: User, note: str = "") -> VerificationEvent:
    _require_staff(acting_user)
    return _organisation_transition(
        organisation=organisation, to_status=Organisation.Status.VERIFIED, acting_user=acting_user, reason=note
    )


def organisation_reject(*, organisation: Organisation, acting_user: User, reason: str) -> VerificationEvent:
    _require_staff(acting_user)
    if not (reason or "").strip():
        raise ValidationError(_("Say why the organisation is rejected: its people will read the reason."))
    return _organisation_transition(
        organisation=organisation,
        to_status=Organisation.Status.REJECTED,
        acting_user=acting_user,
        reason=reason.strip(),
    )


def _as_text(value):
    """A field value as it is kept in a change request (JSON): text, or None for nothing."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return f"{value:.6f}"
    return str(value)


def _people_of(organisation: Organisation):
    return User.objects.filter(membership__organisation=organisation, is_active=True).values_list("pk", flat=True)


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
            _organisation_transition(
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
    from . import tasks

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
    _enqueue_on_commit(tasks.notify_staff_of_change_request, request.pk)
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
        _people_of(organisation),
        {"organisation": organisation.name, "fields": sorted(request.changes), "how": status, "reason": reason},
        organisation.get_absolute_url(),
    )


def organisation_change_approve(
    *, change_request: OrganisationChangeRequest, acting_user: User, note: str = ""
) -> OrganisationChangeRequest:
    """Staff checked the new values: they apply from now on (bidding, matching, the city's figures)."""
    _require_staff(acting_user, _("Only platform staff can approve a change to verified details."))
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
    _require_staff(acting_user, _("Only platform staff can reject a change to verified details."))
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
    _require_staff(acting_user, _("Only platform staff can upload the Japnas member list."))
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


def is_organisation_admin(user: User, organisation: Organisation) -> bool:
    membership = getattr(user, "membership", None)
    return bool(
        user.is_authenticated
        and membership
        and membership.organisation_id == organisation.pk
        and membership.role == Membership.Role.ADMIN
    )


@transaction.atomic
def invitation_create(*, organisation: Organisation, email: str, role: str, acting_user: User) -> Invitation:
    from . import tasks

    if not is_organisation_admin(acting_user, organisation):
        raise PermissionDenied(_("Only an administrator of this organisation can invite colleagues."))
    email = normalise_email(email)
    # No "already has an account" here: any new sign-up is its organisation's admin, so this form would tell
    # anyone who is registered. An address with an account gets a note instead of a link (tasks.send_invitation).
    # A new invitation to the same address replaces the old one (its link stops working).
    Invitation.objects.filter(organisation=organisation, email=email, accepted_at__isnull=True).delete()
    invitation = Invitation.objects.create(organisation=organisation, email=email, role=role, invited_by=acting_user)
    _enqueue_on_commit(tasks.send_invitation, invitation.pk)
    return invitation


def invitation_revoke(*, invitation: Invitation, acting_user: User) -> None:
    if not is_organisation_admin(acting_user, invitation.organisation):
        raise PermissionDenied(_("Only an administrator of this organisation can revoke invitations."))
    Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).delete()


@transaction.atomic
def invitation_accept(*, invitation: Invitation, full_name: str, password: str, language: str) -> User:
    locked = Invitation.objects.select_for_update().filter(pk=invitation.pk).first()
    if locked is None or locked.accepted_at is not None:
        raise ValidationError(_("This invitation has already been used."))
    if locked.expires_at <= timezone.now():
        raise ValidationError(_("This invitation has expired. Ask your colleague for a new one."))
    if User.objects.filter(email=locked.email).exists():
        raise ValidationError(_("A person with this e-mail address already has an account."))
    user = User.objects.create_user(locked.email, password, full_name=full_name, language=language)
    Membership.objects.create(user=user, organisation=locked.organisation, role=locked.role)
    locked.accepted_at = timezone.now()
    locked.save(update_fields=["accepted_at"])
    return user


EMAIL_CHANGE_SALT = "wastex.members.email_change"
EMAIL_CHANGE_MAX_AGE = timedelta(days=1)


def email_change_request(*, user: User, new_email: str) -> None:
    """A new login address takes effect only through a link sent to it, and the answer is the same whether or
    not the address has an account (its owner gets a note instead of the link: tasks.send_email_change)."""
    from . import tasks

    new_email = normalise_email(new_email)
    if new_email == user.email:
        raise ValidationError(_("That is your address already."))
    _enqueue_on_commit(tasks.send_email_change, user.pk, new_email)


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


def user_change_email(*, user: User, new_email: str) -> User:
    """Reached from the link sent to the new address: its owner may learn that it is taken."""
    new_email = normalise_email(new_email)
    if User.objects.filter(email=new_email).exclude(pk=user.pk).exists():
        raise ValidationError(_("A person with this e-mail address already has an account."))
    user.email = new_email
    try:
        with transaction.atomic():
            user.save(update_fields=["email"])
    except IntegrityError as exc:
        raise ValidationError(_("A person with this e-mail address already has an account.")) from exc
    return user


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
    _require_staff(acting_user)
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

"""Everything that changes people, organisations and their verification goes through these functions."""

from datetime import timedelta

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
    Event,
    Invitation,
    Licence,
    Membership,
    Organisation,
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
    organisation.refresh_from_db(fields=["verification_status", "verified_at"])
    return event


def _notify_decision(organisation: Organisation, event: VerificationEvent) -> None:
    """The organisation's people hear of staff's decision (through the outbox, in the same transaction)."""
    people = User.objects.filter(membership__organisation=organisation, is_active=True).values_list("pk", flat=True)
    notifications.notify_later(
        Event.ORGANISATION_DECISION,
        notifications.key_for(Event.ORGANISATION_DECISION, event.pk),
        people,
        {"organisation": organisation.name, "decision": event.to_status, "reason": event.reason},
        organisation.get_absolute_url(),
    )
    event.notified_at = timezone.now()
    event.save(update_fields=["notified_at"])


def _require_staff(user: User) -> None:
    if not (user.is_active and user.is_staff):
        raise PermissionDenied(_("Only platform staff can verify organisations."))


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


IDENTITY_FIELDS = ("name", "nib")


def organisation_update(*, organisation: Organisation, acting_user: User, fields: dict) -> Organisation:
    """An organisation's admin corrects its details; a rejected organisation goes back for review."""
    if not is_organisation_admin(acting_user, organisation):
        raise PermissionDenied(_("Only an administrator of this organisation can change its details."))
    with transaction.atomic():
        locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
        if locked.is_verified and any(
            getattr(locked, name) != fields.get(name, getattr(locked, name)) for name in IDENTITY_FIELDS
        ):
            # The legal name and NIB are what staff verified: changing them needs staff.
            raise ValidationError(_("A verified organisation's name and NIB can only be changed by platform staff."))
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.full_clean()
        locked.save()
        if locked.verification_status == Organisation.Status.REJECTED:
            _organisation_transition(
                organisation=locked,
                to_status=Organisation.Status.UNVERIFIED,
                acting_user=acting_user,
                reason=_("Details corrected; asked for review again."),
            )
    organisation.refresh_from_db()
    return organisation


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
    licence.refresh_from_db()
    return licence

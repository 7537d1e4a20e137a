"""Organisations and their verification: sign-up's last step, staff's verify and reject, each move recorded."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from .. import notifications, tasks
from ..models import (
    ORGANISATION_TRANSITIONS,
    AuditEntry,
    Event,
    Membership,
    Organisation,
    User,
    VerificationEvent,
    normalise_email,
)
from ..selectors import people_of


def enqueue_on_commit(task, *args):
    # robust: a broker outage must not turn a committed change into a 500 for the person who made it.
    transaction.on_commit(lambda: task.delay(*args), robust=True)


def unique_slug(name: str) -> str:
    base = slugify(name)[:70] or "org"
    slug, n = base, 2
    while Organisation.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


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
    enqueue_on_commit(tasks.notify_staff_of_registration, organisation.pk)
    return user, organisation


def organisation_transition(
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
    people = people_of(organisation)
    notifications.notify_later(
        Event.ORGANISATION_DECISION,
        notifications.key_for(Event.ORGANISATION_DECISION, event.pk),
        people,
        {"organisation": organisation.name, "decision": event.to_status, "reason": event.reason},
        organisation.get_absolute_url(),
    )
    event.notified_at = timezone.now()
    event.save(update_fields=["notified_at"])


def require_staff(user: User, message: str | None = None) -> None:
    if not (user.is_active and user.is_staff):
        raise PermissionDenied(message or _("Only platform staff can verify organisations."))


def organisation_verify(*, organisation: Organisation, acting_user: User, note: str = "") -> VerificationEvent:
    require_staff(acting_user)
    return organisation_transition(
        organisation=organisation, to_status=Organisation.Status.VERIFIED, acting_user=acting_user, reason=note
    )


def organisation_reject(*, organisation: Organisation, acting_user: User, reason: str) -> VerificationEvent:
    require_staff(acting_user)
    if not (reason or "").strip():
        raise ValidationError(_("Say why the organisation is rejected: its people will read the reason."))
    return organisation_transition(
        organisation=organisation,
        to_status=Organisation.Status.REJECTED,
        acting_user=acting_user,
        reason=reason.strip(),
    )

"""People and sign-up: a sign-up confirmed by e-mail, invitations to colleagues, a change of login address."""

from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import tasks
from ..models import (
    Invitation,
    Membership,
    Organisation,
    PendingSignup,
    User,
    normalise_email,
)
from ..selectors import is_organisation_admin
from .organisations import enqueue_on_commit, organisation_register


@transaction.atomic
def signup_request(
    *, email: str, full_name: str, password: str, language: str, organisation_fields: dict
) -> PendingSignup:
    """Someone fills in the sign-up form: nothing is created yet, and the answer never says whether the address
    has an account. The form waits (password hashed) while an e-mail goes to the address: a link to confirm
    it, or — when the address has an account — a note to its owner (decided in the task, after the response)."""
    if organisation_fields.get("kind") not in Organisation.SELF_SERVICE_KINDS:
        raise ValidationError(_("Only plants and processing businesses can sign up here."))
    pending = PendingSignup.objects.create(
        email=email,
        full_name=full_name,
        language=language,
        password=make_password(password),
        organisation_fields=organisation_fields,
    )
    enqueue_on_commit(tasks.send_signup_email, pending.pk)
    return pending


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
def invitation_create(*, organisation: Organisation, email: str, role: str, acting_user: User) -> Invitation:
    if not is_organisation_admin(acting_user, organisation):
        raise PermissionDenied(_("Only an administrator of this organisation can invite colleagues."))
    email = normalise_email(email)
    # No "already has an account" here: any new sign-up is its organisation's admin, so this form would tell
    # anyone who is registered. An address with an account gets a note instead of a link (tasks.send_invitation).
    # A new invitation to the same address replaces the old one (its link stops working).
    Invitation.objects.filter(organisation=organisation, email=email, accepted_at__isnull=True).delete()
    invitation = Invitation.objects.create(organisation=organisation, email=email, role=role, invited_by=acting_user)
    enqueue_on_commit(tasks.send_invitation, invitation.pk)
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


def email_change_request(*, user: User, new_email: str) -> None:
    """A new login address takes effect only through a link sent to it, and the answer is the same whether or
    not the address has an account (its owner gets a note instead of the link: tasks.send_email_change)."""
    new_email = normalise_email(new_email)
    if new_email == user.email:
        raise ValidationError(_("That is your address already."))
    enqueue_on_commit(tasks.send_email_change, user.pk, new_email)


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

"""Background work for members: thin tasks that take ids, load, and send.

Every task is safe to run twice: a status guard or a timestamp makes a re-run harmless.
"""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core.mail import send_email

from . import notifications
from .emails import render_email
from .models import Event, Invitation, Licence, Organisation, OrganisationChangeRequest, PendingSignup, User
from .tokens import email_change_token


def email_people(users, template: str, context: dict) -> None:
    """Each person gets the e-mail in their own language, through the e-mail queue (core.mail)."""
    for user in users:
        rendered = render_email(template, {**context, "recipient": user}, language=user.language)
        send_email(to=user.email, **rendered)


@shared_task
def notify_staff_of_registration(organisation_id: int) -> None:
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is None or organisation.verification_status != Organisation.Status.UNVERIFIED:
        return
    staff = User.objects.filter(is_staff=True, is_active=True)
    email_people(staff, "staff_new_registration", {"organisation": organisation})


@shared_task
def notify_staff_of_change_request(change_request_id: int) -> None:
    request = OrganisationChangeRequest.objects.pending().select_related("organisation").filter(pk=change_request_id)
    request = request.first()
    if request is None:  # decided or replaced meanwhile
        return
    staff = User.objects.filter(is_staff=True, is_active=True)
    email_people(staff, "staff_change_request", {"change_request": request, "organisation": request.organisation})


@shared_task
def send_invitation(invitation_id: int) -> None:
    invitation = (
        Invitation.objects.pending().select_related("organisation", "invited_by").filter(pk=invitation_id).first()
    )
    if invitation is None:  # accepted, revoked or expired meanwhile
        return
    owner = User.objects.filter(email=invitation.email).first()
    if owner is not None:
        # The inviter is never told that the address has an account; its owner hears of the invitation.
        if owner.is_active:
            rendered = render_email(
                "invitation_existing",
                {"invitation": invitation, "recipient": owner, "login_url": settings.SITE_URL + reverse("login")},
                language=owner.language,
            )
            send_email(to=owner.email, **rendered)
        return
    language = invitation.invited_by.language if invitation.invited_by else settings.LANGUAGE_CODE
    rendered = render_email(
        "invitation",
        {"invitation": invitation, "accept_url": settings.SITE_URL + invitation.get_accept_url()},
        language=language,
    )
    send_email(to=invitation.email, **rendered)


@shared_task
def send_signup_email(pending_id: int) -> None:
    """A sign-up's one e-mail, to the address given: the confirmation link, or — when the address already has
    an account — a note to its owner in their language (log in, or reset the password). Deciding here, after
    the response, keeps the sign-up's answer and its timing the same either way."""
    pending = PendingSignup.objects.filter(pk=pending_id).first()
    if pending is None:
        return
    owner = User.objects.filter(email=pending.email).first()
    if owner is not None:
        PendingSignup.objects.filter(pk=pending.pk).delete()  # never confirmable: its link is never sent
        rendered = render_email(
            "signup_existing",
            {
                "recipient": owner,
                "login_url": settings.SITE_URL + reverse("login"),
                "reset_url": settings.SITE_URL + reverse("password_reset"),
            },
            language=owner.language,
        )
        if owner.is_active:
            send_email(to=owner.email, **rendered)
        return
    rendered = render_email(
        "signup_confirm",
        {
            "pending": pending,
            "confirm_url": settings.SITE_URL + pending.get_confirm_url(),
            "hours": settings.SIGNUP_CONFIRM_MAX_AGE_HOURS,
        },
        language=pending.language,
    )
    send_email(to=pending.email, **rendered)


@shared_task
def send_email_change(user_id: int, new_email: str) -> None:
    """The link that moves a login to a new address goes to that address; if it has an account, its owner gets
    a note instead (and the person asking is told the same as always: "we sent a link")."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return
    owner = User.objects.filter(email=new_email).exclude(pk=user.pk).first()
    if owner is not None:
        if owner.is_active:
            rendered = render_email(
                "email_change_existing",
                {"recipient": owner, "reset_url": settings.SITE_URL + reverse("password_reset")},
                language=owner.language,
            )
            send_email(to=owner.email, **rendered)
        return
    token = email_change_token(user=user, new_email=new_email)
    rendered = render_email(
        "email_change_confirm",
        {
            "recipient": user,
            "new_email": new_email,
            "confirm_url": settings.SITE_URL + reverse("members:email_change_confirm", kwargs={"token": token}),
        },
        language=user.language,
    )
    send_email(to=new_email, **rendered)


@shared_task
def purge_expired_signups() -> int:
    cutoff = timezone.now() - timedelta(hours=settings.SIGNUP_CONFIRM_MAX_AGE_HOURS)
    deleted, _ = PendingSignup.objects.filter(created_at__lt=cutoff).delete()
    return deleted


@shared_task
def purge_expired_invitations() -> int:
    deleted, _ = Invitation.objects.expired().delete()
    return deleted


@shared_task
def remind_staff_of_pending_verifications() -> int:
    """A daily nudge to staff while organisations wait: an unverified business cannot trade."""
    waiting = list(Organisation.objects.awaiting_verification().order_by("created_at"))
    if waiting:
        staff = User.objects.filter(is_staff=True, is_active=True)
        email_people(staff, "staff_pending_verifications", {"organisations": waiting})
    return len(waiting)


@shared_task
def warn_expiring_licences(days: int = 30) -> int:
    """Daily: an organisation hears once, 30 days ahead, that a verified licence expires."""
    warned = 0
    for licence in (
        Licence.objects.expiring_within(days).filter(expiry_warned_at__isnull=True).select_related("organisation")
    ):
        with transaction.atomic():
            locked = Licence.objects.select_for_update().filter(pk=licence.pk, expiry_warned_at__isnull=True).first()
            if locked is None:
                continue
            people = User.objects.filter(membership__organisation_id=licence.organisation_id, is_active=True)
            notifications.notify_later(
                Event.LICENCE_EXPIRING,
                notifications.key_for(Event.LICENCE_EXPIRING, licence.pk, licence.valid_until.isoformat()),
                people.values_list("pk", flat=True),
                {
                    "number": licence.number,
                    "organisation": licence.organisation.name,
                    "valid_until": licence.valid_until.isoformat(),
                },
                reverse("members:licences", kwargs={"slug": licence.organisation.slug}),
            )
            locked.expiry_warned_at = timezone.now()
            locked.save(update_fields=["expiry_warned_at"])
            warned += 1
    return warned


@shared_task
def send_notification_digests() -> int:
    """Daily, in the morning (Asia/Jakarta): one digest e-mail per person who chose the digest."""
    return notifications.send_digests()

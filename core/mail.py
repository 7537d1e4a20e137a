"""The one way e-mail leaves the site: a queue in the database, sent in batches, retried with backoff.

Every e-mail is a row before it is a message: a notification (members.Notification, rendered in its
reader's language when it is sent) or an e-mail rendered ahead (core.models.OutgoingEmail: a sign-up link, an
invitation, a note to staff). The row is written in the transaction of the change, so a broker outage or a
refusing SMTP server loses nothing:

- after the commit the `send_emails` task sends what is due, over one SMTP connection per batch; each row is
  locked while it is sent and marked in the same transaction, so two workers never send the same e-mail;
- a failure is kept on the row with the next try after an exponential backoff (NOTIFICATION_EMAIL_RETRY_SECONDS,
  doubled each time, at most six hours), up to MAX_EMAIL_ATTEMPTS tries; then the row is marked failed and
  the reason logged;
- `retry_emails` (beat, every minute) sends whatever is due that no task took (broker down at the time).

A kind of row joins the queue with `register_queue`; its model has the fields email_status ("pending",
"sent", "failed"), email_attempts, email_next_attempt_at, email_error and emailed_at.
"""

import contextlib
import logging
import math
import smtplib
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta

from celery import signature
from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.db import models, transaction
from django.utils import timezone

from .models import OutgoingEmail

logger = logging.getLogger(__name__)

MAX_EMAIL_ATTEMPTS = 6
EMAIL_BATCH = 200
PENDING, SENT, FAILED = "pending", "sent", "failed"

# The task that sends (core.tasks.send_emails), by name: the tasks call this module, so it does not import them.
SEND_TASK = "core.tasks.send_emails"


@dataclass(frozen=True)
class MailQueue:
    """Rows of `model` that each carry one e-mail, built by `render(row)` when it is sent.

    `select_related`: what `render` reads (loaded with the locked row); `forget`: fields emptied once the e-mail
    is sent (text that may hold a one-time link); `key_field`: the field `send_due(key=...)` filters on."""

    name: str
    model: type[models.Model]
    render: Callable[[models.Model], EmailMessage]
    select_related: tuple[str, ...] = ()
    forget: tuple[str, ...] = ()
    key_field: str = "key"


QUEUES: dict[str, MailQueue] = {}


def register_queue(queue: MailQueue) -> MailQueue:
    QUEUES[queue.name] = queue
    return queue


def _render_outgoing(email: OutgoingEmail) -> EmailMessage:
    message = EmailMultiAlternatives(
        subject=email.subject, body=email.body, from_email=settings.DEFAULT_FROM_EMAIL, to=[email.to]
    )
    if email.html:
        message.attach_alternative(email.html, "text/html")
    return message


OUTGOING = register_queue(MailQueue("outgoing", OutgoingEmail, _render_outgoing, forget=("body", "html"), key_field=""))


def send_email(*, to: str, subject: str, body: str, html: str | None = None) -> OutgoingEmail:
    """Queue one rendered e-mail in the current transaction; it is sent after the commit (or by `retry_emails`)."""
    email = OutgoingEmail.objects.create(to=to, subject=subject, body=body, html=html or "")
    transaction.on_commit(lambda: queue_sending(OUTGOING.name), robust=True)
    return email


def queue_sending(queue: str, key: str = "", countdown: int = 0) -> None:
    """Ask a worker to send what is due in `queue` (of one key, or all). A broker outage is logged, never raised:
    `retry_emails` (beat) sends them later."""
    try:
        signature(SEND_TASK, kwargs={"queue": queue, "key": key}).apply_async(countdown=countdown, retry=False)
    except Exception:  # noqa: BLE001 - the broker's errors vary by transport; none may fail the change
        logger.warning("E-mails of %s %r not queued; the beat task will send them", queue, key or "all", exc_info=True)


def retry_delay(attempts: int) -> timedelta:
    base = settings.NOTIFICATION_EMAIL_RETRY_SECONDS
    return timedelta(seconds=min(base * 2 ** (attempts - 1), 6 * 3600))


def send_due(queue: str, key: str = "", limit: int = EMAIL_BATCH) -> dict:
    """Send the due e-mails of one queue (of one key, or all) over one SMTP connection.

    Returns counts of "sent", "retry" and "failed"; "more" when the batch was full; "retry_in" (seconds) when
    something failed and waits for its next try."""
    spec = QUEUES[queue]
    due = spec.model.objects.filter(email_status=PENDING, email_next_attempt_at__lte=timezone.now())
    if key:
        due = due.filter(**{spec.key_field: key})
    ids = list(due.order_by("email_next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
    counts = {"sent": 0, "retry": 0, "failed": 0, "more": len(ids) == limit}
    if not ids:
        return counts
    connection = get_connection(fail_silently=False)
    try:
        for pk in ids:
            outcome = _send_one(spec, pk, connection)
            if outcome:
                counts[outcome] += 1
    finally:
        with contextlib.suppress(smtplib.SMTPException, OSError):
            connection.close()
    if counts["retry"]:
        waiting = spec.model.objects.filter(email_status=PENDING)
        if key:
            waiting = waiting.filter(**{spec.key_field: key})
        next_due = waiting.order_by("email_next_attempt_at").values_list("email_next_attempt_at", flat=True).first()
        if next_due is not None:
            counts["retry_in"] = max(1, math.ceil((next_due - timezone.now()).total_seconds()))
    return counts


def _send_one(spec: MailQueue, pk: int, connection) -> str | None:
    with transaction.atomic():
        row = (
            spec.model.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related(*spec.select_related)
            .filter(pk=pk, email_status=PENDING)
            .first()
        )
        if row is None:
            return None
        row.email_attempts += 1
        changed = ["email_attempts", "email_status", "email_error", "email_next_attempt_at", "emailed_at"]
        try:
            connection.send_messages([spec.render(row)])
        except (smtplib.SMTPException, OSError) as exc:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                connection.close()  # a broken connection is reopened for the next message
            row.email_error = f"{type(exc).__name__}: {exc}"[:1000]
            if row.email_attempts >= MAX_EMAIL_ATTEMPTS:
                row.email_status = FAILED
                logger.error("Giving up on %s e-mail %s after %s tries: %s", spec.name, pk, MAX_EMAIL_ATTEMPTS, exc)
                outcome = "failed"
            else:
                row.email_next_attempt_at = timezone.now() + retry_delay(row.email_attempts)
                outcome = "retry"
        else:
            row.email_status = SENT
            row.emailed_at = timezone.now()
            row.email_error = ""
            for name in spec.forget:
                setattr(row, name, "")
            changed += spec.forget
            outcome = "sent"
        row.save(update_fields=changed)
    return outcome


def send_all_due() -> dict:
    """Every queue's due e-mails (the beat task): counts per queue."""
    return {name: send_due(name) for name in QUEUES}


def purge_sent(days: int = 30) -> int:
    """Rendered e-mails are kept a month after they were sent or given up (for tracing), then deleted."""
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = OutgoingEmail.objects.filter(email_status__in=[SENT, FAILED], created_at__lt=cutoff).delete()
    return deleted


# Work that must e-mail nobody, such as loading demo data: `with emails_muted(): ...`. Notifications recorded
# inside the block still reach the inbox, but are marked in-app only when they are recorded (the flag travels
# with the outbox event, so a worker that processes it later sends nothing either).
_muted: ContextVar[bool] = ContextVar("wastex_emails_muted", default=False)


@contextlib.contextmanager
def emails_muted():
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def emails_are_muted() -> bool:
    return _muted.get()

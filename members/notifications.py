"""Notifications, delivered once.

1. A change records what people must hear about with `notify_later()` (or `publish()` for work such as
   matching): a row in the outbox, in the transaction of the change itself. After the commit the outbox row is
   handed to the broker; if the broker is down nothing is lost: `redispatch_outbox` (beat, every minute) hands
   it over again once the broker is back.
2. `process_event` (a Celery task, acks late) runs the event's handler once, under a row lock, and marks it
   processed in the same transaction. A handler creates inbox rows with a unique (recipient, key), so a second
   delivery of the same message, or a worker killed half way, never doubles a notification.
3. E-mail follows each person's choice per event: in-app only, at once, or in the daily digest. E-mails at
   once are sent in batches over one SMTP connection; a failure is retried with backoff up to
   MAX_EMAIL_ATTEMPTS times, and the reason is kept on the notification.
"""

import contextlib
import json
import logging
import math
import smtplib
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from core.mail import emails_are_muted, emails_muted

from .models import Event, Notification, NotificationPreference, Organisation, OutboxEvent, User

logger = logging.getLogger(__name__)

Channel = NotificationPreference.Channel

MAX_EMAIL_ATTEMPTS = 6
EMAIL_BATCH = 200
FAN_OUT_BATCH = 1000

# What a person gets until they choose otherwise. Matches are the product's point: at once by e-mail.
DEFAULT_CHANNELS = {
    Event.NEW_MATCH: Channel.EMAIL,
    Event.NEW_BID: Channel.EMAIL,
    Event.OUTBID: Channel.EMAIL,
    Event.BID_ACCEPTED: Channel.EMAIL,
    Event.BID_REJECTED: Channel.EMAIL,
    Event.LOT_ENDED: Channel.EMAIL,
    Event.CLOSING_SOON: Channel.DIGEST,
    Event.LOT_CLOSED: Channel.EMAIL,
    Event.LICENCE_EXPIRING: Channel.EMAIL,
    Event.ORGANISATION_DECISION: Channel.EMAIL,
    Event.ORGANISATION_CHANGE: Channel.EMAIL,
    Event.PICKUP_RECORDED: Channel.IN_APP,
    Event.PROCESSING_RECORDED: Channel.IN_APP,
}

# One line per event, in the reader's language. Parameters are plain values kept on the notification;
# `_format_params` turns the few that need it (prices, dates) into words at reading time.
MESSAGES = {
    Event.NEW_MATCH: _("New lot %(reference)s matches your organisation: %(title)s"),
    Event.NEW_BID: _("A new bid arrived on your lot %(reference)s (%(title)s)"),
    Event.OUTBID: _("Your bid on %(reference)s (%(title)s) is no longer the best price"),
    Event.BID_ACCEPTED: _("Your bid on %(reference)s (%(title)s) was accepted"),
    Event.BID_REJECTED: _("Lot %(reference)s (%(title)s) went to another bid, at %(winning_price)s"),
    Event.LOT_ENDED: _("Lot %(reference)s (%(title)s) ended without an award: %(reason)s"),
    f"{Event.LOT_ENDED}:cancelled": _("Lot %(reference)s (%(title)s) was cancelled: %(reason)s"),
    Event.CLOSING_SOON: _("Lot %(reference)s (%(title)s) closes on %(closes_at)s"),
    Event.LOT_CLOSED: _("Your lot %(reference)s (%(title)s) closed: choose a winner or close it unawarded"),
    Event.LICENCE_EXPIRING: _("Licence %(number)s of %(organisation)s expires on %(valid_until)s"),
    Event.ORGANISATION_DECISION: _("%(organisation)s: %(decision)s"),
    f"{Event.ORGANISATION_CHANGE}:approved": _("%(organisation)s: platform staff approved the change of %(fields)s"),
    f"{Event.ORGANISATION_CHANGE}:rejected": _(
        "%(organisation)s: platform staff rejected the change of %(fields)s. Reason: %(reason)s"
    ),
    Event.PICKUP_RECORDED: _("Pickup of lot %(reference)s (%(title)s) was recorded"),
    Event.PROCESSING_RECORDED: _("Processing of lot %(reference)s (%(title)s) was recorded"),
}


def _format_params(params: dict) -> dict:
    values = dict(params)
    if "winning_price" in values:
        from listings.models import WasteCategory
        from wastex.templatetags.wastex import price_in_words

        unit = values.get("unit", "")
        label = WasteCategory.Unit(unit).label if unit in WasteCategory.Unit.values else unit
        values["winning_price"] = price_in_words(values["winning_price"], label)
    for name in ("closes_at", "valid_until"):
        if values.get(name):
            moment = datetime.fromisoformat(values[name])
            if timezone.is_aware(moment):
                values[name] = date_format(timezone.localtime(moment), "j F Y H:i") + " WIB"
            else:
                values[name] = date_format(moment.date(), "j F Y")
    if isinstance(values.get("fields"), list):  # names of organisation fields, read in the reader's language
        names = {f.name: str(f.verbose_name) for f in Organisation._meta.get_fields() if hasattr(f, "verbose_name")}
        values["fields"] = ", ".join(names.get(name, name) for name in values["fields"])
    if values.get("decision") == "verified":
        values["decision"] = _("verified by platform staff: you can now trade")
    elif values.get("decision") == "rejected":
        values["decision"] = _("not verified by platform staff. Reason: %(reason)s") % {"reason": values.get("reason")}
    if "reason" in values and not values["reason"]:
        values["reason"] = "—"
    return values


def message(notification: Notification) -> str:
    """The notification's line in the active language."""
    variant = notification.params.get("how")
    template = MESSAGES.get(f"{notification.event}:{variant}") or MESSAGES.get(notification.event)
    if template is None:
        return notification.key
    try:
        return str(template) % _format_params(notification.params)
    except (KeyError, ValueError, TypeError):  # a message from an older version with other parameters
        logger.warning(
            "Notification %s has parameters %r that its message does not fit", notification.pk, notification.params
        )
        return Event(notification.event).label


# --- The outbox ---------------------------------------------------------------------------------------------

HANDLERS: dict[str, Callable[[dict], None]] = {}


def handler(kind: str):
    """Register the function that processes outbox events of this kind (apps register theirs at import)."""

    def register(function):
        HANDLERS[kind] = function
        return function

    return register


def publish(kind: str, key: str, payload: dict) -> OutboxEvent:
    """Record an event in the current transaction; it is handed to the broker after the commit, or later."""
    event, created = OutboxEvent.objects.get_or_create(key=key, defaults={"kind": kind, "payload": payload})
    if created:
        transaction.on_commit(lambda: dispatch(event.pk))
    return event


def dispatch(event_id: int) -> bool:
    """Hand an outbox event to the broker. A broker outage is logged, never raised: the event stays in the
    outbox and `redispatch_outbox` tries again."""
    from .tasks import process_event

    OutboxEvent.objects.filter(pk=event_id).update(dispatched_at=timezone.now(), dispatch_count=F("dispatch_count") + 1)
    try:
        process_event.apply_async((event_id,), retry=False)
    except Exception:  # noqa: BLE001 - the broker's errors vary by transport; none may fail the change
        logger.warning("Outbox event %s not handed to the broker; it will be sent again", event_id, exc_info=True)
        return False
    return True


def process(event_id: int) -> bool:
    """Run an event's handler once. Returns False when it was processed already (or is being processed)."""
    with transaction.atomic():
        event = (
            OutboxEvent.objects.select_for_update(skip_locked=True)
            .filter(pk=event_id, processed_at__isnull=True)
            .first()
        )
        if event is None:
            return False
        HANDLERS[event.kind](event.payload)
        event.processed_at = timezone.now()
        event.save(update_fields=["processed_at"])
    return True


def redispatch_outbox(older_than: timedelta = timedelta(seconds=30)) -> int:
    """Hand again to the broker every event not processed yet that was last handed over a while ago."""
    cutoff = timezone.now() - older_than
    waiting = (
        OutboxEvent.objects.filter(processed_at__isnull=True, created_at__lte=cutoff)
        .exclude(dispatched_at__gt=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:1000]
    )
    return sum(dispatch(pk) for pk in list(waiting))


def purge_outbox(days: int = 30) -> int:
    """Processed events are kept a month for tracing, then deleted (the inbox rows stay)."""
    deleted, _ = OutboxEvent.objects.filter(processed_at__lt=timezone.now() - timedelta(days=days)).delete()
    return deleted


# --- Fan-out into inboxes -----------------------------------------------------------------------------------


def notify_later(event: str, key: str, recipient_ids: Iterable[int], params: dict, url: str = "") -> None:
    """Tell these people about `event` once, after the commit, through the outbox."""
    recipient_ids = sorted(set(recipient_ids))
    if recipient_ids:
        payload = {"event": event, "key": key, "recipients": recipient_ids, "params": params, "url": url}
        if emails_are_muted():
            payload["muted"] = True
        publish("notify", key, payload)


@handler("notify")
def _handle_notify(payload: dict) -> None:
    with emails_muted() if payload.get("muted") else contextlib.nullcontext():
        deliver(payload["event"], payload["key"], payload["recipients"], payload["params"], payload["url"])


def deliver(event: str, key: str, recipient_ids: Iterable[int], params: dict, url: str = "") -> int:
    """Create the inbox rows now (in bulk, once per recipient and key) and queue the e-mails after the commit.
    Returns how many (active) people it was addressed to. Under core.mail.emails_muted: in-app only."""
    ids = sorted(set(recipient_ids))
    if not ids:
        return 0
    default = DEFAULT_CHANNELS.get(event, Channel.IN_APP)
    if emails_are_muted():
        addressed, to_email = _insert_rows(event, key, ids, params, url, Channel.IN_APP, muted=True)
    elif connection.vendor == "postgresql":
        addressed, to_email = _insert_in_sql(event, key, ids, params, url, default)
    else:
        addressed, to_email = _insert_rows(event, key, ids, params, url, default)
    if to_email:
        transaction.on_commit(lambda: queue_emails(key))
    return addressed


EMAIL_STATUS_FOR = {
    Channel.IN_APP: Notification.Email.NONE,
    Channel.EMAIL: Notification.Email.PENDING,
    Channel.DIGEST: Notification.Email.DIGEST,
}


def _insert_rows(event, key, ids, params, url, default, *, muted=False) -> tuple[int, bool]:
    """Portable: read the people and their choices, then bulk INSERT … ON CONFLICT DO NOTHING."""
    ids = list(User.objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True))
    preferences = NotificationPreference.objects.filter(user_id__in=ids, event=event)
    chosen = {} if muted else dict(preferences.values_list("user_id", "channel"))
    now = timezone.now()
    rows = [
        Notification(
            recipient_id=user_id,
            event=event,
            key=key,
            params=params,
            url=url,
            created_at=now,
            email_status=EMAIL_STATUS_FOR[chosen.get(user_id, default)],
            email_next_attempt_at=now,
        )
        for user_id in ids
    ]
    Notification.objects.bulk_create(rows, batch_size=FAN_OUT_BATCH, ignore_conflicts=True)
    return len(ids), any(row.email_status == Notification.Email.PENDING for row in rows)


def _insert_in_sql(event, key, ids, params, url, default) -> tuple[int, bool]:
    """PostgreSQL: one INSERT … SELECT over the array of ids, joined with each person's choice — the rows are
    built by the database (about ten times faster than sending them one by one)."""
    notification, user, preference = (
        Notification._meta.db_table,
        User._meta.db_table,
        NotificationPreference._meta.db_table,
    )
    sql = f"""
        WITH people AS (
            SELECT u.id, COALESCE(p.channel, %(default)s) AS channel
            FROM unnest(%(ids)s::bigint[]) AS r(id)
            JOIN {user} u ON u.id = r.id AND u.is_active
            LEFT JOIN {preference} p ON p.user_id = u.id AND p.event = %(event)s
        ), inserted AS (
            INSERT INTO {notification} (recipient_id, event, key, params, url, created_at, read_at, email_status,
                                        email_attempts, email_next_attempt_at, email_error, emailed_at)
            SELECT id, %(event)s, %(key)s, %(params)s::jsonb, %(url)s, %(now)s, NULL,
                   CASE channel WHEN 'email' THEN 'pending' WHEN 'digest' THEN 'digest' ELSE 'none' END,
                   0, %(now)s, '', NULL
            FROM people
            ON CONFLICT (recipient_id, key) DO NOTHING
            RETURNING email_status
        )
        SELECT (SELECT count(*) FROM people), (SELECT count(*) FROM inserted WHERE email_status = 'pending')
    """  # noqa: S608 - table names come from the models; every value is a query parameter
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "default": str(default),
                "ids": ids,
                "event": str(event),
                "key": key,
                "params": json.dumps(params, cls=DjangoJSONEncoder),
                "url": url,
                "now": timezone.now(),
            },
        )
        addressed, pending = cursor.fetchone()
    if not pending:  # rows already there from an earlier run may still wait for their e-mail
        pending = Notification.objects.filter(key=key, email_status=Notification.Email.PENDING).exists()
    return addressed, bool(pending)


def key_for(event: str, *parts) -> str:
    return ":".join([event, *(str(part) for part in parts)])


# --- E-mail -------------------------------------------------------------------------------------------------


def queue_emails(key: str = "", countdown: int = 0) -> None:
    from .tasks import send_notification_emails

    try:
        send_notification_emails.apply_async(kwargs={"key": key}, countdown=countdown, retry=False)
    except Exception:  # noqa: BLE001 - broker down: `retry_notification_emails` (beat) sends them later
        logger.warning("E-mails for %r not queued; the beat task will send them", key or "all", exc_info=True)


def preferences_url() -> str:
    return settings.SITE_URL + reverse("members:notification_preferences")


def render_notification_email(notification: Notification) -> EmailMultiAlternatives:
    recipient = notification.recipient
    with translation.override(recipient.language):
        line = message(notification)
        context = {
            "recipient": recipient,
            "line": line,
            "notification": notification,
            "event_label": Event(notification.event).label,
            "url": settings.SITE_URL + notification.url if notification.url else "",
            "preferences_url": preferences_url(),
            "site_url": settings.SITE_URL,
        }
        subject = " ".join(str(line).split())[:180]
        body = render_to_string("emails/notification.txt", context)
        html = render_to_string("emails/notification.html", context)
    email = EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],
        headers={"List-Unsubscribe": f"<{context['preferences_url']}>"},
    )
    email.attach_alternative(html, "text/html")
    return email


def _retry_delay(attempts: int) -> timedelta:
    base = settings.NOTIFICATION_EMAIL_RETRY_SECONDS
    return timedelta(seconds=min(base * 2 ** (attempts - 1), 6 * 3600))


def send_pending_emails(key: str = "", limit: int = EMAIL_BATCH) -> dict:
    """Send due e-mails (of one event key, or all) over one SMTP connection. Each row is locked while it is
    sent and marked in the same transaction, so two workers never send the same e-mail."""
    due = Notification.objects.filter(
        email_status=Notification.Email.PENDING, email_next_attempt_at__lte=timezone.now()
    )
    if key:
        due = due.filter(key=key)
    ids = list(due.order_by("email_next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
    counts = {"sent": 0, "retry": 0, "failed": 0, "more": len(ids) == limit}
    if not ids:
        return counts
    connection = get_connection(fail_silently=False)
    try:
        for pk in ids:
            outcome = _send_one(pk, connection)
            if outcome:
                counts[outcome] += 1
    finally:
        with contextlib.suppress(smtplib.SMTPException, OSError):
            connection.close()
    if counts["retry"]:
        waiting = Notification.objects.filter(email_status=Notification.Email.PENDING)
        if key:
            waiting = waiting.filter(key=key)
        next_due = waiting.order_by("email_next_attempt_at").values_list("email_next_attempt_at", flat=True).first()
        if next_due is not None:
            counts["retry_in"] = max(1, math.ceil((next_due - timezone.now()).total_seconds()))
    return counts


def _send_one(pk: int, connection) -> str | None:
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient")
            .filter(pk=pk, email_status=Notification.Email.PENDING)
            .first()
        )
        if notification is None:
            return None
        notification.email_attempts += 1
        try:
            connection.send_messages([render_notification_email(notification)])
        except (smtplib.SMTPException, OSError) as exc:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                connection.close()  # a broken connection is reopened for the next message
            notification.email_error = f"{type(exc).__name__}: {exc}"[:1000]
            if notification.email_attempts >= MAX_EMAIL_ATTEMPTS:
                notification.email_status = Notification.Email.FAILED
                logger.error("Giving up on notification e-mail %s after %s tries: %s", pk, MAX_EMAIL_ATTEMPTS, exc)
                outcome = "failed"
            else:
                notification.email_next_attempt_at = timezone.now() + _retry_delay(notification.email_attempts)
                outcome = "retry"
        else:
            notification.email_status = Notification.Email.SENT
            notification.emailed_at = timezone.now()
            notification.email_error = ""
            outcome = "sent"
        notification.save(
            update_fields=["email_attempts", "email_status", "email_error", "email_next_attempt_at", "emailed_at"]
        )
    return outcome


def send_digests() -> int:
    """Once a day: each person with notifications waiting for the digest gets one e-mail listing them."""
    people = (
        Notification.objects.filter(email_status=Notification.Email.DIGEST)
        .values_list("recipient_id", flat=True)
        .distinct()
    )
    sent = 0
    connection = get_connection(fail_silently=False)
    for user_id in list(people):
        with transaction.atomic():
            items = list(
                Notification.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("recipient")
                .filter(recipient_id=user_id, email_status=Notification.Email.DIGEST)
                .order_by("created_at", "pk")
            )
            if not items:
                continue
            recipient = items[0].recipient
            if not recipient.is_active:
                Notification.objects.filter(pk__in=[n.pk for n in items]).update(email_status=Notification.Email.NONE)
                continue
            with translation.override(recipient.language):
                context = {
                    "recipient": recipient,
                    "items": [(message(n), settings.SITE_URL + n.url if n.url else "") for n in items],
                    "preferences_url": preferences_url(),
                    "site_url": settings.SITE_URL,
                }
                subject = str(_("WasteX: %(count)d notifications of the day") % {"count": len(items)})
                body = render_to_string("emails/digest.txt", context)
                html = render_to_string("emails/digest.html", context)
            email = EmailMultiAlternatives(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient.email])
            email.attach_alternative(html, "text/html")
            try:
                connection.send_messages([email])
            except (smtplib.SMTPException, OSError):
                logger.warning("Digest for user %s not sent; it stays for the next run", user_id, exc_info=True)
                connection.close()
                continue
            Notification.objects.filter(pk__in=[n.pk for n in items]).update(
                email_status=Notification.Email.DIGESTED, emailed_at=timezone.now()
            )
            sent += 1
    connection.close()
    return sent


# --- Reading ------------------------------------------------------------------------------------------------


def channel_for(user: User, event: str) -> str:
    chosen = NotificationPreference.objects.filter(user=user, event=event).values_list("channel", flat=True).first()
    return chosen or DEFAULT_CHANNELS.get(event, Channel.IN_APP)


def mark_read(user: User, ids: Iterable[int] | None = None) -> int:
    unread = Notification.objects.filter(recipient=user).unread()
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())

"""Notifications, delivered once.

1. A change records what people must hear about with `notify_later()`: an event in core's outbox
   (core.outbox), in the transaction of the change itself; its "notify" handler, registered here, runs once
   after the commit (or after a broker outage, when the outbox hands it over again).
2. The handler creates inbox rows with a unique (recipient, key), so a second delivery of the same message,
   or a worker killed half way, never doubles a notification.
3. E-mail follows each person's choice per event: in-app only, at once, or in the daily digest. E-mails at
   once go through core's e-mail queue (core.mail, the "notification" queue): sent in batches over one SMTP
   connection, a failure retried with backoff up to MAX_EMAIL_ATTEMPTS times, the reason kept on the row.
4. Apps that tell others of the same events (api.webhooks: an organisation's webhooks) register a listener
   (`register_listener`): it is called by `deliver` in the same transaction, with the same recipients.
5. Each event's line is worded in the reader's language when it is read. Members words its own events here;
   other apps register the wording of theirs with `register_wording` (listings.notify_text: lot events).
"""

import contextlib
import json
import logging
import smtplib
from collections.abc import Callable, Iterable
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from core import mail, outbox
from core.mail import emails_are_muted, emails_muted

from .models import Event, Notification, NotificationPreference, Organisation, User

logger = logging.getLogger(__name__)

Channel = NotificationPreference.Channel

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
    # Asked for by the person (they follow the lot): at once, or it may arrive after the deadline.
    Event.WATCHED_CLOSING: Channel.EMAIL,
    Event.LOT_CLOSED: Channel.EMAIL,
    Event.LICENCE_EXPIRING: Channel.EMAIL,
    Event.ORGANISATION_DECISION: Channel.EMAIL,
    Event.ORGANISATION_CHANGE: Channel.EMAIL,
    Event.PICKUP_RECORDED: Channel.IN_APP,
    Event.PROCESSING_RECORDED: Channel.IN_APP,
    # A contract going wrong: at once, to both sides (and staff).
    Event.PERIOD_MISSED: Channel.EMAIL,
    Event.CONTRACT_ENDED: Channel.EMAIL,
    # Clarifications change what a bid should say: an addendum at once, answers in the daily digest.
    Event.QUESTION_ANSWERED: Channel.DIGEST,
    Event.ADDENDUM_PUBLISHED: Channel.EMAIL,
    # Site visits: people travel to the gate, so a cancellation and the day-before reminder come at once.
    Event.VISIT_BOOKING: Channel.IN_APP,
    Event.VISIT_CANCELLED: Channel.EMAIL,
    Event.VISIT_REMINDER: Channel.EMAIL,
}

# One line per event, in the reader's language. Parameters are plain values kept on the notification; the
# formatters turn the few that need it (prices, dates, field names) into words at reading time. Members words
# its own events; apps register theirs (`register_wording`), so that members never imports them.
MESSAGES: dict[str, str] = {
    Event.LICENCE_EXPIRING: _("Licence %(number)s of %(organisation)s expires on %(valid_until)s"),
    Event.ORGANISATION_DECISION: _("%(organisation)s: %(decision)s"),
    f"{Event.ORGANISATION_CHANGE}:approved": _("%(organisation)s: platform staff approved the change of %(fields)s"),
    f"{Event.ORGANISATION_CHANGE}:rejected": _(
        "%(organisation)s: platform staff rejected the change of %(fields)s. Reason: %(reason)s"
    ),
}
PARAM_FORMATTERS: list[Callable[[dict], None]] = []
# Called with (event, key, recipient ids, params, url) by `deliver`, in its transaction (register_listener).
LISTENERS: list[Callable[..., object]] = []


def register_listener(listener: Callable[..., object]) -> None:
    if listener not in LISTENERS:
        LISTENERS.append(listener)


def register_wording(messages: dict, format_params: Callable[[dict], None] | None = None) -> None:
    """Add the lines of an app's events ({event or "event:variant": lazy text with %(name)s parameters}) and,
    optionally, a function that turns some of a notification's parameters into words in place (it gets a copy
    of the parameters and changes the values it knows)."""
    MESSAGES.update(messages)
    if format_params is not None and format_params not in PARAM_FORMATTERS:
        PARAM_FORMATTERS.append(format_params)


def format_moment(value: str) -> str:
    """An ISO date or date-time kept in a notification, in words: "3 Mei 2025" or "3 Mei 2025 14:00 WIB"."""
    moment = datetime.fromisoformat(value)
    if timezone.is_aware(moment):
        return date_format(timezone.localtime(moment), "j F Y H:i") + " WIB"
    return date_format(moment.date(), "j F Y")


def _format_params(params: dict) -> dict:
    values = dict(params)
    for format_params in PARAM_FORMATTERS:
        format_params(values)
    if values.get("valid_until"):
        values["valid_until"] = format_moment(values["valid_until"])
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


# --- Fan-out into inboxes -----------------------------------------------------------------------------------


def notify_later(event: str, key: str, recipient_ids: Iterable[int], params: dict, url: str = "") -> None:
    """Tell these people about `event` once, after the commit, through the outbox."""
    recipient_ids = sorted(set(recipient_ids))
    if recipient_ids:
        payload = {"event": event, "key": key, "recipients": recipient_ids, "params": params, "url": url}
        if emails_are_muted():
            payload["muted"] = True
        outbox.publish("notify", key, payload)


@outbox.handler("notify")
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
    for listener in LISTENERS:
        listener(event, key, ids, params, url)
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
    mail.queue_sending(NOTIFICATION_QUEUE, key, countdown)


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


def send_pending_emails(key: str = "", limit: int = mail.EMAIL_BATCH) -> dict:
    """Send due notification e-mails (of one event key, or all): core's queue, retries and all."""
    return mail.send_due(NOTIFICATION_QUEUE, key, limit)


NOTIFICATION_QUEUE = mail.register_queue(
    mail.MailQueue("notification", Notification, render_notification_email, select_related=("recipient",))
).name


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

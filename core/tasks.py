"""Core's background work: the outbox and the e-mail queue. Thin tasks; the work is in core.outbox and core.mail.

Every task is safe to run twice: a row lock and a status guard make a re-run harmless.
"""

from celery import shared_task

from . import mail, outbox


@shared_task(acks_late=True, reject_on_worker_lost=True)
def process_event(event_id: int) -> bool:
    """Run one outbox event's handler, once: a duplicate message or a re-run after a crash changes nothing."""
    return outbox.process(event_id)


@shared_task
def redispatch_outbox() -> int:
    """Every minute: hand the broker again what the outbox still holds (e.g. after a broker outage)."""
    return outbox.redispatch()


@shared_task
def purge_outbox() -> int:
    """Daily: processed outbox events older than a month go."""
    return outbox.purge()


@shared_task
def purge_sent_emails() -> int:
    """Daily: rendered e-mails sent (or given up) more than a month ago go."""
    return mail.purge_sent()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_emails(queue: str, key: str = "") -> dict:
    """Send the e-mails due in one queue (of one key, or all): one SMTP connection per batch; a failure is tried
    again when its backoff is over (beat is the safety net)."""
    counts = mail.send_due(queue, key)
    if counts["more"]:
        mail.queue_sending(queue, key)
    if counts.get("retry_in"):
        mail.queue_sending(queue, key, countdown=counts["retry_in"])
    return counts


@shared_task
def retry_emails() -> dict:
    """Every minute: whatever is due and was not sent yet (broker down at the time, or SMTP failed)."""
    return mail.send_all_due()

"""The e-mail queue (core.mail): the one way e-mail leaves, with one retry mechanism for every kind of e-mail."""

from datetime import timedelta

import pytest
from django.core import mail as django_mail
from django.utils import timezone

from core import mail
from core.models import OutgoingEmail
from tests.members.test_notifications import FlakyBackend

pytestmark = pytest.mark.django_db


def test_an_email_is_a_row_first_and_leaves_after_the_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        mail.send_email(to="budi@olah.test", subject="Halo", body="Isi", html="<p>Isi</p>")
    assert django_mail.outbox == []  # nothing leaves before the commit
    row = OutgoingEmail.objects.get()
    assert row.email_status == "pending" and row.body == "Isi"
    for callback in callbacks:
        callback()
    (sent,) = django_mail.outbox
    assert sent.to == ["budi@olah.test"] and sent.subject == "Halo"
    assert sent.alternatives[0][0] == "<p>Isi</p>"
    row.refresh_from_db()
    assert row.email_status == "sent" and row.emailed_at is not None
    assert row.body == "" and row.html == ""  # a one-time link is not kept once it is sent


def test_a_refusing_server_is_retried_with_backoff_then_delivered_once(settings):
    settings.EMAIL_BACKEND = "tests.members.test_notifications.FlakyBackend"
    FlakyBackend.failures = 2
    row = OutgoingEmail.objects.create(to="budi@olah.test", subject="Halo", body="Isi")
    counts = mail.send_due("outgoing")
    assert (counts["sent"], counts["retry"], counts["failed"]) == (0, 1, 0) and counts["retry_in"] >= 1
    row.refresh_from_db()
    assert row.email_attempts == 1 and "451" in row.email_error and row.body == "Isi"
    assert mail.send_due("outgoing")["sent"] == 0  # not due yet
    for _ in range(2):
        OutgoingEmail.objects.update(email_next_attempt_at=timezone.now())
        mail.send_due("outgoing")
    assert mail.send_due("outgoing")["sent"] == 0
    assert len(django_mail.outbox) == 1
    row.refresh_from_db()
    assert row.email_status == "sent" and row.email_attempts == 3 and row.email_error == ""


def test_a_server_refusing_for_good_stops_after_bounded_tries(settings):
    settings.EMAIL_BACKEND = "tests.members.test_notifications.FlakyBackend"
    FlakyBackend.failures = 100
    OutgoingEmail.objects.create(to="budi@olah.test", subject="Halo", body="Isi")
    for _ in range(mail.MAX_EMAIL_ATTEMPTS + 2):
        OutgoingEmail.objects.filter(email_status="pending").update(email_next_attempt_at=timezone.now())
        mail.send_all_due()
    row = OutgoingEmail.objects.get()
    assert row.email_status == "failed" and row.email_attempts == mail.MAX_EMAIL_ATTEMPTS
    FlakyBackend.failures = 0


def test_the_backoff_doubles_up_to_six_hours(settings):
    settings.NOTIFICATION_EMAIL_RETRY_SECONDS = 60
    assert [mail.retry_delay(n).total_seconds() for n in (1, 2, 3)] == [60, 120, 240]
    assert mail.retry_delay(20) == timedelta(hours=6)


def test_a_broker_outage_keeps_the_email_for_the_beat_task(monkeypatch, django_capture_on_commit_callbacks):
    from core.tasks import send_emails

    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("Error 111 connecting to 127.0.0.1:6379")

    monkeypatch.setattr(send_emails, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        mail.send_email(to="budi@olah.test", subject="Halo", body="Isi")  # does not fail
    assert django_mail.outbox == []
    monkeypatch.undo()
    assert mail.send_all_due()["outgoing"]["sent"] == 1
    assert len(django_mail.outbox) == 1


def test_sent_emails_are_purged_after_a_month():
    old = timezone.now() - timedelta(days=31)
    OutgoingEmail.objects.create(to="a@olah.test", subject="a", email_status="sent", created_at=old)
    OutgoingEmail.objects.create(to="b@olah.test", subject="b", email_status="pending", created_at=old)
    OutgoingEmail.objects.create(to="c@olah.test", subject="c", email_status="sent")
    assert mail.purge_sent() == 1
    assert sorted(OutgoingEmail.objects.values_list("to", flat=True)) == ["b@olah.test", "c@olah.test"]

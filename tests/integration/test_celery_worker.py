"""Tasks through the real thing: Redis as broker, a Celery worker process, an SMTP server on loopback.

Runs when REDIS_URL is set (CI's PostgreSQL + Redis pass); the worker uses the test database.
"""

import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from email import message_from_bytes
from email.header import decode_header, make_header
from pathlib import Path
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django.urls import reverse

from members import services
from tests.factories import OrganisationFactory, member_of, staff_user
from wastex.celery import app as celery_app

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL not set: no broker to test against"),
]

ROOT = Path(__file__).resolve().parents[2]


class Mailbox:
    """An aiosmtpd handler that keeps what it receives and can refuse the first few messages."""

    def __init__(self):
        self.messages = []
        self.refuse_next = 0
        self.refused = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.refuse_next > 0:
                self.refuse_next -= 1
                self.refused += 1
                return "451 4.3.0 Try again later"
            self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def wait_for(self, count, timeout=45):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.1)
        raise AssertionError(f"expected {count} e-mails, got {len(self.messages)} within {timeout}s")


def subject_of(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def text_of(message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    return ""


@pytest.fixture(scope="module")
def smtp():
    mailbox = Mailbox()
    with socket.socket() as probe:  # a free port on loopback
        probe.bind(("127.0.0.1", 0))
        mailbox.port = probe.getsockname()[1]
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    yield mailbox
    controller.stop()


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return f"sqlite:///{db['NAME']}"


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker, smtp):
    """A Celery worker process on its own queue, on the test database, sending mail to the loopback SMTP."""
    yield from run_worker(smtp, os.environ["REDIS_URL"])


def run_worker(smtp, redis_url, include: str = "", extra_env: dict | None = None):
    """Start a worker; yields a handle (log lines, process, queue); stops it after."""
    queue = f"wastex-test-{uuid.uuid4().hex[:8]}"
    env = {
        **{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")},
        "REDIS_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": "wastex.settings",
        "DEBUG": "true",
        "DATABASE_URL": database_url(),
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
        "CELERY_QUEUE": queue,
        "CONN_MAX_AGE": "0",
        "NOTIFICATION_EMAIL_RETRY_SECONDS": "1",
        **(extra_env or {}),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "wastex",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--loglevel=INFO",
            "-n",
            f"{queue}@%h",
            "-Q",
            queue,
            *(["--include", include] if include else []),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    log = []
    threading.Thread(target=lambda: log.extend(iter(process.stdout.readline, "")), daemon=True).start()
    deadline = time.monotonic() + 60
    while not any("ready." in line for line in log):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("Celery worker did not start:\n" + "".join(log))
        time.sleep(0.2)

    previous = (celery_app.conf.task_always_eager, celery_app.conf.task_default_queue)
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    yield SimpleNamespace(log=log, process=process, queue=queue)
    celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = previous
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture
def mailbox(smtp):
    smtp.messages.clear()
    smtp.refuse_next = smtp.refused = 0
    return smtp


def test_verification_email_goes_through_redis_worker_and_smtp(transactional_db, worker, mailbox):
    organisation = OrganisationFactory(name="PT Integrasi", slug="integrasi", unverified=True)
    member_of(organisation, email="boss@integrasi.test", language="en")
    member_of(organisation, email="staf@integrasi.test", language="id", role="member")

    services.organisation_verify(organisation=organisation, acting_user=staff_user())

    messages = mailbox.wait_for(2)
    by_recipient = {m["To"]: m for m in messages}
    assert set(by_recipient) == {"boss@integrasi.test", "staf@integrasi.test"}
    assert (
        subject_of(by_recipient["boss@integrasi.test"]) == "PT Integrasi: verified by platform staff: you can now trade"
    )
    assert "/org/integrasi/" in text_of(by_recipient["boss@integrasi.test"])
    assert organisation.verification_events.first().notified_at is not None
    time.sleep(1)  # nothing more arrives: each person is told once
    assert len(mailbox.messages) == 2


def test_password_reset_through_the_worker(transactional_db, worker, mailbox, client):
    person = member_of(email="lupa@integrasi.test", language="en")
    response = client.post(reverse("password_reset"), {"email": person.email})
    assert response.status_code == 302
    (message,) = mailbox.wait_for(1)
    assert message["To"] == "lupa@integrasi.test"
    assert re.search(r"/accounts/reset/\S+/", text_of(message))


def test_smtp_refusing_at_first_is_retried_and_delivered_once(transactional_db, worker, mailbox):
    from core.mail import send_email

    mailbox.refuse_next = 2
    send_email(to="retry@integrasi.test", subject="Coba lagi", body="Isi")

    (message,) = mailbox.wait_for(1, timeout=90)
    assert mailbox.refused == 2
    assert message["To"] == "retry@integrasi.test"
    time.sleep(1)
    assert len(mailbox.messages) == 1

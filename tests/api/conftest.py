import hmac
import json
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction
from django.test import Client, override_settings

from api import services
from tests.visibility_world import build_world


def token_for(person, scopes=None, name="ERP") -> str:
    """A real token of the person's organisation, acting through them, with every scope its kind may have."""
    organisation = person.membership.organisation
    if scopes is None:
        scopes = list(services.allowed_scopes(organisation))
    return services.token_create(
        organisation=organisation, acting_user=person, name=name, scopes=scopes, by_operator=True
    ).secret


def api_client(secret: str | None) -> Client:
    headers = {"HTTP_ACCEPT_LANGUAGE": "en"}
    if secret:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    return Client(**headers)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with (
        tempfile.TemporaryDirectory() as media,
        override_settings(MEDIA_ROOT=media),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        built = build_world("completed")
        yield built
        transaction.set_rollback(True)


class Receiver:
    """A real HTTP server on loopback, in a thread: it answers each POST with the next status of `answers`
    (200 when none is left), after `delay` seconds, and keeps every request (path, headers, body)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.answers: list[int] = []
        self.delay = 0.0
        self.location = ""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the name http.server calls
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                if receiver.delay:
                    time.sleep(receiver.delay)
                status = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(status)
                if receiver.location:
                    self.send_header("Location", receiver.location)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/wastex"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def verify(secret: str, request: dict, tolerance: int = 300) -> dict:
    """What a receiver does (the README's snippet): check the signature over "<timestamp>.<body>" and the
    timestamp's age, then read the JSON."""
    timestamp = request["headers"]["X-WasteX-Timestamp"]
    expected = "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + request["body"], "sha256").hexdigest()
    assert hmac.compare_digest(expected, request["headers"]["X-WasteX-Signature"]), "bad signature"
    assert abs(time.time() - int(timestamp)) < tolerance, "stale timestamp"
    return json.loads(request["body"])

"""Where a webhook may go: https only in production, never this machine or a private network (every address of
the host checked, at subscription and again at each attempt), with a clear reason for each refusal."""

import shutil
import socket
import ssl
import subprocess

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from api import webhook_sending, webhook_urls, webhooks
from api.models import WebhookDelivery, WebhookSubscription
from tests.api.conftest import Receiver

pytestmark = pytest.mark.django_db

PRODUCTION = override_settings(WEBHOOKS_ALLOW_PRIVATE_URLS=False, WEBHOOKS_ALLOW_HTTP=False)


def resolving_to(monkeypatch, *addresses):
    def getaddrinfo(host, port, *args, **kwargs):
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def refusal(url) -> str:
    with pytest.raises(ValidationError) as caught:
        webhook_urls.check_url(url)
    return " ".join(caught.value.messages)


@PRODUCTION
@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://localhost:8443/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://172.16.5.4/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hook",
        "https://[fe80::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://0.0.0.0/hook",
    ],
)
def test_loopback_private_and_link_local_addresses_are_refused(url):
    assert "private network" in refusal(url)


@PRODUCTION
def test_every_address_of_the_host_is_checked(monkeypatch):
    resolving_to(monkeypatch, "93.184.215.14", "10.0.0.7")
    assert "10.0.0.7" in refusal("https://hooks.example.co.id/x")
    resolving_to(monkeypatch, "93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c")
    target = webhook_urls.check_url("https://hooks.example.co.id/x?a=1")
    assert target.addresses == ("93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c")
    assert (target.host, target.port, target.path) == ("hooks.example.co.id", 443, "/x?a=1")


@PRODUCTION
def test_an_unknown_host_is_refused(monkeypatch):
    def fails(*args, **kwargs):
        raise socket.gaierror(-2, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fails)
    assert "cannot be found" in refusal("https://no-such-host.invalid/")


@PRODUCTION
@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://hooks.example.co.id/x", "https://"),
        ("ftp://hooks.example.co.id/x", "https://"),
        ("hooks.example.co.id/x", "https://"),
        ("", "Give the URL"),
        ("https:///x", "no host"),
        ("https://user:pass@hooks.example.co.id/x", "passwords"),
        ("https://hooks.example.co.id:99999/x", "port"),
        ("https://hooks.example.co.id/a b", "spaces"),
        ("https://hooks.example.co.id/" + "a" * 480, "too long"),
    ],
)
def test_bad_urls_get_a_clear_reason(url, reason, monkeypatch):
    resolving_to(monkeypatch, "93.184.215.14")
    assert reason in refusal(url)


def test_development_and_tests_may_send_to_this_machine_over_http():
    assert webhook_urls.check_url("http://127.0.0.1:8000/hook").addresses == ()


@PRODUCTION
def test_the_page_shows_the_reason_and_keeps_nothing(client, plant_admin):
    client.force_login(plant_admin)
    url = f"/org/{plant_admin.membership.organisation.slug}/webhooks/"
    for bad, reason in [
        ("http://hooks.example.co.id/x", "must start with https://"),
        ("https://127.0.0.1/", "private"),
    ]:
        response = client.post(url, {"url": bad, "events": ["new_bid"]})
        assert response.status_code == 400
        assert reason in response.content.decode()
    response = client.post(url, {"url": "https://x.example/" + "a" * 600, "events": ["new_bid"]})
    assert response.status_code == 400 and "too long" in response.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_the_address_is_checked_again_when_sending(plant_admin, receiver, django_capture_on_commit_callbacks):
    """Subscribed while allowed (or a name that later resolves to this machine): the attempt refuses to connect."""
    created = webhooks.subscription_create(
        organisation=plant_admin.membership.organisation, acting_user=plant_admin, url=receiver.url, events=["new_bid"]
    )
    with override_settings(WEBHOOKS_ALLOW_PRIVATE_URLS=False), django_capture_on_commit_callbacks(execute=True):
        webhooks.subscription_test(subscription=created.subscription, acting_user=plant_admin)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and "private network" in delivery.last_error
    assert receiver.requests == []
    WebhookDelivery.objects.update(next_attempt_at=delivery.created_at)
    assert webhook_sending.retry_due() == 1  # allowed again (tests): delivered
    assert len(receiver.requests) == 1


@PRODUCTION
def test_a_checked_address_is_the_one_connected_to(monkeypatch):
    """The name is resolved once per attempt: the connection goes to the address checked, naming the host."""
    resolving_to(monkeypatch, "93.184.215.14")
    connected = []

    def create_connection(address, *args, **kwargs):
        connected.append(address)
        raise ConnectionRefusedError("refused")

    monkeypatch.setattr(socket, "create_connection", create_connection)
    status, error = webhook_sending.post("https://hooks.example.co.id/x", b"{}", {})
    assert status is None and "ConnectionRefusedError" in error
    assert connected == [("93.184.215.14", 443)]


@pytest.fixture
def tls_receiver(tmp_path):
    """A receiver over https on loopback with a self-signed certificate for "localhost" (made by openssl)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(  # noqa: S603 - fixed arguments
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],  # fmt: skip
        check=True,
        capture_output=True,
    )
    server = Receiver()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.server.socket = context.wrap_socket(server.server.socket, server_side=True)
    server.url = server.url.replace("http://127.0.0.1", "https://localhost")
    yield server, cert
    server.close()


def test_https_checks_the_certificate_of_the_host_named(tls_receiver, monkeypatch):
    server, cert = tls_receiver
    status, error = webhook_sending.post(server.url, b"{}", {"Content-Type": "application/json"})
    assert status is None and "CERTIFICATE_VERIFY_FAILED" in error  # not trusted: refused, nothing sent
    assert server.requests == []
    trusting = ssl.create_default_context(cafile=cert)
    monkeypatch.setattr(webhook_sending.ssl, "create_default_context", lambda: trusting)
    assert webhook_sending.post(server.url, b"{}", {"Content-Type": "application/json"}) == (200, "")
    assert len(server.requests) == 1 and server.requests[0]["headers"]["Host"].startswith("localhost")

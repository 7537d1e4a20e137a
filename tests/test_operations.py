"""What operators use: /metrics (who may read it, what it says), liveness and readiness, request ids in JSON
logs and in Celery tasks, Sentry only when SENTRY_DSN is set."""

import json
import logging
import sys

import pytest
from celery import shared_task
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.urls import path, reverse

from core import metrics, observability
from tests.test_settings import PRODUCTION_LIKE, manage

pytestmark = pytest.mark.django_db

TOKEN = "scrape-" + "t0k3n" * 8


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


# --- /metrics ----------------------------------------------------------------------------------------------------


def test_metrics_from_loopback_count_requests_by_view(client):
    client.get(reverse("landing"))
    client.get("/no-such-page/")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    text = response.content.decode()
    assert 'wastex_http_requests_total{method="GET",status="200",view="landing"}' in text
    assert 'wastex_http_requests_total{method="GET",status="404",view="unmatched"}' in text
    assert 'wastex_http_request_duration_seconds_bucket{le="0.01",view="landing"}' in text
    assert 'wastex_celery_queue_length{queue="wastex"} 0.0' in text
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.parametrize("address", ["10.0.0.7", "192.168.1.20", "2001:db8::1", "not-an-address"])
def test_metrics_are_refused_to_other_addresses(client, address):
    response = client.get("/metrics", REMOTE_ADDR=address)
    assert response.status_code == 403
    assert b"wastex_" not in response.content


def test_metrics_through_a_proxy_are_not_trusted_by_address(client):
    """A proxy on the same machine makes every visitor's request come from 127.0.0.1."""
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 403


def test_metrics_allowed_network(client, settings):
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    assert client.get("/metrics", REMOTE_ADDR="10.20.30.40").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="11.0.0.1").status_code == 403
    assert client.get("/metrics").status_code == 403  # loopback is no longer in the list


def test_metrics_with_the_token_from_anywhere(client, token):
    far = {"REMOTE_ADDR": "198.51.100.4", "HTTP_X_FORWARDED_FOR": "198.51.100.4"}
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}", **far).status_code == 200
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}x", **far).status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION=token, **far).status_code == 403
    assert client.get("/metrics", **far).status_code == 403


def test_an_empty_token_setting_opens_nothing(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", REMOTE_ADDR="198.51.100.4", HTTP_AUTHORIZATION="Bearer ").status_code == 403


def test_metrics_need_no_sign_in_but_a_signed_in_person_far_away_is_refused(client, plant_admin):
    client.force_login(plant_admin)
    assert client.get("/metrics", REMOTE_ADDR="198.51.100.4").status_code == 403


def test_queue_length_is_minus_one_when_the_broker_is_away(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    text = client.get("/metrics").content.decode()
    assert 'wastex_celery_queue_length{queue="wastex"} -1.0' in text


def test_queue_length_counts_waiting_tasks(settings, redis_url):
    import redis

    queue = "wastex-metrics-test"
    client = redis.Redis.from_url(redis_url)
    client.delete(queue)
    client.rpush(queue, "a", "b", "c")
    settings.REDIS_URL = redis_url
    try:
        assert metrics.queue_length(queue) == 3
    finally:
        client.delete(queue)


@pytest.fixture
def redis_url():
    import os

    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("REDIS_URL not set")
    return url


def test_tasks_are_counted_when_queued_and_run():
    before_run = _sample("wastex_celery_tasks_total", task="tests.test_operations.log_line", outcome="success")
    log_line.delay("counted")  # eager in tests: runs here, so the run is counted (queuing is counted on publish)
    assert _sample("wastex_celery_tasks_total", task="tests.test_operations.log_line", outcome="success") == (
        before_run + 1
    )
    metrics._queued(sender="listings.tasks.example")
    assert _sample("wastex_celery_tasks_queued_total", task="listings.tasks.example") >= 1


def _sample(name, **labels):
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value(name, labels) or 0


# --- liveness and readiness ---------------------------------------------------------------------------------


def test_liveness_asks_no_dependency(client, settings, django_assert_num_queries):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    with django_assert_num_queries(0):
        response = client.get("/healthz/live")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readiness_names_a_broken_broker(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    for url in ("/healthz/ready", "/healthz"):
        response = client.get(url)
        assert response.status_code == 503
        assert response.json()["broker"] == "error" and "broker" in response.json()["down"]
        assert response.json()["database"] == "ok" and response.json()["storage"] == "ok"
        assert response["Cache-Control"].startswith("max-age=0")


def test_readiness_when_everything_answers(client, settings):
    settings.REDIS_URL = ""
    response = client.get("/healthz/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "storage": "ok", "down": []}


def test_readiness_names_a_broken_database(client, monkeypatch):
    from wastex import health

    def broken():
        raise OSError("connection refused")

    monkeypatch.setattr(health.connection, "cursor", broken)
    response = client.get("/healthz/ready")
    assert response.status_code == 503 and response.json()["database"] == "error"


# --- request ids and JSON logs ------------------------------------------------------------------------------


def test_every_response_carries_a_request_id(client):
    first = client.get("/robots.txt")["X-Request-ID"]
    second = client.get("/robots.txt")["X-Request-ID"]
    assert len(first) == 32 and first != second


def test_a_sane_request_id_from_the_proxy_is_kept_and_a_strange_one_replaced(client):
    assert client.get("/robots.txt", HTTP_X_REQUEST_ID="edge-4f1c2a9b77")["X-Request-ID"] == "edge-4f1c2a9b77"
    for strange in ("x", "a" * 65, "id with spaces", 'quote"s-12345', "line\nbreak-1234"):
        replaced = client.get("/robots.txt", HTTP_X_REQUEST_ID=strange)["X-Request-ID"]
        assert replaced != strange and len(replaced) == 32


@pytest.fixture
def json_log():
    """The console handler of settings.LOGGING, writing into a list."""
    lines = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(json.loads(self.format(record)))

    handler = Collect()
    handler.setFormatter(observability.JsonFormatter())
    handler.addFilter(observability.RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield lines
    root.removeHandler(handler)


@shared_task
def log_line(text):
    logging.getLogger("wastex.test").warning("task says %s", text)


@login_not_required
def logging_view(request):
    logging.getLogger("wastex.test").warning("serving %s", "a page", extra={"lot": "WX-1"})
    log_line.delay("hello")
    return HttpResponse("ok")


urlpatterns = [path("logging/", logging_view, name="logging_view")]


@pytest.mark.urls("tests.test_operations")
def test_json_log_lines_carry_the_request_id_into_tasks(client, json_log):
    response = client.get("/logging/", HTTP_X_REQUEST_ID="req-from-proxy-1")
    mine = [line for line in json_log if line["logger"] == "wastex.test"]
    assert response["X-Request-ID"] == "req-from-proxy-1"
    assert [line["message"] for line in mine] == ["serving a page", "task says hello"]
    assert {line["request_id"] for line in mine} == {"req-from-proxy-1"}
    assert mine[0]["lot"] == "WX-1" and mine[0]["level"] == "WARNING" and mine[0]["time"].endswith("+00:00")
    assert mine[1]["task"] == "tests.test_operations.log_line" and mine[1]["task_id"]


def test_outside_a_request_the_id_is_a_dash(json_log):
    logging.getLogger("wastex.test").warning("from a command")
    assert json_log[-1]["request_id"] == "-"


def test_the_request_id_travels_in_the_task_message():
    """before_task_publish puts it in the message headers; the worker's task_prerun takes it back."""
    headers = {}
    token = observability.request_id.set("req-abcdef123")
    try:
        observability._add_request_id_header(headers=headers)
    finally:
        observability.request_id.reset(token)
    assert headers == {"wastex_request_id": "req-abcdef123"}

    class Request:
        wastex_request_id = "req-abcdef123"

    class Task:
        name = "members.tasks.example"
        request = Request()

    observability._enter_task(task_id="t-1", task=Task())
    try:
        assert observability.request_id.get() == "req-abcdef123"
        assert observability.running_task.get() == ("members.tasks.example", "t-1")
    finally:
        observability._leave_task(task_id="t-1")
    assert observability.request_id.get() == "-" and observability.running_task.get() is None


def test_exceptions_are_one_json_line():
    formatter = observability.JsonFormatter()
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.getLogger("x").makeRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    line = formatter.format(record)
    assert "\n" not in line
    assert "ValueError: boom" in json.loads(line)["exception"]


def test_log_format_setting():
    plain = manage(
        "shell",
        "-v",
        "0",
        "-c",
        "import logging; logging.getLogger('x').warning('hi')",
        env_overrides={**PRODUCTION_LIKE, "LOG_FORMAT": "plain"},
    )
    assert " WARNING x [-] hi" in plain.stderr
    default = manage(
        "shell", "-v", "0", "-c", "import logging; logging.getLogger('x').warning('hi')", env_overrides=PRODUCTION_LIKE
    )
    assert json.loads(default.stderr.strip().splitlines()[-1])["message"] == "hi"
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        observability.logging_config(log_format="xml", level="INFO")


# --- Sentry --------------------------------------------------------------------------------------------------

SHOW_SENTRY = (
    "import sentry_sdk; c = sentry_sdk.get_client(); print(c.is_active(), c.dsn, c.options['send_default_pii'])"
)


def test_sentry_is_off_without_a_dsn():
    result = manage("shell", "-v", "0", "-c", SHOW_SENTRY, env_overrides=PRODUCTION_LIKE)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:2] == ["False", "None"]


def test_sentry_is_on_with_a_dsn():
    dsn = "https://public@sentry.example/42"
    result = manage("shell", "-v", "0", "-c", SHOW_SENTRY, env_overrides={**PRODUCTION_LIKE, "SENTRY_DSN": dsn})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", dsn, "False"]


def test_sentry_dsn_without_the_package_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "sentry_sdk", None)
    with pytest.raises(ImproperlyConfigured, match="requirements-sentry.txt"):
        observability.init_sentry(
            dsn="https://public@sentry.example/42", environment="", release="", traces_sample_rate=0
        )


def test_sentry_events_are_tagged_with_the_request_id():
    token = observability.request_id.set("req-abcdef123")
    try:
        event = observability._tag_request_id({"message": "x"}, None)
    finally:
        observability.request_id.reset(token)
    assert event["tags"] == {"request_id": "req-abcdef123"}


def test_a_worker_serves_its_own_metrics_when_asked(monkeypatch):
    import requests

    from tests.integration.test_notifications_worker import free_port

    port = free_port()
    monkeypatch.setenv("WORKER_METRICS_PORT", str(port))
    log_line.delay("from a worker")
    metrics._worker_ready()
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    assert 'wastex_celery_tasks_total{outcome="success",task="tests.test_operations.log_line"}' in text
    assert "wastex_celery_task_duration_seconds_bucket" in text

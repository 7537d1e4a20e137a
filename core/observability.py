"""What operators read: one JSON object per log line, a request id that follows a request into its Celery tasks,
and Sentry when SENTRY_DSN is set.

The request id comes from the proxy's X-Request-ID when it sends a sane one, else it is made here; it is sent
back in the response's X-Request-ID, added to every log line written while the request (or a task it queued)
runs, and travels to the worker in the task message's headers.
"""

import contextvars
import json
import logging
import re
import traceback
import uuid
from datetime import UTC, datetime

from celery import signals
from django.core.exceptions import ImproperlyConfigured

REQUEST_ID_HEADER = "HTTP_X_REQUEST_ID"
TASK_HEADER = "wastex_request_id"
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
running_task: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar("running_task", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """First in the middleware: every log line of the request, and every task it queues, carries the id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get(REQUEST_ID_HEADER, "")
        current = incoming if _SANE_ID.match(incoming) else new_request_id()
        request.request_id = current
        token = request_id.set(current)
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(token)
        response["X-Request-ID"] = current
        return response


class RequestIdFilter(logging.Filter):
    """Adds request_id (and, in a worker, task and task_id) to every record, for any formatter."""

    def filter(self, record):
        record.request_id = request_id.get()
        running = running_task.get()
        record.task, record.task_id = running if running else ("", "")
        return True


# The attributes every LogRecord has; anything else was passed with extra={...} and goes into the JSON too.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "request_id", "task", "task_id"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request_id, and the rest."""

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        if getattr(record, "task", ""):
            entry["task"] = record.task
            entry["task_id"] = record.task_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        elif record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, default=str, ensure_ascii=False)


def logging_config(*, log_format: str, level: str) -> dict:
    """settings.LOGGING: JSON lines or plain text, both with the request id."""
    formatters = {
        "json": {"()": JsonFormatter},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    }
    if log_format not in formatters:
        raise ValueError(f"LOG_FORMAT must be json or plain, not {log_format!r}")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {log_format: formatters[log_format]},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": log_format, "filters": ["request_id"]}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {"django.db.backends": {"level": "WARNING"}},
    }


# Celery: the id goes out with the message and is put back around the task's run.


def _add_request_id_header(headers=None, **kwargs):
    current = request_id.get()
    if headers is not None and current != "-":
        headers.setdefault(TASK_HEADER, current)


_task_tokens: dict[str, tuple[contextvars.Token, contextvars.Token]] = {}


def _enter_task(task_id=None, task=None, **kwargs):
    carried = getattr(task.request, TASK_HEADER, None) if task is not None else None
    # A task run eagerly inside a request keeps that request's id; one from the worker takes the message's.
    new_id = carried if carried and _SANE_ID.match(str(carried)) else request_id.get()
    if new_id == "-":
        new_id = new_request_id()
    _task_tokens[task_id] = (request_id.set(new_id), running_task.set((task.name if task else "", task_id)))


def _leave_task(task_id=None, **kwargs):
    tokens = _task_tokens.pop(task_id, None)
    if tokens:
        request_id.reset(tokens[0])
        running_task.reset(tokens[1])


def connect_celery_signals() -> None:
    signals.before_task_publish.connect(_add_request_id_header, weak=False, dispatch_uid="wastex-request-id-out")
    signals.task_prerun.connect(_enter_task, weak=False, dispatch_uid="wastex-request-id-in")
    signals.task_postrun.connect(_leave_task, weak=False, dispatch_uid="wastex-request-id-done")


# Sentry: optional (requirements-sentry.txt), off unless SENTRY_DSN is set.


def init_sentry(*, dsn: str, environment: str, release: str, traces_sample_rate: float) -> None:
    try:
        import sentry_sdk
        from sentry_sdk.integrations.celery import CeleryIntegration
        from sentry_sdk.integrations.django import DjangoIntegration
    except ImportError as exc:
        raise ImproperlyConfigured(
            "SENTRY_DSN is set but sentry-sdk is not installed: pip install -r requirements-sentry.txt "
            "(or unset SENTRY_DSN)."
        ) from exc
    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        release=release or None,
        traces_sample_rate=traces_sample_rate,
        send_default_pii=False,  # no e-mail addresses, cookies or bodies of people's requests
        integrations=[DjangoIntegration(), CeleryIntegration()],
        before_send=_tag_request_id,
    )


def _tag_request_id(event, hint):
    current = request_id.get()
    if current != "-":
        event.setdefault("tags", {})["request_id"] = current
    return event

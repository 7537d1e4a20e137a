"""Every API error as RFC 9457 problem details (`application/problem+json`): type, title, status, detail, and
for invalid input `errors`, each field with the same messages as the web's forms."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "https://wastex.example/problems/"

TITLES = {
    400: "Invalid input",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    413: "Too large",
    415: "Unsupported media type",
    429: "Too many requests",
}
TYPES = {
    400: "invalid-input",
    401: "not-authenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    413: "too-large",
    415: "unsupported-media-type",
    429: "too-many-requests",
}


class InvalidInput(exceptions.APIException):
    """A form (the web's own) refused the input: its messages per field ("__all__" for the whole)."""

    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        summary = " ".join(message for messages in errors.values() for message in messages)
        super().__init__(summary or _("The input is not valid."))


def form_errors(form) -> dict[str, list[str]]:
    return {field: [str(message) for message in messages] for field, messages in form.errors.items()}


def raise_for_form(form) -> None:
    if not form.is_valid():
        raise InvalidInput(form_errors(form))


def problem(status_code: int, detail: str, *, errors: dict | None = None, headers: dict | None = None) -> Response:
    body = {
        "type": TYPE_BASE + TYPES.get(status_code, "error"),
        "title": TITLES.get(status_code, "Error"),
        "status": status_code,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return Response(body, status=status_code, headers=headers, content_type=PROBLEM_CONTENT_TYPE)


def _flatten(detail) -> dict[str, list[str]]:
    """DRF's nested error details as {field: [messages]}."""
    if isinstance(detail, dict):
        return {
            str(field): [str(item) for item in (messages if isinstance(messages, list) else [messages])]
            for field, messages in detail.items()
        }
    if isinstance(detail, list):
        return {"__all__": [str(item) for item in detail]}
    return {"__all__": [str(detail)]}


def exception_handler(exc, context):
    if isinstance(exc, InvalidInput):
        return problem(400, str(exc.detail), errors=exc.errors)
    if isinstance(exc, DjangoValidationError):
        # A service refused the change. With fields: invalid input; without: the state does not allow it.
        if hasattr(exc, "error_dict"):
            errors = {
                field: [str(m) for m in DjangoValidationError(messages).messages]
                for field, messages in exc.error_dict.items()
            }
            return problem(400, " ".join(m for messages in errors.values() for m in messages), errors=errors)
        return problem(409, " ".join(exc.messages))
    if isinstance(exc, Http404):
        return problem(404, _("Not found."))
    if isinstance(exc, PermissionDenied):
        return problem(403, str(exc) or _("You may not do this."))
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        return problem(400, " ".join(m for messages in errors.values() for m in messages), errors=errors)
    if isinstance(exc, exceptions.APIException):
        headers = {}
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            headers["Retry-After"] = str(max(1, int(exc.wait + 0.999)))
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            authenticator = context["request"].authenticators[0] if context.get("request") else None
            if authenticator is not None:
                headers["WWW-Authenticate"] = authenticator.authenticate_header(context["request"])
            # DRF answers 403 when no authenticator gives a header; ours always does.
            exc.status_code = status.HTTP_401_UNAUTHORIZED
        detail = exc.detail
        text = (
            str(detail)
            if not isinstance(detail, dict | list)
            else " ".join(m for messages in _flatten(detail).values() for m in messages)
        )
        return problem(exc.status_code, text, headers=headers)
    return None

"""Helpers for the views of every app."""

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError


def run_service(request, service: Callable, /, **kwargs) -> bool:
    """Call a service for a view that answers with a redirect: a ValidationError (a rule the change breaks)
    becomes an error message on the next page. True when the service succeeded."""
    try:
        service(**kwargs)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return False
    return True

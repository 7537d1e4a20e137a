"""Cursor pagination for the API's lists: an opaque `cursor` for the next page, no COUNT. The cursor holds the
position in the list's order (the same order as the web page, with its filters and sorts)."""

import base64
import binascii
import json

from django.utils.translation import gettext as _

from core.pagination import MAX_PAGE

from .problems import InvalidInput


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def decode_cursor(value: str | None, size: int) -> int:
    if not value:
        return 0
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        offset = json.loads(raw)["o"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        offset = None
    if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset <= size * MAX_PAGE:
        raise InvalidInput({"cursor": [_("This cursor is not one the API gave.")]})
    return offset


def cursor_page(request, rows, size: int) -> tuple[list, str | None]:
    """One page of `rows` (a queryset or a list) and the cursor of the next (None on the last page)."""
    offset = decode_cursor(request.query_params.get("cursor"), size)
    items = list(rows[offset : offset + size + 1])
    more = len(items) > size and offset + size < size * MAX_PAGE
    return items[:size], encode_cursor(offset + size) if more else None

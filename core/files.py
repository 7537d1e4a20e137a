"""Stored files served to the people allowed to see them: never a public URL, never active in our origin."""

from django.http import FileResponse, Http404
from django.utils.http import content_disposition_header


def private_file_response(stored, *, content_type: str, filename: str, inline: bool = False, cache_seconds: int = 0):
    """The file behind a FileField, with headers that keep it inert: a sandboxing CSP (with nosniff from the
    security middleware), a download unless `inline`, and a private cache. 404 when the file is missing."""
    if not stored:
        raise Http404
    try:
        handle = stored.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(not inline, filename)
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response["Cache-Control"] = f"private, max-age={cache_seconds}" if cache_seconds else "private, no-store"
    return response

"""Rendered browse results, cached under a version that every change to a lot bumps: never stale.

A page of /lots/ depends only on the query, the language, the viewer's location (for distances) and the
lots themselves. Any save or delete of a lot, an attachment or a catalogue entry writes a new version once
its transaction commits, so the next request misses and renders afresh. A cached page also expires before
the earliest deadline among the lots it shows, so no lot is ever listed past its deadline.
"""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from wastex import pagecache

VERSION_KEY = "listings:lots-version"


def enabled() -> bool:
    return settings.LOTS_PAGE_CACHE_SECONDS > 0


def bump_lots_version() -> None:
    cache.set(VERSION_KEY, str(time.time_ns()), None)


# Stands in for the CSRF token in a cached page; each response gets the asker's own token.
CSRF_PLACEHOLDER = pagecache.CSRF_PLACEHOLDER


def viewer_page_key(prefix: str, *, request, language: str, partial: bool, query: str, extra: tuple = ()) -> str:
    """The key of a page rendered for this viewer (the navigation names the person and shows their
    organisation's kind, role and status), in this language, for this query; `extra`: what else it depends on."""
    user = request.user
    membership = getattr(user, "_membership_cache", None)
    organisation = membership.organisation if membership else None
    viewer = "|".join(
        str(part)
        for part in (
            user.pk,
            user.get_short_name(),
            user.is_staff,
            membership.role if membership else "-",
            organisation.pk if organisation else "-",
            organisation.slug if organisation else "-",
            organisation.kind if organisation else "-",
            organisation.verification_status if organisation else "-",
            organisation.name if organisation else "-",
            *extra,
        )
    )
    digest = hashlib.sha256(f"{viewer}\n{language}\n{int(partial)}\n{query}".encode()).hexdigest()
    return f"{prefix}:{digest}"


def page_key(*, request, query: str, language: str, origin, partial: bool) -> str:
    """Everything a rendered /lots/ page depends on, besides the lots: the viewer, the language, the viewer's
    place (for distances) and the query."""
    place = f"{float(origin[0]):.5f},{float(origin[1]):.5f}" if origin else "-"
    return viewer_page_key(
        "listings:lots-page", request=request, language=language, partial=partial, query=query, extra=(place,)
    )


def get_page(key: str) -> tuple[str, int] | None:
    """One round trip for the current version and the page; a page rendered under an older version misses.
    Returns the page and the seconds it has left."""
    found = cache.get_many([VERSION_KEY, key])
    version, stored = found.get(VERSION_KEY), found.get(key)
    if version is None:
        cache.add(VERSION_KEY, str(time.time_ns()), None)
        return None
    if stored is None or len(stored) != 3 or stored[0] != version:  # (a page kept before expiries were kept)
        return None
    return stored[1], max(int(stored[2] - time.time()), 0)


def current_version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, str(time.time_ns()), None)
        version = cache.get(VERSION_KEY)
    return version


def set_page(key: str, version: str, html: str, seconds: int) -> None:
    if seconds > 0:
        cache.set(key, (version, html, time.time() + seconds), seconds)


def seconds_to_keep(lots) -> int:
    """At most the configured time, and never past the first deadline on the page."""
    limit = settings.LOTS_PAGE_CACHE_SECONDS
    if lots:
        first_deadline = min(lot.closes_at for lot in lots)
        limit = min(limit, int((first_deadline - timezone.now()).total_seconds()))
    return max(limit, 0)


def _changed(sender, **kwargs):
    transaction.on_commit(bump_lots_version)


def connect_signals():
    from .models import CatalogueSource, LotAttachment, WasteCategory, WasteLot

    for model in (WasteLot, LotAttachment, WasteCategory, CatalogueSource):
        post_save.connect(_changed, sender=model, dispatch_uid=f"lots-cache-save-{model.__name__}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"lots-cache-delete-{model.__name__}")

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

VERSION_KEY = "listings:lots-version"


def enabled() -> bool:
    return settings.LOTS_PAGE_CACHE_SECONDS > 0


def lots_version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, str(time.time_ns()), None)
        version = cache.get(VERSION_KEY)
    return version


def bump_lots_version() -> None:
    cache.set(VERSION_KEY, str(time.time_ns()), None)


def page_key(*, query: str, language: str, origin, partial: bool) -> str:
    digest = hashlib.sha256(query.encode()).hexdigest()[:32]
    where = f"{float(origin[0]):.3f},{float(origin[1]):.3f}" if origin else "-"
    return f"listings:lots-page:{lots_version()}:{language}:{int(partial)}:{where}:{digest}"


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

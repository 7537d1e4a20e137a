"""The dashboard's signals: the deals rollup follows each award, handover and completion; rendered pages are
cached under a version that any change to a deal bumps: never stale.

A page depends on the query, the language, who asks (the navigation names the person; the scope decides
the figures) and the data behind it: lots, bids, awards, handovers, timelines, ratings, organisations,
capabilities and the catalogue. A save or delete of any of them writes a new version once its transaction
commits; the next request misses and renders afresh. DASHBOARD_CACHE_SECONDS bounds the age anyway (0: off).
"""

import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from listings.cache import viewer_page_key
from wastex import pagecache

VERSION_KEY = "dashboard:version"
# Stands in for the CSRF token in a cached page; each response gets the asker's own token (the session page
# cache, wastex.pagecache, keeps the same pages and swaps the same placeholder).
CSRF_PLACEHOLDER = pagecache.CSRF_PLACEHOLDER


def enabled() -> bool:
    return settings.DASHBOARD_CACHE_SECONDS > 0


def bump_version() -> None:
    cache.set(VERSION_KEY, str(time.time_ns()), None)


def page_key(*, request, scope_key: str, query: str, language: str, partial: bool) -> str:
    return viewer_page_key(
        "dashboard:page", request=request, language=language, partial=partial, query=query, extra=(scope_key,)
    )


def get_page(key: str) -> tuple[str | None, str]:
    """(the page, or None; the current version): one round trip when the page is there."""
    found = cache.get_many([VERSION_KEY, key])
    version, stored = found.get(VERSION_KEY), found.get(key)
    if version is None:
        cache.add(VERSION_KEY, str(time.time_ns()), None)
        return None, cache.get(VERSION_KEY)
    if stored is None or stored[0] != version:
        return None, version
    return stored[1], version


def set_page(key: str, version: str, html: str) -> None:
    cache.set(key, (version, html), settings.DASHBOARD_CACHE_SECONDS)


def remember(name: str, compute):
    """A value computed from the same data as the pages (e.g. the landing page's public figures), kept under
    the same version and for the same time."""
    if not enabled():
        return compute()
    found = cache.get_many([VERSION_KEY, f"dashboard:value:{name}"])
    version, stored = found.get(VERSION_KEY), found.get(f"dashboard:value:{name}")
    if version is not None and stored is not None and stored[0] == version:
        return stored[1]
    if version is None:
        cache.add(VERSION_KEY, str(time.time_ns()), None)
        version = cache.get(VERSION_KEY)
    value = compute()
    cache.set(f"dashboard:value:{name}", (version, value), settings.DASHBOARD_CACHE_SECONDS)
    return value


def _changed(sender, **kwargs):
    transaction.on_commit(bump_version)


def _deal_changed(sender, instance, **kwargs):
    """The rollup row of the lot follows its award, handover and completion in the same transaction."""
    from .services import deal_refresh

    if sender.__name__ == "LotTransition" and instance.to_status != "completed":
        return
    deal_refresh(lot_ids=[instance.lot_id])


def connect_signals():
    from listings.models import (
        Award,
        Bid,
        Capability,
        CatalogueSource,
        Handover,
        LotTransition,
        Rating,
        WasteCategory,
        WasteLot,
    )
    from members.models import Organisation

    for model in (
        WasteLot,
        Bid,
        Award,
        Handover,
        LotTransition,
        Rating,
        Organisation,
        Capability,
        WasteCategory,
        CatalogueSource,
    ):
        post_save.connect(_changed, sender=model, dispatch_uid=f"dashboard-cache-save-{model.__name__}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"dashboard-cache-delete-{model.__name__}")
    for model in (Award, Handover, LotTransition):
        post_save.connect(_deal_changed, sender=model, dispatch_uid=f"dashboard-deal-{model.__name__}")

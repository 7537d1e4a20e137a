"""Whole rendered pages for signed-in people, served before Django loads the session and the person.

A signed-in request pays, before its view runs, a round trip for the session and one for the person (with
their membership), then every middleware; a cached page then costs a string replacement. This cache answers
earlier, from PageCacheMiddleware (placed just after CsrfViewMiddleware), in one round trip to the cache:

- the page is stored under a key made of the session key (a secret only that browser holds), the path and
  query, the language cookie and whether htmx asked for a fragment;
- the same round trip reads the cached session (the cached_db session backend keeps it in the cache) and the
  versions the page was rendered under. The page is served only when the session still names the person and
  the password hash the page was rendered for, has no pending message, and every version is unchanged;
- versions are bumped once a change commits: PEOPLE_KEY on any save of a person (not a last-login-only
  save), membership, organisation, licence or rating (the navigation names the person and their
  organisation's status, pages show bidders' names, licences and ratings); the view's own keys for its data
  (listings.pagecache: every lot, one lot, one organisation's bids).

Anything new that every page shows (a notification count in base.html, say) must bump PEOPLE_KEY (or a key the
page depends on) when it changes: `bump(PEOPLE_KEY)` in the code that changes it, or on its model's signals in
`connect_signals`. Otherwise a cached page keeps showing the old value until a version moves.

A view takes part by calling `render` (or `respond` with HTML it already has) instead of Django's render,
after `depend` for any version its data needs that the middleware could not know from the path. Everything
is rendered with CSRF_PLACEHOLDER as the CSRF token; each response gets the asker's own token. A request the
middleware cannot serve (another session engine, a pending message, no cached session, a version changed) goes
through Django as usual and the view stores a fresh page.
"""

import hashlib
import re
import secrets
import time
from collections.abc import Callable, Iterable
from importlib import import_module

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import caches
from django.db import transaction
from django.http import HttpResponse
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, get_token
from django.shortcuts import render as django_render
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers

# Stands in for the CSRF token in a cached page; each response gets the asker's own token.
CSRF_PLACEHOLDER = "__wastex_csrf_token_placeholder__"
PEOPLE_KEY = "pagecache:people"
PAGE_PREFIX = "pagecache:page:"
# Session engines whose sessions the middleware can read from the cache in the same round trip as the page.
CACHED_SESSION_ENGINES = ("django.contrib.sessions.backends.cached_db", "django.contrib.sessions.backends.cache")
LANGUAGE_CODES = frozenset(code for code, _name in settings.LANGUAGES)
SESSION_KEY_PATTERN = re.compile(r"^[a-z0-9]{32}$")
MESSAGES_COOKIE = CookieStorage.cookie_name
MESSAGES_SESSION_KEY = "_messages"

CSRF_PLACEHOLDER_BYTES = CSRF_PLACEHOLDER.encode()
_CSRF_INDEX = {char: index for index, char in enumerate(CSRF_ALLOWED_CHARS)}
_CSRF_BASE = len(CSRF_ALLOWED_CHARS)

# Page key -> the version keys beyond the path's that the page needed when this process last stored or served
# it (a /my/bids/ page needs its organisation's): read in the first round trip instead of a second. Only a hint:
# the page itself says which versions it needs.
_EXTRA_VERSION_HINTS: dict[str, tuple[str, ...]] = {}
MAX_HINTS = 20_000

# Paths whose pages may be cached: (pattern, function of the match giving the version keys to read in the
# same round trip). Apps add theirs with `register`.
_PATHS: list[tuple[re.Pattern, Callable[[re.Match], list[str]]]] = []


def register(pattern: str, versions: Callable[[re.Match], list[str]] = lambda match: []) -> None:
    compiled = re.compile(pattern)
    if all(existing.pattern != compiled.pattern for existing, _versions in _PATHS):
        _PATHS.append((compiled, versions))


def enabled() -> bool:
    return settings.PAGE_CACHE_SECONDS > 0


def _cache():
    return caches[getattr(settings, "SESSION_CACHE_ALIAS", "default")]


def _now_version() -> str:
    """Unique even when two machines bump the same key in the same nanosecond."""
    return f"{time.time_ns()}-{secrets.token_hex(4)}"


def bump(*keys: str) -> None:
    """New versions for these keys once the current transaction commits (at once outside one)."""
    keys = tuple(dict.fromkeys(keys))
    if keys:
        transaction.on_commit(lambda: _cache().set_many(dict.fromkeys(keys, _now_version()), None))


def _get_many(keys: list[str]) -> dict:
    """The cache's get_many, through the Redis backend's quicker one when there is one (wastex.cache)."""
    cache = _cache()
    quick = getattr(cache, "get_many_prevalidated", None)
    return quick(keys) if quick else cache.get_many(keys)


def _versions(keys: Iterable[str]) -> dict[str, str]:
    """The current version of each key, creating the missing ones."""
    keys = list(dict.fromkeys(keys))
    found = _cache().get_many(keys)
    for key in keys:
        if found.get(key) is None:
            _cache().add(key, _now_version(), None)
            found[key] = _cache().get(key)
    return found


def _path_versions(path: str) -> list[str] | None:
    for pattern, versions in _PATHS:
        match = pattern.match(path)
        if match:
            return versions(match)
    return None


def _random_csrf_indexes() -> list[int]:
    """CSRF_SECRET_LENGTH random indexes into CSRF_ALLOWED_CHARS from one call to the system's random source
    (Django's get_random_string makes one call per character). The base-62 digits of a uniform 256-bit number:
    62**32 is below 2**191, so the bias is under 2**-65."""
    number = secrets.randbits(256)
    indexes = []
    for _ in range(CSRF_SECRET_LENGTH):
        number, digit = divmod(number, _CSRF_BASE)
        indexes.append(digit)
    return indexes


def csrf_token(request) -> str:
    """Django's get_token (a new mask over the request's CSRF secret, the secret created when missing, the cookie
    renewed by CsrfViewMiddleware), with the mask drawn in one call: a third of the time of a cached page."""
    secret = request.META.get("CSRF_COOKIE")
    if secret is None or len(secret) != CSRF_SECRET_LENGTH or not all(char in _CSRF_INDEX for char in secret):
        return get_token(request)
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    mask = _random_csrf_indexes()
    chars = CSRF_ALLOWED_CHARS
    cipher = "".join(chars[(_CSRF_INDEX[char] + m) % _CSRF_BASE] for char, m in zip(secret, mask, strict=True))
    return "".join(chars[m] for m in mask) + cipher


def _new_csrf_secret(request) -> None:
    """What get_token does when the request brought no CSRF cookie, with the secret drawn in one call."""
    if "CSRF_COOKIE" not in request.META:
        request.META["CSRF_COOKIE"] = "".join(CSRF_ALLOWED_CHARS[i] for i in _random_csrf_indexes())
        request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True


def _page_key(session_key: str, request) -> str:
    language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if language not in LANGUAGE_CODES:
        language = ""
    fragment = request.headers.get("HX-Request") == "true"
    raw = f"{session_key}\n{request.path}\n{request.META.get('QUERY_STRING', '')}\n{language}\n{int(fragment)}"
    return PAGE_PREFIX + hashlib.sha256(raw.encode()).hexdigest()


def _finish(response: HttpResponse, language: str) -> HttpResponse:
    """The headers the middleware below this one would add (LanguageMiddleware, XFrameOptionsMiddleware)."""
    response.headers.setdefault("Content-Language", language)
    patch_vary_headers(response, ("Cookie",))
    if response.get("X-Frame-Options") is None:
        response["X-Frame-Options"] = getattr(settings, "X_FRAME_OPTIONS", "DENY").upper()
    return response


class PageCacheMiddleware:
    """Serves a cached page to its session without loading the session or the person (see the module)."""

    def __init__(self, get_response):
        self.get_response = get_response
        engine = settings.SESSION_ENGINE
        self.session_prefix = (
            import_module(engine).SessionStore.cache_key_prefix
            if engine in CACHED_SESSION_ENGINES and not settings.CSRF_USE_SESSIONS
            else None
        )

    def __call__(self, request):
        if self.session_prefix and request.method == "GET" and enabled():
            response = self.serve(request)
            if response is not None:
                return response
        return self.get_response(request)

    def serve(self, request) -> HttpResponse | None:
        session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        if not session_key or not SESSION_KEY_PATTERN.match(session_key) or MESSAGES_COOKIE in request.COOKIES:
            return None
        path_versions = _path_versions(request.path)
        if path_versions is None:
            return None
        page_key = _page_key(session_key, request)
        session_cache_key = self.session_prefix + session_key
        hints = _EXTRA_VERSION_HINTS.get(page_key, ())
        found = _get_many([session_cache_key, page_key, PEOPLE_KEY, *path_versions, *hints])
        # What the view stores its page against, read before the person is loaded: a change committed after
        # this point bumps a version the stored page does not carry.
        versions = {key: found.get(key) for key in (PEOPLE_KEY, *path_versions)}
        if None in versions.values():
            # Started now, before anything is read: a page rendered from here on is as new as its version.
            versions.update(_versions(key for key, version in versions.items() if version is None))
        request._page_cache = {
            "key": page_key,
            "session_key": session_key,
            "versions": versions,
            "path_versions": path_versions,
        }
        session, page = found.get(session_cache_key), found.get(page_key)
        if not isinstance(session, dict) or not isinstance(page, dict) or MESSAGES_SESSION_KEY in session:
            return None
        if session.get(SESSION_KEY) != page["user"] or session.get(HASH_SESSION_KEY) != page["hash"]:
            return None
        wanted = page["versions"]
        missing = [key for key in wanted if key not in found]
        if missing:
            found.update(_get_many(missing))
            _remember_extra_versions(page_key, wanted, path_versions)
        if any(found.get(key) != version for key, version in wanted.items()):
            return None
        _new_csrf_secret(request)
        response = HttpResponse(csrf_token(request).encode().join(page["parts"]))
        return _finish(response, page["language"])


def _remember_extra_versions(page_key: str, versions: dict, path_versions: Iterable[str]) -> None:
    extra = tuple(key for key in versions if key != PEOPLE_KEY and key not in path_versions)
    if extra:
        if len(_EXTRA_VERSION_HINTS) >= MAX_HINTS:
            _EXTRA_VERSION_HINTS.clear()
        _EXTRA_VERSION_HINTS[page_key] = extra


def _state(request) -> dict | None:
    """The middleware's notes for this request when its page may be stored, else None."""
    state = getattr(request, "_page_cache", None)
    if state is None or request.method != "GET" or not request.user.is_authenticated:
        return None
    if request.session.session_key != state["session_key"] or len(get_messages(request)):
        return None  # a new session, or a message meant for this response only
    return state


def depend(request, *keys: str) -> None:
    """Versions the page depends on beyond those the middleware read: read before the view reads its data."""
    state = _state(request)
    if state is not None:
        state["versions"].update(_versions(key for key in keys if key not in state["versions"]))


def respond(request, html: str, *, seconds: int, status: int = 200) -> HttpResponse:
    """The response for HTML rendered with CSRF_PLACEHOLDER as its token, stored for this session if it may be."""
    state = _state(request)
    unversioned = [key for key, version in state["versions"].items() if version is None] if state else []
    if unversioned:
        # A version created now could postdate a change this page missed: start it, store the next page.
        _versions(unversioned)
    elif state is not None and status == 200 and seconds > 0:
        versions = dict(state["versions"])
        language = getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE)
        page = {
            "user": request.session.get(SESSION_KEY),
            "hash": request.session.get(HASH_SESSION_KEY),
            "versions": versions,
            "language": language,
            # Encoded once and split at the token: a response is then one join of bytes.
            "parts": html.encode().split(CSRF_PLACEHOLDER_BYTES),
        }
        _cache().set(state["key"], page, min(seconds, settings.PAGE_CACHE_SECONDS))
        _remember_extra_versions(state["key"], versions, state["path_versions"])
    return HttpResponse(html.replace(CSRF_PLACEHOLDER, csrf_token(request)), status=status)


def render(request, template: str, context: dict, *, seconds: int | None = None, status: int = 200) -> HttpResponse:
    """Django's render, storing the page for this session when the middleware may serve it next time."""
    if _state(request) is None or status != 200:
        return django_render(request, template, context, status=status)
    html = render_to_string(template, {**context, "csrf_token": CSRF_PLACEHOLDER}, request)
    seconds = settings.PAGE_CACHE_SECONDS if seconds is None else seconds
    return respond(request, html, seconds=seconds, status=status)


# Invalidation for what every page shows: the person, their membership and organisation.


def _people_changed(sender, instance=None, update_fields=None, **kwargs):
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # signing in again changes nothing a page shows
    bump(PEOPLE_KEY)


def connect_signals() -> None:
    from django.apps import apps
    from django.db.models.signals import m2m_changed, post_delete, post_save

    for label in ("members.User", "members.Membership", "members.Organisation", "members.Licence"):
        model = apps.get_model(label)
        post_save.connect(_people_changed, sender=model, dispatch_uid=f"pagecache-save-{label}")
        post_delete.connect(_people_changed, sender=model, dispatch_uid=f"pagecache-delete-{label}")
    user = apps.get_model("members.User")
    for through in (user.groups.through, user.user_permissions.through):
        m2m_changed.connect(_people_changed, sender=through, dispatch_uid=f"pagecache-m2m-{through.__name__}")

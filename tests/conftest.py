import os
import shutil

import pytest
from django.core.cache import cache
from django.utils import translation

from tests.factories import OrganisationFactory, member_of, staff_user

# live_server and the ORM in a Playwright test body run in one thread with an event loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def chromium_available() -> bool:
    return os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK) or bool(shutil.which(CHROMIUM))


def pytest_collection_modifyitems(config, items):
    browser_items = [item for item in items if item.get_closest_marker("browser")]
    if not browser_items or chromium_available():
        return
    if IN_CI:
        raise pytest.UsageError(f"CI must run the browser tests, but Chromium is not at {CHROMIUM}.")
    skip = pytest.mark.skip(reason=f"Chromium not found at {CHROMIUM} (apt-get install chromium to run browser tests)")
    for item in browser_items:
        item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(autouse=True)
def _english_outside_requests():
    """Services and tasks called directly speak English in tests (requests pick their own language)."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _clear_cache():
    # Rate-limit counters live in the cache; each test starts with none.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def plant(db):
    return OrganisationFactory(name="PT Baja Uji", slug="baja-uji")


@pytest.fixture
def plant_admin(plant):
    return member_of(plant, email="admin@baja-uji.test")


@pytest.fixture
def processor(db):
    return OrganisationFactory(name="CV Olah Uji", slug="olah-uji", processor=True, japnas_number="JPN-1")


@pytest.fixture
def processor_admin(processor):
    return member_of(processor, email="admin@olah-uji.test")


@pytest.fixture
def unverified_plant(db):
    return OrganisationFactory(name="PT Belum Verif", slug="belum-verif", unverified=True)


@pytest.fixture
def unverified_admin(unverified_plant):
    return member_of(unverified_plant, email="admin@belum-verif.test")


@pytest.fixture
def official(db):
    return member_of(OrganisationFactory(authority=True, name="DLH Uji", slug="dlh-uji"), email="official@dlh.test")


@pytest.fixture
def staff(db):
    return staff_user(email="staff@wastex.test")


@pytest.fixture
def client(client):
    """Tests read English messages; the Indonesian default is tested on its own (tests/test_i18n.py)."""
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def frozen_ratelimit_clock(monkeypatch):
    """django-ratelimit counts in fixed windows: a test that crosses a window's edge would start again at 0."""
    import time
    from types import SimpleNamespace

    import django_ratelimit.core

    now = time.time()
    monkeypatch.setattr(django_ratelimit.core, "time", SimpleNamespace(time=lambda: now))

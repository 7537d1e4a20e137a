"""Test settings: the real settings with a fast hasher, in-memory e-mail and tasks run in-process.

Tests that need the real broker and a real worker start one themselves (tests/integration/).
"""

import os
import tempfile

# Only for the test run; production never imports this module.
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-any-deployment-0123456789abcdef")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

from .settings import *  # noqa: E402,F403
from .settings import DATABASES, INSTALLED_APPS, STORAGES  # noqa: E402

if "demo" not in INSTALLED_APPS:  # the development tools' tests run too (settings.py installs them with DEBUG)
    INSTALLED_APPS = [*INSTALLED_APPS, "demo", "bench"]

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
# The webhook tests run a receiver on this machine, over http (tests/api/test_webhook_urls.py turns both off).
WEBHOOKS_ALLOW_PRIVATE_URLS = True
WEBHOOKS_ALLOW_HTTP = True
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
RATELIMIT_USE_CACHE = "default"  # the per-process memory cache above (tests of an outage set their own)
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001", "django_ratelimit.E003"]
MEDIA_ROOT = os.environ.get("TEST_MEDIA_ROOT", os.path.join(tempfile.gettempdir(), "wastex-test-media"))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so that a worker process and a live server can share the test database.
    # One file per test run, so that two runs on one machine never share it.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / f".test-db-{os.getpid()}.sqlite3")}  # noqa: F405
STATIC_ROOT = None  # tests serve static files from the finders

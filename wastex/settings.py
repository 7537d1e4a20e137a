"""WasteX settings.

Every value that differs between a laptop, CI and production is read from the environment here, in one
place (see the configuration table in README.md). Production differs from development only through
environment variables.
"""

from pathlib import Path

import environ
from botocore.config import Config as BotoConfig
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from redis.backoff import NoBackoff
from redis.retry import Retry

from core.observability import init_sentry, logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local `.env` is convenient on a developer machine; real deployments set the environment.
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")

INSECURE_DEFAULT_SECRET_KEY = "django-insecure-wastex-development-only-never-use-in-production"  # noqa: S105 - the sentinel refused below

DEBUG = env.bool("DEBUG", default=False)
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
SECRET_KEY = env("SECRET_KEY", default=INSECURE_DEFAULT_SECRET_KEY)
if not DEBUG and SECRET_KEY == INSECURE_DEFAULT_SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is not set. WasteX refuses to run with DEBUG off on the development key: "
        "set SECRET_KEY to a long random value (or DEBUG=true on a development machine)."
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # The admin site asks for the second factor too (members.two_factor.services.SecondFactorAdminSite).
    "wastex.apps.WasteXAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "django.forms",
    "django_htmx",
    "django_ratelimit",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "wastex",
    "core",
    "members",
    "listings",
    "dashboard",
    "documents",
    "api",
]
# Development tools: the demo data (`load_demo`, `demo_code`) and the load benchmark (`bench`, `bench_matching`).
# The site never needs them; they are installed with DEBUG, or when DEV_APPS=true asks for them.
DEV_APPS = env.bool("DEV_APPS", default=DEBUG)
if DEV_APPS:
    INSTALLED_APPS += ["demo", "bench"]

MIDDLEWARE = [
    # First: every log line of the request carries its id; then every answer is counted (core/metrics.py).
    "core.observability.RequestIdMiddleware",
    "core.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages compressed for browsers that ask (a 40 KB dashboard is 8 KB on a phone's network); static files are
    # already served compressed by WhiteNoise, above. Django's GZip pads each answer at random against BREACH.
    "django.middleware.gzip.GZipMiddleware",
    "csp.middleware.CSPMiddleware",
    # Cache-Control: private, no-store on every page of a signed-in person (before the session: sees its cookie).
    "core.middleware.PrivateCacheControlMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # Two-factor sign-in: a session owing its second factor opens only that step (staff must have one).
    "members.middleware.SecondFactorMiddleware",
    "core.middleware.LanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
]

ROOT_URLCONF = "wastex.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "members.context_processors.membership",
            ],
        },
    },
]

FORM_RENDERER = "core.forms.BootstrapFormRenderer"

WSGI_APPLICATION = "wastex.wsgi.application"

# Database: SQLite file in the project by default, PostgreSQL through DATABASE_URL.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while a task writes. IMMEDIATE takes the write lock when a transaction
    # begins, so two writers queue (waiting up to `timeout` seconds) instead of one failing with "database is
    # locked" when both try to upgrade a read lock: two awards at once make one award and one clear refusal,
    # as on PostgreSQL. select_for_update is a no-op on SQLite; this is what serialises the services.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE", "timeout": 20}
    )
else:
    # Persistent connections with a health check: a new connection per request costs more than the page.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: the Celery broker and the shared cache. Unset, tasks run eagerly in-process.
REDIS_URL = env("REDIS_URL", default="")

if REDIS_URL:
    # core.cache.RedisCache: a Redis that does not answer is a cache miss and a logged warning, never an error
    # (after a failure the process leaves Redis alone for retry_after seconds); one short try, no retries.
    REDIS_CACHE_OPTIONS = {
        "socket_connect_timeout": env.float("REDIS_CACHE_TIMEOUT", default=0.25),
        "socket_timeout": env.float("REDIS_CACHE_TIMEOUT", default=0.25),
        "retry": Retry(NoBackoff(), 0),
        "retry_after": env.float("REDIS_CACHE_RETRY_AFTER", default=5),
    }
    CACHES = {
        "default": {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "wastex",
            "OPTIONS": REDIS_CACHE_OPTIONS,
        },
        # The rate limits: shared between web nodes through Redis; while Redis is away, counted per process.
        "ratelimit": {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "wastex",
            "OPTIONS": {**REDIS_CACHE_OPTIONS, "fallback_locmem": True},
        },
    }
    # Sessions read from Redis, and from the database when Redis misses or is away.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_USER_MODEL = "members.User"
AUTHENTICATION_BACKENDS = ["members.backends.MembershipBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "landing"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24  # a day
# Two-factor sign-in (django-otp): the name authenticator apps show beside the account.
OTP_TOTP_ISSUER = "WasteX Cilegon"
INVITATION_MAX_AGE_DAYS = env.int("INVITATION_MAX_AGE_DAYS", default=14)
# How long the link that confirms a sign-up's e-mail address works (the account is created only then).
SIGNUP_CONFIRM_MAX_AGE_HOURS = env.int("SIGNUP_CONFIRM_MAX_AGE_HOURS", default=48)

# Languages: Bahasa Indonesia by default, English one click away (core.middleware.LanguageMiddleware).
LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Jakarta"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# Uploads: the local disk (MEDIA_ROOT) by default. Several web nodes share an S3-compatible bucket (MinIO, Ceph,
# a cloud's): set S3_BUCKET, and S3_ENDPOINT_URL, the keys and the region as the store needs. The bucket stays
# private: every file is served through the view that checks who asks (core.files.private_file_response).
S3_BUCKET = env("S3_BUCKET", default="")
if S3_BUCKET:
    DEFAULT_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env("S3_ENDPOINT_URL", default=None),
            "access_key": env("S3_ACCESS_KEY_ID", default=None),
            "secret_key": env("S3_SECRET_ACCESS_KEY", default=None),
            "region_name": env("S3_REGION", default=None),
            "location": env("S3_PREFIX", default=""),
            "default_acl": None,  # objects inherit the bucket's (private) policy
            "file_overwrite": False,  # names are random already; never replace another upload
            "querystring_expire": 60,
            # A file over 5 MB is spooled to a temporary file rather than held in memory while it is served.
            "max_memory_size": 5 * 1024 * 1024,
            "client_config": BotoConfig(
                s3={"addressing_style": env("S3_ADDRESSING_STYLE", default="path")},
                signature_version="s3v4",
                connect_timeout=env.float("S3_TIMEOUT", default=5),
                read_timeout=env.float("S3_TIMEOUT", default=5) * 4,
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        },
    }
else:
    DEFAULT_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Request size limits: a form with more than this is refused with 400, not a 500.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200

# E-mail: console on a laptop, SMTP in production (EMAIL_URL=smtp+tls://user:pass@host:587).
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="WasteX Cilegon <noreply@wastex.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# Celery (wastex/celery.py reads every CELERY_* setting).
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="wastex")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing must not hang a request when the broker is away: fail fast (the caller logs it).
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 3, "socket_timeout": 3, "max_retries": 1}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "close-overdue-lots": {"task": "listings.tasks.close_overdue_lots", "schedule": 60},
    # The dashboard's deals rollup follows every award and completion; the hourly rebuild mends any drift.
    "refresh-dashboard-deals": {"task": "dashboard.tasks.refresh_deals", "schedule": 60 * 60},
    "purge-expired-invitations": {
        "task": "members.tasks.purge_expired_invitations",
        "schedule": 60 * 60 * 6,
    },
    "purge-expired-signups": {"task": "members.tasks.purge_expired_signups", "schedule": 60 * 60 * 6},
    "warn-expiring-licences": {"task": "members.tasks.warn_expiring_licences", "schedule": 60 * 60 * 24},
    "remind-staff-of-pending-verifications": {
        "task": "members.tasks.remind_staff_of_pending_verifications",
        "schedule": 60 * 60 * 24,
    },
    # The outbox and the e-mail queue (core): nothing stays behind after a broker outage; failed e-mails are
    # retried.
    "redispatch-outbox": {"task": "core.tasks.redispatch_outbox", "schedule": 60},
    "purge-outbox": {"task": "core.tasks.purge_outbox", "schedule": 60 * 60 * 24},
    "purge-sent-emails": {"task": "core.tasks.purge_sent_emails", "schedule": 60 * 60 * 24},
    "retry-emails": {"task": "core.tasks.retry_emails", "schedule": 60},
    # Webhook deliveries whose retry is due (api): the safety net of the tasks scheduled after each failure.
    "retry-webhooks": {"task": "api.tasks.retry_webhooks", "schedule": 60},
    "purge-webhook-deliveries": {"task": "api.tasks.purge_webhook_deliveries", "schedule": 60 * 60 * 24},
    "send-notification-digests": {
        "task": "members.tasks.send_notification_digests",
        "schedule": crontab(hour=7, minute=0),
    },
    "warn-lots-closing-soon": {"task": "listings.tasks.warn_lots_closing_soon", "schedule": 60 * 10},
    "widen-local-first-matches": {"task": "listings.tasks.widen_local_first_matches", "schedule": 60 * 5},
    "remind-watchers": {"task": "listings.tasks.remind_watchers", "schedule": 60 * 10},
    # Site visits: the day before, both sides hear once (a flag on each booking).
    "remind-visits": {"task": "listings.tasks.remind_visits", "schedule": 60 * 30},
    # Idempotent: hourly, so that a day the beat was down is caught up within the hour.
    "flag-missed-periods": {"task": "listings.tasks.flag_missed_periods", "schedule": 60 * 60},
}
# Webhooks (api.webhook_sending): each attempt waits at most this long for an answer; a failure is retried after
# WEBHOOK_RETRY_SECONDS, doubling each time, for WEBHOOK_GIVE_UP_HOURS. Production sends only to https:// URLs
# whose every address is public; development (DEBUG) and tests may send to http:// and to this machine.
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=5)
WEBHOOK_RETRY_SECONDS = env.int("WEBHOOK_RETRY_SECONDS", default=30)
WEBHOOK_GIVE_UP_HOURS = env.int("WEBHOOK_GIVE_UP_HOURS", default=24)
WEBHOOKS_ALLOW_PRIVATE_URLS = env.bool("WEBHOOKS_ALLOW_PRIVATE_URLS", default=DEBUG)
WEBHOOKS_ALLOW_HTTP = env.bool("WEBHOOKS_ALLOW_HTTP", default=DEBUG)
# How long before a followed lot closes its followers are reminded (once), in hours.
WATCH_REMINDER_HOURS = env.int("WATCH_REMINDER_HOURS", default=24)
# First retry of a failed e-mail (core.mail) after this many seconds, doubling each time (6 tries at most).
NOTIFICATION_EMAIL_RETRY_SECONDS = env.int("NOTIFICATION_EMAIL_RETRY_SECONDS", default=60)

# Security. Each defaults to the safe value when DEBUG is off; a deployment behind a TLS proxy sets
# SECURE_PROXY_SSL_HEADER; a benchmark over plain HTTP can switch the redirect off.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Balancers and Prometheus ask the nodes directly over plain HTTP on the internal network.
SECURE_REDIRECT_EXEMPT = [r"^healthz(/live|/ready)?$", r"^metrics$"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "wastex.views.csrf_failure"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# Rate limits (django-ratelimit) on the doors a bot would hammer: login, signup, password reset.
RATELIMIT_ENABLE = env.bool("RATELIMIT_ENABLE", default=True)
RATELIMIT_VIEW = "wastex.views.rate_limited"
# With Redis away the limits are counted per process (the "ratelimit" cache falls back to memory), so log-in
# stays open to people and still closed to a bot hammering one process; should even that fail, let people in
# (fail open) rather than refuse every log-in: the passwords are still checked.
RATELIMIT_USE_CACHE = "ratelimit" if REDIS_URL else "default"
RATELIMIT_FAIL_OPEN = True
SILENCED_SYSTEM_CHECKS = [
    # Django's own RedisCache increments atomically (INCR); django-ratelimit only lists django-redis.
    "django_ratelimit.W001",
]
if not REDIS_URL:
    # Without Redis there is one process (runserver, tests): a per-process cache limits correctly.
    SILENCED_SYSTEM_CHECKS.append("django_ratelimit.E003")

# The REST API (/api/v1/, api/): organisation tokens only (no session, so no CSRF), problem details for every
# error, a rate per token. Its rate limits count in the shared cache (Redis when configured).
API_RATE_PER_MINUTE = env.int("API_RATE_PER_MINUTE", default=120)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.OrganisationTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.TokenScopes"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "api.schema.ProblemAutoSchema",
    "EXCEPTION_HANDLER": "api.problems.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "WasteX API",
    "DESCRIPTION": "The Cilegon industrial waste exchange for the plants' and processors' own systems.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "LotStatusEnum": "listings.models.WasteLot.Status",
        "BidStatusEnum": "listings.models.Bid.Status",
        "UnitEnum": "listings.models.WasteCategory.Unit",
        "RouteEnum": "listings.models.Route",
        "DocumentKindEnum": "documents.models.Document.Kind",
        "DocumentStatusEnum": "documents.models.Document.Status",
    },
}

# Logs: one JSON object per line (LOG_FORMAT=json, the default with DEBUG off) or plain text; both carry the
# request id, which Celery tasks inherit from the request that queued them (core/observability.py).
LOGGING = logging_config(log_format=env("LOG_FORMAT", default="plain" if DEBUG else "json"), level=LOG_LEVEL)
# The worker keeps this configuration instead of installing its own handlers on the root logger.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Prometheus at /metrics (core/metrics.py): from these addresses or networks, or with the bearer token.
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=["127.0.0.1", "::1"])
METRICS_TOKEN = env("METRICS_TOKEN", default="")

# Sentry, when SENTRY_DSN is set (pip install -r requirements-sentry.txt); off by default.
SENTRY_DSN = env("SENTRY_DSN", default="")
if SENTRY_DSN:
    init_sentry(
        dsn=SENTRY_DSN,
        environment=env("SENTRY_ENVIRONMENT", default=""),
        release=env("SENTRY_RELEASE", default=""),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )

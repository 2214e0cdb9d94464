"""Settings for the Luodian one-stop dispute resolution platform.

Everything comes from the environment (see README "Configuration"); the defaults
give a working single-machine platform on SQLite with a file-system Celery broker.
Set ``DJANGO_ENV=production`` for the hardened mode: it refuses to start without
a real SECRET_KEY and passes ``manage.py check --deploy``.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from .env import env_bool, env_int, env_list, env_str, key_problems

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("LUODIAN_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

ENVIRONMENT = env_str("DJANGO_ENV", "development")
PRODUCTION = ENVIRONMENT == "production"
DEBUG = env_bool("DEBUG", not PRODUCTION)
# With DEBUG on, show Django's technical 404 page instead of the Chinese one (route debugging).
DEBUG_TECHNICAL_404 = env_bool("DEBUG_TECHNICAL_404", False)

_DEV_SECRET = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION or not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (DJANGO_ENV=production). "
            "Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    SECRET_KEY = _DEV_SECRET
elif PRODUCTION and (SECRET_KEY == _DEV_SECRET or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured("SECRET_KEY is too weak for production (use 50+ random chars).")

# Personal data encryption (see luodian_platform/crypto.py). FIELD_ENCRYPTION_SALTS is a
# comma-separated list: the first encrypts, all decrypt (rotate by prepending a new one).
SALT_KEY = env_list("FIELD_ENCRYPTION_SALTS", ["luodian-dev-salt-1"])
BLIND_INDEX_KEY = env_str("BLIND_INDEX_KEY", "")
if not BLIND_INDEX_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured(
            "BLIND_INDEX_KEY must be set in production (a random 32+ char secret)."
        )
    BLIND_INDEX_KEY = "dev-only-blind-index-key"
if PRODUCTION and SALT_KEY == ["luodian-dev-salt-1"]:
    raise ImproperlyConfigured("FIELD_ENCRYPTION_SALTS must be set in production.")
if PRODUCTION and (_key_problems := key_problems(SECRET_KEY, BLIND_INDEX_KEY, SALT_KEY)):
    # Also a `check --deploy` error (luodian_platform.E002), for settings changed later.
    raise ImproperlyConfigured("Weak keys: " + "; ".join(_key_problems))
PERSONAL_DATA_RETENTION_DAYS = env_int("PERSONAL_DATA_RETENTION_DAYS", 5 * 365)
# Staff API tokens (luodian_platform.tokens) expire after this many days.
STAFF_TOKEN_DAYS = env_int("STAFF_TOKEN_DAYS", 30)
# A progress note (办理进展) may be edited by its author for this long; after that it is
# append-only and a mistake is corrected by a new note (intake/models/notes.py).
PROGRESS_NOTE_EDIT_MINUTES = env_int("PROGRESS_NOTE_EDIT_MINUTES", 30)
# A retried POST /api/cases/ with the same Idempotency-Key answers with the case the first
# one created, for this many hours (intake/api/walkin.py).
IDEMPOTENCY_KEY_HOURS = env_int("IDEMPOTENCY_KEY_HOURS", 24)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]"])

# County identity: printed on receipts and used in case numbers (LD2026-000123).
COUNTY_CODE = env_str("COUNTY_CODE", "LD")
COUNTY_NAME = env_str("COUNTY_NAME", "罗甸县")
HALL_PHONE = env_str("HALL_PHONE", "0854-7611234")
# Public address of the site: the QR code on receipts and the links in citizens' SMS.
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://127.0.0.1:8000")
# The citizen's side (citizen app, docs/citizen.md): lookups per address per 10 minutes;
# failed checks per case number per hour before that number is locked for the hour; SMS
# codes (valid minutes, wrong tries, codes per phone and per address per hour).
CITIZEN_LOOKUPS_PER_IP = env_int("CITIZEN_LOOKUPS_PER_IP", 30)
CITIZEN_LOOKUP_FAILURES = env_int("CITIZEN_LOOKUP_FAILURES", 5)
CITIZEN_CODE_MINUTES = env_int("CITIZEN_CODE_MINUTES", 10)
CITIZEN_CODE_MAX_TRIES = env_int("CITIZEN_CODE_MAX_TRIES", 5)
CITIZEN_CODES_PER_PHONE_HOUR = env_int("CITIZEN_CODES_PER_PHONE_HOUR", 5)
CITIZEN_CODES_PER_IP_HOUR = env_int("CITIZEN_CODES_PER_IP_HOUR", 20)
# Photos and documents on one online application (each checked like every evidence file,
# at most FILE_MAX_BYTES): a phone sends a few, not a staff member's 20 per object.
CITIZEN_FILES_MAX = env_int("CITIZEN_FILES_MAX", 5)
# The lookup log (with the callers' addresses) is kept this long, then deleted.
CITIZEN_LOG_DAYS = env_int("CITIZEN_LOG_DAYS", 180)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_fsm",
    "axes",
    # Our apps, upstream first: followup -> mediation -> dispatch -> intake -> luodian_platform.
    "luodian_platform",
    "intake",
    "dispatch",
    "mediation",
    "followup",
    # The citizen's side (issue 21): public lookup, online application, evaluation and
    # confirmations; downstream of every case app.
    "citizen",
    # The audit trail (issue 9): its table is written by database triggers, see audit.py.
    "audit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "luodian_platform.middleware.SlidingSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Before anything reads the body: non-UTF-8, oversized and over-long bodies are refused
    # in Chinese (pages) or the API's JSON shape, never Django's English error page.
    "luodian_platform.middleware.RequestGuardMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: every write of the request is attributed to its user.
    "luodian_platform.audit.AuditActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # With DEBUG on (development), 404 is the Chinese page too, not Django's English one.
    "luodian_platform.not_found.NotFoundPageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "luodian_platform.middleware.SecurityHeadersMiddleware",
    # Axes last so it sees the authenticated user.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "luodian_platform.urls"
WSGI_APPLICATION = "luodian_platform.wsgi.application"

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
                "luodian_platform.context_processors.platform",
                "luodian_platform.notifications.context",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'luodian.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout let the web server and the Celery worker share the file.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
# A read replica (a PostgreSQL streaming replica of the primary) for the reads that
# tolerate a little lag: dashboards, the evaluation and its exports
# (luodian_platform/dbrouter.py). Unset: everything reads and writes ``default``.
REPLICA_DATABASE_URL = env_str("REPLICA_DATABASE_URL", "")
if REPLICA_DATABASE_URL:
    DATABASES["replica"] = dj_database_url.parse(
        REPLICA_DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60)
    )
DATABASE_ROUTERS = ["luodian_platform.dbrouter.ReplicaRouter"]
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "luodian_platform.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, reading the user and its roles in one statement per request.
    "luodian_platform.auth.RoleLoadingBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Cache ----------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Internationalisation: Chinese first, English available ----------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"

# --- Sessions and security -------------------------------------------------
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", 30 * 60)  # idle timeout for staff pages
# Sliding expiry: the clock restarts with activity. Pushed on at most once a minute by
# luodian_platform.middleware.SlidingSessionMiddleware, not written on every request.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_REFRESH_SECONDS = env_int("SESSION_REFRESH_SECONDS", 60)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# --- REST framework --------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: its authenticate_header makes DRF answer an unauthenticated call 401 with
    # "WWW-Authenticate: Token" (session-first answers 403, which says "forbidden", not "log in").
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "luodian_platform.tokens.StaffTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "luodian_platform.api.pagination.CasePagination",
    "PAGE_SIZE": 25,
    # django-filter's backend, skipping the FilterSet when no filter parameter is given.
    "DEFAULT_FILTER_BACKENDS": ["luodian_platform.api.filters.FilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "luodian_platform.api.errors.exception_handler",
    # Rates for luodian_platform.api.throttles.ChannelRateThrottle (per channel token) and
    # the views that set throttle_scope; see docs/security.md.
    "DEFAULT_THROTTLE_CLASSES": ["luodian_platform.api.throttles.StaffRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "channel": env_str("CHANNEL_RATE", "120/min"),
        "channel_bulk": env_str("CHANNEL_BULK_RATE", "10/min"),
        # Per user (StaffRateThrottle): every staff API call; full personal data (party
        # reveals, visit calls, full documents); duplicate suggestions while registering.
        "staff": env_str("STAFF_API_RATE", "1200/min"),
        "reveal": env_str("REVEAL_RATE", "30/min"),
        "lookup": env_str("LOOKUP_RATE", "60/min"),
    },
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + ([] if PRODUCTION else ["rest_framework.renderers.BrowsableAPIRenderer"]),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "罗甸县一站式矛盾纠纷化解平台 API",
    "DESCRIPTION": "Cases, dispatch, mediation, follow-up and channel intake.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a "kind"; each choice set gets its own schema name.
    "ENUM_NAME_OVERRIDES": {
        "AttachmentKindEnum": "intake.models.files.Attachment.Kind",
        "PartyKindEnum": "intake.models.parties.Party.Kind",
        "ProgressNoteKindEnum": "intake.models.notes.ProgressNote.Kind",
    },
}

# --- Files: evidence and documents (intake.evidence; README "Configuration") -----------
# Stored through Django's storage API under the "attachments" alias: the local file system
# under var/files by default (not a path any URL serves: every download goes through an
# access-checked view), or S3-compatible object storage when FILES_S3_BUCKET is set.
FILE_MAX_BYTES = env_int("FILE_MAX_BYTES", 10 * 1024 * 1024)
FILE_MAX_PER_TARGET = env_int("FILE_MAX_PER_TARGET", 20)
FILE_MAX_PER_CASE = env_int("FILE_MAX_PER_CASE", 200)
FILES_ROOT = Path(env_str("FILES_ROOT", str(VAR_DIR / "files")))
# A file part over FILE_MAX_BYTES is dropped while the body is read (luodian_platform/uploads.py).
FILE_UPLOAD_HANDLERS = [
    "luodian_platform.uploads.FileSizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
FILES_S3_BUCKET = env_str("FILES_S3_BUCKET", "")
if FILES_S3_BUCKET:
    _ATTACHMENTS_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": FILES_S3_BUCKET,
            "endpoint_url": env_str("FILES_S3_ENDPOINT_URL", "") or None,
            "region_name": env_str("FILES_S3_REGION", "") or None,
            "access_key": env_str("FILES_S3_ACCESS_KEY_ID", "") or None,
            "secret_key": env_str("FILES_S3_SECRET_ACCESS_KEY", "") or None,
            "location": env_str("FILES_S3_PREFIX", ""),
            # Path-style addressing works with every S3-compatible server (MinIO, Ceph...).
            "addressing_style": env_str("FILES_S3_ADDRESSING_STYLE", "path"),
            "signature_version": "s3v4",
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    _ATTACHMENTS_STORAGE = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": str(FILES_ROOT),
            "base_url": None,
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    }
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "attachments": _ATTACHMENTS_STORAGE,
}

# --- Celery ----------------------------------------------------------------
# Default broker needs no server: kombu's filesystem transport under var/.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(VAR_DIR / "broker" / "out"),
        "data_folder_out": str(VAR_DIR / "broker" / "out"),
        "processed_folder": str(VAR_DIR / "broker" / "processed"),
        "control_folder": str(VAR_DIR / "broker" / "control"),
        "store_processed": False,
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {"visibility_timeout": 3600}
)
if CELERY_BROKER_URL.startswith("filesystem"):
    for sub in ("out", "processed", "control"):
        (VAR_DIR / "broker" / sub).mkdir(parents=True, exist_ok=True)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing must not hang a clerk's request when the broker is down: fail fast,
# the rows in the database are the source of truth and the sweep picks them up.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY = False
SWEEP_INTERVAL_SECONDS = env_int("SWEEP_INTERVAL_SECONDS", 60)
CELERY_BEAT_SCHEDULE: dict = {}  # filled in luodian_platform/celery.py, one place
NIGHTLY_ROLLUP_HOUR = env_int("NIGHTLY_ROLLUP_HOUR", 1)
# A closed period's evaluation is kept this long (followup/snapshots.py; 0 = never kept).
EVALUATION_CACHE_SECONDS = env_int("EVALUATION_CACHE_SECONDS", 600)

# --- Reminders and notifications (followup.reminders, luodian_platform.notifications) --
# Outbound channels every reminder goes through; each message carries the reminder's id
# as its idempotency key. "inapp" is the notification centre.
NOTIFICATION_CHANNELS = env_list("NOTIFICATION_CHANNELS", ["inapp", "sms", "email"])
# SMS gateway backend: "file" (JSON lines under var/sms/, for development and tests),
# "log", or a dotted path to a class implementing luodian_platform.notifications.SmsBackend.
SMS_BACKEND = env_str("SMS_BACKEND", "file")
SMS_FILE_PATH = env_str("SMS_FILE_PATH", str(VAR_DIR / "sms" / "outbox.jsonl"))
# No non-urgent reminders at night or on rest days (local time, hours [start, end)).
REMINDER_SEND_HOURS = (
    env_int("REMINDER_SEND_FROM_HOUR", 8),
    env_int("REMINDER_SEND_UNTIL_HOUR", 20),
)
# A reminder claimed by a worker that died before recording it is retried after this.
REMINDER_WORKDAYS_ONLY = env_bool("REMINDER_WORKDAYS_ONLY", True)
REMINDER_CLAIM_LEASE_SECONDS = env_int("REMINDER_CLAIM_LEASE_SECONDS", 300)
REMINDER_SIGN_LEAD_HOURS = env_int("REMINDER_SIGN_LEAD_HOURS", 4)

# Sanity bounds on dates people type (issue 23), with the reasons in docs/mediation.md:
# a session may be entered up to a week after it was held and booked up to half a year
# ahead, lasts at most 12 hours, and one outside 07:00–21:00 or on a rest day needs the
# user's confirmation; an agreement's performance date lies between the agreement and ten
# years after it.
SESSION_PAST_GRACE_DAYS = env_int("SESSION_PAST_GRACE_DAYS", 7)
SESSION_MAX_AHEAD_DAYS = env_int("SESSION_MAX_AHEAD_DAYS", 180)
SESSION_MAX_HOURS = env_int("SESSION_MAX_HOURS", 12)
SESSION_USUAL_HOURS = (
    env_int("SESSION_USUAL_FROM_HOUR", 7),
    env_int("SESSION_USUAL_UNTIL_HOUR", 21),
)
PERFORMANCE_MAX_YEARS = env_int("PERFORMANCE_MAX_YEARS", 10)
REMINDER_DUE_SOON_WORKDAYS = env_int("REMINDER_DUE_SOON_WORKDAYS", 1)
REMINDER_MAX_ATTEMPTS = env_int("REMINDER_MAX_ATTEMPTS", 8)

# --- Platform rules (editable defaults) --------------------------------------
# Office hours that working-hour periods count (签收 "8个工作小时"), local time, on working
# days of the official calendar: "HH:MM-HH:MM" spans, comma-separated.
OFFICE_HOURS = env_list("OFFICE_HOURS", ["09:00-12:00", "13:00-18:00"])

GROUP_DISPUTE_THRESHOLD = env_int("GROUP_DISPUTE_THRESHOLD", 5)
FORCED_DISPATCH_AFTER_RETURNS = env_int("FORCED_DISPATCH_AFTER_RETURNS", 2)
DUPLICATE_WINDOW_DAYS = env_int("DUPLICATE_WINDOW_DAYS", 180)
CHANNEL_BULK_LIMIT = env_int("CHANNEL_BULK_LIMIT", 200)
# Outbound results to the channels (回传, intake/outbound.py): attempts before a delivery is
# parked for the administrator, the exponential backoff between attempts, and the HTTP timeout.
OUTBOUND_MAX_ATTEMPTS = env_int("OUTBOUND_MAX_ATTEMPTS", 8)
OUTBOUND_BACKOFF_SECONDS = env_int("OUTBOUND_BACKOFF_SECONDS", 30)
OUTBOUND_BACKOFF_MAX_SECONDS = env_int("OUTBOUND_BACKOFF_MAX_SECONDS", 3600)
OUTBOUND_TIMEOUT_SECONDS = env_int("OUTBOUND_TIMEOUT_SECONDS", 10)
# A hand-off to a worker younger than this is not repeated by the sweep.
OUTBOUND_REQUEUE_SECONDS = env_int("OUTBOUND_REQUEUE_SECONDS", 300)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("MAX_REQUEST_BYTES", 2 * 1024 * 1024)

EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = str(VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "noreply@luodian.invalid")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

PLATFORM_TITLE = _("一站式矛盾纠纷化解平台")

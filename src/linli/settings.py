"""Linli settings.

Everything an operator changes comes from the environment (see `.env.example` and the README):
`DATABASE_URL`, `LINLI_SECRET_KEY`, `LINLI_PRODUCTION`, `LINLI_ALLOWED_HOSTS`, `LINLI_DATA_DIR`,
`LINLI_EMBEDDED_WORKER`, `LINLI_OPEN311_JURISDICTION`, `LINLI_AUDIT_KEY_DIR`,
`LINLI_AUDIT_CHECKPOINT_FILE`, `LINLI_BACKUP_DIR`.
Without any of them Linli runs embedded: SQLite in the data folder, a generated secret key.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("LINLI_DATA_DIR", Path.cwd() / "var")).resolve()


def _env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """The operator's key, or one generated once and kept in the data folder (embedded runs)."""
    if key := os.environ.get("LINLI_SECRET_KEY"):
        return key
    key_file = DATA_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


PRODUCTION = _env_flag("LINLI_PRODUCTION")
DEBUG = _env_flag("LINLI_DEBUG")
SECRET_KEY = _secret_key()
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("LINLI_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("LINLI_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "template_partials",
    "django_filters",
    "axes",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "linli.core",
    "linli.accounts",
    "linli.registry",
    "linli.hall",
    "linli.appeals",
    "linli.decide",
    "linli.visits",
    "linli.demo",
]

MIDDLEWARE = [
    "linli.core.middleware.DatabaseOutageMiddleware",  # 503, not 500, when the database is away
    "linli.core.middleware.HealthCheckMiddleware",  # /healthz and /readyz, before everything else
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "linli.core.middleware.PrivateAnswersMiddleware",  # no-store on what a signed-in user sees
    "linli.core.middleware.RequestContextMiddleware",
    "linli.core.middleware.DenialAuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "linli.accounts.middleware.StaffIdleTimeoutMiddleware",  # after messages: it leaves a notice
    "linli.accounts.middleware.PasswordChangeRequiredMiddleware",  # after the idle timeout
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "linli.urls"
WSGI_APPLICATION = "linli.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "linli.core.context_processors.workbench",
                "linli.core.context_processors.care_mode",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{DATA_DIR / 'linli.sqlite3'}",
        conn_max_age=int(os.environ.get("LINLI_DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers go on while one writer works; the timeout rides out short write bursts.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Linli's queries are short counts and lists; JIT compilation costs more than it saves
    # (the district overview: ~2 s with JIT, ~0.6 s without).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
    # A database host that does not answer at all (not even "refused") holds a request at most
    # this long before it is answered 503, instead of the operating system's minutes.
    DATABASES["default"]["OPTIONS"].setdefault(
        "connect_timeout", int(os.environ.get("LINLI_DB_CONNECT_TIMEOUT", "5"))
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Background jobs (core/jobs.py): one task API, kept in the database on SQLite and PostgreSQL
# alike. `linli serve` runs them in a thread of its own unless LINLI_EMBEDDED_WORKER=0 (the
# default in production, where machines run `linli worker` and claim jobs with row locks).
TASKS = {"default": {"BACKEND": "django_tasks_db.backend.DatabaseBackend"}}
LINLI_EMBEDDED_WORKER = _env_flag("LINLI_EMBEDDED_WORKER", not PRODUCTION)
# Whether a worker also looks at the schedule of periodic jobs (core/periodic.py); one slot is
# queued once however many workers look, so leaving it on everywhere is safe.
LINLI_PERIODIC_JOBS = _env_flag("LINLI_PERIODIC_JOBS", True)
# Worker heartbeats (core/heartbeat.py): every worker writes a sign of life every
# LINLI_WORKER_HEARTBEAT seconds; the jobs left running by a worker silent for
# LINLI_WORKER_DEAD_AFTER seconds are queued again, whatever their own time limit. The
# machines' clocks must agree (NTP) to well within the second figure.
LINLI_WORKER_HEARTBEAT = float(os.environ.get("LINLI_WORKER_HEARTBEAT", "10"))
LINLI_WORKER_DEAD_AFTER = float(os.environ.get("LINLI_WORKER_DEAD_AFTER", "60"))
if not 0 < 3 * LINLI_WORKER_HEARTBEAT <= LINLI_WORKER_DEAD_AFTER:
    raise ImproperlyConfigured(
        "LINLI_WORKER_DEAD_AFTER must be at least three times LINLI_WORKER_HEARTBEAT "
        "(a worker is taken for dead only after several missed beats)."
    )

# The audit trail's keys and checkpoints (core/audit_keys.py, core/audit_checkpoints.py) live
# outside the database, so that someone who can write the database cannot rewrite the trail
# without it showing. Keep both apart from the database's backups, the checkpoints ideally on
# write-once storage as well.
LINLI_AUDIT_KEY_DIR = Path(os.environ.get("LINLI_AUDIT_KEY_DIR", DATA_DIR / "audit_keys"))
LINLI_AUDIT_CHECKPOINT_FILE = Path(
    os.environ.get("LINLI_AUDIT_CHECKPOINT_FILE", DATA_DIR / "audit-checkpoints.log")
)
# Audit records are chained 封存 by the job workers this many seconds at most after they are
# written (core/audit.py); until then each is checked by its own signature.
LINLI_AUDIT_SEAL_SECONDS = float(os.environ.get("LINLI_AUDIT_SEAL_SECONDS", "2"))
# Where `linli backup` writes its archives unless told (core/backup.py). Better on another disk
# or machine: backups in the data folder are lost with it.
LINLI_BACKUP_DIR = Path(os.environ.get("LINLI_BACKUP_DIR", DATA_DIR / "backups"))

# Readiness (/readyz, core/health.py): not ready when the oldest job ready to run has waited
# longer than this for a worker.
LINLI_READY_MAX_QUEUE_AGE_MINUTES = float(os.environ.get("LINLI_READY_MAX_QUEUE_AGE_MINUTES", "10"))
# Open311 places a request given by coordinates alone inside this box (south, west, north, east;
# the demo district 峡山区's by default): `LINLI_OPEN311_BOUNDS="36.30,119.20,36.70,119.70"`.
if os.environ.get("LINLI_OPEN311_BOUNDS"):
    OPEN311_BOUNDS = tuple(float(v) for v in os.environ["LINLI_OPEN311_BOUNDS"].split(","))
# The district Open311 serves, by its division code (its `jurisdiction_id`): 峡山区 of the demo
# city 潍坊市 by default. Where no district has this code, the district at the root of the tree.
OPEN311_JURISDICTION = os.environ.get("LINLI_OPEN311_JURISDICTION", "370772000000")

# Notifications (core/senders.py): the console by default; an SMS gateway or the WeChat
# official account's template messages through the district's intranet gateway.
LINLI_NOTIFICATION_SENDER = os.environ.get(
    "LINLI_NOTIFICATION_SENDER", "linli.core.senders.ConsoleSender"
)
for _name in (
    "LINLI_SMS_GATEWAY_URL",
    "LINLI_SMS_GATEWAY_KEY",
    "LINLI_SMS_SIGNATURE",
    "LINLI_WECHAT_GATEWAY_URL",
    "LINLI_WECHAT_GATEWAY_KEY",
    "LINLI_WECHAT_TEMPLATE_ID",
):
    globals()[_name] = os.environ.get(_name, "")
LINLI_NOTIFICATION_TIMEOUT = float(os.environ.get("LINLI_NOTIFICATION_TIMEOUT", "10"))

# What a register workbook handed in for import may hold (registry/importing/limits.py),
# checked before it is read: a small file may unpack to hundreds of MB, or name a cell so far
# out that reading it fills the memory. The defaults take a whole district (205,000 rows,
# 137 MB unpacked, packed 10 to 1) with room to spare.
LINLI_IMPORT_MAX_UNPACKED_MB = int(os.environ.get("LINLI_IMPORT_MAX_UNPACKED_MB", "256"))
LINLI_IMPORT_MAX_RATIO = int(os.environ.get("LINLI_IMPORT_MAX_RATIO", "100"))
LINLI_IMPORT_MAX_PARTS = int(os.environ.get("LINLI_IMPORT_MAX_PARTS", "1000"))
LINLI_IMPORT_MAX_ROWS = int(os.environ.get("LINLI_IMPORT_MAX_ROWS", "300000"))
LINLI_IMPORT_MAX_COLUMNS = int(os.environ.get("LINLI_IMPORT_MAX_COLUMNS", "40"))
LINLI_IMPORT_MAX_XLS_MB = int(os.environ.get("LINLI_IMPORT_MAX_XLS_MB", "20"))
# An .xls file is read in a child process that may use this much memory and no more.
LINLI_IMPORT_XLS_MEMORY_MB = int(os.environ.get("LINLI_IMPORT_XLS_MEMORY_MB", "1024"))

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:workbench"
LOGOUT_REDIRECT_URL = "accounts:login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "linli.accounts.passwords.CharacterClassValidator",
        "OPTIONS": {
            "min_length": int(os.environ.get("LINLI_PASSWORD_MIN_LENGTH", "8")),
            "min_classes": int(os.environ.get("LINLI_PASSWORD_MIN_CLASSES", "3")),
        },
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Lockout: 5 failures per account *and* address; the login page shows one message either way.
AXES_FAILURE_LIMIT = int(os.environ.get("LINLI_LOCKOUT_FAILURES", "5"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = float(os.environ.get("LINLI_LOCKOUT_HOURS", "0.5"))
AXES_LOCKOUT_CALLABLE = "linli.accounts.views.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = int(os.environ.get("LINLI_PROXY_COUNT", "0")) or None

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12
LINLI_STAFF_IDLE_MINUTES = int(os.environ.get("LINLI_STAFF_IDLE_MINUTES", "30"))
CSRF_COOKIE_HTTPONLY = False  # HTMX reads the token from the page, not the cookie
CSRF_FAILURE_VIEW = "linli.core.views_errors.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = _env_flag("LINLI_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("LINLI_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]  # the package's own and vendored files
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed, compressed names wherever `linli serve` collected them (core/static_storage.py).
    "staticfiles": {"BACKEND": "linli.core.static_storage.StaticStorage"},
}
# `linli serve` collects the hashed, compressed files on start; outside production the package's
# own files are served by their own names too (tests, `manage.py runserver`).
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_personal_data": {"()": "linli.core.masking.MaskingLogFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["mask_personal_data"],
            "formatter": "plain",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LINLI_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "axes": {"level": "WARNING"},
    },
}

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 200

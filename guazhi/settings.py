"""Settings for guazhi: one module, every deploy difference from the environment.

Safe by default: nothing set is production (DEBUG off, DJANGO_SECRET_KEY and
DJANGO_ALLOWED_HOSTS required, secure cookies, HSTS, HTTPS redirect). GUAZHI_DEV=1
opts into development, which `make run` and the test settings (tests/settings.py)
set: SQLite, an embedded (filesystem) Celery broker and console email, DEBUG on.
DATABASE_URL switches to PostgreSQL, REDIS_URL to a Redis broker,
GUAZHI_BEHIND_PROXY=1 trusts the reverse proxy of deploy/nginx.conf.
"""

import hashlib
import ipaddress
import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envstr(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: str) -> bool:
    value = os.environ.get(name, default).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean, got {value!r}")


def envint(name: str, default: str) -> int:
    value = os.environ.get(name, default)
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc


def database_from_url(url: str) -> dict:
    """Parse postgres://user:pass@host:port/name?opt=val into a DATABASES entry."""
    parts = urlparse(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ImproperlyConfigured(f"DATABASE_URL scheme {parts.scheme!r} unsupported")
    options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        # Persistent connections: without them PostgreSQL serves a list page at
        # well under half of SQLite's throughput (issue 3, measured).
        "CONN_MAX_AGE": envint("DB_CONN_MAX_AGE", "600"),
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": options,
    }


# --- Core -------------------------------------------------------------------


def refuse(chinese: str, english: str):
    """Stop at start-up with a message in both languages."""
    raise ImproperlyConfigured(f"{chinese}\n{english}")


_DEV_HINT = (
    "开发调试请用 make run，或设置 GUAZHI_DEV=1。",
    "For development use `make run` or set GUAZHI_DEV=1.",
)

# Development is opted into, never fallen into: a server started with nothing
# set runs safe (issue 15).
DEV = envbool("GUAZHI_DEV", "0")
PRODUCTION = not DEV
if DEV and envbool("GUAZHI_PRODUCTION", "0"):
    refuse(
        "GUAZHI_DEV=1 与 GUAZHI_PRODUCTION=1 不能同时设置。",
        "GUAZHI_DEV=1 and GUAZHI_PRODUCTION=1 contradict each other.",
    )
if PRODUCTION and not envbool("GUAZHI_PRODUCTION", "1"):
    refuse(
        "GUAZHI_PRODUCTION=0 不再表示开发模式。" + _DEV_HINT[0],
        "GUAZHI_PRODUCTION=0 no longer selects development. " + _DEV_HINT[1],
    )

DEBUG = DEV and envbool("DJANGO_DEBUG", "1")
if PRODUCTION and envbool("DJANGO_DEBUG", "0"):
    refuse(
        "生产模式不能打开 DJANGO_DEBUG（调试页会泄露设置和数据）。" + _DEV_HINT[0],
        "DJANGO_DEBUG=1 is refused in production (the debug page shows settings "
        "and data). " + _DEV_HINT[1],
    )

if PRODUCTION:
    SECRET_KEY = envstr("DJANGO_SECRET_KEY")
    if len(SECRET_KEY) < 50:
        refuse(
            "请设置 DJANGO_SECRET_KEY（50 个以上随机字符，例如 python -c "
            '"import secrets; print(secrets.token_urlsafe(64))" 的输出）。'
            + _DEV_HINT[0],
            "DJANGO_SECRET_KEY must be set (50+ random characters). " + _DEV_HINT[1],
        )
else:
    SECRET_KEY = envstr("DJANGO_SECRET_KEY", "dev-only-insecure-key-" + "x" * 40)

ALLOWED_HOSTS = [
    h.strip()
    for h in envstr("DJANGO_ALLOWED_HOSTS", "*" if DEV else "").split(",")
    if h.strip()
]
if not ALLOWED_HOSTS:
    refuse(
        "请设置 DJANGO_ALLOWED_HOSTS（本系统的域名，多个用逗号分隔，"
        "例如 guazhi.example.gov.cn）。" + _DEV_HINT[0],
        "DJANGO_ALLOWED_HOSTS must be set (the site's host names, comma-separated). "
        + _DEV_HINT[1],
    )
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in envstr("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    # Settings admins change in the app (constance) and their history: below
    # every app of the project, which may read them; before django_celery_beat,
    # whose translation of "Name" (任务名) would title the settings' column.
    "siteconfig",
    "siteconfig.apps.SettingsConfig",
    # The audit trail (issue 16): below every app of the project, which record to it.
    "audit",
    "django_celery_beat",
    "simple_history",
    "axes",
    # The optional second factor (issue 15, cadres/otp.py): TOTP devices and
    # recovery codes (static tokens); their admin pages reset a user's devices.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "cadres",
    "postings",
    # Excel import (issue 19): units, cadres, postings, users, from rosters.
    "imports",
    "records",
    "obligations",
    "assessment",
    # Reminders that reach people (issue 18): the ladder over the obligations.
    "notifications",
    "portal",
    # Statistics (issue 21): the structure and effect pages, exchange (rule 13).
    "analytics",
    # Exports in the background (issue 20): above the pages whose exports it runs.
    "exports",
    # On top, importing no app: start-up checks (defusedxml), backup and restore.
    "ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # Before anything reads a body (the CSRF check, the control-character
    # filter, a view): too long a body is refused unread, with the headers above.
    "guazhi.bodylimit.RequestBodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before anything reads a form: control characters never reach a view.
    "guazhi.cleaning.StripControlCharsMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session passed the second factor.
    "django_otp.middleware.OTPMiddleware",
    # Pages, exports and attachments of a signed-in user are never cached.
    "guazhi.nostore.NoStoreMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "guazhi.access.UrlPolicyMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # The request, for the audit rows that a view's saves set off.
    "audit.middleware.RequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After the messages (they say why): idle and absolute session limits
    # (cadres/sessions.py), then the second factor's gate (cadres/otp.py),
    # whose pages the URL policy lists for every logged-in role.
    "cadres.sessions.SessionLimitsMiddleware",
    "cadres.otp.OtpGateMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a refused login into the login page
    # that says why (cadres.throttling.login_locked_out).
    "axes.middleware.AxesMiddleware",
]
if not PRODUCTION:
    # runserver and the test live server serve static files themselves.
    MIDDLEWARE.remove("whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "guazhi.urls"
WSGI_APPLICATION = "guazhi.wsgi.application"
AUTH_USER_MODEL = "cadres.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a throttled login before any backend hashes its password.
    "axes.backends.AxesStandaloneBackend",
    "cadres.backends.UserBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "guazhi.access.navigation",
            ],
        },
    }
]

# --- Database ---------------------------------------------------------------

DATABASE_URL = envstr("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": database_from_url(DATABASE_URL)}
    # No JIT (unless the URL says otherwise): a list query with scope subqueries
    # is estimated far above jit_above_cost and spent 300 ms compiling for 5 ms
    # of work (issue 3).
    # Random reads priced for SSDs (1.1, PostgreSQL's default 4 assumes
    # spinning disks): the few postings outside a top-level jurisdiction are
    # then found through the unit indexes instead of a scan of every posting.
    DATABASES["default"]["OPTIONS"].setdefault(
        "options", "-c jit=off -c random_page_cost=1.1"
    )
else:
    SQLITE_PATH = Path(envstr("SQLITE_PATH", str(BASE_DIR / "var" / "guazhi.sqlite3")))
    SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)  # a fresh clone has no var/
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(SQLITE_PATH),
            # The web server, worker and beat share one file: wait for locks
            # instead of failing, and take the write lock at BEGIN. Deleted
            # rows are overwritten (secure_delete): a pending ballot, once
            # moved into the shuffled ballots at close, leaves no bytes behind
            # that tie it to its code.
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA secure_delete=ON;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -------------------------------------------------------------------

# Passwords (issue 15, cadres/passwords.py): not close to the username, not
# on the common lists (Django's and the Chinese one shipped with the app), not
# the pinyin of the user's name or unit, not the demo password in production.
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        # Stricter than Django's 0.7.
        "OPTIONS": {"max_similarity": 0.5},
    },
    {"NAME": "cadres.passwords.UsernameValidator"},
    {"NAME": "cadres.passwords.MinimumLengthValidator"},
    {"NAME": "cadres.passwords.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "cadres.passwords.PinyinValidator"},
    {"NAME": "cadres.passwords.DemoPasswordValidator"},
]

# Login throttling (issue 15): django-axes, with the rules of
# cadres/throttling.py: failures counted per username + address and per
# address, limits and cool-off set by admins (LOGIN_* in CONSTANCE_CONFIG).
# The counts live in the default cache; the client address is the one
# guazhi.http.client_address takes (GUAZHI_TRUSTED_PROXY_COUNT).
AXES_HANDLER = "cadres.throttling.LoginThrottle"
# What the handler counts by (it keeps its own keys; axes' check asks for it).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_COOLOFF_TIME = "cadres.throttling.login_cool_off"
AXES_CLIENT_IP_CALLABLE = "guazhi.http.client_address"
AXES_LOCKOUT_CALLABLE = "cadres.throttling.login_locked_out"
# The handler keeps no rows: axes' admin pages would stay empty.
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False
# An address's lock does not hold for the usernames that signed in from it
# successfully within this many days (colleagues behind one router).
LOGIN_KNOWN_ADDRESS_DAYS = envint("LOGIN_KNOWN_ADDRESS_DAYS", "30")

# --- Internationalisation ---------------------------------------------------

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

# --- Static files -----------------------------------------------------------

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(envstr("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Email ------------------------------------------------------------------

EMAIL_BACKEND = envstr(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = envstr("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", "25")
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "guazhi@localhost")
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "0")
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", "30")
# The site's address as users reach it: the links in reminder emails.
SITE_URL = envstr("SITE_URL", "http://localhost:8000")

# --- Celery -----------------------------------------------------------------

REDIS_URL = envstr("REDIS_URL")
BROKER_DIR = BASE_DIR / "var" / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
else:
    # Embedded broker: kombu's filesystem transport, shared by the web server,
    # worker and beat of `make run` through a folder. No Redis needed.
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", "0")

# The cache holds short-lived counters shared by every web process (the ballot
# code rate limit): Redis when configured, else files under var/ so that the
# processes of `make run` share it too. Keys are prefixed by the database they
# describe, so that the demo and the bench database (or two deployments on one
# Redis) never read each other's.
_DB_ID = "{ENGINE}|{HOST}|{PORT}|{NAME}".format_map(
    {k: DATABASES["default"].get(k, "") for k in ("ENGINE", "HOST", "PORT", "NAME")}
)
CACHE_KEY_PREFIX = "guazhi-" + hashlib.sha256(_DB_ID.encode()).hexdigest()[:8]
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(BASE_DIR / "var" / "cache"),
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            # Counts per scope and filter: more than the default 300 entries.
            "OPTIONS": {"MAX_ENTRIES": 20000},
        }
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
# The queue tasks go to when no route names one (a test worker's own queue).
CELERY_TASK_DEFAULT_QUEUE = envstr("CELERY_TASK_DEFAULT_QUEUE", "celery")
# A failed reminder email is retried after this many seconds, doubling each
# time (at most ten minutes, under the broker's visibility timeout).
NOTIFICATION_RETRY_SECONDS = envint("NOTIFICATION_RETRY_SECONDS", "30")
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    # The mid-term reminders (postings.tasks) gave way to the reminder ladder
    # (notifications), whose daily entry a data migration creates
    # (notifications/migrations/0002) so that admins may change its time.
    "assessment-propose-rounds": {
        "task": "assessment.tasks.propose_rounds",
        # Every six hours; idempotent (a posting already in a round of the kind
        # is skipped), so a missed or doubled run is harmless.
        "schedule": 6 * 3600.0,
    },
    "audit-purge-expired": {
        "task": "audit.tasks.purge_expired",
        # Daily; removes only rows past AUDIT_RETENTION_DAYS, so a missed or
        # doubled run is harmless.
        "schedule": 24 * 3600.0,
    },
    "exports-expire": {
        "task": "exports.tasks.expire_exports",
        # Daily; removes only the files of exports older than a day, so a
        # missed or doubled run is harmless.
        "schedule": 24 * 3600.0,
    },
    "obligations-sweep": {
        "task": "obligations.tasks.sweep_obligations",
        # Daily; it looks back a week (obligations.rules.SWEEP_LOOKBACK_DAYS),
        # so a missed run is caught up by the next and a doubled one is harmless.
        "schedule": 24 * 3600.0,
    },
}

# --- Product settings -------------------------------------------------------

REMINDER_MIDTERM_DAYS_AHEAD = envint("REMINDER_MIDTERM_DAYS_AHEAD", "14")
PAGE_SIZE = envint("PAGE_SIZE", "50")

# The dossier (一人一档).
DOSSIER_PAGE_SIZE = envint("DOSSIER_PAGE_SIZE", "20")
ATTACHMENT_MAX_BYTES = envint("ATTACHMENT_MAX_BYTES", str(20 * 1024 * 1024))
# The largest request body the app reads: one attachment and the rest of its
# form. A longer declared body is refused unread (guazhi.bodylimit, 413);
# deploy/nginx.conf's client_max_body_size (21m) is the same figure.
GUAZHI_MAX_REQUEST_BYTES = envint(
    "GUAZHI_MAX_REQUEST_BYTES", str(ATTACHMENT_MAX_BYTES + 1024 * 1024)
)
if GUAZHI_MAX_REQUEST_BYTES <= ATTACHMENT_MAX_BYTES:
    refuse(
        "GUAZHI_MAX_REQUEST_BYTES 必须大于 ATTACHMENT_MAX_BYTES（附件连同表单）。",
        "GUAZHI_MAX_REQUEST_BYTES must exceed ATTACHMENT_MAX_BYTES (a file and "
        "its form).",
    )
# Django's own limits, stated: form fields (not files) up to 2.5 MB in memory;
# an uploaded file above 2.5 MB goes to a temporary file, not memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# A month's notes lock by themselves this many days after the month ends.
MONTHLY_NOTE_LOCK_DAYS = envint("MONTHLY_NOTE_LOCK_DAYS", "10")
# Warnings: the points in force over the last WARNING_PERIOD_DAYS set the level.
WARNING_PERIOD_DAYS = envint("WARNING_PERIOD_DAYS", "365")
WARNING_THRESHOLDS = {
    "blue": envint("WARNING_BLUE_POINTS", "1"),
    "yellow": envint("WARNING_YELLOW_POINTS", "6"),
    "red": envint("WARNING_RED_POINTS", "12"),
}
# 民主测评: at most this many wrong codes per client address (see
# GUAZHI_TRUSTED_PROXY_COUNT) per
# window of seconds, counted in the default cache; a valid code is always
# accepted. Generous on purpose: a code is 8 of 31 characters (8.5e11 codes),
# so guessing is hopeless at any rate, while a whole meeting room behind one
# router shares an address and mistypes. The limit only keeps floods off.
GUAZHI_BALLOT_RATE_LIMIT = (
    envint("BALLOT_RATE_LIMIT_FAILURES", "200"),
    envint("BALLOT_RATE_LIMIT_WINDOW", "600"),
)

# --- Settings admins change in the app (django-constance) ------------------
# What an issue calls "a setting" is changed by a system administrator on one
# page of the admin (系统管理 → 系统设置 → 配置), checked by the field of its
# type, and every change is kept with who made it, when, and the value before
# and after (系统设置修改记录, siteconfig). Deployment stays in the environment
# (above). Code reads a setting as `constance.config.NAME`.

CONSTANCE_BACKEND = "constance.backends.database.DatabaseBackend"
CONSTANCE_SUPERUSER_ONLY = True  # system administrators only
CONSTANCE_ADDITIONAL_FIELDS = {
    # Years in one post before an exchange is due, 1 to 30 (rule 13).
    "exchange_years": [
        "django.forms.IntegerField",
        {
            "min_value": 1,
            "max_value": 30,
            "widget": "django.forms.NumberInput",
            "widget_kwargs": {"attrs": {"min": 1, "max": 30}},
        },
    ],
    # Which exchange kinds count toward the targets (analytics.models).
    "exchange_kinds": [
        "django.forms.RegexField",
        {
            "regex": r"^\s*(exchange|rotation|secondment)(\s*,\s*(exchange|rotation|secondment))*\s*$"
        },
    ],
    # A share in per cent, 0 to 100.
    "percent": [
        "django.forms.IntegerField",
        {
            "min_value": 0,
            "max_value": 100,
            "widget": "django.forms.NumberInput",
            "widget_kwargs": {"attrs": {"min": 0, "max": 100}},
        },
    ],
    # Rows of one import file (imports/): 10 to 100,000.
    "import_rows": [
        "django.forms.IntegerField",
        {
            "min_value": 10,
            "max_value": 100_000,
            "widget": "django.forms.NumberInput",
            "widget_kwargs": {"attrs": {"min": 10, "max": 100_000}},
        },
    ],
    # Rows above which an export runs in the background (exports/): 10 to 1,000,000.
    "export_rows": [
        "django.forms.IntegerField",
        {
            "min_value": 10,
            "max_value": 1_000_000,
            "widget": "django.forms.NumberInput",
            "widget_kwargs": {"attrs": {"min": 10, "max": 1_000_000}},
        },
    ],
    # A number of days, 0 to a year.
    # How many failed logins, 1 to 1000.
    "failures": [
        "django.forms.IntegerField",
        {
            "min_value": 1,
            "max_value": 1000,
            "widget": "django.forms.NumberInput",
            "widget_kwargs": {"attrs": {"min": 1, "max": 1000}},
        },
    ],
    # Minutes of a login cool-off, 1 to a day.
    "minutes": [
        "django.forms.IntegerField",
        {
            "min_value": 1,
            "max_value": 1440,
            "widget": "django.forms.NumberInput",
            "widget_kwargs": {"attrs": {"min": 1, "max": 1440}},
        },
    ],
    # A day of the month that every month has, 1 to 28.
    "day_of_month": [
        "django.forms.IntegerField",
        {
            "min_value": 1,
            "max_value": 28,
            "widget": "django.forms.NumberInput",
            "widget_kwargs": {"attrs": {"min": 1, "max": 28}},
        },
    ],
    # A number of days, 1 to a year.
    "positive_days": [
        "django.forms.IntegerField",
        {
            "min_value": 1,
            "max_value": 365,
            "widget": "django.forms.NumberInput",
            "widget_kwargs": {"attrs": {"min": 1, "max": 365}},
        },
    ],
    # A number of months, 1 to five years.
    "months": [
        "django.forms.IntegerField",
        {
            "min_value": 1,
            "max_value": 60,
            "widget": "django.forms.NumberInput",
            "widget_kwargs": {"attrs": {"min": 1, "max": 60}},
        },
    ],
    "days": [
        "django.forms.IntegerField",
        {
            "min_value": 0,
            "max_value": 365,
            "widget": "django.forms.NumberInput",
            "widget_kwargs": {"attrs": {"min": 0, "max": 365}},
        },
    ],
    # How long the audit trail is kept: at least the six months that the
    # 网络安全法 (art. 21) asks of network logs, at most ten years.
    # Minutes of inactivity after which a session ends, 5 to 12 hours.
    "idle_minutes": [
        "django.forms.IntegerField",
        {
            "min_value": 5,
            "max_value": 720,
            "widget": "django.forms.NumberInput",
            "widget_kwargs": {"attrs": {"min": 5, "max": 720}},
        },
    ],
    # Hours after sign-in at which a session ends however active, 1 to 3 days.
    "session_hours": [
        "django.forms.IntegerField",
        {
            "min_value": 1,
            "max_value": 72,
            "widget": "django.forms.NumberInput",
            "widget_kwargs": {"attrs": {"min": 1, "max": 72}},
        },
    ],
    # A reminder ladder (notifications/ladder.py): steps such as 提前14, 逾期3,
    # 组织部7, 派出单位14, separated by commas; empty for none.
    # A reminder ladder, checked by notifications.ladder.parse (the rule's one
    # definition): steps such as 提前14, 逾期3, 组织部7, 派出单位14.
    "ladder": ["notifications.forms.LadderField", {"required": False}],
    "retention_days": [
        "django.forms.IntegerField",
        {
            "min_value": 180,
            "max_value": 3650,
            "widget": "django.forms.NumberInput",
            "widget_kwargs": {"attrs": {"min": 180, "max": 3650}},
        },
    ],
}
# The obligation kinds (obligations/kinds.py, assessment/obligations.py) and
# their default reminder ladders.
_NOTIFY_LADDER = "提前14,提前3,逾期3,组织部7,派出单位14"
_NOTIFY_KINDS = (
    ("default", "其他类型（默认）", _NOTIFY_LADDER),
    ("monthly_note", "月小结", "提前3,逾期3,组织部7,派出单位14"),
    ("work_log", "日记录", "逾期1,组织部7"),
    ("report_semiannual", "半年书面汇报", _NOTIFY_LADDER),
    ("report_research", "调研报告", _NOTIFY_LADDER),
    ("report_final_summary", "期满工作总结", _NOTIFY_LADDER),
    ("report_self_review", "述职报告", _NOTIFY_LADDER),
    ("appraisal", "组织鉴定", _NOTIFY_LADDER),
    ("follow_up_visit", "回访", _NOTIFY_LADDER),
    ("support_need", "后勤保障需求待解决", "提前3,逾期3,组织部7"),
    ("midterm_assessment", "中期考核", _NOTIFY_LADDER),
    ("final_assessment", "期满考核", _NOTIFY_LADDER),
    ("annual_review", "年度考核", _NOTIFY_LADDER),
    ("host_evaluation", "接收单位评价", _NOTIFY_LADDER),
    ("org_evaluation", "组织部评价", _NOTIFY_LADDER),
    ("ballot_turnout", "民主测评参与率未达标", "逾期3,组织部7"),
)
CONSTANCE_CONFIG = {
    # Exchange of cadres long in one post (issue 21, DOMAIN rule 13, seed 003;
    # analytics/services.py exchange_report).
    "EXCHANGE_YEARS": (
        10,
        "在同一职位任职满多少年的干部应当交流（1–30 年；种子文件003：满十年）。",
        "exchange_years",
    ),
    "EXCHANGE_COUNTED_KINDS": (
        "exchange,rotation",
        "哪些交流方式计入交流比例，用英文逗号分隔：exchange（交流）、"
        "rotation（轮岗）、secondment（挂职）。",
        "exchange_kinds",
    ),
    "EXCHANGE_TARGET_POWER_PCT": (
        50,
        "实权部门（管人、管钱、管物）领导职务干部的年度交流比例下限（%）。种子文件003：50%。",
        "percent",
    ),
    "EXCHANGE_TARGET_LEADER_PCT": (
        25,
        "其他科级领导职务干部的年度交流比例下限（%）。种子文件003：25%。",
        "percent",
    ),
    "EXCHANGE_TARGET_OTHER_PCT": (
        30,
        "其他职位干部的年度交流比例下限（%）。种子文件003：30%。",
        "percent",
    ),
    # Excel import (issue 19, imports/).
    "IMPORT_MAX_ROWS": (
        10_000,
        "每次导入的最多行数（10–100000 行）；超过的文件整个不予导入，请分成几个文件。",
        "import_rows",
    ),
    "IMPORT_ASYNC_ROWS": (
        500,
        "超过多少行的导入在后台执行并显示进度条（10–100000 行）；"
        "不超过的在确认后立即写入。",
        "import_rows",
    ),
    # Exports (issue 20, guazhi/excel.py, exports/).
    "EXPORT_BACKGROUND_ROWS": (
        5000,
        "超过多少行的导出在后台生成并显示进度条（10–1000000 行）；"
        "生成的文件只供申请人本人下载，一天后自动删除。",
        "export_rows",
    ),
    # Obligations (issue 17, obligations/rules.py).
    "NOTE_DUE_DAY": (
        10,
        "月小结应在次月几日前（含当日）填报（1–28 日）。逾期未填报的计为逾期。",
        "day_of_month",
    ),
    "WORKLOG_GAP_DAYS": (
        7,
        "在岗挂职干部连续多少天未写日记录即应补写（1–365 天）。",
        "positive_days",
    ),
    "FINAL_ASSESSMENT_DAYS_BEFORE_END": (
        30,
        "期满考核应在挂职计划结束日期前多少天完成（0–365 天）。",
        "days",
    ),
    "VISIT_MONTHS_AFTER_END": (
        6,
        "挂职结束后多少个月内派出单位应完成回访（1–60 个月）。",
        "months",
    ),
    "SUPPORT_OPEN_DAYS": (
        30,
        "后勤保障需求提出后多少天内应解决（1–365 天），逾期计入组织部待办。",
        "positive_days",
    ),
    "ROUND_LEAD_DAYS": (
        30,
        "系统在中期考核、期满考核到期前多少天建议考核轮次（0–365 天）。",
        "days",
    ),
    # 组织鉴定 (seed 002: 在挂职锻炼结束时……做出组织鉴定); no seed states a figure.
    "APPRAISAL_SUBMIT_DAYS_BEFORE_END": (
        30,
        "组织鉴定最早在挂职计划结束日期前多少天可以提交（0–365 天）。"
        "此前接收单位只能保存草稿；草稿提交前只有起草人本人可见。",
        "days",
    ),
    # Login throttling (issue 15, cadres/throttling.py).
    "LOGIN_FAILURES_PER_USER": (
        5,
        "同一用户名从同一网络地址连续登录失败多少次后暂停该用户名从该地址登录"
        "（1–1000 次）。登录成功后重新计数。",
        "failures",
    ),
    "LOGIN_FAILURES_PER_ADDRESS": (
        30,
        "同一网络地址（不论用户名）登录失败多少次后暂停该地址登录（1–1000 次）。"
        "他人登录成功不清零；近期从该地址成功登录过的用户不受影响。",
        "failures",
    ),
    "LOGIN_COOLOFF_MINUTES": (
        15,
        "登录暂停多少分钟（1–1440 分钟）；失败次数也在这段时间内累计。",
        "minutes",
    ),
    # The audit trail (issue 16, audit/): purged daily by audit.tasks.
    "AUDIT_RETENTION_DAYS": (
        1095,
        "审计日志（导出、附件下载、按身份证号查询、登录、角色和单位变更）保存多少天"
        "（180–3650 天）；超过的每天自动删除。",
        "retention_days",
    ),
    # Sessions and the second factor (issue 15, cadres/sessions.py, cadres/otp.py).
    "SESSION_IDLE_MINUTES": (
        30,
        "登录后多少分钟未操作即自动退出（5–720 分钟）。",
        "idle_minutes",
    ),
    "SESSION_ABSOLUTE_HOURS": (
        12,
        "登录后最长多少小时必须重新登录，无论期间是否在操作（1–72 小时）。",
        "session_hours",
    ),
    # The reminder ladder (issue 18, notifications/ladder.py): per obligation
    # kind; a kind not listed follows the default.
    **{
        f"NOTIFY_LADDER_{kind.upper()}": (
            ladder,
            f"“{label}”的提醒阶梯：以逗号分隔的提醒阶段。提前N＝到期前N天提醒责任人；"
            "逾期N＝逾期N天再次提醒责任人；组织部N＝逾期N天提醒管辖组织部工作人员"
            "（汇总为一份逾期清单）；派出单位N＝逾期N天提醒派出单位联系人。"
            "天数 0–365，留空表示不提醒。",
            "ladder",
        )
        for kind, label, ladder in _NOTIFY_KINDS
    },
    "OTP_REQUIRED_FOR_STAFF": (
        False,
        "要求组织部工作人员和系统管理员启用两步验证（手机验证器）。"
        "勾选后，尚未启用的人员登录后须先完成设置；其他用户可自愿启用。",
        bool,
    ),
}
CONSTANCE_CONFIG_FIELDSETS = (
    (
        "干部交流（统计分析）",
        (
            "EXCHANGE_YEARS",
            "EXCHANGE_COUNTED_KINDS",
            "EXCHANGE_TARGET_POWER_PCT",
            "EXCHANGE_TARGET_LEADER_PCT",
            "EXCHANGE_TARGET_OTHER_PCT",
        ),
    ),
    ("Excel导入", ("IMPORT_MAX_ROWS", "IMPORT_ASYNC_ROWS")),
    ("Excel导出", ("EXPORT_BACKGROUND_ROWS",)),
    (
        "待办事项与考核时限",
        (
            "NOTE_DUE_DAY",
            "WORKLOG_GAP_DAYS",
            "FINAL_ASSESSMENT_DAYS_BEFORE_END",
            "VISIT_MONTHS_AFTER_END",
            "SUPPORT_OPEN_DAYS",
            "ROUND_LEAD_DAYS",
        ),
    ),
    ("组织鉴定", ("APPRAISAL_SUBMIT_DAYS_BEFORE_END",)),
    (
        "登录保护",
        (
            "LOGIN_FAILURES_PER_USER",
            "LOGIN_FAILURES_PER_ADDRESS",
            "LOGIN_COOLOFF_MINUTES",
        ),
    ),
    ("审计日志", ("AUDIT_RETENTION_DAYS",)),
    (
        "提醒阶梯",
        tuple(f"NOTIFY_LADDER_{kind.upper()}" for kind, _l, _d in _NOTIFY_KINDS),
    ),
    (
        "会话与两步验证",
        ("SESSION_IDLE_MINUTES", "SESSION_ABSOLUTE_HOURS", "OTP_REQUIRED_FOR_STAFF"),
    ),
)

# --- Security (production) --------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
# Authenticator apps show this name beside the code (cadres/otp.py).
OTP_TOTP_ISSUER = "挂职干部管理系统"
# The admin shows no device's secret key.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Session limits (issue 15): the idle timeout and the absolute limit are the
# in-app settings SESSION_IDLE_MINUTES and SESSION_ABSOLUTE_HOURS (enforced by
# cadres.sessions), and they are what ends a session. SESSION_COOKIE_AGE is
# only the outer bound on the cookie and its stored row: renewed by activity
# (at least once a minute), it ends a session only if an admin sets the idle
# timeout above it; keep it at least the longest idle timeout (12 h, default).
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", str(12 * 3600))
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# The strictest policy that keeps HTTPS CSRF checks working: "no-referrer"
# makes browsers send "Origin: null" with a form's POST, which Django's CSRF
# check refuses (every form, the anonymous 民主测评 ballot included, whose
# template repeats the policy in a <meta>). Nothing leaves for other sites.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# The reverse proxy of deploy/nginx.conf is in front and is the only way in
# (docker-compose publishes no port of the app): only then is its
# X-Forwarded-Proto believed. Without it a client could claim HTTPS.
BEHIND_PROXY = envbool("GUAZHI_BEHIND_PROXY", "0")
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The client's address (guazhi.http.client_address, for the login and ballot
# limits): how many trusted proxies append to X-Forwarded-For, one for the
# documented nginx, none without GUAZHI_BEHIND_PROXY (then only REMOTE_ADDR
# counts: a client can send any X-Forwarded-For). GUAZHI_TRUSTED_PROXIES
# (addresses or networks, comma-separated) optionally names the proxies whose
# header is believed; empty, any peer is (docker-compose lets only the proxy in).
GUAZHI_TRUSTED_PROXY_COUNT = envint(
    "GUAZHI_TRUSTED_PROXY_COUNT", "1" if BEHIND_PROXY else "0"
)
if GUAZHI_TRUSTED_PROXY_COUNT and not BEHIND_PROXY:
    refuse(
        "GUAZHI_TRUSTED_PROXY_COUNT 只能与 GUAZHI_BEHIND_PROXY=1 一起设置。",
        "GUAZHI_TRUSTED_PROXY_COUNT needs GUAZHI_BEHIND_PROXY=1.",
    )
GUAZHI_TRUSTED_PROXIES = [
    p.strip() for p in envstr("GUAZHI_TRUSTED_PROXIES", "").split(",") if p.strip()
]
for _proxy in GUAZHI_TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        refuse(
            f"GUAZHI_TRUSTED_PROXIES 中的 {_proxy!r} 不是 IP 地址或网段。",
            f"GUAZHI_TRUSTED_PROXIES: {_proxy!r} is not an address or network.",
        )
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "1")
    # HSTS comes from here only (deploy/nginx.conf does not add it), on HTTPS
    # responses.
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "31536000")
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "1")

# Content-Security-Policy (django-csp). Scripts only from our own static files:
# no inline script, no event-handler attribute, no eval (tests/test_headers.py
# scans the templates; tests/e2e/test_csp.py counts violations in Chromium).
# Styles allow 'unsafe-inline' because of (1) htmx (static/vendor/htmx-*), which
# adds a <style> element for its .htmx-indicator class when it starts; (2) the
# templates' style attributes that carry values computed on the server (bar
# widths of 参与率 and 档案完整度, a unit's indentation in the tree); (3) the
# <style> blocks of the ballot, ballot-slip and dossier print pages (the last
# puts the cadre's name, CSS-escaped, into the printed page header). Bootstrap's
# JS sets styles through the CSSOM, which CSP does not restrict. Images: our
# files, and data: URIs, which Bootstrap's CSS uses for its icons.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "WARNING")},
}

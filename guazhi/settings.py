"""Settings for guazhi: one module, every deploy difference from the environment.

Nothing set: SQLite, an embedded (filesystem) Celery broker and console email,
which is what `make run` uses. DATABASE_URL switches to PostgreSQL, REDIS_URL
to a Redis broker, GUAZHI_PRODUCTION=1 to the hardened production mode.
"""

import hashlib
import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

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

PRODUCTION = envbool("GUAZHI_PRODUCTION", "0")
DEBUG = envbool("DJANGO_DEBUG", "0" if PRODUCTION else "1")

if PRODUCTION:
    SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set (50+ characters)")
else:
    SECRET_KEY = envstr("DJANGO_SECRET_KEY", "dev-only-insecure-key-" + "x" * 40)

ALLOWED_HOSTS = [
    h.strip()
    for h in envstr("DJANGO_ALLOWED_HOSTS", "" if PRODUCTION else "*").split(",")
    if h.strip()
]
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
    "django_celery_beat",
    "simple_history",
    "cadres",
    "postings",
    "records",
    "assessment",
    "portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before anything reads a form: control characters never reach a view.
    "guazhi.cleaning.StripControlCharsMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "guazhi.access.UrlPolicyMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
if not PRODUCTION:
    # runserver and the test live server serve static files themselves.
    MIDDLEWARE.remove("whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "guazhi.urls"
WSGI_APPLICATION = "guazhi.wsgi.application"
AUTH_USER_MODEL = "cadres.User"
AUTHENTICATION_BACKENDS = ["cadres.backends.UserBackend"]
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

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

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
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "reminders-midterm-sweep": {
        "task": "postings.tasks.sweep_midterm_reminders",
        # Every hour; the sweep is idempotent, so a missed or doubled run is harmless.
        "schedule": 3600.0,
    },
    "assessment-propose-rounds": {
        "task": "assessment.tasks.propose_rounds",
        # Every six hours; idempotent (a posting already in a round of the kind
        # is skipped), so a missed or doubled run is harmless.
        "schedule": 6 * 3600.0,
    },
}

# --- Product settings -------------------------------------------------------

REMINDER_MIDTERM_DAYS_AHEAD = envint("REMINDER_MIDTERM_DAYS_AHEAD", "14")
PAGE_SIZE = envint("PAGE_SIZE", "50")

# The dossier (一人一档).
DOSSIER_PAGE_SIZE = envint("DOSSIER_PAGE_SIZE", "20")
ATTACHMENT_MAX_BYTES = envint("ATTACHMENT_MAX_BYTES", str(20 * 1024 * 1024))
# A month's notes lock by themselves this many days after the month ends.
MONTHLY_NOTE_LOCK_DAYS = envint("MONTHLY_NOTE_LOCK_DAYS", "10")
# Warnings: the points in force over the last WARNING_PERIOD_DAYS set the level.
WARNING_PERIOD_DAYS = envint("WARNING_PERIOD_DAYS", "365")
WARNING_THRESHOLDS = {
    "blue": envint("WARNING_BLUE_POINTS", "1"),
    "yellow": envint("WARNING_YELLOW_POINTS", "6"),
    "red": envint("WARNING_RED_POINTS", "12"),
}
# 民主测评: at most this many wrong codes per client address (REMOTE_ADDR) per
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
    # A number of days, 0 to a year.
    "days": [
        "django.forms.IntegerField",
        {
            "min_value": 0,
            "max_value": 365,
            "widget": "django.forms.NumberInput",
            "widget_kwargs": {"attrs": {"min": 0, "max": 365}},
        },
    ],
}
CONSTANCE_CONFIG = {
    # 组织鉴定 (seed 002: 在挂职锻炼结束时……做出组织鉴定); no seed states a figure.
    "APPRAISAL_SUBMIT_DAYS_BEFORE_END": (
        30,
        "组织鉴定最早在挂职计划结束日期前多少天可以提交（0–365 天）。"
        "此前接收单位只能保存草稿；草稿提交前只有起草人本人可见。",
        "days",
    ),
}
CONSTANCE_CONFIG_FIELDSETS = (("组织鉴定", ("APPRAISAL_SUBMIT_DAYS_BEFORE_END",)),)

# --- Security (production) --------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", str(8 * 3600))
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "1")
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "31536000")
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "1")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "WARNING")},
}

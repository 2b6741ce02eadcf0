"""Settings for the Wanyuan township party-building funds dashboard.

Everything that differs between a laptop and production comes from environment
variables (twelve-factor); see README.md for the list. On a developer's machine `make run`
also writes them to a git-ignored local file, `.env`, read here when present (see
``read_env_file``), so that `python manage.py <command>` works without setting anything.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def read_env_file(path: Path) -> None:
    """Set the variables of a local ``KEY=value`` file that the environment does not set.

    Lines that are empty or start with ``#`` are skipped; a value is taken as written (no
    quotes, no expansion). A variable set in the environment wins over the file. A
    production server has no such file: there the environment says everything, and with
    DEBUG unset a missing SECRET_KEY stops the start below.
    """
    if not path.is_file():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, value = line.split("=", 1)
        os.environ.setdefault(name.strip(), value.strip())


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# pytest >= 8.2 sets PYTEST_VERSION for the whole session.
TESTING = bool(os.environ.get("PYTEST_VERSION"))
# The tests set what they need themselves: a developer's .env does not change them.
if not TESTING:
    read_env_file(Path(os.environ.get("ENV_FILE") or BASE_DIR / ".env"))

DEBUG = env_bool("DEBUG")
# Demo mode: the seeded data is illustrative and every page says so.
DEMO_MODE = env_bool("DEMO_MODE")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or TESTING:
        SECRET_KEY = "insecure-development-key-never-use-in-production"  # noqa: S105
    else:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (see README.md).")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if (DEBUG or TESTING) else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# The county this instance serves. Wanyuan is only the default: another county runs
# its own instance with its own township list (see fixtures/ and README.md).
COUNTY_NAME = os.environ.get("COUNTY_NAME", "万源市")
# The county's GB/T 2260 code: the org unit of its upward reports (funds.exchange).
COUNTY_CODE = os.environ.get("COUNTY_CODE", "511781")
# The level of this instance, set at installation: a county keeps the ledgers; a city or a
# province instance receives the counties' data value sets (funds.exchange), under the org
# unit INSTANCE_ORG_UNIT (its code; its hierarchy comes from `manage.py orgunits_load`).
INSTANCE_LEVEL = os.environ.get("INSTANCE_LEVEL", "county")
if INSTANCE_LEVEL not in ("county", "city", "province"):
    raise ImproperlyConfigured("INSTANCE_LEVEL is county, city or province.")
INSTANCE_ORG_UNIT = os.environ.get("INSTANCE_ORG_UNIT", COUNTY_CODE)
TOWNSHIPS_FILE = Path(
    os.environ.get("TOWNSHIPS_FILE", BASE_DIR / "fixtures" / "wanyuan-townships-2019.csv")
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tables2",
    "django_filters",
    "ninja",  # the API (funds/exchange/api.py): its docs page from our static files
    "axes",
    "wanyuan.apps.WanyuanConfig",
    "townships",
    "funds",
]
# The demo data and `setup_demo` (demo/): a developer's machine, demo mode and the tests
# only; a production instance does not even load them.
if DEBUG or DEMO_MODE or TESTING:
    INSTALLED_APPS.append("demo.apps.DemoConfig")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads the body (CSRF reads the form): 413 for an oversized request.
    "wanyuan.request_size.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "wanyuan.middleware.SessionMiddleware",  # Django's; a busy database answers 503
    "wanyuan.middleware.DefaultLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A locked SQLite database ("database is locked") answers 503 "try again".
    "wanyuan.middleware.BusyDatabaseMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout response.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out username before checking
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "wanyuan.urls"

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
                "wanyuan.context_processors.site",
                "funds.context_processors.fund_years",
            ],
        },
    },
]

WSGI_APPLICATION = "wanyuan.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several requests and a management command may write at once: wait for the
    # lock instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # QuerySet.iterator() reads through a server-side cursor, which PostgreSQL plans for
    # fetching a tenth of its rows; ours (the exports) read every row (docs/performance.md).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c cursor_tuple_fraction=1"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "overview"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Tests and `make run` serve static files straight from the apps and static/, without
# collectstatic; production serves the collected, hashed files from STATIC_ROOT.
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_AUTOREFRESH = DEBUG or TESTING
if TESTING and not STATIC_ROOT.exists():
    STATIC_ROOT = None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Vouchers and minutes live under MEDIA_ROOT, which no web server may serve directly:
# they are sent by funds.spending.views.voucher_download after login and a scope check.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
VOUCHER_MAX_BYTES = int(os.environ.get("VOUCHER_MAX_BYTES", str(10 * 1024 * 1024)))

# Uploads: rankings and category files are small; refuse anything larger early.
IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", str(2 * 1024 * 1024)))
# An XLSX import is refused before it is inflated when its parts declare more than this.
IMPORT_MAX_UNCOMPRESSED_BYTES = int(os.environ.get("IMPORT_MAX_UNCOMPRESSED_BYTES",
                                                   str(4 * 1024 * 1024)))
# Rows an import reads at most: one per township in service and this many more.
IMPORT_ROW_MARGIN = 50
# A request body larger than the largest upload allowed, with room for the form around
# it, is refused with 413 before it is read (wanyuan.request_size); the reverse proxy's
# client_max_body_size should say the same (README, Production). Fields other than files
# are small; files above FILE_UPLOAD_MAX_MEMORY_SIZE go to a temporary file, not memory.
MAX_REQUEST_BYTES = max(VOUCHER_MAX_BYTES, IMPORT_MAX_BYTES) + 64 * 1024
# the fields of a form, files not counted; also the cap of a data value set posted to the
# API (a county of 600 townships sends about 450 KB)
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = IMPORT_MAX_BYTES + 64 * 1024  # larger: a temporary file

# Idle timeout: a session ends after this many seconds without a request (2 hours).
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_IDLE_SECONDS", str(2 * 60 * 60)))
SESSION_SAVE_EVERY_REQUEST = True  # idle timeout, not a fixed lifetime
# ... but an unchanged session's expiry is written at most once per SESSION_REFRESH_SECONDS
# (wanyuan.sessions), so reads do not write: a session ends between SESSION_COOKIE_AGE
# minus that and SESSION_COOKIE_AGE after the last request.
SESSION_ENGINE = "wanyuan.sessions"
SESSION_REFRESH_SECONDS = 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG and not TESTING:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # The preload directive only allows a submission to the browsers' list; an intranet
    # host is never submitted, and the header is then what check --deploy expects.
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy: everything from this host only, no inline script or style.
# The charts are inline SVG styled by the stylesheet; vouchers are downloads, not frames.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Login brute-force protection (django-axes): after AXES_FAILURE_LIMIT failures a user
# name is locked for AXES_COOLOFF_MINUTES at the address the failures came from. Locking
# the pair, not the name alone, means one address trying every name cannot lock every
# user out (each colleague still logs in from the own machine), and not the address
# alone, so that many offices behind one NAT address do not lock each other out.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_MINUTES", "15")) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Reverse proxies in front of the application, each appending to X-Forwarded-For: the
# client is the PROXY_COUNT-th entry from the right (wanyuan.client). Without django-ipware
# axes would ignore its AXES_IPWARE_* settings and lock every user name at the proxy.
PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "wanyuan.client.client_address"

# The API's throttles count in a cache that every gunicorn worker shares (a folder on
# this machine); the rest of the cache stays in each process's memory.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "throttle": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                 "LOCATION": os.environ.get("THROTTLE_CACHE_DIR",
                                            str(BASE_DIR / ".cache" / "throttle"))},
}

# Reminders (manage.py send_reminders) are in-app; they are e-mailed as well only where
# the deployment sets REMINDER_EMAILS=1 and an SMTP server (EMAIL_HOST and the rest).
REMINDER_EMAILS = env_bool("REMINDER_EMAILS")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "webmaster@localhost")

# Every list table is a table.cards: a card per row on a phone (templates/django_tables2/).
DJANGO_TABLES2_TEMPLATE = "django_tables2/cards.html"
DJANGO_TABLES2_TABLE_ATTRS = {"class": "data-table"}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Logins, logouts and failures (wanyuan/signals.py), and django-axes' lockouts.
        "wanyuan.auth": {"level": "INFO"},
        "axes": {"level": "WARNING"},
    },
}


"""InvestDesk settings: one module, driven by environment variables (docs/operations.md lists them).

Production defaults are the safe ones: DEBUG off, HTTPS-only cookies, HSTS, SECRET_KEY required.
`make run` serves the demo over plain HTTP on loopback by setting USE_HTTPS=0.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from investdesk.lib.env import envbool, envint, envlist, envstr, secret_from_env

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(envstr("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = envbool("DEBUG", False)
# Whether the site is reached over TLS (directly or behind a proxy). Off only for the local demo.
# (Not named HTTPS: that is the CGI variable wsgiref reads to decide the request scheme.)
HTTPS = envbool("USE_HTTPS", not DEBUG)

SECRET_KEY = secret_from_env("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production-0123456789"

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # its widget templates, for FORM_RENDERER below
    "template_partials",
    "django_htmx",
    "ninja",  # so the API docs use its bundled Swagger UI, not a CDN
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "investdesk.core",
    "investdesk.enterprises",
    "investdesk.cases",
    "investdesk.projects",
    "investdesk.outreach",
    "investdesk.emergency",
    "investdesk.reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "investdesk.core.headers.SecurityHeadersMiddleware",  # CSP, no-store, Permissions-Policy, COOP
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "investdesk.core.middleware.RequestContextMiddleware",
    "investdesk.core.middleware.AccountGateMiddleware",
    # The database gone in a view: 503 with Retry-After, not 500 (outside views: core.views.server_error).
    "investdesk.core.middleware.DatabaseUnavailableMiddleware",
    # Last, as django-axes asks: it turns lockouts raised below into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "investdesk.urls"
WSGI_APPLICATION = "investdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "investdesk" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "investdesk.core.context_processors.navigation",
            ],
            "builtins": ["investdesk.core.templatetags.investdesk_tags"],
        },
    }
]

# Widgets render through TEMPLATES, so the project's templates may override Django's widget templates
# (templates/django/forms/widgets/select.html writes its options in place: see the file).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# --- Database: embedded SQLite by default, PostgreSQL in production (DATABASE_URL) -------------
DATABASE_URL = envstr("DATABASE_URL", f"sqlite:///{VAR_DIR / 'investdesk.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=envint("DB_CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        # Writers queue for the lock instead of failing with "database is locked".
        "transaction_mode": "IMMEDIATE",
        # Seconds a writer waits for the lock before "database is locked" (then a 503 page).
        "timeout": envint("DB_SQLITE_TIMEOUT", 20),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Users, passwords, login -------------------------------------------------------------------
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HISTORY = envint("PASSWORD_HISTORY", 5)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": envint("PASSWORD_MIN_LENGTH", 10)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "investdesk.core.passwords.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "investdesk.core.passwords.BreachedPatternValidator"},
    {"NAME": "investdesk.core.passwords.PasswordHistoryValidator", "OPTIONS": {"count": PASSWORD_HISTORY}},
]
# A password must be changed after this many days (0: never). MLPS 2.0 expects rotation; OWASP ASVS
# advises against it: docs/security.md records the choice.
PASSWORD_MAX_AGE_DAYS = envint("PASSWORD_MAX_AGE_DAYS", 90)
# A signed-in session ends after this many hours whatever the activity (the idle timeout is below).
SESSION_ABSOLUTE_HOURS = envint("SESSION_ABSOLUTE_HOURS", 12)
# Changing one's password, mobile or second factor asks for the password again if the last proof is
# older than this.
REAUTH_MINUTES = envint("REAUTH_MINUTES", 5)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Audit log: the key of its hash chain (HMAC-SM3), and how long entries are kept (never under 180 days).
AUDIT_HMAC_KEY_SET = bool(secret_from_env("AUDIT_HMAC_KEY"))
AUDIT_HMAC_KEY = (secret_from_env("AUDIT_HMAC_KEY") or f"investdesk-audit-chain:{SECRET_KEY}").encode()
AUDIT_RETENTION_DAYS = max(envint("AUDIT_RETENTION_DAYS", 365), 180)

# Lockout after 5 failures per account+IP for 15 minutes (MLPS 2.0 level 3 baseline).
AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "investdesk.core.views.lockout"
AXES_VERBOSE = False
# Behind a reverse proxy the client address comes from X-Forwarded-For (see docs/operations.md).
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if envbool("BEHIND_PROXY", False) else ["REMOTE_ADDR"]
)

# TOTP second factor: optional per user, required for administrators when this is on.
OTP_REQUIRED_FOR_ADMINS = envbool("OTP_REQUIRED_FOR_ADMINS", False)
OTP_TOTP_ISSUER = envstr("OTP_TOTP_ISSUER", "InvestDesk")

# --- Personal data at rest (core/crypto.py: SM4, keyed blind index; GB/T 39786) ------------------
# PERSONAL_DATA_KEYS="k2:<32 hex>,k1:<32 hex>": the first key encrypts, every key listed decrypts.
# Rotation: put the new key first, restart, run `investdesk rekey`, then drop the old key.
# PERSONAL_DATA_INDEX_KEY (32 to 128 hex digits) keys the blind index for exact search; after changing
# it run `investdesk rekey` at once. Unset, both are derived from SECRET_KEY (the demo, the tests) and
# `check --deploy` warns; the derived key "sk" always stays as a decryption key, so values written
# before real keys were set still read until `rekey` has moved them. Either may come from a *_FILE.
from investdesk.core import crypto as _crypto  # noqa: E402

CRYPTO_PROVIDER = envstr("CRYPTO_PROVIDER", _crypto.DEFAULT_PROVIDER)  # a hardware module's class may replace it
PERSONAL_DATA_KEYS = _crypto.parse_keys(secret_from_env("PERSONAL_DATA_KEYS") or "")
PERSONAL_DATA_KEYS.setdefault(_crypto.DERIVED_KEY_ID, _crypto.derived_personal_data_key(SECRET_KEY))
PERSONAL_DATA_INDEX_KEY = _crypto.parse_index_key(
    secret_from_env("PERSONAL_DATA_INDEX_KEY") or ""
) or _crypto.derived_index_key(SECRET_KEY)

# --- Sessions and cookies ----------------------------------------------------------------------
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = envint("SESSION_IDLE_MINUTES", 30) * 60  # idle timeout: renewed on every request
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
CSRF_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = HTTPS and envbool("SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if envbool("BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
SILENCED_SYSTEM_CHECKS = [
    # HSTS preload is a public-internet registry; an intranet system does not submit to it.
    "security.W021",
]
# Content-Security-Policy, sent by investdesk.core.headers.SecurityHeadersMiddleware (same shape as
# Django 6.0's SECURE_CSP). Scripts and style sheets come only from our own static files: no template
# has an inline <script>, <style> or event handler (static/investdesk/app.js reads data attributes),
# and htmx evaluates nothing (htmx-config in base.html). The relaxations, each needed:
# * style attributes (style-src-attr 'unsafe-inline'): templates size cards and draw progress bars
#   with them, some computed (a bar's width, a unit's indentation), and ECharts' tooltips are HTML
#   with style attributes. An attribute can neither load anything nor select other elements, so it
#   cannot read the page; <style> elements, which could, stay limited to our files (style-src-elem).
#   style-src itself keeps 'unsafe-inline' only for browsers older than CSP level 3 (Chromium < 75,
#   as in some intranet browsers), which know neither -elem nor -attr; CSP 3 browsers ignore it.
# * img-src data: the icons Bootstrap's CSS embeds as data: URLs (select arrows, check marks).
# CSP_REPORT_ONLY=1 sends the policy as Content-Security-Policy-Report-Only (to try a change on a live
# system first); CSP_REPORT_URI=<url> adds where browsers report violations.
_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "style-src-elem": ["'self'"],
    "style-src-attr": ["'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
    "report-uri": envlist("CSP_REPORT_URI", []),
}
SECURE_CSP, SECURE_CSP_REPORT_ONLY = ({}, _CSP) if envbool("CSP_REPORT_ONLY", False) else (_CSP, {})

# --- Language, time, formats -------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "investdesk" / "locale"]
TIME_ZONE = envstr("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static files (self-hosted; `make assets` copies the npm packages into static/vendor) -------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "investdesk" / "static"]
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": VAR_DIR / "media"},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = VAR_DIR / "media"

# Next year's public holidays and 调休 working days, before the package chinesecalendar has them (or
# a correction): CSV lines "2027-01-01,休,元旦" (lib/workdays.py, docs/operations.md).
HOLIDAYS_FILE = Path(envstr("HOLIDAYS_FILE", str(VAR_DIR / "holidays.csv")))

# --- Background tasks ---------------------------------------------------------------------------
TASKS = {"default": {"BACKEND": envstr("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}}

# --- Mail (EMAIL_URL=smtp://user:pass@host:port?tls=1, or console:// in development) ----------
EMAIL_URL = envstr("EMAIL_URL", "console://")
NOTIFY_BY_EMAIL = envbool("NOTIFY_BY_EMAIL", True)  # notifications also go to the person's email
SITE_URL = envstr("SITE_URL", "http://127.0.0.1:8000").rstrip("/")  # for links in emails
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "InvestDesk <noreply@investdesk.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
from investdesk.lib.mailurl import email_settings  # noqa: E402

globals().update(email_settings(EMAIL_URL))

# --- Logging ------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

NINJA_PAGINATION_CLASS = "investdesk.core.schemas.Pagination"  # limit/offset, offset within 64 bits
NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 500

INVESTDESK_NAME = _("InvestDesk")

# --- Cases: deadlines in working days on the Chinese calendar (lib/workdays.py) -------------------
CASE_DEADLINE_WORKDAYS = {
    "urgent": envint("CASE_URGENT_WORKDAYS", 3),
    "normal": envint("CASE_NORMAL_WORKDAYS", 10),
}
CASE_CO_HANDLING_WORKDAYS = envint("CASE_CO_HANDLING_WORKDAYS", 3)  # co-units answer the lead unit
CASE_RETURN_WORKDAYS = envint("CASE_RETURN_WORKDAYS", 1)  # a unit may return a case it does not own
# Emergency response: the partner department a blocked relief shipment is routed to (its unit code).
TRANSPORT_UNIT_CODE = envstr("TRANSPORT_UNIT_CODE", "jiaotong")
# Outreach: gateways of the SMS and WeCom channels (docs/channels.md), delivery limits.
SMS_GATEWAY_URL = envstr("SMS_GATEWAY_URL", "")
SMS_GATEWAY_TOKEN = envstr("SMS_GATEWAY_TOKEN", "")
WECOM_GATEWAY_URL = envstr("WECOM_GATEWAY_URL", "")
WECOM_GATEWAY_TOKEN = envstr("WECOM_GATEWAY_TOKEN", "")
OUTREACH_RATES = {  # messages per second and per worker
    "email": envint("OUTREACH_RATE_EMAIL", 50),
    "sms": envint("OUTREACH_RATE_SMS", 20),
    "wecom": envint("OUTREACH_RATE_WECOM", 20),
}
OUTREACH_MAX_ATTEMPTS = envint("OUTREACH_MAX_ATTEMPTS", 5)
OUTREACH_GATEWAY_TIMEOUT = envint("OUTREACH_GATEWAY_TIMEOUT", 10)  # seconds
OUTREACH_CLAIM_SECONDS = envint("OUTREACH_CLAIM_SECONDS", 120)  # a worker's lease on the messages it claimed
OUTREACH_CALL_RESERVATION_MINUTES = envint("OUTREACH_CALL_RESERVATION_MINUTES", 60)
# Deadlines count from the day after assignment (the usual rule); 1 counts the assignment day too.
CASE_COUNT_ASSIGNMENT_DAY = envbool("CASE_COUNT_ASSIGNMENT_DAY", False)
PROJECT_QUIET_DAYS = envint("PROJECT_QUIET_DAYS", 30)  # a project without follow-up this long reminds its owner

# --- Figures snapshots (core/snapshots.py) -------------------------------------------------------
# The dashboard and the stats API show a section's figures as computed at most FIGURES_MAX_AGE
# seconds ago (and say when); an older snapshot is shown while the worker recomputes it, unless it is
# older than FIGURES_MAX_STALE (no worker running?), when the request computes it itself.
FIGURES_MAX_AGE = envint("FIGURES_MAX_AGE", 300)
FIGURES_MAX_STALE = envint("FIGURES_MAX_STALE", 3600)

"""Settings for the KPI tracker, read from the environment (12-factor).

Every value that differs between a laptop, CI and the city's servers comes from an
environment variable (or a `.env` file next to manage.py); see `.env.example`.
A bad value fails loudly at start-up instead of being silently ignored.
"""

import datetime
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local `.env` (written by `make demo`) fills in what the real environment does not
# set. ENV_FILE names another file; ENV_FILE="" reads none (the test settings do that,
# so a developer's .env never changes what the suite sees).
ENV_FILE = env.str("ENV_FILE", default=str(BASE_DIR / ".env"))
if ENV_FILE:
    environ.Env.read_env(ENV_FILE, overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

# A secret key is required whenever DEBUG is off; a fixed, obviously unsafe key
# is only acceptable on a developer's machine.
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if DEBUG:
        SECRET_KEY = "insecure-local-development-key-do-not-use-in-production"
    else:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Local demo mode: demo accounts for each role exist and their logins are shown on
# the sign-in page. Never enable it on a server that holds real data.
DEMO_MODE = env.bool("DEMO_MODE", default=False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    # API tokens (django-rest-knox): stored hashed, expiring, several per person (common/api/tokens.py).
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "simple_history",
    "axes",
    "csp",
    "common",
    "plans",
    "kpi",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The database down, restarting or locked: 503 "try again", not a 500 (config/middleware.py).
    "config.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "plans.middleware.DefaultLanguageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Cache-Control: private, no-store on everything signed in and on the API (open data excepted).
    "config.middleware.PrivateNoStoreMiddleware",
    # Who made a change, for the record of changes (django-simple-history).
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A GET on an action address: a page saying so instead of a blank 405.
    "config.middleware.ActionAddressMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

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
                "django.template.context_processors.i18n",
                "plans.context_processors.site",
                "kpi.context_processors.work_counts",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

# SQLite is the embedded default so that a newcomer needs nothing installed;
# production and CI point DATABASE_URL at PostgreSQL.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
# Persistent connections: opening a PostgreSQL connection costs 8–20 ms, more than many
# pages spend on their queries, so each worker thread keeps its own open for
# DB_CONN_MAX_AGE seconds (default 60; 0 closes it after every request, as behind
# PgBouncer in transaction mode). ?conn_max_age= in DATABASE_URL wins over it. Sizing:
# every gunicorn worker thread and every Celery worker process holds one connection, so
# workers × threads + Celery concurrency must stay under PostgreSQL's max_connections
# less its reserve (README, "Database connections").
if "conn_max_age" not in env.str("DATABASE_URL", default="").lower():
    _conn_max_age = env.str("DB_CONN_MAX_AGE", default="60").strip()
    if not _conn_max_age.isdigit():
        raise ImproperlyConfigured(f"DB_CONN_MAX_AGE must be a whole number of seconds (0 or more): {_conn_max_age!r}")
    DATABASES["default"]["CONN_MAX_AGE"] = int(_conn_max_age)
# A kept-open connection is checked before each request reuses it, so a database
# restart costs no failed request once the database is back.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite lets one writer at a time. Every request runs in a transaction (above); a
    # deferred one reads first and, when it then writes while another request writes,
    # fails at once with "database is locked" (SQLite will not wait where waiting could
    # deadlock). IMMEDIATE takes the write lock at BEGIN, so a second writer waits up to
    # SQLITE_TIMEOUT seconds and then sees the first one's save (a 409 on a version
    # conflict). The price: requests that only read also wait their turn inside their
    # transaction; reads outside it (sign-in, the session) do not, thanks to WAL.
    # synchronous stays FULL: a save acknowledged is on disk, even after a power cut.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": env.int("SQLITE_TIMEOUT", default=20),
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Evidence links typed without a scheme are taken as https (Django 6.0's default).
FORMS_URLFIELD_ASSUME_HTTPS = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Optional sign-in against the city's directory (LDAP / Active Directory, django-auth-ldap):
# on only when LDAP_SERVER_URI is set. Directory accounts sign in with their directory
# password and get roles from their groups (LDAP_ROLE_GROUPS); local accounts keep signing
# in with their own password (ModelBackend, after the directory). axes stays first: a
# locked-out username is refused before the directory is asked.
LDAP_SERVER_URI = env.str("LDAP_SERVER_URI", default="")
if LDAP_SERVER_URI:
    import ldap
    from django_auth_ldap.config import GroupOfNamesType, LDAPSearch, NestedActiveDirectoryGroupType

    AUTH_LDAP_SERVER_URI = LDAP_SERVER_URI
    # The account the app searches the directory with (blank: an anonymous search).
    AUTH_LDAP_BIND_DN = env.str("LDAP_BIND_DN", default="")
    AUTH_LDAP_BIND_PASSWORD = env.str("LDAP_BIND_PASSWORD", default="")
    AUTH_LDAP_START_TLS = env.bool("LDAP_START_TLS", default=False)
    _ldap_user_base = env.str("LDAP_USER_SEARCH_BASE", default="")
    if not _ldap_user_base:
        raise ImproperlyConfigured(
            "LDAP_USER_SEARCH_BASE must be set with LDAP_SERVER_URI (e.g. ou=people,dc=keelung,dc=gov,dc=tw)."
        )
    # Active Directory: (sAMAccountName=%(user)s); OpenLDAP: (uid=%(user)s), the default.
    AUTH_LDAP_USER_SEARCH = LDAPSearch(
        _ldap_user_base, ldap.SCOPE_SUBTREE, env.str("LDAP_USER_FILTER", default="(uid=%(user)s)")
    )
    _ldap_group_base = env.str("LDAP_GROUP_SEARCH_BASE", default="")
    LDAP_GROUP_TYPE = env.str("LDAP_GROUP_TYPE", default="groupOfNames")
    if LDAP_GROUP_TYPE not in ("groupOfNames", "activeDirectory"):
        raise ImproperlyConfigured("LDAP_GROUP_TYPE is groupOfNames (OpenLDAP) or activeDirectory (nested AD groups).")
    if _ldap_group_base:
        AUTH_LDAP_GROUP_SEARCH = LDAPSearch(
            _ldap_group_base,
            ldap.SCOPE_SUBTREE,
            "(objectClass=group)" if LDAP_GROUP_TYPE == "activeDirectory" else "(objectClass=groupOfNames)",
        )
        AUTH_LDAP_GROUP_TYPE = (
            NestedActiveDirectoryGroupType() if LDAP_GROUP_TYPE == "activeDirectory" else GroupOfNamesType()
        )
    AUTH_LDAP_USER_ATTR_MAP = {
        "first_name": env.str("LDAP_NAME_ATTR", default="cn"),
        "email": env.str("LDAP_EMAIL_ATTR", default="mail"),
    }
    AUTH_LDAP_ALWAYS_UPDATE_USER = True
    AUTH_LDAP_CONNECTION_OPTIONS = {ldap.OPT_NETWORK_TIMEOUT: env.int("LDAP_TIMEOUT_SECONDS", default=5)}
# Group → role: a JSON object from a group's DN to the roles it gives, written as the
# import file's 角色 cell (plans.people): "填報人（都市發展處）", "審核人（都市發展處、民政處）",
# "研考", "管理員" (or reporter(…), reviewer(…), planning_office, admin). A role some group
# gives is the directory's to give: at each sign-in its members get it and non-members lose
# it. Roles no group gives are left to admins. Checked at start-up (plans/checks.py).
LDAP_ROLE_GROUPS = env.json("LDAP_ROLE_GROUPS", default={})
if not isinstance(LDAP_ROLE_GROUPS, dict) or not all(
    isinstance(k, str) and isinstance(v, str) for k, v in LDAP_ROLE_GROUPS.items()
):
    raise ImproperlyConfigured(
        'LDAP_ROLE_GROUPS is a JSON object of group DN → roles, e.g. {"cn=udd,ou=groups,dc=x": "填報人（都市發展處）"}.'
    )
AUTHENTICATION_BACKENDS = [
    # django-axes counts failed sign-ins and locks out after repeated failures.
    "axes.backends.AxesStandaloneBackend",
    *(["plans.directory.DirectoryBackend"] if LDAP_SERVER_URI else []),
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
# Lock the username tried from that address, so one person cannot lock a colleague out
# from another desk, and one desk cannot try every username.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# How many reverse proxies stand in front of the app (0: none, 1: the city's one). The lock-out
# keys on the client's real address: REMOTE_ADDR without a proxy (X-Forwarded-For ignored,
# since anyone can send it), else the address the proxies wrote into X-Forwarded-For
# (config/client_ip.py). Set it to exactly the number of proxies: one too many believes an
# address the client made up; one too few locks by the proxy's address, for everyone.
PROXY_COUNT = env.int("PROXY_COUNT", default=0)
if PROXY_COUNT < 0:
    raise ImproperlyConfigured("PROXY_COUNT is the number of reverse proxies in front of the app: 0 or more.")
AXES_CLIENT_IP_CALLABLE = "config.client_ip.client_ip"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "kpi:home"
LOGOUT_REDIRECT_URL = "login"

# zh-Hant first; English through the same translation machinery. Each language is named in
# its own language (the switcher marks the option with its lang), as switchers do.
LANGUAGE_CODE = "zh-hant"
LANGUAGES = [("zh-hant", "繁體中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Taipei"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Third-party front-end assets come from the npm registry at set-up time (`npm ci`,
# run by `make`) and are served from node_modules by whitenoise: nothing from a CDN,
# and no third-party code in the repository.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/chart.js", BASE_DIR / "node_modules" / "chart.js" / "dist"),
]
STORAGES = {
    # Evidence files: whole-or-nothing, fsync'ed writes (a full disk leaves no partial file).
    "default": {"BACKEND": "common.storage.DurableFileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploaded evidence lives outside the static files and is served only through views
# that check access.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "media")
EVIDENCE_MAX_BYTES = env.int("EVIDENCE_MAX_MB", default=20) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

REST_FRAMEWORK = {
    # Deny by default: each open-data endpoint opts in explicitly.
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "common.api.tokens.ApiTokenAuthentication",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "COERCE_DECIMAL_TO_STRING": False,
    # JSON errors for every API view, ApiMixin's or not (the token view): a body over the
    # limits below is a 413 {"detail": …}, not Django's HTML 400.
    "EXCEPTION_HANDLER": "common.api.base.api_exception_handler",
}
# API tokens (django-rest-knox). A token lasts API_TOKEN_DAYS from when it was issued, then
# is refused (401); it is revoked at once when its owner's password changes or the account
# is deactivated (common/signals.py). People see and revoke theirs on the API tokens page.
API_TOKEN_DAYS = env.int("API_TOKEN_DAYS", default=30)
if API_TOKEN_DAYS < 1:
    raise ImproperlyConfigured("API_TOKEN_DAYS is how many days an API token lasts: 1 or more.")
REST_KNOX = {
    "TOKEN_TTL": datetime.timedelta(days=API_TOKEN_DAYS),
    # The header stays `Authorization: Token <key>`, as with the tokens before.
    "AUTH_HEADER_PREFIX": "Token",
    # Enough for a person's scripts and a spare; past it, an old one must be revoked first.
    "TOKEN_LIMIT_PER_USER": 10,
    # The expiry is fixed when the token is issued: using a token does not extend it.
    "AUTO_REFRESH": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Keelung KPI tracker API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and ReDoc come from the drf-spectacular-sidecar package, served locally.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",  # the default, kept
        "common.api.base.document_body_limits",  # the 413 of a body over DATA_UPLOAD_MAX_MEMORY_SIZE
    ],
}
# Whether the API's schema and documentation pages (/api/v1/schema/, docs/, redoc/) are
# public. Off DEBUG they are for signed-in users only (an anonymous caller of the schema
# gets 401, of a page the sign-in page); on a developer's machine they are public.
API_DOCS_PUBLIC = env.bool("API_DOCS_PUBLIC", default=DEBUG)
# The licence under which open data is published (政府資料開放授權條款). Its name is the
# licence's legal title, quoted as such in the open-data files: not translated.
OPEN_DATA_LICENSE = {
    "name": "政府資料開放授權條款－第1版",
    "url": "https://data.gov.tw/license",
}

# django-import-export: every import runs in one transaction, so a file with any bad
# row writes nothing.
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False

# django-simple-history keeps the record of every change that can move a light (see
# kpi/history.py). The record is read-only: reverting from admin would skip the reason
# and the target rules, so it is off.
SIMPLE_HISTORY_REVERT_DISABLED = True

# The address people use to reach the app, for links in e-mails.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# Reporting "today" override for training and the local demo (see common/dates.py).
KPI_TODAY = datetime.date.fromisoformat(env.str("KPI_TODAY")) if env.str("KPI_TODAY", default="") else None
# Reminders: what "due soon" means, in days.
REMINDER_DAYS = env.int("REMINDER_DAYS", default=7)

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="kpi@localhost")

# --- Cache: the public pages, rendered once per change of what they show (reports.page_cache) ---
# CACHE_URL names the cache: redis://host:6379/1 (Django's RedisCache; db 1, the broker has 0),
# with options as query parameters (?socket_timeout=1). Empty, and by default in demo mode,
# it is this process's own memory: enough for one process, not shared between gunicorn's workers.
# The cache may fail or be flushed at any time: the pages are then computed as without it.
CACHE_URL = env.str("CACHE_URL", default="" if DEMO_MODE else "redis://127.0.0.1:6379/1")
if CACHE_URL:
    CACHES = {"default": env.cache_url_config(CACHE_URL)}
    if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
        # A Redis that does not answer must not hold a page up: give up quickly, answer without it.
        options = CACHES["default"].setdefault("OPTIONS", {})
        options.setdefault("socket_connect_timeout", 0.5)
        options.setdefault("socket_timeout", 0.5)
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "kpi"}}

# --- Celery: mail and other slow work outside the request (config/celery.py, kpi/tasks.py) ---
# Redis is the broker. In demo mode, or with CELERY_BROKER_URL set empty, there is no
# broker: tasks run eagerly in the process that asks for them, so `make demo` needs
# nothing running.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="" if DEMO_MODE else "redis://127.0.0.1:6379/0")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True  # a worker that dies mid-send leaves the task for another
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "Asia/Taipei"
# Celery beat: reminders each weekday morning, digests each evening (times in Taipei).
# Cron users run `manage.py send_reminders` instead, and no beat.
CELERY_BEAT_SCHEDULE = {
    "send-reminders": {
        "task": "kpi.tasks.send_reminders",
        "schedule": crontab(
            hour=env.int("REMINDER_HOUR", default=8),
            minute=0,
            day_of_week=env.str("REMINDER_DAYS_OF_WEEK", default="1-5"),
        ),
    },
    # E-mails that never reached a worker (the broker was down at the time) are queued again.
    "send-unsent": {"task": "kpi.tasks.send_unsent", "schedule": crontab(minute="*/15")},
    # Whole-city yearly report downloads are kept for a day (reports.exports).
    "remove-old-yearly-exports": {"task": "reports.tasks.remove_old_yearly_exports", "schedule": crontab(minute=5)},
    "send-digests": {
        "task": "kpi.tasks.send_digests",
        "schedule": crontab(hour=env.int("DIGEST_HOUR", default=17), minute=30),
    },
}

# Logs go to standard output, one JSON object a line (LOG_FORMAT=json, the default off
# DEBUG) for the city's log collector, or plain text for a developer's terminal.
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.request": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

SITE_NAME = _("Keelung City Government KPI Tracker")

# --- Security -------------------------------------------------------------------
# Sessions end after SESSION_IDLE_MINUTES without a request (sliding expiry) and when
# the browser closes.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_MINUTES", default=30) * 60
SESSION_SAVE_EVERY_REQUEST = True
# Pages warn this long before the session ends, with a "stay signed in" button (static/js/session.js).
SESSION_WARNING_SECONDS = 5 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Off DEBUG the app is served over HTTPS only (TLS usually ends at the city's reverse
# proxy: set SECURE_PROXY_SSL_HEADER=on there).
HTTPS = env.bool("HTTPS", default=not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load-balancer probes speak plain HTTP
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env.int("HSTS_SECONDS", default=31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("HSTS_PRELOAD", default=False)
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# HSTS preload is a decision for the city's domain as a whole, not for this app.
SILENCED_SYSTEM_CHECKS = ["security.W021"]

# Content Security Policy (django-csp): scripts and everything else only from this
# site — no inline script, no eval, nothing from outside. Inline style attributes are
# allowed (bar widths); they cannot run code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

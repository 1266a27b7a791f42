"""Django settings. Everything that differs between machines comes from the environment;
see docs/configuration.md for the list."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from whitenoise.compress import Compressor

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = Path(os.environ.get("TONGBAN_HOME", Path.cwd()))
VAR_DIR = Path(os.environ.get("TONGBAN_VAR_DIR", PROJECT_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


INSECURE_DEFAULT_SECRET_KEY = "tongban-insecure-development-key-do-not-use-in-production"

# production refuses to start with unsafe settings; development and demo are the defaults
PRODUCTION = env_bool("TONGBAN_PRODUCTION", False)
DEMO_MODE = env_bool("TONGBAN_DEMO", False)
# DEBUG is for a developer's own machine only: the demo is shown to strangers, so it runs
# with DEBUG off like production (tracebacks, URL lists and settings never reach a caller)
DEBUG = env_bool("TONGBAN_DEBUG", not PRODUCTION and not DEMO_MODE)
SECRET_KEY = os.environ.get("TONGBAN_SECRET_KEY", INSECURE_DEFAULT_SECRET_KEY)
ALLOWED_HOSTS = env_list(
    "TONGBAN_ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver"
)
CSRF_TRUSTED_ORIGINS = env_list("TONGBAN_CSRF_TRUSTED_ORIGINS")

if PRODUCTION:
    problems = []
    if DEBUG:
        problems.append("TONGBAN_DEBUG must be off")
    if SECRET_KEY == INSECURE_DEFAULT_SECRET_KEY or len(SECRET_KEY) < 32:
        problems.append("TONGBAN_SECRET_KEY must be set to a random value of 32+ characters")
    if not ALLOWED_HOSTS:
        problems.append("TONGBAN_ALLOWED_HOSTS must list the served host names")
    if DEMO_MODE:
        problems.append("TONGBAN_DEMO must be off (demo accounts have published passwords)")
    if problems:
        raise ImproperlyConfigured("Refusing to start in production: " + "; ".join(problems))
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # HSTS: browsers refuse plain HTTP for the host for a year (docs/security.md)
    SECURE_HSTS_SECONDS = int(os.environ.get("TONGBAN_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("TONGBAN_HSTS_INCLUDE_SUBDOMAINS", False)
    SECURE_SSL_REDIRECT = env_bool("TONGBAN_SSL_REDIRECT", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Swagger UI's files are served from here, not from a public CDN (docs/security.md)
    "ninja",
    "axes",
    "csp",
    "mozilla_django_oidc",
    # the one background job mechanism (ADR 0121): Django 6's task API and its database queue
    "django_tasks",
    "django_tasks_db",
    "tongban.core",
    "tongban.regions",
    "tongban.accounts",
    "tongban.centres",
    "tongban.masterdata",
    "tongban.catalog",
    "tongban.agreements",
    "tongban.cases",
    "tongban.notifications",
    "tongban.web",
    "tongban.attachments",
    "tongban.documents",
    "tongban.licences",
    "tongban.consultations",
    "tongban.hall",
    "tongban.assistance",
    "tongban.ratings",
    "tongban.stats",
    "tongban.integrity",
    "tongban.federation",
    # the demo world and its commands (seed-demo, seed_history), above every domain app
    "tongban.demo",
    # the project package: export_openapi beside the API root; last, so that its
    # templates/ and locale/ (also the project-wide ones) change no lookup order
    "tongban",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # refuses unreadable requests (NUL in the URL, oversized body, broken multipart), ADR 0090
    "tongban.core.middleware.RequestGuardMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # django-csp's, with the settings' policy built once per process (ADR 0156)
    "tongban.core.csp.CSPMiddleware",
    # last, as django-axes requires: turns a locked-out sign-in into the 429 answer
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tongban.urls"
WSGI_APPLICATION = "tongban.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # every page template lives in its app, the server-rendered ones in web (ADR 0105)
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DEFAULT_SQLITE_PATH = VAR_DIR / "tongban.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DEFAULT_SQLITE_PATH}"),
        conn_max_age=int(os.environ.get("TONGBAN_DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Parameters bound by the server, not quoted into the SQL by psycopg: the same
    # statement text each time, so psycopg prepares it on its second run and PostgreSQL
    # stops planning the hot statements anew (ADR 0137: a case action's backend CPU went
    # from 3.0 to 2.0 ms). 0 turns preparing off, e.g. behind a PgBouncer older than 1.21.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True,
        prepare_threshold=int(os.environ.get("TONGBAN_DB_PREPARE_THRESHOLD", "2")) or None,
    )
# How many new container objects a web worker lets pile up before the collector's young
# pass (Python's default is 700). A queue page holds some hundred model instances and
# their dicts while it is built; at 700 the collector walked them several times a page,
# 6-7 % of its CPU, and its passes sat in the latency's tail (ADR 0153). Read by wsgi.py.
GC_YOUNG_THRESHOLD = int(os.environ.get("TONGBAN_GC_YOUNG_THRESHOLD", "50000"))
if GC_YOUNG_THRESHOLD < 1:
    # 0 would turn the automatic collection off, a negative value make it run on every
    # allocation: neither is a tuning
    raise ImproperlyConfigured("TONGBAN_GC_YOUNG_THRESHOLD must be a positive number")

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock when a transaction starts, so two writers queue
    # instead of failing half-way with "database is locked" on lock upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("TEST", {})
    if os.environ.get("TONGBAN_SQLITE_TEST_NAME"):
        DATABASES["default"]["TEST"]["NAME"] = os.environ["TONGBAN_SQLITE_TEST_NAME"]

# Covering indexes (INCLUDE) serve PostgreSQL, the production database; SQLite builds the
# same indexes without the extra columns, which changes only speed (ADR 0151).
SILENCED_SYSTEM_CHECKS = ["models.W040"]

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
if env_bool("TONGBAN_FAST_PASSWORD_HASHER", False):
    # tests and benchmarks only: PBKDF2 at 1M rounds would dominate every login
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# failed sign-ins (web form, kiosk, admin, POST /api/v1/auth/token) are counted by
# django-axes in the database, per account and per client address; ADR 0091
# AUTHENTICATION_BACKENDS: below, with the identity platform's (ADR 0099)
AXES_FAILURE_LIMIT = int(os.environ.get("TONGBAN_LOGIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("TONGBAN_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_LOCKOUT_CALLABLE = "tongban.web.views.lockout.lockout_response"
# never True here: axes would delete every failure counted for the address too, so an
# attacker holding one valid account could clear the count by signing in with it
AXES_RESET_ON_SUCCESS = False
# the client address is REMOTE_ADDR; behind a reverse proxy it must set REMOTE_ADDR (or
# TONGBAN_PROXY_COUNT names how many proxies append to X-Forwarded-For)
AXES_CLIENT_IP_CALLABLE = "tongban.core.client.client_address"
AXES_VERBOSE = False

LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# Unified identity (统一身份认证, ADR 0099, docs/security.md): Tongban is a relying party of
# the provincial identity platform when TONGBAN_OIDC_ISSUER is set; password login stays
# for the demo and for installations without a platform (TONGBAN_PASSWORD_LOGIN).
OIDC_OP_ISSUER = os.environ.get("TONGBAN_OIDC_ISSUER", "").rstrip("/")
OIDC_ENABLED = bool(OIDC_OP_ISSUER)
PASSWORD_LOGIN = env_bool("TONGBAN_PASSWORD_LOGIN", True)
if not OIDC_ENABLED and not PASSWORD_LOGIN:
    raise ImproperlyConfigured("TONGBAN_PASSWORD_LOGIN=0 needs TONGBAN_OIDC_ISSUER")


def _oidc_endpoint(name: str, default_path: str) -> str:
    # defaults follow django-oauth-toolkit's layout (the demo's stand-in platform)
    return os.environ.get(f"TONGBAN_OIDC_{name}_ENDPOINT", f"{OIDC_OP_ISSUER}/{default_path}")


OIDC_RP_CLIENT_ID = os.environ.get("TONGBAN_OIDC_CLIENT_ID", "tongban")
OIDC_RP_CLIENT_SECRET = os.environ.get("TONGBAN_OIDC_CLIENT_SECRET", "")
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_RP_SCOPES = os.environ.get("TONGBAN_OIDC_SCOPES", "openid profile identity")
OIDC_OP_AUTHORIZATION_ENDPOINT = _oidc_endpoint("AUTHORIZATION", "authorize/")
OIDC_OP_TOKEN_ENDPOINT = _oidc_endpoint("TOKEN", "token/")
OIDC_OP_USER_ENDPOINT = _oidc_endpoint("USERINFO", "userinfo/")
OIDC_OP_JWKS_ENDPOINT = _oidc_endpoint("JWKS", ".well-known/jwks.json")
OIDC_OP_LOGOUT_ENDPOINT = _oidc_endpoint("LOGOUT", "logout/")
OIDC_OP_LOGOUT_URL_METHOD = "tongban.accounts.oidc.provider_logout_url"
OIDC_USE_PKCE = True
OIDC_PKCE_CODE_CHALLENGE_METHOD = "S256"
OIDC_USE_NONCE = True
OIDC_STORE_ID_TOKEN = True  # the id_token_hint of the platform logout
OIDC_TIMEOUT = 10
OIDC_CLOCK_SKEW_SECONDS = int(os.environ.get("TONGBAN_OIDC_CLOCK_SKEW_SECONDS", "60"))
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_authentication_callback"
OIDC_CLAIM_NAMES = {
    key: os.environ.get(f"TONGBAN_OIDC_CLAIM_{key.upper()}", default)
    for key, default in {
        "name": "name",
        "trust_level": "trust_level",
        "id_number": "id_number",
        "uscc": "uscc",
        "enterprise_name": "enterprise_name",
    }.items()
}
AUTHENTICATION_BACKENDS = [
    # first, as django-axes requires: a locked-out account or address goes no further
    "axes.backends.AxesStandaloneBackend",
    *(["tongban.accounts.oidc.IdentityPlatformBackend"] if OIDC_ENABLED else []),
    *(["django.contrib.auth.backends.ModelBackend"] if PASSWORD_LOGIN else []),
]
# minimum 可信等级 per sensitive action (tongban.accounts.trust.DEFAULT_MINIMUMS)
TRUST_LEVEL_MINIMUMS = {
    action: int(os.environ[f"TONGBAN_TRUST_LEVEL_{action.upper()}"])
    for action in ("own_records", "apply_online")
    if os.environ.get(f"TONGBAN_TRUST_LEVEL_{action.upper()}")
}
SESSION_COOKIE_AGE = int(os.environ.get("TONGBAN_SESSION_SECONDS", str(8 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_SAVE_EVERY_REQUEST = False

API_TOKEN_TTL_SECONDS = int(os.environ.get("TONGBAN_API_TOKEN_SECONDS", str(12 * 3600)))

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Asia/Shanghai"

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("TONGBAN_STATIC_ROOT", VAR_DIR / "static"))
MEDIA_ROOT = Path(os.environ.get("TONGBAN_MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

EMAIL_HOST = os.environ.get("TONGBAN_EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("TONGBAN_EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = os.environ.get("TONGBAN_EMAIL_FROM", "tongban@localhost")
EMAIL_TIMEOUT = float(os.environ.get("TONGBAN_EMAIL_TIMEOUT", "30"))

# notification worker (docs/operations.md, "Notification worker")
TONGBAN_SMS_PROVIDER = os.environ.get(
    "TONGBAN_SMS_PROVIDER", "tongban.notifications.sms.LogSmsProvider"
)
TONGBAN_NOTIFY_MAX_ATTEMPTS = int(os.environ.get("TONGBAN_NOTIFY_MAX_ATTEMPTS", "8"))
TONGBAN_NOTIFY_BACKOFF_SECONDS = float(os.environ.get("TONGBAN_NOTIFY_BACKOFF_SECONDS", "60"))
TONGBAN_NOTIFY_BACKOFF_MAX_SECONDS = float(
    os.environ.get("TONGBAN_NOTIFY_BACKOFF_MAX_SECONDS", "3600")
)
TONGBAN_NOTIFY_POLL_SECONDS = float(os.environ.get("TONGBAN_NOTIFY_POLL_SECONDS", "10"))

# background jobs (ADR 0121, docs/operations.md "Background worker"): one queue table in
# the project's database, claimed with SKIP LOCKED by every `tongban run-worker`
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# how long an idle worker sleeps between looks at the queue and the schedule
TONGBAN_WORKER_POLL_SECONDS = float(os.environ.get("TONGBAN_WORKER_POLL_SECONDS", "1"))
# a signer that has not finished a licence after this long is taken for dead: the sweep
# hands the licence to another signer (the compare-and-set keeps one signature)
TONGBAN_LICENCE_SIGNING_LEASE_SECONDS = float(
    os.environ.get("TONGBAN_LICENCE_SIGNING_LEASE_SECONDS", "120")
)
# periodic jobs' intervals in seconds, "name=seconds,…" overriding the defaults of
# core/jobs.py's schedule (e.g. "refresh-stats=30,hall-jobs=300")
TONGBAN_JOB_INTERVALS = os.environ.get("TONGBAN_JOB_INTERVALS", "")
# finished task results are kept this many days (the `prune-task-results` job)
TONGBAN_TASK_RESULTS_DAYS = float(os.environ.get("TONGBAN_TASK_RESULTS_DAYS", "7"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_personal_data": {"()": "tongban.core.masking.MaskPersonalDataFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["mask_personal_data"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("TONGBAN_LOG_LEVEL", "INFO")},
    # Django's own defaults give "django" and "django.server" (runserver's request lines)
    # handlers of their own without the mask: route them through the masked one instead
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
        # django-tasks logs every start and finish at INFO: the periodic sweeps alone
        # would write several lines a second; a failed task is still logged (ERROR)
        "django_tasks": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}

# notices and e-licences (documents, licences apps; docs/adr/0040-notices-and-e-licences.md)
TONGBAN_PUBLIC_BASE_URL = os.environ.get("TONGBAN_PUBLIC_BASE_URL", "http://127.0.0.1:8000")
TONGBAN_PKI_DIR = Path(os.environ.get("TONGBAN_PKI_DIR", VAR_DIR / "pki"))
INSECURE_DEFAULT_PKI_PASSPHRASE = "tongban-insecure-development-pki-passphrase"
TONGBAN_PKI_PASSPHRASE = os.environ.get("TONGBAN_PKI_PASSPHRASE", INSECURE_DEFAULT_PKI_PASSPHRASE)
TONGBAN_CJK_FONT = os.environ.get("TONGBAN_CJK_FONT", "")
if PRODUCTION and TONGBAN_PKI_PASSPHRASE == INSECURE_DEFAULT_PKI_PASSPHRASE:
    raise ImproperlyConfigured("Refusing to start in production: set TONGBAN_PKI_PASSPHRASE")

# federation between independent Tongban nodes (docs/federation.md, ADR 0111): this
# deployment's node code, name and served jurisdictions, and the signed trust list that
# says whom to talk to and whom to believe. Empty TONGBAN_NODE_CODE: federation off.
TONGBAN_NODE_CODE = os.environ.get("TONGBAN_NODE_CODE", "")
TONGBAN_NODE_NAME = os.environ.get("TONGBAN_NODE_NAME", "")
TONGBAN_NODE_JURISDICTIONS = env_list("TONGBAN_NODE_JURISDICTIONS")
TONGBAN_FEDERATION_DIR = Path(
    os.environ.get("TONGBAN_FEDERATION_DIR", TONGBAN_PKI_DIR / "federation")
)
TONGBAN_FEDERATION_ROOT_CERT = Path(
    os.environ.get("TONGBAN_FEDERATION_ROOT_CERT", TONGBAN_FEDERATION_DIR / "root" / "cert.pem")
)
TONGBAN_FEDERATION_TRUST_LIST = Path(
    os.environ.get("TONGBAN_FEDERATION_TRUST_LIST", TONGBAN_FEDERATION_DIR / "trust-list.jws")
)
TONGBAN_FEDERATION_MAX_SKEW_SECONDS = int(
    os.environ.get("TONGBAN_FEDERATION_MAX_SKEW_SECONDS", "900")
)
TONGBAN_FEDERATION_TIMEOUT_SECONDS = float(
    os.environ.get("TONGBAN_FEDERATION_TIMEOUT_SECONDS", "10")
)
TONGBAN_FEDERATION_BACKOFF_SECONDS = float(
    os.environ.get("TONGBAN_FEDERATION_BACKOFF_SECONDS", "5")
)
TONGBAN_FEDERATION_BACKOFF_MAX_SECONDS = float(
    os.environ.get("TONGBAN_FEDERATION_BACKOFF_MAX_SECONDS", "600")
)
TONGBAN_FEDERATION_POLL_SECONDS = float(os.environ.get("TONGBAN_FEDERATION_POLL_SECONDS", "5"))
TONGBAN_FEDERATION_LEASE_SECONDS = float(os.environ.get("TONGBAN_FEDERATION_LEASE_SECONDS", "60"))
# shifts this node's clock for the federation's message times and replay window: for the
# clock-skew tests and demos only (two processes on one machine share one real clock);
# production refuses to start with it (docs/federation.md, "Replays and clocks")
TONGBAN_FEDERATION_CLOCK_OFFSET_SECONDS = float(
    os.environ.get("TONGBAN_FEDERATION_CLOCK_OFFSET_SECONDS", "0")
)
if PRODUCTION and TONGBAN_FEDERATION_CLOCK_OFFSET_SECONDS:
    raise ImproperlyConfigured(
        "Refusing to start in production: TONGBAN_FEDERATION_CLOCK_OFFSET_SECONDS is for tests"
    )
# statistics reconciliation with peers (ADR 0133): how often, and how many days back
TONGBAN_FEDERATION_RECONCILE_SECONDS = float(
    os.environ.get("TONGBAN_FEDERATION_RECONCILE_SECONDS", "3600")
)
TONGBAN_FEDERATION_RECONCILE_DAYS = int(os.environ.get("TONGBAN_FEDERATION_RECONCILE_DAYS", "7"))

# personal data encrypted at rest (docs/adr/0098-personal-data-encrypted-at-rest.md,
# docs/security.md): SM4 keys "id:base64,id:base64" (the first encrypts) and a separate
# HMAC-SM3 key for blind indexes. Demo, development and tests use the published demo keys.
from tongban.core import crypto as _crypto  # noqa: E402

TONGBAN_DATA_KEYS = os.environ.get("TONGBAN_DATA_KEYS", _crypto.DEMO_DATA_KEYS)
TONGBAN_BLIND_INDEX_KEY = os.environ.get("TONGBAN_BLIND_INDEX_KEY", _crypto.DEMO_BLIND_INDEX_KEY)
# malformed keys stop every process at start, not at the first encrypted row
_crypto.parse_data_keys(TONGBAN_DATA_KEYS)
_crypto.parse_blind_index_key(TONGBAN_BLIND_INDEX_KEY)
if PRODUCTION:
    _demo_key = _crypto.parse_data_keys(_crypto.DEMO_DATA_KEYS)[1]["demo"]
    if "TONGBAN_DATA_KEYS" not in os.environ or _demo_key in (
        _crypto.parse_data_keys(TONGBAN_DATA_KEYS)[1].values()
    ):
        raise ImproperlyConfigured("Refusing to start in production: set TONGBAN_DATA_KEYS")
    if TONGBAN_BLIND_INDEX_KEY == _crypto.DEMO_BLIND_INDEX_KEY:
        raise ImproperlyConfigured("Refusing to start in production: set TONGBAN_BLIND_INDEX_KEY")

# 好差评 and statistics (docs/adr/0060-statistics-and-ratings.md)
TONGBAN_RATING_WINDOW_DAYS = int(os.environ.get("TONGBAN_RATING_WINDOW_DAYS", "15"))
TONGBAN_RECTIFICATION_DAYS = int(os.environ.get("TONGBAN_RECTIFICATION_DAYS", "5"))
TONGBAN_STATS_GAP_GRACE_SECONDS = int(os.environ.get("TONGBAN_STATS_GAP_GRACE_SECONDS", "600"))

# uploads (attachments app, docs/adr/0071-uploads.md): the file system under MEDIA_ROOT by
# default; an S3-compatible store when TONGBAN_S3_BUCKET is set (needs django-storages[s3])
STORAGES: dict[str, dict[str, object]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # hashed names, gzip and brotli copies made by collectstatic, served by WhiteNoise with
    # a year-long immutable Cache-Control (issue 15 §8, ADR 0126); `{% static %}` needs the
    # manifest collectstatic writes unless DEBUG is on
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# source maps are fetched by developer tools only; compressing them (10 MB of django-ninja's)
# doubled the time of collectstatic for nothing
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*Compressor.SKIP_COMPRESS_EXTENSIONS, "map")
if os.environ.get("TONGBAN_S3_BUCKET"):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["TONGBAN_S3_BUCKET"],
            "endpoint_url": os.environ.get("TONGBAN_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("TONGBAN_S3_REGION") or None,
            "access_key": os.environ.get("TONGBAN_S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("TONGBAN_S3_SECRET_ACCESS_KEY") or None,
            "location": os.environ.get("TONGBAN_S3_PREFIX", "tongban"),
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
TONGBAN_UPLOAD_MAX_BYTES = int(os.environ.get("TONGBAN_UPLOAD_MAX_BYTES", str(10 * 1024 * 1024)))
# web workbench (docs/adr/0070-web-workbench.md)
# files of a form that failed are held this long for its resubmission (ADR 0123)
TONGBAN_HELD_UPLOAD_HOURS = int(os.environ.get("TONGBAN_HELD_UPLOAD_HOURS", "24"))
TONGBAN_KIOSK_IDLE_SECONDS = int(os.environ.get("TONGBAN_KIOSK_IDLE_SECONDS", "120"))
# the service hall (ADR 0110): length of an appointment slot, how far ahead one may book
TONGBAN_HALL_SLOT_MINUTES = int(os.environ.get("TONGBAN_HALL_SLOT_MINUTES", "30"))
TONGBAN_HALL_BOOKING_DAYS = int(os.environ.get("TONGBAN_HALL_BOOKING_DAYS", "14"))
TONGBAN_LOOKUP_LIMIT = int(os.environ.get("TONGBAN_LOOKUP_LIMIT", "10"))
TONGBAN_LOOKUP_WINDOW_SECONDS = int(os.environ.get("TONGBAN_LOOKUP_WINDOW_SECONDS", "600"))
TONGBAN_REGISTER_LIMIT = int(os.environ.get("TONGBAN_REGISTER_LIMIT", "10"))
TONGBAN_REGISTER_WINDOW_SECONDS = int(os.environ.get("TONGBAN_REGISTER_WINDOW_SECONDS", "3600"))

TONGBAN_PROXY_COUNT = int(os.environ.get("TONGBAN_PROXY_COUNT", "0"))

# Every counter (look-up limit, ...) lives in a cache shared by all server processes: the
# database by default (the table is created by the core app's migrations), Redis when
# TONGBAN_REDIS_URL is set. Never per-process memory; ADR 0091.
if os.environ.get("TONGBAN_REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["TONGBAN_REDIS_URL"],
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "tongban_cache",
        }
    }

# Content-Security-Policy (django-csp): every script, style, font and image comes from this
# host; inline scripts and styles are refused; docs/security.md
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
        # the logout form is answered by a redirect to the identity platform's end-session
        # endpoint, which browsers check against form-action too (ADR 0099)
        "form-action": ["'self'", *([OIDC_OP_LOGOUT_ENDPOINT] if OIDC_ENABLED else [])],
        "frame-ancestors": ["'none'"],
    }
}

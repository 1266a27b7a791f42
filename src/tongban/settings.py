"""Django settings. Everything that differs between machines comes from the environment;
see docs/configuration.md for the list."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

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
DEBUG = env_bool("TONGBAN_DEBUG", not PRODUCTION)
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
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "tongban.core",
    "tongban.regions",
    "tongban.accounts",
    "tongban.centres",
    "tongban.catalog",
    "tongban.agreements",
    "tongban.cases",
    "tongban.notifications",
    "tongban.web",
    "tongban.documents",
    "tongban.licences",
    "tongban.consultations",
    "tongban.ratings",
    "tongban.stats",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "tongban.urls"
WSGI_APPLICATION = "tongban.wsgi.application"

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

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
if env_bool("TONGBAN_FAST_PASSWORD_HASHER", False):
    # tests and benchmarks only: PBKDF2 at 1M rounds would dominate every login
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGIN_URL = "/login/"
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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_personal_data": {"()": "tongban.core.masking.MaskPersonalDataFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["mask_personal_data"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("TONGBAN_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
    },
}

"""Settings of the stand-in identity platform. Everything comes from the environment that
`python -m tongban_idp` sets up (a data directory with the database and the RSA key)."""

from __future__ import annotations

import os
from pathlib import Path

DATA_DIR = Path(os.environ["TONGBAN_IDP_DIR"])
ISSUER = os.environ["TONGBAN_IDP_ISSUER"]

SECRET_KEY = (DATA_DIR / "secret.txt").read_text().strip()
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "oauth2_provider",
    "tongban_idp",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "tongban_idp.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": DATA_DIR / "idp.sqlite3"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "Asia/Shanghai"
LANGUAGE_CODE = "zh-hans"
LOGIN_URL = "/accounts/login/"
# cookies are shared by every port of a host: the platform's must not collide with Tongban's
SESSION_COOKIE_NAME = "idp_sessionid"
CSRF_COOKIE_NAME = "idp_csrftoken"

OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_ISS_ENDPOINT": ISSUER,
    "OIDC_RSA_PRIVATE_KEY": (DATA_DIR / "oidc-key.pem").read_text(),
    "PKCE_REQUIRED": True,
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": False,
    "OIDC_RP_INITIATED_LOGOUT_STRICT_REDIRECT_URIS": True,
    "ID_TOKEN_EXPIRE_SECONDS": int(os.environ.get("TONGBAN_IDP_ID_TOKEN_SECONDS", "600")),
    "OAUTH2_VALIDATOR_CLASS": "tongban_idp.validator.IdentityValidator",
    "SCOPES": {
        "openid": "OpenID Connect",
        "profile": "姓名",
        "identity": "实名信息:可信等级、公民身份号码、经办人授权的统一社会信用代码",
    },
}

"""Atopos settings, read from the environment once at start-up.

Every variable is listed with its default and meaning in README.md
("Configuration"). Bad values stop the process with a message that names the
variable; nothing here starts services or guesses.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.http.request import validate_host

from atopos_site.env import (
    admin_host,
    admin_path,
    database_from_url,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_secret,
    env_str,
    ip_networks,
    redis_urls,
)
from atopos_site.release import configured_release
from atopos_site.routes import PUBLIC_ROUTE_SEGMENTS

BASE_DIR = Path(__file__).resolve().parent.parent

ATOPOS_ENV = env_choice("ATOPOS_ENV", "dev", ("dev", "test", "prod"))
IS_PROD = ATOPOS_ENV == "prod"

DEBUG = env_bool("DEBUG", False)
if IS_PROD and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when ATOPOS_ENV=prod")

_secret_key = env_secret("SECRET_KEY")
if _secret_key is None:
    if IS_PROD:
        raise ImproperlyConfigured(
            "SECRET_KEY (or SECRET_KEY_FILE) is required when ATOPOS_ENV=prod"
        )
    # A fresh key per process: nothing signed in development outlives it,
    # and a development setting copied to a server holds no shared secret.
    _secret_key = secrets.token_urlsafe(50)
elif IS_PROD and len(_secret_key) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters when ATOPOS_ENV=prod")
SECRET_KEY = _secret_key

_default_hosts = [] if IS_PROD else ["localhost", "127.0.0.1", "[::1]", ".localhost"]
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", _default_hosts)
if "*" in ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS must list hostnames (a leading '.' matches subdomains); '*' is refused"
    )
if IS_PROD and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS is required when ATOPOS_ENV=prod: list every tenant domain"
    )

DATABASES = {
    "default": database_from_url(
        "DATABASE_URL", env_str("DATABASE_URL", "sqlite:///var/atopos.sqlite3"), BASE_DIR
    )
}

_redis_raw = env_str("REDIS_URL", "")
REDIS_URLS = redis_urls("REDIS_URL", _redis_raw) if _redis_raw else []
if IS_PROD and not REDIS_URLS:
    raise ImproperlyConfigured("REDIS_URL is required when ATOPOS_ENV=prod")

# No CHANNEL_LAYERS: the relay fans out through rooms.hub (Redis pub/sub, one
# subscriber per process and shard), and consumers opt out of the channel layer.

ATOPOS_ADMIN_PATH = admin_path("ATOPOS_ADMIN_PATH", os.environ, PUBLIC_ROUTE_SEGMENTS)
# The admin answers on this host only: never on a tenant domain, so it shares
# no origin with room pages (atopos_site.tenancy.middleware).
ATOPOS_ADMIN_HOST = admin_host("ATOPOS_ADMIN_HOST")
if bool(ATOPOS_ADMIN_PATH) != bool(ATOPOS_ADMIN_HOST):
    raise ImproperlyConfigured(
        "set ATOPOS_ADMIN_PATH and ATOPOS_ADMIN_HOST together (the admin answers only at"
        " that path on that host), or neither"
    )
if ATOPOS_ADMIN_HOST and not validate_host(ATOPOS_ADMIN_HOST, ALLOWED_HOSTS):
    raise ImproperlyConfigured(
        f"ATOPOS_ADMIN_HOST {ATOPOS_ADMIN_HOST!r} must be covered by ALLOWED_HOSTS"
    )

# How long a process trusts its cached Host -> tenant answer; edits made in
# another process (the admin, the tenant command) show up within this time.
ATOPOS_TENANT_CACHE_SECONDS = env_int("ATOPOS_TENANT_CACHE_SECONDS", 10, minimum=0, maximum=3600)

ATOPOS_SECURITY_CONTACT = env_str("ATOPOS_SECURITY_CONTACT", "")
if not ATOPOS_SECURITY_CONTACT:
    if IS_PROD:
        raise ImproperlyConfigured(
            "ATOPOS_SECURITY_CONTACT is required when ATOPOS_ENV=prod "
            "(a mailto: or https: URI for security.txt)"
        )
    ATOPOS_SECURITY_CONTACT = "mailto:security@example.invalid"
if not ATOPOS_SECURITY_CONTACT.startswith(("mailto:", "https://")):
    raise ImproperlyConfigured(
        f"ATOPOS_SECURITY_CONTACT must be a mailto: or https: URI, got {ATOPOS_SECURITY_CONTACT!r}"
    )

ATOPOS_SOURCE_URL = env_str("ATOPOS_SOURCE_URL", "")
if ATOPOS_SOURCE_URL and not ATOPOS_SOURCE_URL.startswith("https://"):
    raise ImproperlyConfigured(
        f"ATOPOS_SOURCE_URL must be an https: URL, got {ATOPOS_SOURCE_URL!r}"
    )

# Where the evidence runner writes its runs (latest/ and runs/<run_id>/); the
# evidence pages only read it. A relative path is taken from the project root.
_evidence_dir = env_str("ATOPOS_EVIDENCE_DIR", "")
ATOPOS_EVIDENCE_DIR = BASE_DIR / _evidence_dir if _evidence_dir else BASE_DIR / "evidence"
if ATOPOS_EVIDENCE_DIR.exists() and not ATOPOS_EVIDENCE_DIR.is_dir():
    raise ImproperlyConfigured(
        f"ATOPOS_EVIDENCE_DIR must be a directory, got the file {str(ATOPOS_EVIDENCE_DIR)!r}"
    )

# The commit this process runs, shown in every footer: a deployment without
# .git names it; otherwise the checkout's HEAD at start-up, else "unknown".
ATOPOS_RELEASE = configured_release("ATOPOS_RELEASE", BASE_DIR)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "csp",
    "atopos_site.tenancy",
    "rooms",
    "evidence",
]

MIDDLEWARE = [
    # Outermost, so that even the 404 for an unknown host carries every header.
    "atopos_site.security_headers.SecurityHeadersMiddleware",
    # django-csp's, plus the hash of an inline import map a page admits (atopos_site.sri).
    "atopos_site.inline_scripts.CSPMiddleware",
    "atopos_site.tenancy.middleware.TenantMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "atopos_site.urls"
ASGI_APPLICATION = "atopos_site.asgi.application"

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
                "atopos_site.tenancy.context.tenant",
                "atopos_site.running_code.context",
            ],
            "libraries": {"sri": "atopos_site.sri"},
        },
    },
]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("ATOPOS_STATIC_ROOT", str(BASE_DIR / "var" / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if IS_PROD
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Outside prod, serve straight from static/ so no collectstatic step is needed.
WHITENOISE_USE_FINDERS = not IS_PROD
WHITENOISE_AUTOREFRESH = not IS_PROD
# Pages load modules by their plain names (atopos_site.sri), each pinned by an
# SRI hash: a browser must revalidate them (a 304 when unchanged) rather than
# reuse a copy cached before a deploy, which the new page's hash would refuse.
WHITENOISE_MAX_AGE = 0
# WhiteNoise would otherwise add Access-Control-Allow-Origin: * to every file.
WHITENOISE_ALLOW_ALL_ORIGINS = False

# Cookies exist only under the admin path: public pages never set one.
_cookie_path = f"/{ATOPOS_ADMIN_PATH}/" if ATOPOS_ADMIN_PATH else "/"
SESSION_COOKIE_PATH = _cookie_path
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Strict"
SESSION_COOKIE_SECURE = IS_PROD
SESSION_COOKIE_AGE = 8 * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_PATH = _cookie_path
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Strict"
CSRF_COOKIE_SECURE = IS_PROD

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "no-referrer"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# SecurityHeadersMiddleware sends X-Frame-Options on every response (CSP's
# frame-ancestors does the real work), so Django's middleware is not needed.
SILENCED_SYSTEM_CHECKS = ["security.W002"]
SECURE_HSTS_SECONDS = env_int(
    "ATOPOS_HSTS_SECONDS", 31_536_000 if IS_PROD else 0, minimum=0, maximum=63_072_000
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("ATOPOS_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_SSL_REDIRECT = env_bool("ATOPOS_SSL_REDIRECT", False)
if env_bool("ATOPOS_TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Peers whose X-Forwarded-For names the client (atopos_site.client_address);
# empty: the connection's own address is the client, whatever headers say.
ATOPOS_TRUSTED_PROXIES = ip_networks("ATOPOS_TRUSTED_PROXIES")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        # DOM sinks only take values made by code we ship, never raw strings.
        "require-trusted-types-for": ["'script'"],
        "trusted-types": [NONE],
    }
}

ATOPOS_LOG_LEVEL = env_choice(
    "ATOPOS_LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "atopos_site.log_redaction.RedactingFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["redact"],
            "formatter": "plain",
        },
    },
    "root": {"handlers": ["console"], "level": ATOPOS_LOG_LEVEL},
    "loggers": {
        # Django's own handlers print without our filter; route everything
        # through the one redacting handler on the root logger instead.
        "django": {"handlers": [], "level": ATOPOS_LOG_LEVEL, "propagate": True},
        "django.server": {"handlers": [], "level": ATOPOS_LOG_LEVEL, "propagate": True},
        # At DEBUG it dumps whole template contexts for every missing variable.
        "django.template": {"level": "INFO"},
    },
}

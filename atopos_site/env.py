"""Typed readers for environment variables that fail loudly on bad values.

Every reader takes the variable's name and an ``environ`` mapping (the process
environment unless a test passes its own) and raises ``ImproperlyConfigured``
with a message naming the variable. Messages never echo a value that may hold
a password (database and Redis URLs, secrets).
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

Environ = Mapping[str, str]

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def env_str(name: str, default: str, environ: Environ = os.environ) -> str:
    """The variable's value with surrounding whitespace removed, or ``default``."""
    return environ.get(name, default).strip()


def env_bool(name: str, default: bool, environ: Environ = os.environ) -> bool:
    """A boolean written as 1/0, true/false, yes/no or on/off (any case)."""
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}"
    )


def env_int(
    name: str,
    default: int,
    environ: Environ = os.environ,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int:
    """A decimal integer, optionally within ``minimum``..``maximum`` inclusive."""
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        value = default
    else:
        try:
            value = int(raw.strip(), 10)
        except ValueError:
            raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ImproperlyConfigured(f"{name} must be at most {maximum}, got {value}")
    return value


def env_choice(
    name: str, default: str, choices: Iterable[str], environ: Environ = os.environ
) -> str:
    """One of a fixed set of words (compared case-sensitively)."""
    allowed = tuple(choices)
    value = env_str(name, default, environ)
    if value not in allowed:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
    return value


def env_list(name: str, default: Iterable[str], environ: Environ = os.environ) -> list[str]:
    """A comma-separated list; blanks around items and empty items are dropped."""
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_secret(name: str, environ: Environ = os.environ) -> str | None:
    """A secret given directly as NAME or as a path in NAME_FILE (never both).

    The file form suits container secrets; one trailing newline is ignored.
    """
    direct = environ.get(name)
    file_name = f"{name}_FILE"
    path = environ.get(file_name)
    if direct and path:
        raise ImproperlyConfigured(f"set {name} or {file_name}, not both")
    if path:
        try:
            content = Path(path).read_text(encoding="utf-8")
        except OSError as error:
            raise ImproperlyConfigured(f"{file_name} cannot be read: {error.strerror}") from None
        secret = content.removesuffix("\n").removesuffix("\r")
        if not secret:
            raise ImproperlyConfigured(f"{file_name} points to an empty file")
        return secret
    return direct or None


def _url_port(name: str, parts: Any) -> int | None:
    try:
        port: int | None = parts.port
    except ValueError:
        raise ImproperlyConfigured(f"{name} has an invalid port") from None
    return port


def database_from_url(name: str, url: str, base_dir: Path) -> dict[str, Any]:
    """Django's DATABASES entry for a ``sqlite://`` or ``postgres://`` URL.

    ``sqlite:///var/db.sqlite3`` is relative to the project, ``sqlite:////abs``
    absolute; ``postgres:///test`` uses the local socket and the current user.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        raw_path = unquote(parts.path)
        if parts.netloc or raw_path in ("", "/"):
            raise ImproperlyConfigured(
                f"{name} for SQLite must look like sqlite:///relative/path or sqlite:////absolute/path"
            )
        path = Path(raw_path[1:])
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": path if path.is_absolute() else base_dir / path,
            # SQLite runs in a thread pool under ASGI; a short busy timeout
            # turns writer contention into waiting instead of errors.
            "OPTIONS": {"timeout": 20},
        }
    if scheme in ("postgres", "postgresql"):
        database = unquote(parts.path.lstrip("/"))
        if not database:
            raise ImproperlyConfigured(
                f"{name} for PostgreSQL must name a database: postgres:///name"
            )
        options = dict(parse_qsl(parts.query))
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": database,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": unquote(parts.hostname or ""),
            "PORT": str(_url_port(name, parts) or ""),
            "OPTIONS": options,
            "CONN_MAX_AGE": 0,
            "CONN_HEALTH_CHECKS": True,
        }
    shown = scheme or "(none)"
    raise ImproperlyConfigured(
        f"{name} must start with sqlite:// or postgres:// (scheme given: {shown})"
    )


_REDIS_SCHEMES = frozenset({"redis", "rediss", "unix"})


def redis_urls(name: str, raw: str) -> list[str]:
    """One or more comma-separated Redis URLs (``redis://``, ``rediss://``, ``unix://``)."""
    urls = [item.strip() for item in raw.split(",") if item.strip()]
    if not urls:
        raise ImproperlyConfigured(f"{name} is set but holds no URL")
    for position, url in enumerate(urls, start=1):
        parts = urlsplit(url)
        if parts.scheme not in _REDIS_SCHEMES:
            raise ImproperlyConfigured(
                f"{name} URL #{position} must start with redis://, rediss:// or unix://"
            )
        if parts.scheme == "unix" and not parts.path:
            raise ImproperlyConfigured(f"{name} URL #{position} needs a socket path: unix:///path")
        if parts.scheme != "unix" and not parts.hostname:
            raise ImproperlyConfigured(f"{name} URL #{position} needs a host: redis://host:6379/0")
        _url_port(name, parts)
    return urls


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def ip_networks(name: str, environ: Environ = os.environ) -> tuple[IPNetwork, ...]:
    """Comma-separated IP addresses or networks (``10.0.0.0/8``, ``::1``); empty when unset.

    A network with host bits set (``10.0.0.1/8``) is refused: it usually
    means a typo, and guessing which network was meant could trust too much.
    """
    networks = []
    for item in env_list(name, (), environ):
        try:
            networks.append(ipaddress.ip_network(item, strict=True))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must list IP addresses or networks such as 127.0.0.1 or 10.0.0.0/8,"
                f" got {item!r}"
            ) from None
    return tuple(networks)


def admin_host(name: str, environ: Environ = os.environ) -> str | None:
    """The operator host's canonical name (the admin answers there only), or None."""
    from atopos_site.tenancy.hostnames import normalize_hostname

    raw = env_str(name, "", environ)
    if not raw:
        return None
    try:
        return normalize_hostname(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a hostname, got {raw!r}") from None


_ADMIN_PATH = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def admin_path(name: str, environ: Environ, reserved: Iterable[str]) -> str | None:
    """The admin's URL segment, or None when the admin is switched off."""
    raw = env_str(name, "", environ).strip("/")
    if not raw:
        return None
    if not _ADMIN_PATH.fullmatch(raw):
        raise ImproperlyConfigured(
            f"{name} must be one path segment of letters, digits, '-' or '_' (up to 64),"
            f" got {raw!r}"
        )
    if raw.lower() in reserved:
        raise ImproperlyConfigured(f"{name} must not reuse a public route ({raw!r})")
    return raw

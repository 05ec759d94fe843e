"""The fuzz target for every HTTP route: any method, path, query, host and headers get an
answer below 500 and never an exception out of a view.

It needs a configured site: ``prepare`` points Django at a fresh SQLite database in a
scratch directory, migrates it and adds the localhost tenant, as ``make run`` does.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

import atheris

ROUTES = (
    "/", "/r/", "/security/", "/threat-model/", "/disclosure/", "/robots.txt", "/favicon.ico",
    "/.well-known/security.txt", "/security/evidence/", "/security/evidence/reviewer-pack/",
    "/security/evidence/checks/attacks_refused/", "/security/evidence/latest/summary.json",
)  # fmt: skip
HOSTS = ("localhost", "127.0.0.1", "acme.localhost", "evil.example", "localhost:8000", "")
METHODS = ("GET", "HEAD", "POST", "OPTIONS", "PUT", "DELETE", "PATCH", "TRACE")
HEADERS = ("HTTP_ACCEPT", "HTTP_ACCEPT_LANGUAGE", "HTTP_COOKIE", "HTTP_REFERER", "HTTP_ORIGIN",
           "HTTP_X_FORWARDED_FOR", "HTTP_USER_AGENT", "CONTENT_TYPE")  # fmt: skip


def prepare(directory: Path) -> None:
    """A migrated site on SQLite under ``directory``, with the localhost tenant."""
    directory.mkdir(parents=True, exist_ok=True)
    os.environ.update(
        {
            "ATOPOS_ENV": "test",
            "DATABASE_URL": f"sqlite:///{directory / 'fuzz.sqlite3'}",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "DJANGO_SETTINGS_MODULE": "atopos_site.settings",
        }
    )
    from atopos_site.launch import prepare_database

    prepare_database()
    logging.disable(logging.CRITICAL)  # a refused Host is logged each time; the run is the report
    from django.test import Client
    from django.urls import get_resolver

    # Views and middleware load on first use: load them now, while the caller instruments.
    get_resolver().url_patterns  # noqa: B018 -- the import is the point
    Client(HTTP_HOST="localhost").get("/")


def routes(data: bytes) -> None:
    from django.test import Client

    provider = atheris.FuzzedDataProvider(data)
    method = METHODS[provider.ConsumeIntInRange(0, len(METHODS) - 1)]
    host = HOSTS[provider.ConsumeIntInRange(0, len(HOSTS) - 1)]
    path = ROUTES[provider.ConsumeIntInRange(0, len(ROUTES) - 1)]
    if provider.ConsumeBool():
        path += provider.ConsumeUnicodeNoSurrogates(40)
    # Header and query bytes reach Django as latin-1 text (PEP 3333), whatever the client sent.
    query = provider.ConsumeBytes(60).decode("latin-1")
    headers = {
        name: provider.ConsumeBytes(40).decode("latin-1")
        for name in HEADERS
        if provider.ConsumeBool()
    }
    body = provider.ConsumeBytes(200)
    response = Client(HTTP_HOST=host).generic(
        method, path, data=body, QUERY_STRING=query, **headers
    )
    if response.status_code >= 500:
        raise AssertionError(f"{method} {path!r} on {host!r} answered {response.status_code}")

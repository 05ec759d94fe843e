"""Loading the settings with a bad value of any variable stops with a clear message."""

from __future__ import annotations

import runpy
import subprocess
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

import atopos_site.settings

SETTINGS_FILE = Path(atopos_site.settings.__file__)
PROD_BASE = {
    "ATOPOS_ENV": "prod",
    "SECRET_KEY": "k" * 20 + "-long-enough-for-production-use-0123456789",
    "ALLOWED_HOSTS": "chat.example.org",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "DATABASE_URL": "postgres:///atopos",
    "ATOPOS_SECURITY_CONTACT": "mailto:security@example.org",
}
VARIABLES = (
    "ATOPOS_ENV", "DEBUG", "SECRET_KEY", "SECRET_KEY_FILE", "ALLOWED_HOSTS", "DATABASE_URL",
    "REDIS_URL", "ATOPOS_ADMIN_PATH", "ATOPOS_ADMIN_HOST", "ATOPOS_TRUSTED_PROXIES",
    "ATOPOS_TENANT_CACHE_SECONDS", "ATOPOS_SECURITY_CONTACT",
    "ATOPOS_SOURCE_URL", "ATOPOS_HSTS_SECONDS", "ATOPOS_HSTS_INCLUDE_SUBDOMAINS",
    "ATOPOS_SSL_REDIRECT", "ATOPOS_TRUST_X_FORWARDED_PROTO", "ATOPOS_LOG_LEVEL",
    "ATOPOS_STATIC_ROOT", "ATOPOS_EVIDENCE_DIR", "ATOPOS_RELEASE",
)  # fmt: skip


def load_settings(monkeypatch: pytest.MonkeyPatch, **variables: str) -> dict[str, object]:
    """Execute settings.py afresh with exactly ``variables`` set among ours."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS_FILE))


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"ATOPOS_ENV": "staging"}, r"ATOPOS_ENV must be one of dev, test, prod; got 'staging'"),
        ({"DEBUG": "sometimes"}, r"DEBUG must be one of 1/0"),
        ({**PROD_BASE, "DEBUG": "1"}, r"DEBUG must be off when ATOPOS_ENV=prod"),
        ({**PROD_BASE, "SECRET_KEY": ""}, r"SECRET_KEY \(or SECRET_KEY_FILE\) is required"),
        ({**PROD_BASE, "SECRET_KEY": "short"}, r"SECRET_KEY must be at least 50 characters"),
        ({"SECRET_KEY_FILE": "/nonexistent/key"}, r"SECRET_KEY_FILE cannot be read"),
        ({"ALLOWED_HOSTS": "*"}, r"ALLOWED_HOSTS must list hostnames"),
        ({**PROD_BASE, "ALLOWED_HOSTS": ""}, r"ALLOWED_HOSTS is required when ATOPOS_ENV=prod"),
        (
            {"DATABASE_URL": "mongodb://db/x"},
            r"DATABASE_URL must start with sqlite:// or postgres://",
        ),
        ({"REDIS_URL": "tcp://cache"}, r"REDIS_URL URL #1 must start with redis://"),
        ({**PROD_BASE, "REDIS_URL": ""}, r"REDIS_URL is required when ATOPOS_ENV=prod"),
        ({"ATOPOS_ADMIN_PATH": "ad min"}, r"ATOPOS_ADMIN_PATH must be one path segment"),
        ({"ATOPOS_RELEASE": "v1.2 (final)"}, r"ATOPOS_RELEASE must be a git commit"),
        ({"ATOPOS_ADMIN_PATH": "static"}, r"ATOPOS_ADMIN_PATH must not reuse a public route"),
        ({"ATOPOS_ADMIN_PATH": "ops"}, r"set ATOPOS_ADMIN_PATH and ATOPOS_ADMIN_HOST together"),
        ({"ATOPOS_ADMIN_HOST": "ops.localhost"}, r"set ATOPOS_ADMIN_PATH and ATOPOS_ADMIN_HOST"),
        (
            {"ATOPOS_ADMIN_PATH": "ops", "ATOPOS_ADMIN_HOST": "ops..example"},
            r"ATOPOS_ADMIN_HOST must be a hostname",
        ),
        (
            {**PROD_BASE, "ATOPOS_ADMIN_PATH": "ops", "ATOPOS_ADMIN_HOST": "ops.example.org"},
            r"ATOPOS_ADMIN_HOST 'ops.example.org' must be covered by ALLOWED_HOSTS",
        ),
        ({"ATOPOS_TRUSTED_PROXIES": "10.0.0.1/8"}, r"ATOPOS_TRUSTED_PROXIES must list IP"),
        (
            {"ATOPOS_TENANT_CACHE_SECONDS": "soon"},
            r"ATOPOS_TENANT_CACHE_SECONDS must be an integer",
        ),
        ({"ATOPOS_TENANT_CACHE_SECONDS": "-1"}, r"ATOPOS_TENANT_CACHE_SECONDS must be at least 0"),
        ({**PROD_BASE, "ATOPOS_SECURITY_CONTACT": ""}, r"ATOPOS_SECURITY_CONTACT is required"),
        ({"ATOPOS_SECURITY_CONTACT": "security@x.org"}, r"must be a mailto: or https: URI"),
        (
            {"ATOPOS_SOURCE_URL": "http://git.example.org"},
            r"ATOPOS_SOURCE_URL must be an https: URL",
        ),
        ({"ATOPOS_HSTS_SECONDS": "1y"}, r"ATOPOS_HSTS_SECONDS must be an integer"),
        ({"ATOPOS_HSTS_INCLUDE_SUBDOMAINS": "2"}, r"ATOPOS_HSTS_INCLUDE_SUBDOMAINS must be one of"),
        ({"ATOPOS_SSL_REDIRECT": "please"}, r"ATOPOS_SSL_REDIRECT must be one of"),
        ({"ATOPOS_TRUST_X_FORWARDED_PROTO": "y"}, r"ATOPOS_TRUST_X_FORWARDED_PROTO must be one of"),
        ({"ATOPOS_LOG_LEVEL": "LOUD"}, r"ATOPOS_LOG_LEVEL must be one of DEBUG, INFO"),
        ({"ATOPOS_EVIDENCE_DIR": "README.md"}, r"ATOPOS_EVIDENCE_DIR must be a directory"),
    ],
)
def test_bad_value_stops_the_settings_with_a_message(monkeypatch, variables, message):
    """Each typed variable, given a bad value, names itself in the error."""
    with pytest.raises(ImproperlyConfigured, match=message):
        load_settings(monkeypatch, **variables)


def test_production_settings_load_with_every_required_value(monkeypatch):
    """The documented production minimum is enough, and it switches on HSTS and secure cookies."""
    loaded = load_settings(monkeypatch, **PROD_BASE)
    assert loaded["DEBUG"] is False
    assert loaded["SECURE_HSTS_SECONDS"] == 31_536_000
    assert loaded["SESSION_COOKIE_SECURE"] is True
    assert loaded["CSRF_COOKIE_SECURE"] is True
    assert loaded["ALLOWED_HOSTS"] == ["chat.example.org"]


def test_several_redis_urls_become_shards_and_no_channel_layer_is_configured(monkeypatch):
    """Two REDIS_URL entries give the relay two shards; frames never use a channel layer."""
    loaded = load_settings(monkeypatch, REDIS_URL="redis://a:6379/0,redis://b:6379/0")
    assert loaded["REDIS_URLS"] == ["redis://a:6379/0", "redis://b:6379/0"]
    assert "CHANNEL_LAYERS" not in loaded


def test_development_without_secret_key_gets_a_fresh_random_one(monkeypatch):
    """No shared default key exists: two loads give two different keys."""
    first = load_settings(monkeypatch)["SECRET_KEY"]
    second = load_settings(monkeypatch)["SECRET_KEY"]
    assert isinstance(first, str)
    assert len(first) >= 50
    assert first != second


def test_admin_path_moves_the_cookies_under_it(monkeypatch):
    """Session and CSRF cookies are scoped to the admin path, never to public pages."""
    loaded = load_settings(
        monkeypatch, ATOPOS_ADMIN_PATH="ops-7f3k", ATOPOS_ADMIN_HOST="Ops.Localhost."
    )
    assert loaded["SESSION_COOKIE_PATH"] == "/ops-7f3k/"
    assert loaded["CSRF_COOKIE_PATH"] == "/ops-7f3k/"
    assert loaded["ATOPOS_ADMIN_HOST"] == "ops.localhost"


def test_evidence_dir_defaults_to_the_project_and_takes_relative_or_absolute_paths(
    monkeypatch, tmp_path
):
    """The evidence pages read evidence/ unless told otherwise; relative means project-relative."""
    root = SETTINGS_FILE.parent.parent
    assert load_settings(monkeypatch)["ATOPOS_EVIDENCE_DIR"] == root / "evidence"
    relative = load_settings(monkeypatch, ATOPOS_EVIDENCE_DIR="var/evidence-out")
    assert relative["ATOPOS_EVIDENCE_DIR"] == root / "var" / "evidence-out"
    absolute = load_settings(monkeypatch, ATOPOS_EVIDENCE_DIR=str(tmp_path))
    assert absolute["ATOPOS_EVIDENCE_DIR"] == tmp_path


def test_the_release_is_the_one_set_else_the_checkouts_commit(monkeypatch):
    """ATOPOS_RELEASE names the commit where there is no .git; otherwise git's HEAD."""
    assert load_settings(monkeypatch, ATOPOS_RELEASE="0123abc")["ATOPOS_RELEASE"] == "0123abc"
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=SETTINGS_FILE.parent, capture_output=True, text=True,
        check=True,
    ).stdout.strip()  # fmt: skip
    assert load_settings(monkeypatch)["ATOPOS_RELEASE"] == head

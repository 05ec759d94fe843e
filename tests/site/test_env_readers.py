"""The typed environment readers accept good values and name the variable on bad ones."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from atopos_site.env import (
    admin_path,
    database_from_url,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_secret,
    redis_urls,
)

BASE = Path("/srv/atopos")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("TRUE", True), ("yes", True), ("On", True), ("0", False), ("off", False)],
)
def test_env_bool_reads_the_usual_spellings(raw, expected):
    """1/0, true/false, yes/no and on/off are understood in any case."""
    assert env_bool("FLAG", not expected, {"FLAG": raw}) is expected


def test_env_bool_uses_the_default_when_unset_or_blank():
    """An absent or blank variable means the default."""
    assert env_bool("FLAG", True, {}) is True
    assert env_bool("FLAG", False, {"FLAG": "  "}) is False


def test_env_bool_rejects_other_words():
    """'maybe' is not a boolean, and the message names the variable."""
    with pytest.raises(ImproperlyConfigured, match=r"FLAG must be one of .* got 'maybe'"):
        env_bool("FLAG", False, {"FLAG": "maybe"})


def test_env_int_enforces_type_and_bounds():
    """Integers parse; non-integers and out-of-range values are refused by name."""
    assert env_int("N", 5, {"N": " 42 "}, minimum=1, maximum=100) == 42
    with pytest.raises(ImproperlyConfigured, match=r"N must be an integer, got '4x'"):
        env_int("N", 5, {"N": "4x"})
    with pytest.raises(ImproperlyConfigured, match=r"N must be at least 1, got 0"):
        env_int("N", 5, {"N": "0"}, minimum=1)
    with pytest.raises(ImproperlyConfigured, match=r"N must be at most 9, got 10"):
        env_int("N", 5, {"N": "10"}, maximum=9)


def test_env_choice_lists_the_allowed_words():
    """A value outside the set is refused with the set in the message."""
    assert env_choice("MODE", "a", ("a", "b"), {"MODE": "b"}) == "b"
    with pytest.raises(ImproperlyConfigured, match=r"MODE must be one of a, b; got 'c'"):
        env_choice("MODE", "a", ("a", "b"), {"MODE": "c"})


def test_env_list_splits_on_commas_and_drops_blanks():
    """Spaces and empty items between commas are ignored."""
    assert env_list("HOSTS", ["x"], {"HOSTS": " a.test, ,b.test,"}) == ["a.test", "b.test"]
    assert env_list("HOSTS", ["x"], {}) == ["x"]


def test_env_secret_reads_a_file_without_its_newline(tmp_path):
    """NAME_FILE points at a file whose content (minus one newline) is the secret."""
    secret_file = tmp_path / "key"
    secret_file.write_text("s3cret-value\n")
    assert env_secret("KEY", {"KEY_FILE": str(secret_file)}) == "s3cret-value"
    assert env_secret("KEY", {"KEY": "direct"}) == "direct"
    assert env_secret("KEY", {}) is None


def test_env_secret_refuses_both_forms_and_unreadable_files(tmp_path):
    """Both forms at once, a missing file and an empty file are configuration errors."""
    with pytest.raises(ImproperlyConfigured, match="set KEY or KEY_FILE, not both"):
        env_secret("KEY", {"KEY": "a", "KEY_FILE": "/nonexistent"})
    with pytest.raises(ImproperlyConfigured, match="KEY_FILE cannot be read"):
        env_secret("KEY", {"KEY_FILE": str(tmp_path / "missing")})
    empty = tmp_path / "empty"
    empty.write_text("")
    with pytest.raises(ImproperlyConfigured, match="KEY_FILE points to an empty file"):
        env_secret("KEY", {"KEY_FILE": str(empty)})


def test_sqlite_urls_resolve_relative_to_the_project():
    """Three slashes mean a path under the project, four an absolute path."""
    relative = database_from_url("DB", "sqlite:///var/db.sqlite3", BASE)
    absolute = database_from_url("DB", "sqlite:////tmp/db.sqlite3", BASE)
    assert relative["ENGINE"] == "django.db.backends.sqlite3"
    assert relative["NAME"] == BASE / "var" / "db.sqlite3"
    assert absolute["NAME"] == Path("/tmp/db.sqlite3")


def test_postgres_urls_become_connection_settings():
    """User, password, host, port, database and options are all carried over."""
    config = database_from_url(
        "DB", "postgres://atopos:p%40ss@db.internal:6543/chat?sslmode=require", BASE
    )
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["USER"], config["PASSWORD"]) == ("atopos", "p@ss")
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("db.internal", "6543", "chat")
    assert config["OPTIONS"] == {"sslmode": "require"}


def test_postgres_url_without_host_uses_the_local_socket():
    """postgres:///test connects over the default socket as the current user."""
    config = database_from_url("DB", "postgres:///test", BASE)
    assert (config["HOST"], config["PORT"], config["USER"], config["NAME"]) == ("", "", "", "test")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "mysql://root:hunter2@db/chat",
            r"DB must start with sqlite:// or postgres:// \(scheme given: mysql\)",
        ),
        ("sqlite://", "DB for SQLite must look like"),
        ("postgres://db.internal", "DB for PostgreSQL must name a database"),
        ("postgres://u:hunter2@db:notaport/chat", "DB has an invalid port"),
    ],
)
def test_bad_database_urls_are_refused_without_echoing_passwords(url, message):
    """The message explains the problem and never repeats the URL's password."""
    with pytest.raises(ImproperlyConfigured, match=message) as error:
        database_from_url("DB", url, BASE)
    assert "hunter2" not in str(error.value)


def test_redis_urls_accept_several_comma_separated_servers():
    """Several URLs mean several channel-layer shards."""
    assert redis_urls("R", "redis://a:6379/0, rediss://b:6380/1,unix:///run/redis.sock") == [
        "redis://a:6379/0",
        "rediss://b:6380/1",
        "unix:///run/redis.sock",
    ]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("http://cache:6379", r"R URL #1 must start with redis://, rediss:// or unix://"),
        ("redis://a:6379,memcached://b", r"R URL #2 must start with"),
        ("unix://", r"R URL #1 needs a socket path"),
        ("redis://:hunter2@/0", r"R URL #1 needs a host"),
        ("redis://a:99999/0", r"R has an invalid port"),
        (" , ", r"R is set but holds no URL"),
    ],
)
def test_bad_redis_urls_are_refused(raw, message):
    """Each malformed URL is refused with its position, never its password."""
    with pytest.raises(ImproperlyConfigured, match=message) as error:
        redis_urls("R", raw)
    assert "hunter2" not in str(error.value)


def test_admin_path_is_one_safe_segment_off_the_public_routes():
    """The admin path is optional, one segment, and cannot shadow a public page."""
    assert admin_path("ADMIN", {}, {"security"}) is None
    assert admin_path("ADMIN", {"ADMIN": "/ops-7f3k/"}, {"security"}) == "ops-7f3k"
    with pytest.raises(ImproperlyConfigured, match="one path segment"):
        admin_path("ADMIN", {"ADMIN": "ops/../x"}, {"security"})
    with pytest.raises(ImproperlyConfigured, match="must not reuse a public route"):
        admin_path("ADMIN", {"ADMIN": "Security"}, {"security"})

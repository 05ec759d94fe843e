"""C04: the migrated database has no column for room, message, participant, key or address
data, and after a scripted session no row holds any of it.

Every table and column of the live site's database (SQLite or PostgreSQL,
all migrations applied) is listed; a column whose name says it holds
forbidden data fails. Then every row of every table is searched for the
session's canaries (names, messages, keys, shards), the room id, the server
shard and IP addresses. Django's own operator tables (sessions and admin
history, used only under the admin path) and tenant policy columns are
allowed by name; tenant hostnames may be the server's own address literals.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import psycopg
import pytest

from evidence.check import CheckResult, judged
from evidence.publish_safe import addresses_in, encodings
from tests.claims.live.canaries import Canaries
from tests.claims.support.context import Context
from tests.claims.support.findings import Evidence

FORBIDDEN_TOKENS = frozenset({
    "plaintext", "ciphertext", "message", "messages", "content", "body", "envelope",
    "shard", "secret", "fragment", "nickname", "participant", "participants",
    "ip", "addr", "address", "room", "member", "key",
})  # fmt: skip
# Column names that carry a forbidden token but hold only policy or operator data.
ALLOWED_COLUMNS = frozenset({
    "tenancy_tenant.max_members_per_room",
    "tenancy_tenant.default_room_ttl_seconds",
    "tenancy_tenant.max_room_ttl_seconds",
    "tenancy_tenant.messages_per_minute",
    "auth_permission.content_type_id",
    "django_admin_log.content_type_id",
    "django_session.session_key",
    "django_admin_log.change_message",
})  # fmt: skip
# Hostnames an operator serves a tenant on may be address literals (127.0.0.1
# for the local default); they are the server's own addresses, never a client's.
SERVER_ADDRESS_TABLES = frozenset({"tenancy_tenantdomain"})


@dataclass
class Dump:
    """What a database dump would show: its columns and every row, as text."""

    columns: dict[str, list[str]] = field(default_factory=dict)
    rows: list[tuple[str, str]] = field(default_factory=list)  # (table, row as text)


def _sqlite(path: str) -> Dump:
    dump = Dump()
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        tables = [name for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )]  # fmt: skip
        for table in tables:
            quoted = '"' + table.replace('"', '""') + '"'
            dump.columns[table] = [row[1] for row in db.execute(f"PRAGMA table_info({quoted})")]
            for row in db.execute(f"SELECT * FROM {quoted}"):  # noqa: S608 -- names from the catalog
                dump.rows.append((table, repr(row)))
    return dump


def _postgres(dsn: str) -> Dump:
    dump = Dump()
    with psycopg.connect(dsn) as db:
        for table, column in db.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' ORDER BY table_name, ordinal_position"
        ):
            dump.columns.setdefault(table, []).append(column)
        for table in dump.columns:
            quoted = '"' + table.replace('"', '""') + '"'
            for row in db.execute(f"SELECT * FROM {quoted}"):  # noqa: S608 -- names from the catalog
                dump.rows.append((table, repr(row)))
    return dump


def read_database(url: str) -> Dump:
    """Every column and row of the database a DATABASE_URL names."""
    if url.startswith("sqlite:///"):
        return _sqlite(url.removeprefix("sqlite:///"))
    parts = urlsplit(url)
    if parts.scheme in ("postgres", "postgresql"):
        return _postgres(f"postgresql://{parts.netloc}{parts.path}")
    raise ValueError(f"unsupported database scheme {parts.scheme!r}")


def _forbidden_columns(dump: Dump) -> Iterator[str]:
    for table, columns in dump.columns.items():
        for column in columns:
            if f"{table}.{column}" in ALLOWED_COLUMNS:
                continue
            if FORBIDDEN_TOKENS & set(column.lower().split("_")):
                yield f"column {table}.{column} is named for forbidden data"


def judge(dump: Dump, canaries: Canaries, room_values: list[bytes]) -> CheckResult:
    violations = list(_forbidden_columns(dump))
    forms = [form for value in room_values if value for form in encodings(value)]
    for table, row in dump.rows:
        data = row.encode()
        violations += [f"{name} found in table {table}" for name in canaries.found_in(data)]
        if any(form in data for form in forms):
            violations.append(f"the room id or server shard found in table {table}")
        if table not in SERVER_ADDRESS_TABLES and addresses_in(row):
            violations.append(f"an IP address found in table {table}")
    if not dump.columns:
        violations.append("the database has no tables: nothing was migrated")
    counts = {
        "tables": len(dump.columns),
        "columns": sum(len(columns) for columns in dump.columns.values()),
        "rows": len(dump.rows),
    }
    return judged(
        violations, counts,
        f"{counts['tables']} tables, {counts['columns']} columns, {counts['rows']} rows: "
        "nothing about rooms, messages, participants, keys or addresses",
        "the database holds forbidden data",
        {"tables": sorted(dump.columns)},
    )  # fmt: skip


def run(ctx: Context) -> CheckResult:
    live = ctx.live()
    dump = read_database(live.site.environment["DATABASE_URL"])
    room_values = [live.session.room_id, live.session.server_shard]
    return judge(dump, live.canaries, room_values)


pytestmark = pytest.mark.check("A database dump exposes nothing", "storage")


def test_database_schema_scan(examined: Context, evidence: Evidence) -> None:
    evidence.record(run(examined))

"""What a check is, and the result it judges (the checks themselves are in tests/claims/)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """A check passed, found a violation, or could not run at all."""

    PASS = "pass"  # noqa: S105 -- a status word, not a password  # nosec B105
    FAIL = "fail"
    ERROR = "error"


class Kind(StrEnum):
    """How a check gathers its evidence."""

    STATIC = "static"  # reads the source code
    STORAGE = "storage"  # scans a database schema or a Redis keyspace
    RUNTIME = "runtime"  # drives a real server (or a live deployment)
    BUILD = "build"  # rebuilds or re-runs something and compares


@dataclass(frozen=True)
class CheckResult:
    """What a check found. ``details`` must stay publish-safe: no hosts, IPs or secrets."""

    status: Status
    summary: str
    counts: dict[str, int] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    # A check that proves several claims may judge each on its own (attacks_refused
    # does, by the attacks of each claim): claim id -> "pass", "fail" or "error".
    # A claim then takes its verdict from here, not from ``status`` (evidence.claims).
    claims: dict[str, str] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.status is Status.PASS

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status.value
        return data


def judged(
    violations: list[str],
    counts: dict[str, int],
    clean: str,
    dirty: str,
    details: dict[str, Any] | None = None,
) -> CheckResult:
    """PASS with ``clean`` when nothing was found, else FAIL with ``dirty`` and the violations."""
    if violations:
        return CheckResult(Status.FAIL, dirty, counts, sorted(set(violations))[:200], details or {})
    return CheckResult(Status.PASS, clean, counts, [], details or {})


def could_not_run(reason: str, counts: dict[str, int] | None = None) -> CheckResult:
    """The check was unable to gather its evidence: never a pass."""
    return CheckResult(Status.ERROR, reason, counts or {}, [reason])


@dataclass(frozen=True)
class Check:
    """A check as a run describes it: its test module is tests/claims/test_<id>.py."""

    id: str
    title: str
    kind: Kind

"""What a check records: its result, kept by pytest with the test's report.

Every check judges what it examined into an evidence.check.CheckResult (the
same value its seeded-violation tests assert on), then hands it to the
``evidence`` fixture. That records it with pytest's own ``record_property``,
where evidence.pytest_plugin picks it up for the run's artifacts, and makes
the test pass, fail, or stop as could-not-run.
"""

from __future__ import annotations

from collections.abc import Callable

from evidence.check import CheckResult, Status

Record = Callable[[str, object], None]


class CouldNotRun(Exception):
    """The check could not gather its evidence: an error, never a pass."""


class Evidence:
    """The recorder a check's test gets as its ``evidence`` fixture."""

    def __init__(self, record: Record) -> None:
        self._record = record

    def record(self, result: CheckResult) -> None:
        """Keep what the check found; fail on a violation, stop when it could not run."""
        self._record("status", result.status.value)
        self._record("summary", result.summary)
        self._record("counts", result.counts)
        self._record("violations", result.reasons)
        self._record("details", result.details)
        if result.claims:
            self._record("claims", result.claims)
        if result.status is Status.ERROR:
            raise CouldNotRun(result.summary)
        assert result.passed, f"{result.summary}: " + "; ".join(result.reasons[:5])

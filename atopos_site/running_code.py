"""Which code this site runs: its release (commit) and its client bundle hash.

Every page's footer shows both, and the evidence pages set them beside the
ones an evidence run recorded, so a reviewer can tell whether that run's
evidence is about the code this site serves.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest

from atopos_site.release import COMMIT, UNKNOWN
from atopos_site.sri import bundle_hash

SHORT = 12


@dataclass(frozen=True)
class RunningCode:
    """A commit and a client bundle hash; either may be "unknown" (or "" when never recorded)."""

    commit: str
    bundle_hash: str

    @property
    def has_commit(self) -> bool:
        return COMMIT.fullmatch(self.commit) is not None

    @property
    def short_commit(self) -> str:
        return self.commit[:SHORT] if self.has_commit else UNKNOWN

    @property
    def short_bundle_hash(self) -> str:
        return self.bundle_hash[:SHORT] if self.bundle_hash else UNKNOWN


def running_code() -> RunningCode:
    """This process's release and the hash of the client modules it serves."""
    return RunningCode(settings.ATOPOS_RELEASE, bundle_hash())


def context(request: HttpRequest) -> dict[str, RunningCode]:
    """``{{ running_code }}`` in every template (the footer's)."""
    del request
    return {"running_code": running_code()}


@dataclass(frozen=True)
class Comparison:
    """Whether this site runs the code an evidence run examined, in words."""

    state: str  # "match", "client-only", "mismatch" or "unknown"
    sentence: str


def compare(site: RunningCode, run: RunningCode) -> Comparison:
    """The client bundle decides (it is what a browser gets); the commit adds what it can."""
    same_commit = site.has_commit and run.has_commit and site.commit == run.commit
    if not run.bundle_hash:
        commit_note = " Its commit is the one this site runs." if same_commit else ""
        return Comparison(
            "unknown",
            "Cannot tell: this run recorded no client bundle hash to compare." + commit_note,
        )
    if run.bundle_hash != site.bundle_hash:
        return Comparison(
            "mismatch",
            "No match: this site serves different client code from the code this run"
            " examined, so this run's evidence is not about the code your browser gets here.",
        )
    if same_commit:
        return Comparison(
            "match",
            "Match: this site runs the commit and serves the client code this run examined.",
        )
    return Comparison(
        "client-only",
        "The client code matches (the same bundle hash), but this site's commit"
        f" {'differs from' if site.has_commit and run.has_commit else 'cannot be compared with'}"
        " the run's: the server's code may differ.",
    )

"""The claims matrix (claims.toml): load it, check it, and judge claims against check results."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from evidence.check import Status

CLAIMS_FILE = Path(__file__).resolve().parent / "claims.toml"
_CLAIM_ID = re.compile(r"C\d{2}")


class ClaimsFileError(ValueError):
    """claims.toml is malformed."""


@dataclass(frozen=True)
class Claim:
    """One security claim and what proves it."""

    id: str
    statement: str
    threats: tuple[str, ...]
    checks: tuple[str, ...]
    pending: str = ""


@dataclass(frozen=True)
class Verdict:
    """Whether a claim is proven by a set of check statuses, and why not if not."""

    claim: Claim
    proven: bool
    reason: str

    @property
    def status(self) -> str:
        return "proven" if self.proven else "unproven"


def load_claims(path: Path = CLAIMS_FILE) -> list[Claim]:
    """Every claim in file order; raises ClaimsFileError on a malformed file."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ClaimsFileError(f"cannot read {path.name}: {error}") from error
    claims = [_claim(entry) for entry in raw.get("claim", [])]
    ids = [claim.id for claim in claims]
    if len(set(ids)) != len(ids):
        raise ClaimsFileError("claim ids must be unique")
    return claims


def _claim(entry: Mapping[str, object]) -> Claim:
    claim_id = entry.get("id")
    if not isinstance(claim_id, str) or not _CLAIM_ID.fullmatch(claim_id):
        raise ClaimsFileError(f"claim id {claim_id!r} must look like C01")
    statement, threats, checks = entry.get("statement"), entry.get("threats"), entry.get("checks")
    pending = entry.get("pending", "")
    if not isinstance(statement, str) or not statement.strip():
        raise ClaimsFileError(f"{claim_id}: a statement is required")
    if not isinstance(threats, list) or not _strings(threats) or not threats:
        raise ClaimsFileError(f"{claim_id}: threats must be a non-empty list of strings")
    if not isinstance(checks, list) or not _strings(checks) or not isinstance(pending, str):
        raise ClaimsFileError(f"{claim_id}: checks must be a list of check ids")
    if not checks and not pending:
        raise ClaimsFileError(f"{claim_id}: a claim without checks must say why under `pending`")
    return Claim(claim_id, statement.strip(), tuple(threats), tuple(checks), pending.strip())


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def all_check_ids(claims: list[Claim]) -> list[str]:
    """Every check the matrix names, once each, in first-mention order."""
    return list(dict.fromkeys(check for claim in claims for check in claim.checks))


# The status a claim gets from a check that judges claims one by one but left it out.
NO_VERDICT = "no-verdict"


def status_for(claim_id: str, status: str, verdicts: Mapping[str, str] | None) -> str:
    """What one check says about one claim.

    A check that judges each claim on its own (its result's ``claims``, e.g. the
    attacks of each claim) speaks for a claim only through that claim's verdict:
    a failed attack of another claim does not touch it, and a claim it gave no
    verdict is not proven by it. Any other check speaks through its status.
    """
    if not verdicts:
        return status
    return verdicts.get(claim_id, NO_VERDICT)


def judge(
    claim: Claim,
    statuses: Mapping[str, str],
    verdicts: Mapping[str, Mapping[str, str]] | None = None,
) -> Verdict:
    """Proven only if the claim has checks and every one of them passed for it.

    ``statuses`` maps each check that ran to its status; ``verdicts`` maps a
    check that judged claims one by one to its per-claim verdicts.
    """
    if not claim.checks:
        return Verdict(claim, False, claim.pending or "no check exists for this claim yet")
    missing = [check for check in claim.checks if check not in statuses]
    if missing:
        return Verdict(claim, False, f"no result for {', '.join(missing)}")
    own = {
        check: status_for(claim.id, statuses[check], (verdicts or {}).get(check))
        for check in claim.checks
    }
    failing = [check for check in claim.checks if own[check] != Status.PASS.value]
    if failing:
        named = ", ".join(f"{check} ({own[check]})" for check in failing)
        return Verdict(claim, False, f"not passed: {named}")
    return Verdict(claim, True, "every check passed")
